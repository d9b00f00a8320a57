/**
 * Making run records: what the driver writes into `metadata.device_bench.runs`
 * (schema: jupyterlab_device_bench/schemas/metadata.schema.json). The headless
 * runner makes the same records (jupyterlab_device_bench/records.py), by the
 * same contract rules (scrubbing, machine label, limits).
 */
import { type PartialJSONObject, UUID } from '@lumino/coreutils';
import {
  CONTRACT,
  LIMITS,
  RECORD_DEVICE_PATTERN,
  truncateUnits
} from '../common/contract';
import { scrubError } from '../common/scrub';
import type { IProbeReport } from '../kernel/types';
import type { RunStatus } from './types';
import { runProblem } from './validate';
import { errorRecord, type IRecordIdentity, resultRecord } from './build';
import type { INotebookCellTiming } from './breakdown';

export { recordParams, stripPaths } from '../common/scrub';
export {
  errorRecord,
  type IRecordIdentity,
  recordPrelude,
  RESULT_FIELDS,
  resultRecord
} from './build';

/**
 * What the driver knows about one device's run.
 */
export interface IRunContext {
  /** The run's id: its `running` marker and its final record share it. */
  id: string;
  device: string;
  deviceName: string | null;
  machineLabel: string;
  profile: string;
  params: PartialJSONObject;
  startedAt: string;
}

/**
 * A random run id.
 */
export function newRunId(): string {
  return UUID.uuid4();
}

function identity(context: IRunContext, status: RunStatus): IRecordIdentity {
  return {
    id: context.id,
    status,
    source: CONTRACT.record.sources.jupyterlab,
    machineLabel: context.machineLabel,
    device: context.device,
    deviceName: context.deviceName,
    profile: context.profile,
    params: context.params
  };
}

/**
 * The record of a finished run, from the notebook's result document.
 *
 * A result that does not make a valid run record gives a `failed` record
 * saying why, as the headless runner does.
 */
export function okRecord(
  context: IRunContext,
  result: PartialJSONObject
): PartialJSONObject {
  // The result comes from the kernel: keep only well-typed, bounded values.
  const text = (
    key: string,
    fallback: string | null,
    max: number = LIMITS.device_name
  ) => {
    const value = result[key];
    return typeof value === 'string' ? truncateUnits(value, max) : fallback;
  };
  const device = text('device', context.device, LIMITS.device);
  const record = resultRecord(
    {
      ...identity(context, 'ok'),
      device:
        device && RECORD_DEVICE_PATTERN.test(device) ? device : context.device,
      deviceName: text('device_name', context.deviceName),
      profile:
        text('profile', context.profile, LIMITS.profile) ?? context.profile
    },
    result,
    context.startedAt,
    new Date().toISOString()
  );
  const problem = runProblem(record);
  if (problem !== null) {
    return failedRecord(
      context,
      'failed',
      `the notebook's result does not make a valid run record: ${problem}`
    );
  }
  return record;
}

/**
 * The record of a run that failed or was cancelled.
 */
export function failedRecord(
  context: IRunContext,
  status: 'failed' | 'cancelled',
  error: string
): PartialJSONObject {
  return errorRecord(
    identity(context, status),
    context.startedAt,
    new Date().toISOString(),
    error
  );
}

/**
 * The marker saved when a device starts: `running`, replaced by the device's
 * final record (same id) when it ends. One left behind says the device was
 * interrupted, never a silent gap (see `resolveInterrupted`).
 */
export function runningRecord(context: IRunContext): PartialJSONObject {
  return errorRecord(
    identity(context, 'running'),
    context.startedAt,
    context.startedAt,
    null
  );
}

/**
 * The default machine label: the CPU model, plus the names of the available
 * devices that are not the CPU, from the probe (the contract's machine_label
 * rule). Never a host name, user name or path.
 */
export function defaultMachineLabel(report: IProbeReport | null): string {
  const rule = CONTRACT.machine_label;
  if (!report) {
    return rule.unknown;
  }
  const names: string[] = [];
  for (const device of Array.isArray(report.devices) ? report.devices : []) {
    if (!device || device.kind === 'cpu' || !device.available) {
      continue;
    }
    const name = device.name;
    if (typeof name === 'string' && name && !names.includes(name)) {
      names.push(name);
    }
  }
  const model = report.cpu?.model;
  const cpu =
    model === null || model === undefined ? rule.cpu_fallback : String(model);
  return truncateUnits([cpu, ...names].join(rule.separator), rule.max);
}

/**
 * What a `kind: "notebook"` record says besides the usual fields (as
 * notebook_timing._record writes them).
 */
export interface INotebookRunFields {
  notebook: string;
  codeSha256: string;
  timedRange: { start: number; stop: number; cells: number };
  repeat: number;
  totalSeconds: number | null;
  cells: INotebookCellTiming[];
  peakMemory: Record<string, number>;
  versions: PartialJSONObject | null;
}

/**
 * The kind of the records of a user notebook's timing runs.
 */
export const NOTEBOOK_KIND = 'notebook';

/**
 * The base name of a notebook path as records keep it (never a folder).
 */
export function notebookBaseName(path: string): string {
  const base = path.split(/[/\\]/).pop() ?? '';
  return truncateUnits(scrubError(base) || 'notebook', 200).replace(
    /[/\\]/g,
    '_'
  );
}

/**
 * A `kind: "notebook"` record: `ok` (error null), `failed` or `cancelled`
 * (error given), or the `running` marker (no cells yet). Validated: a
 * record the schema refuses throws InvalidRecordError-like Error here, never
 * reaches the notebook.
 */
export function notebookRecord(
  context: IRunContext,
  status: RunStatus,
  fields: INotebookRunFields,
  error: string | null
): PartialJSONObject {
  const record: PartialJSONObject = {
    id: context.id,
    kind: NOTEBOOK_KIND,
    status,
    source: CONTRACT.record.sources.jupyterlab,
    machine_label: context.machineLabel,
    device: context.device,
    device_name: context.deviceName,
    profile: NOTEBOOK_KIND,
    params: context.params,
    notebook: fields.notebook,
    code_sha256: fields.codeSha256,
    timed_range: { ...fields.timedRange },
    repeat: fields.repeat,
    total_seconds: status === 'ok' ? fields.totalSeconds : null,
    cells: fields.cells.map(cell => ({
      ...cell,
      memory: { ...cell.memory }
    })) as unknown as PartialJSONObject[],
    peak_memory: { ...fields.peakMemory },
    versions: fields.versions,
    started_at: context.startedAt,
    finished_at:
      status === 'running' ? context.startedAt : new Date().toISOString(),
    error: error === null ? null : scrubError(error) || status
  };
  const problem = runProblem(record);
  if (problem !== null) {
    throw new Error(`Not a valid notebook run record: ${problem}`);
  }
  return record;
}
