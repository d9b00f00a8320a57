/**
 * Timing a user's own notebook (issue 16), the parts without a kernel: the
 * timed range (the device cell, the `device-bench-start` and
 * `device-bench-stop` tags), the code hash, and the silent requests that
 * install, read and remove `celltiming.py` in the kernel. The twin of
 * jupyterlab_device_bench/notebook_timing.py (same rules; the shared cases
 * are tests/golden/code_hash.json); the kernel-side code is that very file,
 * embedded at build time (scripts/embed-python.mjs).
 */
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import {
  DEVICE_CELL_TAG,
  TIMED_START_TAG,
  TIMED_STOP_TAG
} from '../common/contract';
import { sha256Hex } from '../common/sha256';
import { validateDevice } from '../notebook/deviceCell';
import { CELLTIMING_SOURCE } from './_generated/celltiming';

export { TIMED_START_TAG, TIMED_STOP_TAG };

/**
 * The name of the one `user_expressions` entry of the silent requests.
 */
export const EXPRESSION_KEY = 'device_bench_timing';

/**
 * Where celltiming.py lives in the kernel: `sys.modules`, never the user's
 * namespace.
 */
export const MODULE_NAME = '_device_bench_celltiming';

export const TAKE_EXPRESSION = `__import__('sys').modules['${MODULE_NAME}'].take()`;
export const UNINSTALL_EXPRESSION = `__import__('sys').modules['${MODULE_NAME}'].uninstall()`;

/**
 * What the timing needs of a cell.
 */
export interface ITimingCell {
  cell_type: string;
  source: string;
  tags: readonly string[];
}

/**
 * Where things are in the notebook (cell indexes).
 */
export interface ITimedLayout {
  deviceCell: number;
  start: number;
  stop: number;
  /**
   * The code cells with code from start to stop (the device cell included
   * when in the range: it runs and is timed, but is left out of the hash).
   */
  timed: number[];
}

/**
 * The notebook's tags do not make a timed range (nothing was run).
 */
export class TimedRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimedRangeError';
  }
}

/**
 * How records name a cell: its 1-based position ("cell 3").
 */
export function cellLabel(index: number): string {
  return `cell ${index + 1}`;
}

function tagged(cells: readonly ITimingCell[], tag: string): number[] {
  return cells.flatMap((cell, i) => (cell.tags.includes(tag) ? [i] : []));
}

/**
 * Whether the cells have exactly one device cell (the notebook can be timed
 * once its tags make sense).
 */
export function hasDeviceCell(cells: readonly ITimingCell[]): boolean {
  return tagged(cells, DEVICE_CELL_TAG).length === 1;
}

/**
 * The device cell and the timed range, as notebook_timing.layout finds them.
 *
 * @throws TimedRangeError when the tags do not make sense.
 */
export function timedLayout(cells: readonly ITimingCell[]): ITimedLayout {
  const device = tagged(cells, DEVICE_CELL_TAG);
  if (device.length !== 1) {
    throw new TimedRangeError(
      `The notebook must have exactly one device cell (tagged "${DEVICE_CELL_TAG}"; it has ${device.length}): pick a device with the device picker first.`
    );
  }
  if (cells[device[0]].cell_type !== 'code') {
    throw new TimedRangeError(
      `The cell tagged "${DEVICE_CELL_TAG}" is not a code cell.`
    );
  }
  const starts = tagged(cells, TIMED_START_TAG);
  const stops = tagged(cells, TIMED_STOP_TAG);
  for (const [tag, found] of [
    [TIMED_START_TAG, starts],
    [TIMED_STOP_TAG, stops]
  ] as const) {
    if (found.length > 1) {
      throw new TimedRangeError(
        `${found.length} cells are tagged "${tag}"; keep the tag on one of them.`
      );
    }
  }
  const start = starts.length ? starts[0] : 0;
  const stop = stops.length ? stops[0] : cells.length - 1;
  if (stop < start) {
    throw new TimedRangeError(
      `The cell tagged "${TIMED_STOP_TAG}" (${cellLabel(stop)}) comes before the one tagged "${TIMED_START_TAG}" (${cellLabel(start)}).`
    );
  }
  const timed: number[] = [];
  for (let i = start; i <= stop; i++) {
    if (cells[i].cell_type === 'code' && cells[i].source.trim()) {
      timed.push(i);
    }
  }
  if (!timed.length) {
    throw new TimedRangeError(
      'There is no code cell to time between the start and stop tags.'
    );
  }
  return { deviceCell: device[0], start, stop, timed };
}

/**
 * What ran, as one hash (notebook_timing.code_sha256): sha256 over, for each
 * timed code cell but the device cell, the hex sha256 of its UTF-8 source
 * with `\n` line ends, and a newline.
 */
export function codeSha256(
  cells: readonly ITimingCell[],
  layout: ITimedLayout
): string {
  let outer = '';
  for (const index of layout.timed) {
    if (index === layout.deviceCell) {
      continue;
    }
    const source = cells[index].source.replace(/\r\n?/g, '\n');
    outer += sha256Hex(source) + '\n';
  }
  return sha256Hex(outer);
}

/**
 * The expression that loads celltiming.py into a private module and hooks
 * the cell events for `device` (allowlisted; a JSON string literal is a valid
 * Python string literal).
 */
export function installExpression(device: string): string {
  const valid = validateDevice(device);
  if (!valid) {
    throw new Error(`Not a device: ${String(device).slice(0, 40)}`);
  }
  return (
    "(lambda m: (__import__('builtins').exec(" +
    JSON.stringify(CELLTIMING_SOURCE) +
    ', m.__dict__), m.install(m, ' +
    JSON.stringify(valid) +
    "))[1])(__import__('types').ModuleType('" +
    MODULE_NAME +
    "'))"
  );
}

/**
 * The kernel's timing request failed or answered something unexpected.
 */
export class TimingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimingError';
  }
}

/**
 * The JSON document of our `user_expressions` entry in an execute reply's
 * content (the kernel's base64 string, as text/plain repr).
 */
export function decodeReply(
  content: ReadonlyPartialJSONObject
): Record<string, unknown> {
  const expressions = content.user_expressions as
    | Record<string, { status?: string; data?: Record<string, unknown> }>
    | undefined;
  const entry = expressions?.[EXPRESSION_KEY];
  if (!entry || typeof entry !== 'object') {
    throw new TimingError(
      `The kernel did not evaluate the timing request (${String(content.status)}).`
    );
  }
  if (entry.status !== 'ok') {
    const failed = entry as { ename?: string; evalue?: string };
    throw new TimingError(
      `The timing request failed in the kernel: ${String(failed.ename)}: ${String(failed.evalue)}`
    );
  }
  const text = String(entry.data?.['text/plain'] ?? '');
  const match = /^'([A-Za-z0-9+/=]*)'$/.exec(text);
  let document: unknown = null;
  try {
    if (match) {
      const binary = atob(match[1]);
      const bytes = Uint8Array.from(binary, c => c.charCodeAt(0));
      document = JSON.parse(new TextDecoder().decode(bytes));
    }
  } catch {
    document = null;
  }
  if (!document || typeof document !== 'object' || Array.isArray(document)) {
    throw new TimingError(
      'The kernel answered the timing request with an unexpected value.'
    );
  }
  return document as Record<string, unknown>;
}
