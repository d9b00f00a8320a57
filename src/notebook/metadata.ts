/**
 * The extension's notebook metadata (`metadata.device_bench`): the device
 * choice and the recorded benchmark runs. Unknown fields are kept.
 */
import type { INotebookModel } from '@jupyterlab/notebook';
import type {
  PartialJSONObject,
  ReadonlyPartialJSONObject
} from '@lumino/coreutils';
import { METADATA_KEY } from '../tokens';
import { MalformedMetadataError, readMetadata } from './deviceCell';

/**
 * The metadata schema version this extension writes.
 */
export const METADATA_SCHEMA_VERSION = 1;

/**
 * The default number of runs kept.
 */
export const DEFAULT_HISTORY = 50;

/**
 * Return the metadata with `record` appended to its runs, the oldest runs
 * beyond `cap` removed and every other field kept. A record whose id is
 * already there as `running` (or `interrupted`) takes that record's place:
 * the device's final record replaces its marker. With `resolveRunning`,
 * every other `running` record is turned `interrupted` (the driver is not
 * running it: it was left behind).
 *
 * @throws MalformedMetadataError when the metadata or its runs have a shape
 * that appending would destroy, or a `schema_version` other than 1.
 */
export function withRun(
  existing: ReadonlyPartialJSONObject | undefined,
  record: ReadonlyPartialJSONObject,
  cap: number = DEFAULT_HISTORY,
  resolveRunning = false
): PartialJSONObject {
  const runs = existing?.runs;
  if (runs !== undefined && !Array.isArray(runs)) {
    throw new MalformedMetadataError('has "runs" that is not a list');
  }
  // As the headless runner (records.py check_metadata): a missing version is
  // what the device picker alone writes and becomes 1; any other value than
  // 1 (a newer or unknown number, "1", null, ...) is never overwritten.
  const version = existing?.schema_version;
  if (version !== undefined && version !== METADATA_SCHEMA_VERSION) {
    const newer =
      typeof version === 'number' && version > METADATA_SCHEMA_VERSION
        ? ', newer than this extension writes'
        : '';
    throw new MalformedMetadataError(
      `has schema_version ${describeVersion(version)}${newer}; this extension writes ${METADATA_SCHEMA_VERSION} and will not change it`
    );
  }
  const all = placeRun(
    (runs as PartialJSONObject[] | undefined) ?? [],
    record,
    resolveRunning
  );
  const keep = Math.max(1, Math.floor(cap));
  return {
    ...(existing ?? {}),
    schema_version: METADATA_SCHEMA_VERSION,
    runs: all.slice(-keep)
  } as PartialJSONObject;
}

/**
 * Why a `running` record was left behind, as its `interrupted` record says.
 */
export const INTERRUPTED_REASON =
  'The run was interrupted before this device ended (the page was reloaded or closed, or the server restarted).';

/**
 * A `running` record left behind, as the `interrupted` record it stands for.
 */
export function interruptedRecord(
  record: ReadonlyPartialJSONObject,
  now: string = new Date().toISOString()
): PartialJSONObject {
  return {
    ...(record as PartialJSONObject),
    status: 'interrupted',
    finished_at: now,
    error: INTERRUPTED_REASON
  };
}

/**
 * The runs with `record` in place of its own marker (or appended), other
 * markers resolved to `interrupted` when asked.
 */
function placeRun(
  runs: readonly PartialJSONObject[],
  record: ReadonlyPartialJSONObject,
  resolveRunning: boolean
): PartialJSONObject[] {
  const now = new Date().toISOString();
  const open = (run: PartialJSONObject) =>
    run?.status === 'running' || run?.status === 'interrupted';
  const at = runs.findIndex(
    run => open(run) && record.id !== undefined && run.id === record.id
  );
  const all = runs.map(run =>
    resolveRunning && run?.status === 'running' && run.id !== record.id
      ? interruptedRecord(run, now)
      : run
  );
  if (at >= 0) {
    all[at] = record as PartialJSONObject;
    return all;
  }
  return [...all, record as PartialJSONObject];
}

/**
 * Check that a run can be appended to the notebook without losing anything.
 *
 * @throws MalformedMetadataError otherwise.
 */
export function checkAppendable(model: INotebookModel): void {
  withRun(readMetadata(model), {});
}

/**
 * Append a run record to the notebook's metadata.
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
