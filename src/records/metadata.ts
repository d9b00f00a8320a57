/**
 * The extension's notebook metadata (`metadata.device_bench`): reading it
 * from a notebook, and appending run records to it, validated on write,
 * duplicate run ids dropped and the history capped, exactly as the headless
 * runner does (jupyterlab_device_bench/records.py `check_metadata` and
 * `append_run`; the shared golden fixtures hold both to it). Unknown fields
 * are kept.
 */
import type { INotebookModel } from '@jupyterlab/notebook';
import type {
  PartialJSONObject,
  ReadonlyPartialJSONObject
} from '@lumino/coreutils';
import {
  CONTRACT,
  DEFAULT_HISTORY,
  METADATA_KEY,
  SCHEMA_VERSION
} from '../common/contract';
import type { IRunRecord } from './types';
import { metadataProblem, runProblem } from './validate';

export { DEFAULT_HISTORY };

/**
 * The metadata schema version this extension writes.
 */
export const METADATA_SCHEMA_VERSION = SCHEMA_VERSION;

/**
 * Metadata that cannot be updated without losing what is there.
 */
export class MalformedMetadataError extends Error {
  constructor(problem = 'is not an object') {
    super(
      `The notebook's "${METADATA_KEY}" metadata ${problem}; fix or remove it first (nothing was changed).`
    );
    this.name = 'MalformedMetadataError';
  }
}

/**
 * A run record that does not validate against the metadata schema.
 */
export class InvalidRecordError extends Error {
  constructor(problem: string) {
    super(`Invalid run record: ${problem}`);
    this.name = 'InvalidRecordError';
  }
}

/**
 * The extension's notebook metadata, checked: an object, or undefined.
 *
 * @throws MalformedMetadataError when present but not an object.
 */
export function readMetadata(
  model: INotebookModel
): ReadonlyPartialJSONObject | undefined {
  const value = model.getMetadata(METADATA_KEY);
  if (value === undefined) {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedMetadataError();
  }
  return value as ReadonlyPartialJSONObject;
}

/**
 * Existing metadata checked and copied, ready to be appended to (as
 * records.py `check_metadata`): undefined gives a fresh object; what the
 * device picker alone writes (no `schema_version`) is accepted; anything the
 * schema refuses (its runs included) is never overwritten.
 *
 * @throws MalformedMetadataError otherwise.
 */
export function checkMetadata(
  existing: unknown
): PartialJSONObject & { runs: PartialJSONObject[] } {
  if (existing === undefined) {
    return { schema_version: METADATA_SCHEMA_VERSION, runs: [] };
  }
  if (
    existing === null ||
    typeof existing !== 'object' ||
    Array.isArray(existing)
  ) {
    throw new MalformedMetadataError();
  }
  const doc = existing as ReadonlyPartialJSONObject;
  const runs = doc.runs;
  if (runs !== undefined && !Array.isArray(runs)) {
    throw new MalformedMetadataError('has "runs" that is not a list');
  }
  // A missing version is what the device picker alone writes and becomes 1;
  // any other value than 1 (a newer or unknown number, "1", null, ...) is
  // never overwritten.
  const version = doc.schema_version;
  if (version !== undefined && version !== METADATA_SCHEMA_VERSION) {
    const newer =
      typeof version === 'number' && version > METADATA_SCHEMA_VERSION
        ? ', newer than this extension writes'
        : '';
    throw new MalformedMetadataError(
      `has schema_version ${describeVersion(version)}${newer}; this extension writes ${METADATA_SCHEMA_VERSION} and will not change it`
    );
  }
  const checked = JSON.parse(
    JSON.stringify({
      ...doc,
      schema_version: METADATA_SCHEMA_VERSION,
      runs: runs ?? []
    })
  ) as PartialJSONObject & { runs: PartialJSONObject[] };
  const problem = metadataProblem(checked);
  if (problem !== null) {
    throw new MalformedMetadataError(`does not match its schema (${problem})`);
  }
  return checked;
}

/**
 * Return the metadata with `record` added to its runs (as records.py
 * `append_run`): the record is validated first; a `running` (or
 * `interrupted`) marker with its id takes the record in its place (the
 * device's final record replaces its marker); any other run with its id is
 * dropped and the record appended (the same run counts once, the newer copy
 * last). With `resolveRunning`, every other `running` marker becomes
 * `interrupted` (the driver is not running it: it was left behind). The
 * oldest runs beyond `cap` are removed and every other field is kept.
 *
 * @throws MalformedMetadataError when the metadata has a shape that
 * appending would destroy, or a `schema_version` other than 1.
 * @throws InvalidRecordError when the record is not a valid run record.
 */
export function withRun(
  existing: ReadonlyPartialJSONObject | undefined,
  record: ReadonlyPartialJSONObject,
  cap: number = DEFAULT_HISTORY,
  resolveRunning = false
): PartialJSONObject {
  const checked = checkMetadata(existing);
  const problem = runProblem(record);
  if (problem !== null) {
    throw new InvalidRecordError(problem);
  }
  const copy = JSON.parse(JSON.stringify(record)) as PartialJSONObject;
  const runs = placeRun(checked.runs, copy, resolveRunning);
  const keep = Math.max(1, Math.floor(cap));
  return { ...checked, runs: runs.slice(-keep) };
}

/**
 * The runs with `record` in place of its own marker, or appended after any
 * other copy of it is dropped; other markers resolved when asked.
 */
function placeRun(
  runs: readonly PartialJSONObject[],
  record: PartialJSONObject,
  resolveRunning: boolean
): PartialJSONObject[] {
  const now = new Date().toISOString();
  const { running, interrupted } = CONTRACT.record.statuses;
  const isMarker = (run: PartialJSONObject) =>
    run.status === running || run.status === interrupted;
  const at = runs.findIndex(run => run.id === record.id && isMarker(run));
  const all = runs
    .map(run =>
      resolveRunning && run.status === running && run.id !== record.id
        ? interruptedRecord(run, now)
        : run
    )
    .map((run, index) => (index === at ? record : run));
  return at >= 0
    ? all.filter((run, index) => index === at || run.id !== record.id)
    : [...all.filter(run => run.id !== record.id), record];
}

/**
 * Check that a run can be appended to the notebook without losing anything.
 *
 * @throws MalformedMetadataError otherwise.
 */
export function checkAppendable(model: INotebookModel): void {
  checkMetadata(readMetadata(model));
}

/**
 * Append a run record to the notebook's metadata.
 *
 * @throws MalformedMetadataError, InvalidRecordError as `withRun`; the
 * notebook is then unchanged.
 */
export function appendRun(
  model: INotebookModel,
  record: ReadonlyPartialJSONObject,
  cap: number = DEFAULT_HISTORY,
  resolveRunning = false
): void {
  model.setMetadata(
    METADATA_KEY,
    withRun(readMetadata(model), record, cap, resolveRunning)
  );
}

/**
 * Whether a record is a `running` marker: written when a device starts,
 * replaced by that device's final record.
 */
export function isRunning(record: unknown): boolean {
  return (
    typeof record === 'object' &&
    record !== null &&
    (record as { status?: unknown }).status === CONTRACT.record.statuses.running
  );
}

/**
 * Why a `running` record was left behind, as its `interrupted` record says.
 */
export const INTERRUPTED_REASON = CONTRACT.record.statuses.interrupted_error;

/**
 * A `running` record left behind, as the `interrupted` record it stands for
 * (a copy; finished at `now`).
 */
export function interruptedRecord<
  T extends ReadonlyPartialJSONObject | IRunRecord
>(record: T, now: string = new Date().toISOString()): T {
  return {
    ...(JSON.parse(JSON.stringify(record)) as T),
    status: CONTRACT.record.statuses.interrupted,
    finished_at: now,
    error: INTERRUPTED_REASON
  };
}

/**
 * `runs` with every `running` marker turned into an `interrupted` record
 * (finished at `now`, an error saying the run stopped before this device
 * finished: the page was reloaded, the tab closed or the server restarted).
 * What a marker means once the notebook is opened again and no run is in
 * progress. Other runs are copied unchanged.
 */
export function resolveInterrupted<
  T extends ReadonlyPartialJSONObject | IRunRecord
>(runs: readonly T[], now: string | Date = new Date()): T[] {
  const at = typeof now === 'string' ? now : now.toISOString();
  return runs.map(run =>
    isRunning(run)
      ? interruptedRecord(run, at)
      : (JSON.parse(JSON.stringify(run)) as T)
  );
}

/**
 * A schema_version found in a notebook, briefly, for an error message.
 */
function describeVersion(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (
    value === null ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return String(value);
  }
  return Array.isArray(value) ? 'a list' : 'an object';
}
