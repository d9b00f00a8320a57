/**
 * Run records: what the driver writes into `metadata.device_bench.runs`
 * (schema: jupyterlab_device_bench/schemas/metadata.schema.json).
 */
import { type PartialJSONObject, UUID } from '@lumino/coreutils';
import type { IProbeReport } from '../tokens';

/**
 * Devices a record may name (the metadata schema's pattern).
 */
const DEVICE_PATTERN = /^(cpu|mps|(cuda|xpu)(:[0-9]{1,3})?)$/;

/**
 * The mime type of the notebook's result bundle.
 */
export const RESULT_MIME = 'application/vnd.device-bench.result+json';

/**
 * The mime type of the notebook's progress display.
 */
export const PROGRESS_MIME = 'application/vnd.device-bench.progress+json';

/**
 * The tag of the notebook's result cell.
 */
export const RESULT_CELL_TAG = 'device-bench-result';

export type RunStatus =
  'ok' | 'failed' | 'cancelled' | 'running' | 'interrupted';

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

function field<T>(result: PartialJSONObject, key: string): T | null {
  const value = result[key];
  return value === undefined ? null : (value as T);
}

/**
 * A random run id.
 */
export function newRunId(): string {
  return UUID.uuid4();
}

/**
 * The record of a finished run, from the notebook's result document.
 */
export function okRecord(
  context: IRunContext,
  result: PartialJSONObject
): PartialJSONObject {
  // The result comes from the kernel: keep only well-typed, bounded values.
  const text = (key: string, fallback: string | null, max = 200) => {
    const value = result[key];
    return typeof value === 'string' ? value.slice(0, max) : fallback;
  };
  const device = text('device', context.device, 20);
  return {
    id: context.id,
    status: 'ok',
    source: 'jupyterlab',
    machine_label: context.machineLabel,
    device: device && DEVICE_PATTERN.test(device) ? device : context.device,
    device_name: text('device_name', context.deviceName),
    profile: text('profile', context.profile, 40),
    params: context.params,
    settings: field(result, 'settings'),
    data: field(result, 'data'),
    train_seconds: field(result, 'train_seconds'),
    epoch_seconds: field(result, 'epoch_seconds'),
    steady_epoch_seconds: field(result, 'steady_epoch_seconds'),
    samples_per_second: field(result, 'samples_per_second'),
    accuracy: field(result, 'accuracy'),
    // Why the accuracy says nothing (a run too short to judge it); only when the result has
    // one (results of earlier notebook versions do not), as records.py copies it.
    ...('accuracy_note' in result
      ? { accuracy_note: text('accuracy_note', null, 300) }
      : {}),
    versions: field(result, 'versions'),
    cpu: field(result, 'cpu'),
    started_at: text('started_at', context.startedAt, 40),
    finished_at: text('finished_at', new Date().toISOString(), 40),
    error: null
  };
}

/**
 * The record of a run that failed or was cancelled.
 */
export function failedRecord(
  context: IRunContext,
  status: Exclude<RunStatus, 'ok'>,
  error: string
): PartialJSONObject {
  return {
    id: context.id,
    status,
    source: 'jupyterlab',
    machine_label: context.machineLabel,
    device: context.device,
    device_name: context.deviceName,
    profile: context.profile,
    params: context.params,
    settings: null,
    data: null,
    train_seconds: null,
    epoch_seconds: null,
    steady_epoch_seconds: null,
    samples_per_second: null,
    accuracy: null,
    versions: null,
    cpu: null,
    started_at: context.startedAt,
    finished_at: new Date().toISOString(),
    error: stripPaths(error).slice(0, 2000)
  };
}

/**
 * The marker saved when a device starts: `running`, replaced by the
 * device's final record (same id) when it ends. One left behind says the
 * device was interrupted, never a silent gap.
 */
export function runningRecord(context: IRunContext): PartialJSONObject {
  return {
    ...failedRecord(context, 'running', ''),
    finished_at: context.startedAt,
    error: null
  };
}

/**
 * The parameters as recorded: string values that look like paths keep only
 * their base name (privacy: no paths in notebooks or reports).
 */
export function recordParams(
  params: Record<string, unknown>
): PartialJSONObject {
  const out: PartialJSONObject = {};
  for (const [name, value] of Object.entries(params)) {
    out[name] =
      typeof value === 'string' && /[\\/]/.test(value)
        ? (value.split(/[\\/]/).filter(Boolean).pop() ?? '')
        : (value as PartialJSONObject[string]);
  }
  return out;
}

// A quoted path runs to its closing quote, spaces included ('/Users/Jo Do/x').
const QUOTED_PATH =
  /(['"])((?:~|\.{1,2})?\/(?!\/)[^'"\r\n]*|[A-Za-z]:[\\/][^'"\r\n]*|\\\\[^'"\r\n]*)\1/g;
// Bare absolute POSIX paths (not the // of URLs, not 1/2), ~, ./ and ../
// paths, Windows paths (also with the doubled backslashes of a Python repr)
// and UNC paths; as jupyterlab_device_bench/records.py's _PATH.
const BARE_PATH =
  /(?<![\w:/.\\~…])(?:~|\.{1,2})?\/[^\s'"`<>|,;()[\]{}]+|(?<!\w)[A-Za-z]:\\[^\s'"`<>|,;()[\]{}]*|\\\\[^\s'"`<>|,;()[\]{}]+/g;

function scrubPath(path: string): string {
  const trailing = /[.:]*$/.exec(path)?.[0] ?? '';
  const text = path.slice(0, path.length - trailing.length);
  if (!text || ['/', '~/', './', '../'].includes(text)) {
    return path;
  }
  const base =
    text
      .replace(/[\\/]+$/, '')
      .split(/[\\/]+/)
      .pop() ?? '';
  return (
    (base && !/^[A-Za-z]:$/.test(base) ? `…/${base}` : '<path>') + trailing
  );
}

/**
 * Reduce file paths in an error message to their base names, `…/x.gz`, as
 * the headless runner does (privacy: no user or folder names in notebooks).
 */
export function stripPaths(message: string): string {
  return message
    .replace(
      QUOTED_PATH,
      (_, quote: string, path: string) => quote + scrubPath(path) + quote
    )
    .replace(BARE_PATH, path => scrubPath(path));
}

/**
 * The default machine label: the CPU model, plus the GPU names, from the
 * probe. Never a host name, user name or path.
 */
export function defaultMachineLabel(report: IProbeReport | null): string {
  if (!report) {
    return 'unknown machine';
  }
  const gpus = report.devices
    .filter(d => d.kind !== 'cpu' && d.available)
    .map(d => d.name)
    .filter((name, i, all) => name && all.indexOf(name) === i);
  const cpu = report.cpu.model ?? 'CPU';
  return [cpu, ...gpus].join(' + ').slice(0, 200);
}
