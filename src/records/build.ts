/**
 * The one builder of run records' common fields, shared by the driver's
 * records (record.ts: okRecord, failedRecord, runningRecord) and papermill's
 * (papermill.ts), in the key order records.py writes them
 * (`record_from_result`, `record_from_error`).
 *
 * A module of its own, with no validators: validate.ts reads papermill
 * notebooks (papermill.ts), and record.ts needs validate.ts, so papermill.ts
 * importing record.ts would make a cycle. record.ts re-exports what is here.
 */
import type { PartialJSONObject } from '@lumino/coreutils';
import { LIMITS, truncateUnits } from '../common/contract';
import { scrubError } from '../common/scrub';
import type { RunStatus } from './types';

/**
 * The fields a record copies from the notebook's result document.
 */
export const RESULT_FIELDS = [
  'settings',
  'data',
  'train_seconds',
  'epoch_seconds',
  'steady_epoch_seconds',
  'samples_per_second',
  'accuracy',
  'versions',
  'cpu'
] as const;

/**
 * Who made a record, of which run, on which device: the fields every run
 * record starts with.
 */
export interface IRecordIdentity {
  id: string;
  status: RunStatus;
  source: string;
  machineLabel: string;
  device: string;
  deviceName: string | null;
  profile: string;
  params: PartialJSONObject;
}

/**
 * A record's identity, then every result field null.
 */
export function recordPrelude(identity: IRecordIdentity): PartialJSONObject {
  const record: PartialJSONObject = {
    id: identity.id,
    status: identity.status,
    source: identity.source,
    machine_label: identity.machineLabel,
    device: identity.device,
    device_name: identity.deviceName,
    profile: identity.profile,
    params: identity.params
  };
  for (const key of RESULT_FIELDS) {
    record[key] = null;
  }
  return record;
}

/**
 * The record of a run that gave a result document (not yet validated): the
 * identity, the result fields (null where the result has none), its
 * `accuracy_note` when it has one, and its own times where they are text
 * (else `startedAt` / `finishedAt`).
 */
export function resultRecord(
  identity: IRecordIdentity,
  result: PartialJSONObject,
  startedAt: string,
  finishedAt: string
): PartialJSONObject {
  const record = recordPrelude(identity);
  for (const key of RESULT_FIELDS) {
    const value = result[key];
    record[key] = value === undefined ? null : value;
  }
  const text = (key: string, fallback: string | null, max: number) => {
    const value = result[key];
    return typeof value === 'string' ? truncateUnits(value, max) : fallback;
  };
  // Why the accuracy says nothing (a run too short to judge it); only when the
  // result has one (results of earlier notebook versions do not).
  if (Object.prototype.hasOwnProperty.call(result, 'accuracy_note')) {
    record.accuracy_note = text('accuracy_note', null, LIMITS.accuracy_note);
  }
  record.started_at = text('started_at', startedAt, LIMITS.time);
  record.finished_at = text('finished_at', finishedAt, LIMITS.time);
  record.error = null;
  return record;
}

/**
 * The record of a run without a result (`failed`, `cancelled`, or the
 * `running` marker with a null `error`): the identity, null result fields,
 * the times, and the error scrubbed (the status where nothing is left).
 */
export function errorRecord(
  identity: IRecordIdentity,
  startedAt: string,
  finishedAt: string,
  error: string | null
): PartialJSONObject {
  return {
    ...recordPrelude(identity),
    started_at: startedAt,
    finished_at: finishedAt,
    error: error === null ? null : scrubError(error) || identity.status
  };
}
