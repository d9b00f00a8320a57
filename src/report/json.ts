/**
 * JSON export: `{schema_version: 1, kind: "device-bench-report",
 * generated_at, sources, warnings, invalid, runs, reference?}`, valid against
 * `report.schema.json`. Run records are written as they were read (unknown
 * fields kept), so an exported report can be merged again; what the merge
 * left out is listed in `warnings` (sentences) and `invalid` (one entry per
 * record left out), never dropped silently.
 */
import { isoTimestamp } from '../common/format';
import { referenceJson } from './reference';
import type {
  IFormatOptions,
  IMergedReport,
  IReportInvalidEntry
} from './types';
import type { IRunRecord } from '../records/types';
import { REPORT_KIND, SCHEMA_VERSION } from '../records/validate';

/**
 * An exported JSON report.
 */
export interface IJsonReport {
  schema_version: typeof SCHEMA_VERSION;
  kind: typeof REPORT_KIND;
  generated_at: string;
  sources: string[];
  /**
   * The merge warnings (human sentences).
   */
  warnings: string[];
  /**
   * The run records of the sources that were left out as not valid.
   */
  invalid: IReportInvalidEntry[];
  runs: IRunRecord[];
  reference?: Record<string, unknown>[];
}

/**
 * The merged report as a JSON report object.
 */
export function buildJsonReport(
  report: IMergedReport,
  options: IFormatOptions = {}
): IJsonReport {
  const json: IJsonReport = {
    schema_version: SCHEMA_VERSION,
    kind: REPORT_KIND,
    generated_at: isoTimestamp(options.generatedAt),
    sources: [...report.sources],
    warnings: [...report.warnings],
    invalid: report.invalid.map(entry => ({ ...entry })),
    runs: report.runs.map(run => run.record)
  };
  if (options.includeReference) {
    json.reference = referenceJson();
  }
  return json;
}

/**
 * The merged report as JSON text (two-space indent, final newline).
 */
export function renderJson(
  report: IMergedReport,
  options: IFormatOptions = {}
): string {
  return JSON.stringify(buildJsonReport(report, options), null, 2) + '\n';
}
