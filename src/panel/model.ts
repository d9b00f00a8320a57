/**
 * The device panel's model: follows one session's kernel and keeps what the
 * probe said about it. No DOM here; the view renders this state.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import { VDomModel } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import { waitUntil, withTimeout } from '../common/timeout';
import {
  ANSWER_MS,
  ensureUsable,
  STARTING_CHECK_MS,
  STARTING_MS
} from '../common/usable';
import type {
  IDevicePanelModel,
  IDeviceProbe,
  IProbeReport,
  PanelState,
  ProbeOutcome
} from '../tokens';

export type { PanelState } from '../tokens';

/**
 * What "Restart kernel and check again" found.
 */
export interface ICheckResult {
  /** "fixed": the expected device is usable; "still": it is not; "failed": no answer. */
  status: 'fixed' | 'still' | 'failed';
  /** The device the fix was meant to make usable, e.g. "cuda:0". */
  device: string | null;
  /** The error-level diagnoses that still stand (the probe's own words). */
  remaining: string[];
}

/**
 * Compare a fresh probe report with what a fix promised.
 */
export function checkOutcome(
  report: IProbeReport | null,
  expect: string | null
): ICheckResult {
  if (!report) {
    return { status: 'failed', device: expect, remaining: [] };
  }
  const remaining = (report.diagnostics ?? [])
    .filter(d => d.severity === 'error')
    .map(d => d.message);
  const usable = expect
    ? report.devices.some(d => d.id === expect && d.available)
    : remaining.length === 0;
  return { status: usable ? 'fixed' : 'still', device: expect, remaining };
}

export class DevicePanelModel extends VDomModel implements IDevicePanelModel {
  constructor(probe: IDeviceProbe) {
    super();
    this._probe = probe;
  }

  /**
   * The followed session, or null.
   */
  get session(): ISessionContext | null {
    return this._session;
  }

  /**
   * Whether the followed session belongs to a notebook (the device cell can
   * only go into a notebook).
   */
  get isNotebook(): boolean {
    return this._isNotebook;
  }

  get state(): PanelState {
    return this._state;
  }

  /**
   * The probe report, when the state is `ready` or `no-torch`.
   */
  get report(): IProbeReport | null {
    return this._outcome?.kind === 'ready' ? this._outcome.report : null;
  }

  /**
   * The language of a non-Python kernel.
   */
  get language(): string {
    return this._outcome?.kind === 'not-python' ? this._outcome.language : '';
  }

  /**
   * How long the last probe took, from request to answer, in milliseconds
   * (null when the answer came from the cache).
   */
  get roundTripMs(): number | null {
    return this._roundTripMs;
  }

  /**
   * The message of the `error` state.
   */
  get errorMessage(): string {
    return this._outcome?.kind === 'error' ? this._outcome.message : '';
  }

  /**
   * Why the `error` state (the view words it), or null.
   */
  get errorReason(): Extract<ProbeOutcome, { kind: 'error' }>['reason'] | null {
    return this._outcome?.kind === 'error' ? this._outcome.reason : null;
  }

  /**
   * Tell the model whether the panel is shown. The kernel is only asked
   * while it is: the probe imports torch in the kernel, which no one should
   * pay for (or have happen before their first cell) with the panel closed.
   * Changes while it is hidden are caught up on when it is shown again.
   */
  setActive(active: boolean): void {
    if (active === this._active) {
      return;
    }
    this._active = active;
    if (active && this._state === 'starting') {
      this._armStartingCheck();
    } else if (!active) {
      clearTimeout(this._startingTimer);
      this._startingTimer = undefined;
    }
    if (active && this._stale !== null) {
      const force = this._stale;
      this._stale = null;
      void this.refresh(force);
    }
  }

  /**
   * Follow another session (or none). Disconnects from the previous one first.
   */
  setSession(session: ISessionContext | null, isNotebook = false): void {
    if (session === this._session && isNotebook === this._isNotebook) {
      return;
    }
    if (this._session) {
      this._session.kernelChanged.disconnect(this._onKernelChanged, this);
      this._session.statusChanged.disconnect(this._onStatusChanged, this);
      this._session.disposed.disconnect(this._onSessionDisposed, this);
    }
    this._session = session;
    this._isNotebook = isNotebook && session !== null;
    if (session) {
      session.kernelChanged.connect(this._onKernelChanged, this);
      session.statusChanged.connect(this._onStatusChanged, this);
      session.disposed.connect(this._onSessionDisposed, this);
    }
    this._update(false);
  }

  /**
   * Probe the followed kernel; `force` ignores the cache. An explicit call
   * probes even while the panel is hidden.
   */
  async refresh(force = true): Promise<void> {
    this._stale = null;
    const request = ++this._request;
    const kernel = this._session?.session?.kernel ?? null;
    if (!kernel) {
      this._outcome = null;
      this._setState(this._isStarting() ? 'starting' : 'no-kernel');
      return;
    }
    if (this._isStarting()) {
      this._setState('starting');
      return;
    }
    const cached = force ? undefined : this._probe.cached(kernel.id);
    if (cached) {
      this._roundTripMs = null;
      this._apply(cached);
      return;
    }
    this._setState(kernel.status === 'idle' ? 'probing' : 'waiting');
    const started = performance.now();
    const outcome = await this._probe.probe(kernel, { force });
    // Drop the answer when another request or another kernel came since.
    if (
      request !== this._request ||
      this._currentKernel() !== kernel ||
      this.isDisposed
    ) {
      return;
    }
    this._roundTripMs = performance.now() - started;
    this._apply(outcome);
    if (
      outcome.kind === 'error' &&
      outcome.reason === 'aborted' &&
      kernel.status === 'idle'
    ) {
      // The cell that aborted the probe has ended already: ask again.
      this._aborted++;
      if (this._aborted <= 3) {
        void this.refresh(true);
      }
    } else {
      this._aborted = 0;
    }
  }

  /**
   * The result of the last restart-and-check, or null.
   */
  get checkResult(): ICheckResult | null {
    return this._checkResult;
  }

  /**
   * Restart the followed kernel, wait until it is idle, probe it afresh and
   * say whether `expect` (a device id) is now usable. Runs no cell.
   *
   * The restart gives the session a new kernel process of the same kernel
   * spec (as the benchmark driver does), rather than restarting this one in
   * place: an in-place restart cancels the requests the connection still
   * waits on (JupyterLab's own kernel_info request among them) and can leave
   * the connection "starting" for good. A new kernel gets a new connection.
   */
  async restartAndCheck(
    expect: string | null,
    timeoutMs = 120_000
  ): Promise<ICheckResult> {
    const context = this._session;
    const connection = context?.session ?? null;
    const kernel = this._currentKernel();
    this._checkResult = null;
    if (!context || !connection || !kernel) {
      this._checkResult = checkOutcome(null, expect);
      this.stateChanged.emit(void 0);
      return this._checkResult;
    }
    try {
      // Bounded, and never thrown past the model: a restart that fails or
      // hangs ends in a "failed" check (the probe below says what it sees).
      await withTimeout(
        connection.changeKernel({ name: kernel.name }),
        timeoutMs,
        'starting a new kernel'
      );
      // Behind a kernel gateway the new kernel may not hear this connection
      // until it reconnects: ask it, bounded (see ensureUsable).
      const fresh = context.session?.kernel;
      if (fresh && !fresh.isDisposed) {
        await ensureUsable(fresh, timeoutMs, {
          what: 'the new kernel to answer'
        });
      }
      await waitUntil(
        () => {
          const next = context.session?.kernel;
          return (
            this.isDisposed ||
            !next ||
            next.status === 'dead' ||
            (!this._isStarting() &&
              next.connectionStatus === 'connected' &&
              next.status === 'idle')
          );
        },
        [
          context.statusChanged,
          context.connectionStatusChanged,
          context.kernelChanged
        ],
        timeoutMs,
        'the new kernel to be idle'
      );
    } catch {
      // Probed below all the same.
    }
    await this.refresh(true);
    const outcome = this._outcome;
    this._checkResult = checkOutcome(
      outcome?.kind === 'ready' ? outcome.report : null,
      expect
    );
    this.stateChanged.emit(void 0);
    return this._checkResult;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    clearTimeout(this._startingTimer);
    this.setSession(null);
    super.dispose();
  }

  private _apply(outcome: ProbeOutcome): void {
    this._outcome = outcome;
    switch (outcome.kind) {
      case 'ready':
        this._setState(outcome.report.torch.installed ? 'ready' : 'no-torch');
        break;
      case 'not-python':
        this._setState('not-python');
        break;
      default:
        this._setState('error');
    }
  }

  private _setState(state: PanelState): void {
    this._state = state;
    if (state === 'starting') {
      this._armStartingCheck();
    } else {
      clearTimeout(this._startingTimer);
      this._startingTimer = undefined;
    }
    this.stateChanged.emit(void 0);
  }

  /**
   * A kernel that still says `starting` a few seconds after it connected is
   * asked directly (kernel_info, and a new websocket when that gets no
   * reply: see ensureUsable). Behind a kernel gateway its status can stay
   * at `starting` for good while nothing reaches it; the panel must not say
   * "The kernel is starting…" forever. Only while the panel is shown.
   */
  private _armStartingCheck(): void {
    clearTimeout(this._startingTimer);
    this._startingTimer = undefined;
    const kernel = this._currentKernel();
    // Only a kernel that says `starting`: a restart under way (`restarting`,
    // `autorestarting`) is JupyterLab's to finish, and asking it meanwhile
    // would only make a second connection.
    if (
      !kernel ||
      kernel.status !== 'starting' ||
      !this._active ||
      this._unsticking ||
      this.isDisposed
    ) {
      return;
    }
    this._startingTimer = setTimeout(() => {
      this._startingTimer = undefined;
      void this._unstick(kernel);
    }, STARTING_CHECK_MS);
  }

  private async _unstick(kernel: Kernel.IKernelConnection): Promise<void> {
    const current = () =>
      !this.isDisposed &&
      this._active &&
      this._state === 'starting' &&
      this._currentKernel() === kernel;
    if (
      !current() ||
      kernel.status !== 'starting' ||
      kernel.connectionStatus !== 'connected'
    ) {
      // Still connecting: JupyterLab retries by itself, and a new
      // connection's status change brings the panel back here.
      if (current() && kernel.connectionStatus === 'connecting') {
        this._armStartingCheck();
      }
      return;
    }
    const request = this._request;
    this._unsticking = true;
    try {
      await ensureUsable(kernel, STARTING_MS, {
        check: () => {
          if (!current()) {
            throw new Error('The panel no longer follows this kernel.');
          }
        },
        infoMs: ANSWER_MS,
        what: 'a kernel that says it is starting'
      });
    } catch (error) {
      if (current() && request === this._request) {
        this._outcome = {
          kind: 'error',
          reason:
            (kernel.status as Kernel.Status) === 'dead' ? 'dead' : 'timeout',
          message: String((error as Error)?.message ?? error)
        };
        this._setState('error');
      }
      return;
    } finally {
      this._unsticking = false;
    }
    if (current()) {
      // The status said idle on the way (and the idle handler probed);
      // when the session still reads as starting, probe all the same.
      this._update(false);
    }
  }

  private _currentKernel(): Kernel.IKernelConnection | null {
    return this._session?.session?.kernel ?? null;
  }

  private _isStarting(): boolean {
    const status = this._session?.kernelDisplayStatus;
    return (
      status === 'starting' ||
      status === 'initializing' ||
      status === 'restarting' ||
      status === 'autorestarting'
    );
  }

  /**
   * Refresh now when the panel is shown, else when it is shown next.
   */
  private _update(force: boolean): void {
    if (this._active) {
      void this.refresh(force);
      return;
    }
    this._stale = (this._stale ?? false) || force;
    this._request++;
    if (!this._currentKernel()) {
      this._outcome = null;
      this._setState(this._isStarting() ? 'starting' : 'no-kernel');
    }
  }

  private _onKernelChanged(): void {
    this._update(false);
  }

  private _onStatusChanged(_: ISessionContext, status: Kernel.Status): void {
    const kernel = this._currentKernel();
    switch (status) {
      case 'restarting':
      case 'autorestarting':
      case 'starting':
        // Same kernel id, new process: what we knew is stale.
        if (kernel) {
          this._probe.invalidate(kernel.id);
        }
        this._request++;
        this._outcome = null;
        this._setState('starting');
        break;
      case 'idle':
        if (this._state === 'starting' || this._state === 'no-kernel') {
          this._update(false);
        } else if (this._state === 'waiting') {
          this._setState('probing');
        } else if (
          this._state === 'error' &&
          this._outcome?.kind === 'error' &&
          this._outcome.reason === 'aborted'
        ) {
          this._update(true);
        } else if (this._state === 'no-torch' && this._sawBusy) {
          // The user may just have installed torch in a cell.
          this._update(true);
        }
        this._sawBusy = false;
        break;
      case 'busy':
        this._sawBusy = true;
        break;
      case 'dead':
        this._request++;
        this._outcome = {
          kind: 'error',
          reason: 'dead',
          message: 'The kernel died. Restart it to see its devices.'
        };
        this._setState('error');
        break;
      default:
        break;
    }
  }

  private _onSessionDisposed(): void {
    this.setSession(null);
  }

  private _probe: IDeviceProbe;
  private _session: ISessionContext | null = null;
  private _isNotebook = false;
  private _state: PanelState = 'no-kernel';
  private _outcome: ProbeOutcome | null = null;
  private _request = 0;
  private _sawBusy = false;
  private _roundTripMs: number | null = null;
  private _aborted = 0;
  private _active = false;
  /**
   * Whether a refresh is owed for when the panel is shown (and whether it
   * must skip the cache), or null.
   */
  private _stale: boolean | null = null;
  private _checkResult: ICheckResult | null = null;
  private _startingTimer: ReturnType<typeof setTimeout> | undefined;
  private _unsticking = false;
}
