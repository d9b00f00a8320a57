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
  type IRunContext,
  MalformedMetadataError,
  okRecord,
  recordParams,
  withRun
} from '../records';

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

  export interface IOptions {
    /**
     * Used to write the record of a run whose notebook was closed meanwhile.
     */
    contents?: Contents.IManager;
  }
}

/**
 * Wait until the session's kernel is `idle` (or, with `connectedOnly`, just
 * connected and running: idle or busy). Rejects at once when the kernel is
 * dead or `stop()` says so, and after `timeoutMs`.
 */
function waitForKernel(
  context: ISessionContext,
  timeoutMs: number,
  stop: () => boolean,
  connectedOnly = false
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const kernel = context.session?.kernel;
      if (stop()) {
        cleanup();
        reject(new Error('Cancelled before the device started.'));
      } else if (!kernel || kernel.status === 'dead') {
        cleanup();
        reject(new Error('The kernel is not running.'));
      } else if (
        kernel.connectionStatus === 'connected' &&
        (kernel.status === 'idle' ||
          (connectedOnly && kernel.status === 'busy'))
      ) {
        cleanup();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `The kernel was not ready within ${Math.round(timeoutMs / 1000)} s.`
        )
      );
    }, timeoutMs);
    const poll = setInterval(check, 250);
    const cleanup = () => {
      clearTimeout(timer);
      clearInterval(poll);
      context.statusChanged.disconnect(check);
    };
    context.statusChanged.connect(check);
    check();
  });
}

/**
 * How long to wait, at most, for the kernel to settle before restarting it.
 */
const SETTLE_MS = 15_000;

/**
 * Let the kernel settle before the restart, within `SETTLE_MS`: a restart
 * cancels pending requests, so a kernel that is still connecting should
 * finish its handshake first, an idle one is preferred, and its first
 * kernel_info reply is awaited. A busy kernel is fine (the restart stops
 * what it runs).
 *
 * Resolves `false` when the kernel never said anything in that time (its
 * status still `unknown`). That happens after the server restarted a killed
 * kernel on new ports: a websocket that reconnected during that restart can
 * be left on the dead kernel's channels (jupyter_server reuses them), and its
 * kernel_info request is never answered. A kernel that did say something
 * (`starting`, say) is alive but slow, and gets up to `timeoutMs`. Rejects
 * when cancelled, when the kernel is dead, and after `timeoutMs`.
 */
async function settleBeforeRestart(
  context: ISessionContext,
  stop: () => boolean,
  timeoutMs: number
): Promise<boolean> {
  const deadline = Date.now() + SETTLE_MS;
  const left = () => Math.max(0, deadline - Date.now());
  const fatal = (error: unknown) => {
    const kernel = context.session?.kernel;
    if (stop() || !kernel || kernel.status === 'dead') {
      throw error;
    }
  };
  try {
    await waitForKernel(context, left(), stop, true);
  } catch (error) {
    fatal(error);
    if (context.session?.kernel?.status === 'unknown') {
      return false;
    }
    await waitForKernel(
      context,
      Math.max(0, timeoutMs - SETTLE_MS),
      stop,
      true
    );
  }
  await waitForKernel(context, left(), stop).catch(fatal);
  const kernel = context.session?.kernel;
  if (kernel) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      kernel.info.catch(() => undefined),
      new Promise(resolve => {
        timer = setTimeout(resolve, left());
      })
    ]);
    clearTimeout(timer);
  }
  return true;
}

/**
 * How long a kernel_info request already on its way gets to be answered
 * before the kernel is replaced rather than restarted.
 */
const KERNEL_INFO_MS = 5_000;

/**
 * How long a restarted kernel gets to be idle before it is taken for stuck
 * (the connection says connected, the kernel says `starting`, and nothing
 * reaches it any more) and replaced by a new one.
 */
const STUCK_MS = 20_000;

/**
 * Race `promise` against a timer; on time-out, reject naming what was
 * awaited.
 */
async function bounded<T>(
  promise: Promise<T>,
  ms: number,
  what: string
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`Gave up after ${Math.round(ms / 1000)} s on ${what}.`)
        ),
      ms
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolve once no kernel_info request sent by this connection is waiting
 * for its reply, true; false after `ms`. JupyterLab sends one each time the
 * connection (re)connects and does not catch its rejection: a restart while
 * one is unanswered cancels it, which surfaces as an unhandled
 * "Canceled future for kernel_info_request" error.
 */
function kernelInfoAnswered(
  kernel: Kernel.IKernelConnection,
  pending: Set<string>,
  ms: number
): Promise<boolean> {
  if (!pending.size) {
    return Promise.resolve(true);
  }
  return new Promise(resolve => {
    const done = (answered: boolean) => {
      clearTimeout(timer);
      kernel.anyMessage.disconnect(check);
      resolve(answered);
    };
    const check = () => {
      if (!pending.size) {
        done(true);
      }
    };
    const timer = setTimeout(() => done(false), ms);
    kernel.anyMessage.connect(check);
  });
}

/**
 * The kernel_info requests of the session's kernel connection that still
 * wait for a reply, from the moment this is called until `stop()`; the set
 * starts empty again when the session changes kernel.
 */
export function trackKernelInfo(session: ISessionContext): {
  pending: Set<string>;
  stop: () => void;
} {
  const pending = new Set<string>();
  let kernel: Kernel.IKernelConnection | null = null;
  const onMessage = (
    _: Kernel.IKernelConnection,
    args: Kernel.IAnyMessageArgs
  ) => {
    const { msg, direction } = args;
    if (direction === 'send' && msg.header.msg_type === 'kernel_info_request') {
      pending.add(msg.header.msg_id);
    } else if (
      direction === 'recv' &&
      msg.header.msg_type === 'kernel_info_reply'
    ) {
      pending.delete((msg.parent_header as { msg_id?: string }).msg_id ?? '');
    }
  };
  const follow = () => {
    kernel?.anyMessage.disconnect(onMessage);
    pending.clear();
    kernel = session.session?.kernel ?? null;
    kernel?.anyMessage.connect(onMessage);
  };
  follow();
  session.kernelChanged.connect(follow);
  return {
    pending,
    stop: () => {
      session.kernelChanged.disconnect(follow);
      kernel?.anyMessage.disconnect(onMessage);
    }
  };
}

/**
 * Give the session a fresh kernel process for the next device, every step
 * bounded: settle, then restart, unless the kernel does not answer (or has
 * a kernel_info request unanswered), in which case it is replaced by a new
 * one; a restarted kernel that is not idle within `STUCK_MS` is replaced
 * too. Rejects when cancelled, when the kernel is dead, and when no usable
 * kernel came within `timeoutMs`, naming what it waited for.
 */
async function freshKernel(
  session: ISessionContext,
  stop: () => boolean,
  timeoutMs: number,
  pending: Set<string>
): Promise<void> {
  const name = session.session?.kernel?.name;
  const replace = async () => {
    await bounded(
      session.changeKernel({ name }),
      timeoutMs,
      'starting a new kernel'
    );
    await waitForKernel(session, timeoutMs, stop);
  };
  const answering = await settleBeforeRestart(session, stop, timeoutMs);
  const kernel = session.session?.kernel;
  if (
    !answering ||
    !kernel ||
    !(await kernelInfoAnswered(kernel, pending, KERNEL_INFO_MS))
  ) {
    // Replacing disposes the old connection, whose unanswered request then
    // ends quietly; restarting would cancel it.
    await replace();
    return;
  }
  await bounded(
    session.restartKernel(),
    timeoutMs,
    "the kernel's restart (the server's restart and the reconnection)"
  );
  try {
    await waitForKernel(session, Math.min(STUCK_MS, timeoutMs), stop);
  } catch (error) {
    const current = session.session?.kernel;
    if (stop() || !current || current.status === 'dead') {
      throw error;
    }
    await replace();
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

  get isRunning(): boolean {
    return this._running;
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
    if (this._running) {
      throw new BenchmarkBusyError();
    }
    const model = panel.content.model;
    if (!model) {
      throw new Error('The notebook is not loaded.');
    }
    const invalid = options.devices.filter(
      d => !validateDevice(d) || d === 'auto'
    );
    if (!options.devices.length || invalid.length) {
      throw new Error(
        `Choose devices such as cpu, cuda:0 or mps (refused: ${invalid.join(', ').slice(0, 80)}).`
      );
    }
    if (!(PROFILES as readonly string[]).includes(options.profile)) {
      throw new Error(
        `Unknown profile "${String(options.profile).slice(0, 40)}".`
      );
    }
    checkAppendable(model);
    const params = { ...(options.params ?? {}), profile: options.profile };
    // Validate the parameters before the first device starts.
    setParametersCell(model, params);

    this._running = true;
    this._cancelled = false;
    this._runningChanged.emit(true);
    const records: PartialJSONObject[] = [];
    const path = { value: panel.context.path };
    const onPath = (_: unknown, newPath: string) => (path.value = newPath);
    panel.context.pathChanged.connect(onPath);
    const kernelInfo = trackKernelInfo(panel.sessionContext);
    try {
      for (
        let index = 0;
        index < options.devices.length && !this._cancelled;
        index++
      ) {
        const device = options.devices[index];
        const context: IRunContext = {
          device,
          deviceName: options.deviceNames?.[device] ?? null,
          machineLabel: options.machineLabel,
          profile: options.profile,
          params: recordParams(params),
          startedAt: new Date().toISOString()
        };
        const started = performance.now();
        const emit = (
          phase: IDriverEvent['phase'],
          extra: Partial<IDriverEvent> = {}
        ) =>
          this._changed.emit({
            device,
            index,
            total: options.devices.length,
            phase,
            elapsedMs: performance.now() - started,
            ...extra
          });
        const record = await this._runDevice(
          panel,
          context,
          params,
          options,
          emit,
          kernelInfo.pending
        );
        records.push(record);
        const notSaved = await this._record(
          panel,
          path.value,
          record,
          options.history ?? DEFAULT_HISTORY
        );
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
      kernelInfo.stop();
      if (!panel.isDisposed) {
        panel.context.pathChanged.disconnect(onPath);
      }
      this._running = false;
      this._runningChanged.emit(false);
    }
    return records;
  }

  /**
   * Stop the run: interrupt the kernel; the current device is recorded as
   * cancelled and no further device runs. A cell that ignores the interrupt
   * (a C extension that never checks for signals, a handler that swallows
   * SIGINT) is stopped by restarting the kernel after `CANCEL_GRACE_MS`.
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
          this._forcedRestart = this._session
            .restartKernel()
            .catch(() => undefined);
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

  private async _runDevice(
    panel: NotebookPanel,
    context: IRunContext,
    params: Record<string, ParameterValue>,
    options: BenchmarkDriver.IRunOptions,
    emit: (phase: IDriverEvent['phase'], extra?: Partial<IDriverEvent>) => void,
    pending: Set<string>
  ): Promise<PartialJSONObject> {
    const session = panel.sessionContext;
    const model = panel.content.model!;
    // Why the kernel went away during the run, if it did.
    let lost: string | null = null;
    const onStatus = (_: ISessionContext, status: Kernel.Status) => {
      if (status === 'dead' || status === 'autorestarting') {
        lost =
          'The kernel died during the run (out of memory, or the process was killed).';
      } else if (status === 'restarting') {
        // Restarted by someone else (the driver's own restart is over by
        // the time this listener is connected); a death that follows wins.
        lost ??= 'The kernel was restarted during the run.';
      }
    };
    // The record of a run the user stopped, if they did.
    const stopped = (): PartialJSONObject | null =>
      panel.isDisposed
        ? failedRecord(
            context,
            'cancelled',
            'The notebook was closed during the run.'
          )
        : this._cancelled
          ? failedRecord(context, 'cancelled', 'Cancelled by the user.')
          : null;
    const onClosed = () => this.cancel();
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
    const timeout = options.kernelTimeoutMs ?? 120_000;
    const stop = () => this._cancelled;
    panel.disposed.connect(onClosed);
    try {
      emit('restarting');
      await freshKernel(session, stop, timeout, pending);
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
      const kernel = session.session?.kernel ?? null;
      this._kernel = kernel;
      this._session = session;
      kernel?.iopubMessage.connect(onIOPub);
      session.statusChanged.connect(onStatus);
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
        if (!lost && !this._cancelled) {
          return failedRecord(
            context,
            'failed',
            String((error as Error)?.message ?? error)
          );
        }
      }
      if (this._forcedRestart) {
        // The cells end when Cancel's restart begins: let it finish, so that
        // nothing (the next run, closing the notebook) meets a kernel that is
        // half restarted.
        await bounded(
          this._forcedRestart,
          timeout,
          "the kernel's restart after Cancel"
        ).catch(() => undefined);
        this._forcedRestart = null;
      }
      const late = stopped();
      if (late) {
        return late;
      }
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
        findError(panel) ?? 'The notebook ended without a result.'
      );
    } catch (error) {
      return failedRecord(
        context,
        this._cancelled ? 'cancelled' : 'failed',
        String((error as Error)?.message ?? error)
      );
    } finally {
      this._kernel?.iopubMessage.disconnect(onIOPub);
      this._kernel = null;
      this._session = null;
      clearTimeout(this._cancelTimer);
      this._cancelTimer = undefined;
      session.statusChanged.disconnect(onStatus);
      panel.disposed.disconnect(onClosed);
    }
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
    history: number
  ): Promise<{ reason: string; inNotebook: boolean } | null> {
    const context = panel.context;
    let inNotebook = false;
    try {
      if (!context.isDisposed && context.model) {
        // The document is still open (perhaps in another view): write there.
        appendRun(context.model, record, history);
        inNotebook = true;
        await context.save();
      } else {
        await this._writeClosed(path, record, history);
      }
      return null;
    } catch (error) {
      return { reason: String((error as Error)?.message ?? error), inNotebook };
    }
  }

  /**
   * Append the record to a closed notebook's file, through the contents API.
   */
  private async _writeClosed(
    path: string,
    record: PartialJSONObject,
    history: number
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
    metadata[METADATA_KEY] = withRun(previous, record, history);
    await this._contents.save(path, {
      type: 'notebook',
      format: 'json',
      content
    });
  }

  private _contents: Contents.IManager | null;
  private _running = false;
  private _cancelled = false;
  private _isDisposed = false;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _session: ISessionContext | null = null;
  private _cancelTimer: ReturnType<typeof setTimeout> | undefined;
  private _forcedRestart: Promise<void> | null = null;
  private _changed = new Signal<this, IDriverEvent>(this);
  private _runningChanged = new Signal<this, boolean>(this);
}
