/**
 * Types of run records (`metadata.device_bench.runs`): the record itself,
 * derived from `metadata.schema.json` at build time (scripts/compile-schemas.mjs),
 * and what reading records found.
 *
 * Field names of run records follow the JSON Schema (snake_case) because the
 * records are stored and exported as they are.
 */
export type { IRunRecord, RunSource, RunStatus } from './_generated/types';
import type { IRunRecord } from './_generated/types';

/**
 * A run record that was left out, and why.
 */
export interface IInvalidEntry {
  /**
   * Its index in the `runs` array (-1 when the whole `runs` value was unusable).
   */
  index: number;
  /**
   * Why it was left out, in words (validation messages).
   */
  reason: string;
  /**
   * A short JSON-like preview of the value (at most about 200 characters);
   * untrusted text: escape it before display.
   */
  preview: string;
}

/**
 * What reading notebook metadata or an exported report found.
 */
export interface IReadResult {
  /**
   * The valid run records, in their order.
   */
  runs: IRunRecord[];
  /**
   * The run records that were left out.
   */
  invalid: IInvalidEntry[];
  /**
   * `schema_version` as found when it is a number, else null.
   */
  schemaVersion: number | null;
  /**
   * Problems with the document as a whole (wrong types, unknown version), in
   * words; untrusted text may appear in them: escape before display.
   */
  problems: string[];
  /**
   * For exported reports: the `sources` the report names (else empty).
   */
  sources: string[];
}
