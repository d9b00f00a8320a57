/**
 * The kernel probe client: asks a running kernel what its PyTorch can use.
 *
 * No DOM here. The probe's Python (`jupyterlab_device_bench/probe.py`) is
 * embedded at build time and evaluated through `user_expressions` of a
 * silent execute request, so it leaves no output, no history entry and no
 * change to the execution count or the user's namespace.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { PromiseDelegate } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';
import { CONTRACT, fillTemplate } from '../common/contract';
import { TimeoutError, withTimeout } from '../common/timeout';
import { shellReply } from '../common/reply';
import type { IDeviceProbe, IProbeReport, ProbeOutcome } from '../tokens';
import {
  DOCTOR_SOURCE,
  INSTALL_FACTS,
  PROBE_SOURCE
} from './_generated/sources';
import { PROBE_SCHEMA_VERSION } from './types';
import {
  PROBE_ERRORS,
  raisedError,
  refusedError,
  stoppedError,
  timeoutError
} from '../common/probetext';
import { ANSWER_MS, ensureUsable } from '../common/usable';

/**
 * The key of the probe in `user_expressions`.
 */
const EXPRESSION_KEY = 'device_bench';

/**
 * The default time the kernel gets to answer once it runs the probe. The
 * first probe of a kernel imports torch, which takes seconds on a cold disk.
 */
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The install doctor's text and facts, passed to the probe (see docs/install-doctor.md).
 */
export interface IDoctorSources {
  source: string;
  facts: string;
}

/**
 * Build the expression that evaluates the probe in a fresh namespace.
 *
 * The sources are fixed files of this package; JSON string syntax is a valid
 * Python string literal, so no user-provided text is ever pasted into code.
 * Without arguments the real probe gets the install doctor and its facts; a
 * custom probe source gets them only when `doctor` is given.
 */
export function probeExpression(
  source?: string,
  doctor?: IDoctorSources | null
): string {
  const useDoctor =
    doctor ??
    (source === undefined
      ? { source: DOCTOR_SOURCE, facts: INSTALL_FACTS }
      : null);
  const probe = CONTRACT.probe;
  const args = useDoctor
    ? [useDoctor.source, useDoctor.facts]
        .map(text => JSON.stringify(text))
        .join(probe.args_separator)
    : '';
  return fillTemplate(probe.expression, {
    source: JSON.stringify(source ?? PROBE_SOURCE),
    args
  });
}

/**
 * Decode one `user_expressions` entry of the probe into its report.
 *
 * @throws Error with the kernel's error text when the expression failed or
 * the answer is not a probe document.
 */
export function decodeProbeResult(result: unknown): IProbeReport {
  const entry = result as
    | {
        status?: string;
        data?: Record<string, unknown>;
        ename?: string;
        evalue?: string;
      }
    | undefined;
  if (!entry || typeof entry !== 'object') {
    throw new Error(PROBE_ERRORS.noResult);
  }
  if (entry.status !== 'ok') {
    throw new Error(
      raisedError(`${entry.ename ?? 'error'}: ${entry.evalue ?? ''}`)
    );
  }
  const text = entry.data?.['text/plain'];
  const match =
    typeof text === 'string' ? /^'([A-Za-z0-9+/=]*)'$/.exec(text) : null;
  if (!match) {
    throw new Error(PROBE_ERRORS.unexpectedValue);
  }
  const bytes = Uint8Array.from(atob(match[1]), c => c.charCodeAt(0));
  const report = JSON.parse(new TextDecoder().decode(bytes)) as IProbeReport;
  if (
    !report ||
    typeof report !== 'object' ||
    report.schema_version !== PROBE_SCHEMA_VERSION ||
    !Array.isArray(report.devices) ||
    !Array.isArray(report.diagnostics) ||
    typeof report.torch !== 'object' ||
    report.torch === null
  ) {
    throw new Error(PROBE_ERRORS.unexpectedDocument);
  }
  return report;
}

/**
 * The language of a kernel, from its kernel spec (the server answers; a busy
 * kernel does not delay it), else from its `kernel_info` reply. Nothing is
 * executed either way.
 */
export async function kernelLanguage(
  kernel: Kernel.IKernelConnection
): Promise<string> {
  let language: string | undefined;
  try {
    language = (await kernel.spec)?.language;
  } catch {
    language = undefined;
  }
  if (!language) {
    const info = await kernel.info;
    language = info?.language_info?.name;
  }
  return (language ?? '').toLowerCase();
}

/**
 * Probes kernels, caching the outcome by kernel id.
 */
export class DeviceProbeService implements IDeviceProbe {
  constructor(options: DeviceProbeService.IOptions = {}) {
    this._timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this._expression = probeExpression(options.source);
  }

  get probed(): Signal<this, IDeviceProbe.IProbedArgs> {
    return this._probed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The default timeout, in milliseconds.
   */
  get timeoutMs(): number {
    return this._timeoutMs;
  }
  set timeoutMs(value: number) {
    this._timeoutMs = value;
  }

  cached(kernelId: string): ProbeOutcome | undefined {
    return this._cache.get(kernelId);
  }

  invalidate(kernelId: string): void {
    this._cache.delete(kernelId);
    this._sessions.delete(kernelId);
    this._pending.delete(kernelId);
    this._generation.set(kernelId, (this._generation.get(kernelId) ?? 0) + 1);
  }

  /**
   * The number of kernels the service keeps anything about (for tests).
   */
  get size(): number {
    return this._watched.size;
  }

  probe(
    kernel: Kernel.IKernelConnection,
    options: IDeviceProbe.IProbeOptions = {}
  ): Promise<ProbeOutcome> {
    const id = kernel.id;
    this._watch(kernel);
    if (options.force) {
      this.invalidate(id);
    }
    const cached = this._cache.get(id);
    if (cached) {
      return Promise.resolve(cached);
    }
    let pending = this._pending.get(id);
    if (!pending) {
      const generation = this._generation.get(id) ?? 0;
      pending = this._run(kernel, options.timeoutMs ?? this._timeoutMs).then(
        outcome => {
          // A reply for a kernel that was restarted or re-probed since is dropped.
          if (
            (this._generation.get(id) ?? 0) === generation &&
            !this._isDisposed
          ) {
            this._pending.delete(id);
            if (outcome.kind !== 'error') {
              this._cache.set(id, outcome);
              const session = this._replySessions.get(id);
              if (session !== undefined) {
                this._sessions.set(id, session);
              }
            }
            this._probed.emit({ kernelId: id, outcome });
          }
          return outcome;
        }
      );
      this._pending.set(id, pending);
    }
    return pending;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const kernel of this._watched.values()) {
      kernel.statusChanged.disconnect(this._onKernelStatus, this);
      kernel.anyMessage.disconnect(this._onMessage, this);
      kernel.disposed.disconnect(this._onKernelDisposed, this);
    }
    this._watched.clear();
    this._sessions.clear();
    this._replySessions.clear();
    this._cache.clear();
    this._pending.clear();
    this._generation.clear();
    Signal.clearData(this);
  }

  /**
   * Follow a probed kernel, so that whatever restarts it (the panel, another
   * notebook, the running-kernels list) makes its cached answer stale, and
   * its entries go when its connection does.
   */
  private _watch(kernel: Kernel.IKernelConnection): void {
    if (this._isDisposed || this._watched.get(kernel.id) === kernel) {
      return;
    }
    const previous = this._watched.get(kernel.id);
    if (previous) {
      previous.statusChanged.disconnect(this._onKernelStatus, this);
      previous.anyMessage.disconnect(this._onMessage, this);
      previous.disposed.disconnect(this._onKernelDisposed, this);
    }
    this._watched.set(kernel.id, kernel);
    kernel.statusChanged.connect(this._onKernelStatus, this);
    kernel.anyMessage.connect(this._onMessage, this);
    kernel.disposed.connect(this._onKernelDisposed, this);
  }

  /**
   * A message from another kernel process than the one that gave the cached
   * answer (another session id in its header) means the kernel was
   * restarted, even when this connection never saw the new process's
   * 'starting' (published before the server's IOPub subscription reached
   * it, and so lost): the next reply on this connection tells. Only
   * messages that answer a request count (the server's own status messages
   * carry the server's session id).
   */
  private _onMessage(
    kernel: Kernel.IKernelConnection,
    args: Kernel.IAnyMessageArgs
  ): void {
    if (args.direction !== 'recv') {
      return;
    }
    const msg = args.msg;
    const parent = msg.parent_header as Partial<KernelMessage.IHeader>;
    const known = this._sessions.get(kernel.id);
    if (parent?.msg_id && known !== undefined && known !== msg.header.session) {
      this.invalidate(kernel.id);
    }
  }

  private _onKernelStatus(
    kernel: Kernel.IKernelConnection,
    status: Kernel.Status
  ): void {
    // A connection that did not restart the kernel itself sees only the new
    // process's 'starting'.
    if (
      status === 'starting' ||
      status === 'restarting' ||
      status === 'autorestarting' ||
      status === 'dead'
    ) {
      this.invalidate(kernel.id);
    }
  }

  private _onKernelDisposed(kernel: Kernel.IKernelConnection): void {
    if (this._watched.get(kernel.id) !== kernel) {
      return;
    }
    kernel.statusChanged.disconnect(this._onKernelStatus, this);
    kernel.anyMessage.disconnect(this._onMessage, this);
    kernel.disposed.disconnect(this._onKernelDisposed, this);
    this._watched.delete(kernel.id);
    this._replySessions.delete(kernel.id);
    // A reply still on its way for this id is dropped by the generation
    // check (the generation stays: one number per kernel ever probed).
    this.invalidate(kernel.id);
  }

  private async _run(
    kernel: Kernel.IKernelConnection,
    timeoutMs: number
  ): Promise<ProbeOutcome> {
    if (kernel.isDisposed || kernel.status === 'dead') {
      return {
        kind: 'error',
        reason: 'dead',
        message: PROBE_ERRORS.notRunning
      };
    }
    let language: string;
    try {
      language = await withTimeout(
        kernelLanguage(kernel),
        timeoutMs,
        'kernel_info',
        PROBE_ERRORS.noKernelInfo
      );
    } catch (error) {
      return {
        kind: 'error',
        reason: 'failed',
        message: String((error as Error)?.message ?? error)
      };
    }
    if (language !== 'python') {
      return { kind: 'not-python', language };
    }
    if (kernel.status === 'starting') {
      // A kernel that still says it is starting must answer this connection
      // first: behind a kernel gateway nothing may reach it until the
      // connection is made anew (see ensureUsable). An idle or busy kernel
      // is not asked: a cell queued meanwhile would hold the reply back and
      // be taken for a deaf connection (the probe's own limit starts only
      // once the kernel works on it).
      try {
        await ensureUsable(kernel, timeoutMs, {
          infoMs: ANSWER_MS,
          what: 'kernel_info before the probe'
        });
      } catch (error) {
        return {
          kind: 'error',
          reason:
            kernel.isDisposed || (kernel.status as Kernel.Status) === 'dead'
              ? 'dead'
              : error instanceof TimeoutError
                ? 'timeout'
                : 'failed',
          message: String((error as Error)?.message ?? error)
        };
      }
    }
    return this._execute(kernel, timeoutMs);
  }

  private async _execute(
    kernel: Kernel.IKernelConnection,
    timeoutMs: number
  ): Promise<ProbeOutcome> {
    const future = kernel.requestExecute(
      {
        code: '',
        silent: true,
        store_history: false,
        allow_stdin: false,
        stop_on_error: false,
        user_expressions: { [EXPRESSION_KEY]: this._expression }
      },
      true
    );
    const timedOut = new PromiseDelegate<ProbeOutcome>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The clock runs only once the kernel works on the probe: a kernel busy
    // with a long cell (or one whose state this connection does not know
    // yet, as when the page loads during a long cell) is "waiting", not
    // "timed out".
    const startClock = () => {
      if (timer === undefined) {
        timer = setTimeout(() => {
          timedOut.resolve({
            kind: 'error',
            reason: 'timeout',
            message: timeoutError(Math.round(timeoutMs / 1000))
          });
        }, timeoutMs);
      }
    };
    if (kernel.status === 'idle') {
      startClock();
    }
    future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
      if (msg.header.msg_type === 'status') {
        startClock();
      }
    };
    // The reply alone: its `idle` on IOPub can be lost (see reply.ts).
    const replied = shellReply(future).then(
      (reply): ProbeOutcome => {
        // The process that answered: a message from another one later
        // means a restart (see _onIopub).
        this._replySessions.set(kernel.id, reply.header.session);
        const content =
          reply.content as KernelMessage.IExecuteReplyMsg['content'];
        if (content.status === 'aborted') {
          // An error or interrupt in a queued cell aborts the requests behind it.
          return {
            kind: 'error',
            reason: 'aborted',
            message: PROBE_ERRORS.aborted
          };
        }
        if (content.status !== 'ok') {
          return {
            kind: 'error',
            reason: 'failed',
            message: refusedError(content.status)
          };
        }
        try {
          const report = decodeProbeResult(
            content.user_expressions?.[EXPRESSION_KEY]
          );
          return { kind: 'ready', report };
        } catch (error) {
          return {
            kind: 'error',
            reason: 'failed',
            message: (error as Error).message
          };
        }
      },
      (error: unknown): ProbeOutcome => ({
        kind: 'error',
        reason: kernel.status === 'dead' ? 'dead' : 'failed',
        message: stoppedError(String((error as Error)?.message ?? error))
      })
    );
    try {
      return await Promise.race([replied, timedOut.promise]);
    } finally {
      clearTimeout(timer);
      future.dispose();
    }
  }

  private _cache = new Map<string, ProbeOutcome>();
  private _pending = new Map<string, Promise<ProbeOutcome>>();
  private _generation = new Map<string, number>();
  private _watched = new Map<string, Kernel.IKernelConnection>();
  /**
   * Kernel id -> the session id of the process behind its cached answer.
   */
  private _sessions = new Map<string, string>();
  private _replySessions = new Map<string, string>();
  private _expression: string;
  private _timeoutMs: number;
  private _isDisposed = false;
  private _probed = new Signal<this, IDeviceProbe.IProbedArgs>(this);
}

export namespace DeviceProbeService {
  export interface IOptions {
    /**
     * The probe's Python source (default: the embedded probe).
     */
    source?: string;
    /**
     * The default timeout in milliseconds.
     */
    timeoutMs?: number;
  }
}
