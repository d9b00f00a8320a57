/**
 * The one-click benchmark driver: runs the open benchmark notebook once per
 * device, in the notebook itself (outputs appear as they would by hand), and
 * records each device's run in the notebook's metadata as soon as it ends.
 *
 * Each device gets a fresh kernel process (the kernel is restarted before
 * every device): no state, memory or warm caches carry over from one device
 * to the next, as when the article's author re-ran the script by hand.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { ICodeCellModel } from '@jupyterlab/cells';
import { NotebookActions, type NotebookPanel } from '@jupyterlab/notebook';
import type { Contents, Kernel, KernelMessage } from '@jupyterlab/services';
import type { PartialJSONObject } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';
import { shellReply } from '../common/reply';
import { TimeoutError, waitUntil, withTimeout } from '../common/timeout';
import { ANSWER_MS, ensureUsable } from '../common/usable';
import { notReadyError, RUN_ERRORS, WAITS } from './errortext';
import {
  findTaggedCell,
  setDeviceCell,
  validateDevice
} from '../notebook/deviceCell';
import {
  type ParameterValue,
  setParametersCell
} from '../notebook/parametersCell';
import {
  METADATA_KEY,
  PROGRESS_MIME,
  RESULT_CELL_TAG,
  RESULT_MIME
} from '../common/contract';
import {
  appendRun,
  checkAppendable,
  DEFAULT_HISTORY,
  failedRecord,
  type INotebookRunFields,
  peakMemory,
  timedCell,
  withBreakdown,
  type IRunContext,
  MalformedMetadataError,
  newRunId,
  notebookBaseName,
  notebookRecord,
  okRecord,
  recordParams,
  runningRecord,
  withRun
} from '../records';
import {
  cellLabel,
  codeSha256,
  decodeReply,
  EXPRESSION_KEY,
  installExpression,
  type ITimedLayout,
  type ITimingCell,
  TAKE_EXPRESSION,
  timedLayout,
  TimingError,
  UNINSTALL_EXPRESSION
} from './timing';

/**
 * The profiles the bundled notebook defines.
 */
export const PROFILES = ['seed', 'resident', 'quick'] as const;

/**
 * A second run while one is running.
 */
export class BenchmarkBusyError extends Error {
  constructor() {
    super('A benchmark is already running. Cancel it or wait until it ends.');
    this.name = 'BenchmarkBusyError';
  }
}

/**
 * A record could not be written to the notebook (the save failed, the file
 * was moved or its metadata on disk is malformed). The run stops there;
 * `records` holds every record of the run, the unsaved one last.
 */
export class RecordNotSavedError extends Error {
  constructor(
    readonly device: string,
    readonly reason: string,
    readonly records: PartialJSONObject[],
    readonly inNotebook: boolean
  ) {
    super(
      `The record for ${device} could not be saved: ${reason}` +
        (inNotebook
          ? ' It is in the open notebook (not saved yet) and in the panel: save the notebook to keep it, or use File › Save Notebook As… if this file cannot be written.'
          : '')
    );
    this.name = 'RecordNotSavedError';
  }

  /**
   * The record that could not be saved.
   */
  get record(): PartialJSONObject {
    return this.records[this.records.length - 1];
  }
}

/**
 * What the progress display of the notebook reports.
 */
export interface IProgress {
  epoch?: number;
  epochs?: number;
  step?: number;
  steps?: number;
  loss?: number;
  elapsed?: number;
}

/**
 * One event of a run, for the panel.
 */
export interface IDriverEvent {
  /**
   * The device being run, its position and the number of devices.
   */
  device: string;
  index: number;
  total: number;
  phase: 'restarting' | 'running' | 'recorded';
  /**
   * The latest progress of the notebook (phase `running`).
   */
  progress?: IProgress;
  /**
   * The record written (phase `recorded`).
   */
  record?: PartialJSONObject;
  /**
   * Milliseconds since this device started.
   */
  elapsedMs: number;
}

export namespace BenchmarkDriver {
  export interface IRunOptions {
    devices: string[];
    profile: string;
    params?: Record<string, ParameterValue>;
    machineLabel: string;
    /**
     * Device names for the records, by device id.
     */
    deviceNames?: Record<string, string>;
    history?: number;
    /**
     * How long to wait for a (re)started kernel, in milliseconds.
     */
    kernelTimeoutMs?: number;
  }

  /**
   * Options of `timeNotebook` (a user's notebook with a device cell).
   */
  export interface ITimeOptions {
    devices: string[];
    /**
     * Runs per device (interleaved: cpu, cuda:0, cpu, cuda:0, ...); default 1.
     */
    repeat?: number;
    machineLabel: string;
    deviceNames?: Record<string, string>;
    history?: number;
    kernelTimeoutMs?: number;
  }

  export interface IOptions {
    /**
     * Used to write the record of a run whose notebook was closed meanwhile.
     */
    contents?: Contents.IManager;
  }
}

/**
 * Wait until the session's kernel is `idle` and connected, following the
 * session's signals (never a timer). Rejects at once when the kernel is
 * dead or `stop()` says so, and after `timeoutMs`, naming `what`.
 */
function waitForKernel(
  context: ISessionContext,
  timeoutMs: number,
  stop: () => boolean,
  what: string
): Promise<void> {
  return waitUntil(
    () => {
      const kernel = context.session?.kernel;
      if (stop()) {
        throw new Error(RUN_ERRORS.cancelledBeforeStart);
      }
      if (!kernel || kernel.status === 'dead') {
        throw new Error(RUN_ERRORS.kernelNotRunning);
      }
      return (
        kernel.connectionStatus === 'connected' && kernel.status === 'idle'
      );
    },
    [
      context.statusChanged,
      context.connectionStatusChanged,
      context.kernelChanged
    ],
    timeoutMs,
    what,
    notReadyError(Math.round(timeoutMs / 1000), what)
  );
}

/**
 * How long a new kernel gets to be usable before it is replaced by another
 * one. A connection on which nothing reaches the kernel any more (it says
 * connected, the kernel says `starting`, as seen behind a kernel gateway)
 * is recognised and reconnected within seconds (`ensureUsable`); this is
 * the bound for a kernel that does not answer even then.
 */
export const STUCK_MS = 20_000;

/**
 * Give the session a new kernel process of the same kind, and wait until
 * it is idle. The old kernel is shut down by the server.
 *
 * Replacing, rather than restarting, is deliberate: a restart cancels the
 * requests the connection still waits on (JupyterLab's own kernel_info
 * request after a reconnection among them, whose cancellation JupyterLab
 * leaves unhandled: "Canceled future for kernel_info_request"), and after
 * the server restarted a killed kernel the connection can be left on the
 * dead kernel's channels. A new kernel gets a new connection; the old one is
 * disposed, and its requests end quietly.
 */
export async function replaceKernel(
  session: ISessionContext,
  name: string | undefined,
  timeoutMs: number,
  stop: () => boolean = () => false
): Promise<void> {
  // A kernel the server is restarting cannot be shut down meanwhile
  // (jupyter_server answers 500): let that restart end first, briefly.
  await waitUntil(
    () => !RESTARTING.has(session.session?.kernel?.status ?? ''),
    [session.statusChanged, session.kernelChanged],
    Math.min(SETTLE_MS, timeoutMs),
    WAITS.restartUnderWay
  ).catch(() => undefined);
  const connection = session.session;
  const options = name ? { name } : {};
  try {
    await withTimeout(
      // Through the session itself when there is one: a failure comes back
      // here, rather than as JupyterLab's "Error Starting Kernel" dialog.
      connection
        ? connection.changeKernel(options)
        : session.changeKernel(options),
      timeoutMs,
      WAITS.newKernel
    );
  } catch (error) {
    if (
      !connection ||
      (error as { response?: Response })?.response?.status !== 404
    ) {
      throw error;
    }
    // The server no longer knows the session (it was restarted): drop it,
    // and start the notebook a new one.
    connection.dispose();
    await withTimeout(
      session.changeKernel(options),
      timeoutMs,
      WAITS.newSession
    );
  }
  await waitForKernel(session, timeoutMs, stop, WAITS.newKernelIdle);
  // Idle by its status is not enough behind a kernel gateway: the new
  // kernel must answer on this connection (a kernel_info reply), else the
  // connection is made anew (see ensureUsable). Asked only once the kernel
  // says idle, so a kernel still starting up on a loaded machine is not
  // taken for a deaf connection (a reconnection has a cost: JupyterLab's
  // own kernel_info on the old socket stays pending, docs/gateway.md).
  const kernel = session.session?.kernel;
  if (!kernel || kernel.isDisposed) {
    throw new Error(RUN_ERRORS.kernelNotRunning);
  }
  await ensureUsable(kernel, timeoutMs, {
    check: () => {
      if (stop()) {
        throw new Error(RUN_ERRORS.cancelledBeforeStart);
      }
    },
    infoMs: ANSWER_MS,
    what: WAITS.newKernelAnswer
  }).catch(error => {
    if (error instanceof TimeoutError) {
      throw new Error(
        notReadyError(Math.round(timeoutMs / 1000), WAITS.newKernelAnswer)
      );
    }
    throw error;
  });
}

/**
 * Kernel states in which the server is restarting the kernel.
 */
const RESTARTING = new Set(['restarting', 'autorestarting']);

/**
 * How long, at most, a restart already under way gets to end before the
 * kernel is replaced.
 */
const SETTLE_MS = 15_000;

/**
 * A fresh kernel process for the next device, every step bounded: a new
 * kernel of the same kind; one that is not idle within `STUCK_MS` is taken
 * for stuck and replaced once more. Rejects when cancelled, when the kernel
 * is dead, and when no usable kernel came within `timeoutMs`, naming what it
 * waited for.
 */
async function freshKernel(
  session: ISessionContext,
  name: string | undefined,
  stop: () => boolean,
  timeoutMs: number
): Promise<void> {
  if (stop()) {
    throw new Error(RUN_ERRORS.cancelledBeforeStart);
  }
  try {
    await replaceKernel(session, name, Math.min(STUCK_MS, timeoutMs), stop);
  } catch (error) {
    if (stop() || timeoutMs <= STUCK_MS) {
      throw error;
    }
    await replaceKernel(session, name, timeoutMs, stop);
  }
}

/**
 * How long a cancelled device's cell gets to stop after the interrupt before
 * its kernel is restarted.
 */
export const CANCEL_GRACE_MS = 10_000;

/**
 * Resolve in a later task, so that the browser can render and handle input
 * in between.
 */
function yieldToBrowser(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}

/**
 * The result document displayed by the result cell, if any.
 */
export function findResult(panel: NotebookPanel): PartialJSONObject | null {
  const model = panel.content.model;
  if (!model) {
    return null;
  }
  const index = findTaggedCell(model, RESULT_CELL_TAG);
  const cell = index >= 0 ? model.cells.get(index) : null;
  if (!cell || cell.type !== 'code') {
    return null;
  }
  const outputs = (cell as ICodeCellModel).outputs;
  for (let i = outputs.length - 1; i >= 0; i--) {
    const data = outputs.get(i).data[RESULT_MIME];
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      return data as PartialJSONObject;
    }
  }
  return null;
}

/**
 * The first error output of the notebook, as "Name: message".
 */
export function findError(panel: NotebookPanel): string | null {
  const model = panel.content.model;
  if (!model) {
    return null;
  }
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') {
      continue;
    }
    const outputs = (cell as ICodeCellModel).outputs;
    for (let j = 0; j < outputs.length; j++) {
      const output = outputs.get(j).toJSON();
      if (output.output_type === 'error') {
        return `${String(output.ename)}: ${String(output.evalue)}`;
      }
    }
  }
  return null;
}

/**
 * The cells of the open notebook as the timing reads them.
 */
export function timingCells(panel: NotebookPanel): ITimingCell[] {
  const cells = panel.content.model?.sharedModel.cells ?? [];
  return cells.map(cell => {
    const tags = cell.getMetadata('tags');
    return {
      cell_type: cell.cell_type,
      source: cell.getSource(),
      tags: Array.isArray(tags)
        ? tags.filter((t): t is string => typeof t === 'string')
        : []
    };
  });
}

/**
 * How long one timing request may take before the run counts as failed.
 */
const SILENT_TIMEOUT_MS = 60_000;

/**
 * Send one silent, history-less execute request whose one user expression
 * is `expression`; its decoded document. The kernel leaves no output,
 * history entry or execution count for it, and fires no cell event. A
 * request the kernel aborts (as it does to requests just after a failed
 * cell) is sent again, up to five times (with `retry`).
 */
async function silentRequest(
  kernel: Kernel.IKernelConnection,
  expression: string,
  retry = true
): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < (retry ? 5 : 1); attempt++) {
    const future = kernel.requestExecute({
      code: '',
      silent: true,
      store_history: false,
      user_expressions: { [EXPRESSION_KEY]: expression },
      allow_stdin: false,
      stop_on_error: false
    });
    let reply: KernelMessage.IExecuteReplyMsg;
    try {
      // The reply alone: its `idle` on IOPub can be lost (see reply.ts).
      reply = await withTimeout(
        shellReply(future),
        SILENT_TIMEOUT_MS,
        'the kernel to answer a timing request'
      );
    } finally {
      // A reply that comes after the limit is not handled any more.
      future.dispose();
    }
    const content = reply.content as unknown as PartialJSONObject;
    if (content.status === 'aborted') {
      await new Promise(resolve => setTimeout(resolve, 50));
      continue;
    }
    return decodeReply(content);
  }
  throw new TimingError('The kernel kept aborting the timing request.');
}

/**
 * "Name: message" of a code cell's first error output, or null.
 */
function cellError(model: { type: string }): string | null {
  if (model.type !== 'code') {
    return null;
  }
  const outputs = (model as ICodeCellModel).outputs;
  for (let j = 0; j < outputs.length; j++) {
    const output = outputs.get(j).toJSON();
    if (output.output_type === 'error') {
      return `${String(output.ename)}: ${String(output.evalue)}`;
    }
  }
  return null;
}

/**
 * The total of the timed range: on the kernel's clock, from the first timed
 * cell's start to the last one's end (so the messages to and from the
 * browser at the range's ends are not in it, as the cells' own times are
 * not), else the browser's window from sending the first cell to the last
 * reply.
 */
function rangeSeconds(
  layout: ITimedLayout,
  entries: Map<number, Record<string, unknown>>,
  wallStart: number | null,
  wallEnd: number | null
): number | null {
  const start = entries.get(layout.timed[0])?.clock_start;
  const end = entries.get(layout.timed[layout.timed.length - 1])?.clock_end;
  if (typeof start === 'number' && typeof end === 'number' && end >= start) {
    return end - start;
  }
  return wallStart !== null && wallEnd !== null
    ? Math.max(0, (wallEnd - wallStart) / 1000)
    : null;
}

/**
 * The timing layout and code hash of the open notebook as it is now, or why
 * it cannot be timed.
 */
function measureCells(panel: NotebookPanel): {
  layout: ITimedLayout;
  hash: string;
} {
  const cells = timingCells(panel);
  const layout = timedLayout(cells);
  return { layout, hash: codeSha256(cells, layout) };
}

/**
 * Whether two timing layouts time the same cells.
 */
function sameLayout(a: ITimedLayout, b: ITimedLayout): boolean {
  return (
    a.start === b.start &&
    a.stop === b.stop &&
    a.deviceCell === b.deviceCell &&
    a.timed.join(',') === b.timed.join(',')
  );
}

/**
 * The entries of celltiming documents (take, uninstall) in `found`.
 */
function keepEntries(
  found: Record<string, unknown>[],
  document: Record<string, unknown> | null
): void {
  const cells = document?.cells;
  if (Array.isArray(cells)) {
    for (const entry of cells) {
      if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
        found.push(entry as Record<string, unknown>);
      }
    }
  }
}

/**
 * The kernel's entries of the given cells, by the execution count each
 * cell's reply gave it.
 */
function entriesByCell(
  panel: NotebookPanel,
  indexes: readonly number[],
  found: readonly Record<string, unknown>[]
): Map<number, Record<string, unknown>> {
  const entries = new Map<number, Record<string, unknown>>();
  const model = panel.content.model;
  if (panel.isDisposed || !model) {
    return entries;
  }
  for (const index of indexes) {
    const cell = model.cells.get(index);
    const count =
      cell?.type === 'code' ? (cell as ICodeCellModel).executionCount : null;
    const entry = found.find(
      e => count !== null && e.execution_count === count
    );
    if (entry) {
      entries.set(index, entry);
    }
  }
  return entries;
}

/**
 * The indexes of the notebook's code cells that have code (the cells an
 * MNIST run's breakdown covers).
 */
function codeCells(panel: NotebookPanel): number[] {
  return timingCells(panel).flatMap((cell, i) =>
    cell.cell_type === 'code' && cell.source.trim() ? [i] : []
  );
}

/**
 * Remove the timing hooks from a kernel the notebook keeps after a
 * cancelled or failed run (best effort: a kernel being replaced ignores it).
 */
function releaseHooks(hooked: Kernel.IKernelConnection | null): void {
  if (hooked && !hooked.isDisposed && hooked.status !== 'dead') {
    void silentRequest(hooked, UNINSTALL_EXPRESSION, false).catch(
      () => undefined
    );
  }
}

/**
 * What the driver follows while one device runs (both kinds of run): the
 * kernel going away, and the notebook being closed (which cancels).
 */
interface IRunWatch {
  /**
   * Why the kernel went away since `follow`, or null.
   */
  lost(): string | null;
  /**
   * Follow this kernel from now on (after the driver's own restart): its
   * status, and the driver's Cancel interrupts it.
   */
  follow(kernel: Kernel.IKernelConnection): void;
  /**
   * Stop following; the driver no longer holds the kernel.
   */
  dispose(): void;
}

export class BenchmarkDriver {
  constructor(options: BenchmarkDriver.IOptions = {}) {
    this._contents = options.contents ?? null;
  }

  /**
   * Emitted on every phase change and progress update.
   */
  get changed(): Signal<this, IDriverEvent> {
    return this._changed;
  }

  /**
   * Emitted when a run starts (true) or ends (false).
   */
  get runningChanged(): Signal<this, boolean> {
    return this._runningChanged;
  }

  /**
   * The notebook being run, or null.
   */
  get runningPanel(): NotebookPanel | null {
    return this._runningPanel;
  }

  /**
   * Whether the last run found the notebook saved from elsewhere and wrote
   * its records into the file beside this page's unsaved changes.
   */
  get savedBeside(): boolean {
    return this._savedBeside;
  }

  get isRunning(): boolean {
    return this._running;
  }

  /**
   * What every run checks before anything changes: no run in progress, the
   * notebook loaded, devices given and each one the picker accepts (not
   * `auto`: a record names the device it ran on).
   */
  private _checkStart(
    panel: NotebookPanel,
    devices: readonly string[]
  ): NonNullable<NotebookPanel['content']['model']> {
    if (this._running) {
      throw new BenchmarkBusyError();
    }
    const model = panel.content.model;
    if (!model) {
      throw new Error(RUN_ERRORS.notebookNotLoaded);
    }
    const invalid = devices.filter(d => !validateDevice(d) || d === 'auto');
    if (!devices.length || invalid.length) {
      throw new Error(
        `Choose devices such as cpu, cuda:0 or mps (refused: ${invalid.join(', ').slice(0, 80)}).`
      );
    }
    return model;
  }

  /**
   * Run the notebook on each device in turn; resolve with the records.
   *
   * @throws BenchmarkBusyError when a run is in progress; Error for invalid
   * devices, parameters or metadata (then nothing was changed).
   */
  async run(
    panel: NotebookPanel,
    options: BenchmarkDriver.IRunOptions
  ): Promise<PartialJSONObject[]> {
    const model = this._checkStart(panel, options.devices);
    if (!(PROFILES as readonly string[]).includes(options.profile)) {
      throw new Error(
        `Unknown profile "${String(options.profile).slice(0, 40)}".`
      );
    }
    checkAppendable(model);
    const params = { ...(options.params ?? {}), profile: options.profile };
    // Validate the parameters before the first device starts.
    setParametersCell(model, params);

    // Every device gets a new kernel of the kind the notebook had.
    const kernelName =
      panel.sessionContext.session?.kernel?.name ??
      panel.sessionContext.kernelPreference.name;
    return this._sequence(
      panel,
      options.devices,
      options.history ?? DEFAULT_HISTORY,
      device => ({
        id: newRunId(),
        device,
        deviceName: options.deviceNames?.[device] ?? null,
        machineLabel: options.machineLabel,
        profile: options.profile,
        params: recordParams(params),
        startedAt: new Date().toISOString()
      }),
      runningRecord,
      (context, emit) =>
        this._runDevice(panel, context, params, options, emit, kernelName)
    );
  }

  /**
   * Time a user's notebook (one with a device cell) on each device, `repeat`
   * times, interleaved, each run in a fresh kernel with the device cell set:
   * per timed cell the kernel's wall time with the device synchronised at
   * its end (celltiming.py, installed by silent requests), the total and the
   * peak memory, in one `kind: "notebook"` record per run, saved as soon as
   * the run ends. Resolves with the records.
   *
   * @throws BenchmarkBusyError when a run is in progress; Error for invalid
   * devices, tags or metadata (then nothing was changed).
   */
  async timeNotebook(
    panel: NotebookPanel,
    options: BenchmarkDriver.ITimeOptions
  ): Promise<PartialJSONObject[]> {
    const model = this._checkStart(panel, options.devices);
    const repeat = options.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
      throw new Error('The number of runs per device must be 1 to 100.');
    }
    checkAppendable(model);
    // Refused here, before anything changes, when the notebook cannot be
    // timed; measured again as each device starts (a cell moved or edited
    // between devices is timed under its own layout and hash), and checked
    // once more just before its timed range runs (_timeDevice).
    let measured = measureCells(panel);
    let problem: string | null = null;
    const order: { device: string; repeat: number }[] = [];
    for (let r = 1; r <= repeat; r++) {
      for (const device of options.devices) {
        order.push({ device, repeat: r });
      }
    }
    const kernelName =
      panel.sessionContext.session?.kernel?.name ??
      panel.sessionContext.kernelPreference.name;
    const fields = (position: number): INotebookRunFields => ({
      notebook: notebookBaseName(panel.context.path),
      codeSha256: measured.hash,
      timedRange: {
        start: measured.layout.start,
        stop: measured.layout.stop,
        cells: measured.layout.timed.length
      },
      repeat: order[position].repeat,
      totalSeconds: null,
      cells: [],
      peakMemory: {},
      versions: null
    });
    let position = -1;
    return this._sequence(
      panel,
      order.map(o => o.device),
      options.history ?? DEFAULT_HISTORY,
      device => {
        position++;
        try {
          measured = measureCells(panel);
          problem = null;
        } catch (error) {
          // The tags no longer make sense: this device fails saying why.
          problem = String((error as Error)?.message ?? error);
        }
        return {
          id: newRunId(),
          device,
          deviceName: options.deviceNames?.[device] ?? null,
          machineLabel: options.machineLabel,
          profile: 'notebook',
          params: {},
          startedAt: new Date().toISOString()
        };
      },
      context => notebookRecord(context, 'running', fields(position), null),
      async (context, emit) =>
        problem !== null
          ? notebookRecord(context, 'failed', fields(position), problem)
          : this._timeDevice(
              panel,
              context,
              measured,
              fields(position),
              options,
              emit,
              kernelName
            )
    );
  }

  /**
   * The run sequence both kinds share: for each device a `running` marker,
   * the device's run, its record saved as soon as it ends.
   */
  private async _sequence(
    panel: NotebookPanel,
    devices: string[],
    history: number,
    makeContext: (device: string) => IRunContext,
    marker: (context: IRunContext) => PartialJSONObject,
    runOne: (
      context: IRunContext,
      emit: (
        phase: IDriverEvent['phase'],
        extra?: Partial<IDriverEvent>
      ) => void
    ) => Promise<PartialJSONObject>
  ): Promise<PartialJSONObject[]> {
    this._running = true;
    this._runningPanel = panel;
    this._savedBeside = false;
    this._cancelled = false;
    this._runningChanged.emit(true);
    const records: PartialJSONObject[] = [];
    const path = { value: panel.context.path };
    const onPath = (_: unknown, newPath: string) => (path.value = newPath);
    panel.context.pathChanged.connect(onPath);
    try {
      for (let index = 0; index < devices.length && !this._cancelled; index++) {
        const device = devices[index];
        const context = makeContext(device);
        const started = performance.now();
        const emit = (
          phase: IDriverEvent['phase'],
          extra: Partial<IDriverEvent> = {}
        ) =>
          this._changed.emit({
            device,
            index,
            total: devices.length,
            phase,
            elapsedMs: performance.now() - started,
            ...extra
          });
        // The marker: a page reloaded or closed, or a server restarted,
        // before this device ends leaves a `running` record behind, which
        // reads as interrupted, never as a silent gap. Best effort: a file
        // that cannot be written stops the run at the device's own record,
        // with that record in hand.
        await this._record(panel, path.value, marker(context), history, true);
        const record = await runOne(context, emit);
        records.push(record);
        const notSaved = await this._record(panel, path.value, record, history);
        // Shown in the panel either way: a figure that could not be saved
        // is still a figure.
        emit('recorded', { record });
        if (notSaved) {
          // The next record would go the same way: stop here.
          throw new RecordNotSavedError(
            device,
            notSaved.reason,
            records,
            notSaved.inNotebook
          );
        }
        if (panel.isDisposed) {
          break;
        }
      }
    } finally {
      if (!panel.isDisposed) {
        panel.context.pathChanged.disconnect(onPath);
      }
      this._running = false;
      this._runningPanel = null;
      this._runningChanged.emit(false);
    }
    return records;
  }

  /**
   * Stop the run: interrupt the kernel; the current device is recorded as
   * cancelled and no further device runs. A cell that ignores the interrupt
   * (a C extension that never checks for signals, a handler that swallows
   * SIGINT) is stopped by replacing the kernel with a new one after
   * `CANCEL_GRACE_MS`.
   */
  cancel(): void {
    if (!this._running) {
      return;
    }
    this._cancelled = true;
    const kernel = this._kernel;
    if (!kernel) {
      return;
    }
    void kernel.interrupt().catch(() => undefined);
    if (this._cancelTimer === undefined) {
      this._cancelTimer = setTimeout(() => {
        this._cancelTimer = undefined;
        // Still on the same kernel, still running its cells: stop it.
        if (this._kernel === kernel && !kernel.isDisposed && this._session) {
          this._forcedRestart = replaceKernel(
            this._session,
            kernel.name,
            this._timeoutMs
          ).catch(() => undefined);
        }
      }, CANCEL_GRACE_MS);
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.cancel();
    Signal.clearData(this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The set-up both kinds of run share for one device: closing the notebook
   * cancels the run, the kernel-loss status listener (connected by `follow`,
   * once the driver's own restart is over), the time-out Cancel's restart
   * uses; `dispose` undoes it all.
   */
  private _watchRun(panel: NotebookPanel, timeoutMs: number): IRunWatch {
    const session = panel.sessionContext;
    let lost: string | null = null;
    let following = false;
    const onStatus = (_: ISessionContext, status: Kernel.Status) => {
      if (status === 'dead' || status === 'autorestarting') {
        lost = RUN_ERRORS.kernelDied;
      } else if (status === 'restarting') {
        // Restarted by someone else (the driver's own restart is over by
        // the time this listener is connected); a death that follows wins.
        lost ??= RUN_ERRORS.kernelRestarted;
      }
    };
    const onClosed = () => this.cancel();
    this._timeoutMs = timeoutMs;
    panel.disposed.connect(onClosed);
    return {
      lost: () => lost,
      follow: kernel => {
        this._kernel = kernel;
        this._session = session;
        if (!following) {
          following = true;
          session.statusChanged.connect(onStatus);
        }
      },
      dispose: () => {
        this._kernel = null;
        this._session = null;
        clearTimeout(this._cancelTimer);
        this._cancelTimer = undefined;
        session.statusChanged.disconnect(onStatus);
        panel.disposed.disconnect(onClosed);
      }
    };
  }

  /**
   * Let Cancel's kernel restart finish, if there is one, so that nothing
   * (the next run, closing the notebook) meets a kernel half restarted.
   */
  private async _settleForcedRestart(timeoutMs: number): Promise<void> {
    if (this._forcedRestart) {
      await withTimeout(
        this._forcedRestart,
        timeoutMs,
        WAITS.restartAfterCancel
      ).catch(() => undefined);
      this._forcedRestart = null;
    }
  }

  /**
   * One timed run of a user's notebook on one device, in a fresh kernel.
   * `expected` is the layout and code hash the record carries (taken when
   * the device started); the cells are measured again just before the
   * timed range is queued, and a notebook whose timed cells changed
   * meanwhile (moved, added, removed, edited, tags changed) is not timed
   * under the wrong hash: the run fails saying so.
   */
  private async _timeDevice(
    panel: NotebookPanel,
    context: IRunContext,
    expected: { layout: ITimedLayout; hash: string },
    base: INotebookRunFields,
    options: BenchmarkDriver.ITimeOptions,
    emit: (phase: IDriverEvent['phase'], extra?: Partial<IDriverEvent>) => void,
    kernelName: string | undefined
  ): Promise<PartialJSONObject> {
    const layout = expected.layout;
    const session = panel.sessionContext;
    const model = panel.content.model!;
    const timeout = options.kernelTimeoutMs ?? 120_000;
    const watch = this._watchRun(panel, timeout);
    const stop = () => this._cancelled;
    let final: Record<string, unknown> | null = null;
    let wallStart: number | null = null;
    let wallEnd: number | null = null;
    let failure: string | null = null;
    // The kernel's entries, attributed to cells by execution count (the
    // count each timed cell's reply gave it).
    const found: Record<string, unknown>[] = [];
    const keep = (document: Record<string, unknown> | null) =>
      keepEntries(found, document);
    // The kernel the timing hooks are installed in, until they are removed.
    let hooked: Kernel.IKernelConnection | null = null;
    try {
      emit('restarting');
      await freshKernel(session, kernelName, stop, timeout);
      setDeviceCell(model, context.device, context.deviceName ?? '');
      await yieldToBrowser();
      const kernel = session.session?.kernel ?? null;
      if (!kernel) {
        throw new Error(RUN_ERRORS.kernelNotRunning);
      }
      watch.follow(kernel);
      emit('running');
      const first = layout.timed[0];
      // The untimed cells before the range, one after the other.
      for (let i = 0; i < first; i++) {
        if (this._cancelled || panel.isDisposed || watch.lost()) {
          break;
        }
        const widget = panel.content.widgets[i];
        if (
          !(await NotebookActions.runCells(panel.content, [widget], session))
        ) {
          failure = `${cellError(widget.model) ?? RUN_ERRORS.cellNotFinished} (${cellLabel(i)})`;
          break;
        }
      }
      if (
        failure === null &&
        !this._cancelled &&
        !panel.isDisposed &&
        !watch.lost()
      ) {
        // What is about to run must be what the record says ran.
        const now = measureCells(panel);
        if (now.hash !== expected.hash || !sameLayout(now.layout, layout)) {
          throw new Error(RUN_ERRORS.cellsChanged);
        }
        const status = await silentRequest(
          kernel,
          installExpression(context.device)
        );
        if (status.installed !== true) {
          throw new TimingError(
            `Cannot time the cells: ${String(status.error)}`
          );
        }
        hooked = kernel;
        // The timed range is queued at once, as Run All does, each cell
        // followed by a silent take of its timing: the kernel runs them back
        // to back, with no round trip to the browser between cells, and a
        // kernel that dies later loses nothing already taken. (JupyterLab
        // builds a cell's request itself: the take cannot ride on it as
        // user_expressions, as it does headless.)
        const widgets = panel.content.widgets.slice(first, layout.stop + 1);
        wallStart = performance.now();
        const runs: Promise<boolean>[] = [];
        const takes: Promise<Record<string, unknown> | null>[] = [];
        let lastReply = wallStart;
        for (const widget of widgets) {
          runs.push(
            NotebookActions.runCells(panel.content, [widget], session).then(
              ok => {
                lastReply = performance.now();
                return ok;
              }
            )
          );
          if (widget.model.type === 'code') {
            takes.push(
              silentRequest(kernel, TAKE_EXPRESSION, false).catch(() => null)
            );
          }
        }
        const results = await Promise.all(runs);
        wallEnd = lastReply;
        for (const document of await Promise.all(takes)) {
          keep(document);
        }
        const failedAt = results.findIndex(ok => !ok);
        if (failedAt >= 0) {
          const index = first + failedAt;
          const error = cellError(
            panel.content.widgets[index]?.model ?? {
              type: ''
            }
          );
          failure = `${error ?? RUN_ERRORS.cellNotFinished} (${cellLabel(index)})`;
        }
        if (!this._cancelled && !watch.lost() && !panel.isDisposed) {
          final = await silentRequest(kernel, UNINSTALL_EXPRESSION);
          keep(final);
          hooked = null;
        }
      }
    } catch (error) {
      failure = String((error as Error)?.message ?? error);
    } finally {
      releaseHooks(hooked);
      watch.dispose();
    }
    await this._settleForcedRestart(timeout);
    const lost = watch.lost();
    const entries = entriesByCell(panel, layout.timed, found);
    const cells = layout.timed.map(index =>
      timedCell(index, entries.get(index))
    );
    const failed = cells.find(cell => cell.status === 'failed');
    let status: 'ok' | 'failed' | 'cancelled' = 'ok';
    if (panel.isDisposed) {
      status = 'cancelled';
      failure = RUN_ERRORS.notebookClosed;
    } else if (this._cancelled) {
      status = 'cancelled';
      failure = RUN_ERRORS.cancelledByUser;
    } else if (lost) {
      status = 'failed';
      failure = lost;
    } else if (failure === null && failed) {
      failure = `${failed.error ?? 'Error'} (${failed.label})`;
    } else if (failure === null && final === null) {
      failure = RUN_ERRORS.timesMissing;
    }
    if (failure !== null && status === 'ok') {
      status = 'failed';
    }
    if (failure !== null && failed && !failure.includes(failed.label)) {
      failure = `${failure} [failed: ${failed.label}]`;
    }
    const resolved = final ?? {};
    const versions = resolved.versions;
    const fields: INotebookRunFields = {
      ...base,
      totalSeconds:
        status === 'ok'
          ? rangeSeconds(layout, entries, wallStart, wallEnd)
          : null,
      cells,
      peakMemory: peakMemory(cells, resolved.peak_rss_bytes),
      versions:
        versions && typeof versions === 'object' && !Array.isArray(versions)
          ? (versions as PartialJSONObject)
          : null
    };
    const named =
      typeof resolved.device_name === 'string' && resolved.device_name
        ? { ...context, deviceName: resolved.device_name.slice(0, 200) }
        : context;
    try {
      return notebookRecord(named, status, fields, failure);
    } catch (error) {
      // Whatever the kernel sent that the schema refuses: the run still
      // leaves a record, saying why.
      return notebookRecord(
        context,
        'failed',
        { ...fields, cells: [], peakMemory: {}, versions: null },
        `The kernel's timings do not make a valid record: ${String((error as Error).message)}`
      );
    }
  }

  /**
   * One run of the bundled benchmark on one device, in a fresh kernel. Its
   * code cells are timed as a user's notebook is (celltiming.py, installed
   * by a silent request before the first cell, its entries taken by one
   * silent request after the last): the record gets the per-cell breakdown
   * and peak memory. What the benchmark measures does not change:
   * `train_seconds` is the notebook's own clock inside its training cell,
   * and the cells run as Run All runs them, with no request between them.
   * A timing request that fails only leaves the breakdown out.
   */
  private async _runDevice(
    panel: NotebookPanel,
    context: IRunContext,
    params: Record<string, ParameterValue>,
    options: BenchmarkDriver.IRunOptions,
    emit: (phase: IDriverEvent['phase'], extra?: Partial<IDriverEvent>) => void,
    kernelName: string | undefined
  ): Promise<PartialJSONObject> {
    const session = panel.sessionContext;
    const model = panel.content.model!;
    const timeout = options.kernelTimeoutMs ?? 120_000;
    const watch = this._watchRun(panel, timeout);
    // The record of a run the user stopped, if they did.
    const stopped = (): PartialJSONObject | null =>
      panel.isDisposed
        ? failedRecord(context, 'cancelled', RUN_ERRORS.notebookClosed)
        : this._cancelled
          ? failedRecord(context, 'cancelled', RUN_ERRORS.cancelledByUser)
          : null;
    const onIOPub = (
      _: Kernel.IKernelConnection,
      msg: KernelMessage.IIOPubMessage
    ) => {
      const type = msg.header.msg_type;
      if (type === 'display_data' || type === 'update_display_data') {
        const data = (msg.content as KernelMessage.IDisplayDataMsg['content'])
          .data;
        const progress = data?.[PROGRESS_MIME];
        if (progress && typeof progress === 'object') {
          emit('running', { progress: progress as IProgress });
        }
      }
    };
    const stop = () => this._cancelled;
    let kernel: Kernel.IKernelConnection | null = null;
    // The kernel the timing hooks are installed in, until they are removed;
    // the uninstall document (every cell's entry) once they are.
    let hooked: Kernel.IKernelConnection | null = null;
    let final: Record<string, unknown> | null = null;
    const run = async (): Promise<PartialJSONObject> => {
      emit('restarting');
      await freshKernel(session, kernelName, stop, timeout);
      setDeviceCell(model, context.device, context.deviceName ?? '');
      setParametersCell(model, params);
      // Let the browser render the edited cells before running marks and
      // clears every cell: two separate main-thread tasks instead of one long
      // one.
      await yieldToBrowser();
      const early = stopped();
      if (early) {
        return early;
      }
      kernel = session.session?.kernel ?? null;
      if (kernel) {
        watch.follow(kernel);
        kernel.iopubMessage.connect(onIOPub);
        hooked = await silentRequest(kernel, installExpression(context.device))
          .then(status => (status.installed === true ? kernel : null))
          .catch(() => null);
      }
      emit('running');
      let ok = false;
      try {
        // Every cell, as "Run All" does, but the active cell stays where the
        // user left it: the notebook does not jump to its last cell.
        ok = await NotebookActions.runCells(
          panel.content,
          panel.content.widgets,
          session
        );
      } catch (error) {
        ok = false;
        if (!watch.lost() && !this._cancelled) {
          return failedRecord(
            context,
            'failed',
            String((error as Error)?.message ?? error)
          );
        }
      }
      if (hooked && !watch.lost() && !this._cancelled && !panel.isDisposed) {
        final = await silentRequest(hooked, UNINSTALL_EXPRESSION).catch(
          () => null
        );
        if (final) {
          hooked = null;
        }
      }
      // The cells end when Cancel's restart begins: let it finish.
      await this._settleForcedRestart(timeout);
      const late = stopped();
      if (late) {
        return late;
      }
      const lost = watch.lost();
      if (lost) {
        return failedRecord(context, 'failed', lost);
      }
      const result = findResult(panel);
      if (ok && result) {
        return okRecord(context, result);
      }
      return failedRecord(
        context,
        'failed',
        findError(panel) ?? RUN_ERRORS.noResult
      );
    };
    let record: PartialJSONObject;
    try {
      record = await run();
    } catch (error) {
      record = failedRecord(
        context,
        this._cancelled ? 'cancelled' : 'failed',
        String((error as Error)?.message ?? error)
      );
    } finally {
      (kernel as Kernel.IKernelConnection | null)?.iopubMessage.disconnect(
        onIOPub
      );
      releaseHooks(hooked);
      watch.dispose();
    }
    if (final === null || record.status === 'cancelled') {
      return record;
    }
    const document: Record<string, unknown> = final;
    const found: Record<string, unknown>[] = [];
    keepEntries(found, document);
    const indexes = codeCells(panel);
    const entries = entriesByCell(panel, indexes, found);
    const cells = indexes.map(index => timedCell(index, entries.get(index)));
    return withBreakdown(
      record,
      cells,
      peakMemory(cells, document.peak_rss_bytes)
    );
  }

  /**
   * Append the record and save; through the contents API when the notebook
   * was closed meanwhile. Resolves with why it could not, and whether the
   * open notebook holds the record all the same, or null once saved.
   */
  private async _record(
    panel: NotebookPanel,
    path: string,
    record: PartialJSONObject,
    history: number,
    resolveRunning = false
  ): Promise<{ reason: string; inNotebook: boolean } | null> {
    const context = panel.context;
    let inNotebook = false;
    try {
      if (!context.isDisposed && context.model) {
        // The document is still open (perhaps in another view): write there.
        appendRun(context.model, record, history, resolveRunning);
        inNotebook = true;
        if (await this._changedOnDisk(panel)) {
          // Saved from elsewhere (another window) since this page loaded or
          // saved it: saving would stop the run on JupyterLab's "File
          // Changed" dialog, and overwriting would drop that window's
          // changes. Write the record into the file as it is instead; this
          // page keeps its unsaved changes, and says so after the run.
          await this._writeClosed(path, record, history, resolveRunning);
          this._savedBeside = true;
        } else {
          await context.save();
        }
      } else {
        await this._writeClosed(path, record, history, resolveRunning);
      }
      return null;
    } catch (error) {
      return { reason: String((error as Error)?.message ?? error), inNotebook };
    }
  }

  /**
   * Whether the notebook's file changed on disk since this page last read or
   * saved it (as JupyterLab's own check before saving: the hash, else the
   * modification time with its 0.5 s margin). False when it cannot tell.
   */
  private async _changedOnDisk(panel: NotebookPanel): Promise<boolean> {
    const mine = panel.context.contentsModel;
    if (!this._contents || !mine) {
      return false;
    }
    try {
      const disk = await this._contents.get(panel.context.path, {
        content: false,
        hash: true
      });
      if (mine.hash && disk.hash) {
        return mine.hash !== disk.hash;
      }
      return (
        new Date(disk.last_modified).getTime() -
          new Date(mine.last_modified).getTime() >
        500
      );
    } catch {
      return false;
    }
  }

  /**
   * Append the record to a closed notebook's file, through the contents API.
   */
  private async _writeClosed(
    path: string,
    record: PartialJSONObject,
    history: number,
    resolveRunning: boolean
  ): Promise<void> {
    if (!this._contents) {
      throw new Error('the notebook was closed.');
    }
    const file = await this._contents.get(path, {
      type: 'notebook',
      content: true
    });
    const content = file.content as { metadata?: Record<string, unknown> };
    const metadata = (content.metadata ??= {});
    const existing = metadata[METADATA_KEY];
    const previous =
      existing && typeof existing === 'object' && !Array.isArray(existing)
        ? (existing as PartialJSONObject)
        : undefined;
    if (existing !== undefined && !previous) {
      // As for an open notebook: refuse rather than overwrite what is there.
      throw new MalformedMetadataError();
    }
    metadata[METADATA_KEY] = withRun(previous, record, history, resolveRunning);
    await this._contents.save(path, {
      type: 'notebook',
      format: 'json',
      content
    });
  }

  private _contents: Contents.IManager | null;
  private _running = false;
  private _savedBeside = false;
  private _runningPanel: NotebookPanel | null = null;
  private _cancelled = false;
  private _isDisposed = false;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _session: ISessionContext | null = null;
  private _cancelTimer: ReturnType<typeof setTimeout> | undefined;
  private _forcedRestart: Promise<void> | null = null;
  private _timeoutMs = 120_000;
  private _changed = new Signal<this, IDriverEvent>(this);
  private _runningChanged = new Signal<this, boolean>(this);
}
