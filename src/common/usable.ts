/**
 * A kernel connection that answers: bounded kernel_info round trips, and a
 * reconnection whenever one gets no reply.
 *
 * Behind a Jupyter Kernel Gateway (`jupyter lab --gateway-url`), a restart
 * or a new kernel sometimes leaves JupyterLab's connection `connected`, the
 * kernel's status at `starting` (or even `idle`, from the status messages
 * that still arrive), and nothing sent on the connection reaching the kernel
 * any more: no kernel_info reply, no cell ever starts. A new websocket
 * (`kernel.reconnect()`) cures it at once. See docs/gateway.md.
 */
import type { Kernel } from '@jupyterlab/services';
import { kernelInfoReply } from './reply';
import { TimeoutError, waitUntil, withTimeout } from './timeout';

/**
 * How long a kernel_info gets before the connection is taken for stuck and
 * reconnected. A websocket opened while the gateway's new kernel process is
 * still starting can be deaf too, so the first tries are short and alike;
 * after `SHORT_TRIES` each waits half as long again, up to `LONGEST_MS` (a
 * kernel that is slow to start answers a later one).
 */
export const INFO_MS = 2_000;
/**
 * The first tries' limit for a kernel that already said idle (or has been
 * starting for a while): a live kernel answers kernel_info in milliseconds
 * then, even on a loaded machine, so a longer limit costs a deaf gateway
 * connection little and spares a healthy one a reconnection.
 */
export const ANSWER_MS = 5_000;
/**
 * How long a kernel may say `starting` before the panel asks it directly.
 */
export const STARTING_CHECK_MS = 5_000;
const SHORT_TRIES = 4;
const LONGEST_MS = 8_000;

/**
 * How long a kernel that keeps saying `starting` gets to answer before the
 * panel says it did not (as long as the probe's default timeout).
 */
export const STARTING_MS = 60_000;

export namespace ensureUsable {
  export interface IOptions {
    /**
     * Called at every step; throws to end the wait at once (a cancelled
     * run, say).
     */
    check?: () => void;
    /**
     * A kernel_info's limit for the first tries (default `INFO_MS`).
     */
    infoMs?: number;
    /**
     * What the caller waits for, for the time-out message.
     */
    what?: string;
  }

  export interface IResult {
    /**
     * Milliseconds until the kernel answered and said idle (or busy).
     */
    ms: number;
    /**
     * How many times the connection was reconnected on the way.
     */
    reconnects: number;
    /**
     * How many kernel_info requests left pending on the connection were
     * sent again to settle them (see `settleLost`).
     */
    resent: number;
  }
}

/**
 * Resolve once `kernel` has answered a kernel_info request on this
 * connection and its status is `idle` or `busy`. A request that gets no
 * reply in time (or a reply after which the status does not follow) makes
 * a new websocket (`kernel.reconnect()`), and the kernel is asked again,
 * until `timeoutMs`. Rejects when the kernel is dead or disposed, when
 * `options.check` throws, and with a `TimeoutError` naming what it waited
 * for when no answer came in time. Never leaves a rejection unhandled.
 */
export async function ensureUsable(
  kernel: Kernel.IKernelConnection,
  timeoutMs: number,
  options: ensureUsable.IOptions = {}
): Promise<ensureUsable.IResult> {
  const started = performance.now();
  const left = () => timeoutMs - (performance.now() - started);
  const what = options.what ?? 'the kernel to answer kernel_info';
  let tryMs = options.infoMs ?? INFO_MS;
  let reconnects = 0;
  const alive = () => {
    options.check?.();
    if (kernel.isDisposed || kernel.status === 'dead') {
      throw new Error('The kernel is not running.');
    }
  };
  const signals = [kernel.statusChanged, kernel.connectionStatusChanged];
  const gaveUp = () =>
    new TimeoutError(
      `The kernel did not answer within ${Math.round(timeoutMs / 1000)} s ` +
        `(${what}; ${reconnects} reconnection${reconnects === 1 ? '' : 's'}).`
    );
  for (;;) {
    alive();
    if (left() <= 0) {
      throw gaveUp();
    }
    let answered = false;
    try {
      // A connection that is (re)connecting is given the rest of the time
      // to connect; JupyterLab retries by itself.
      await waitUntil(
        () => {
          alive();
          return kernel.connectionStatus === 'connected';
        },
        signals,
        left(),
        what
      );
      const wait = Math.min(tryMs, left());
      // The reply alone counts: its `idle` on IOPub can be lost on a
      // connection whose kernel was restarted elsewhere (see reply.ts).
      await kernelInfoReply(kernel, wait);
      // The reply came; the status follows from IOPub.
      await waitUntil(
        () => {
          alive();
          return kernel.status === 'idle' || kernel.status === 'busy';
        },
        signals,
        Math.max(0, Math.min(tryMs, left())),
        'the status after kernel_info'
      );
      answered = true;
    } catch (error) {
      if (!(error instanceof TimeoutError)) {
        // Dead, disposed, cancelled; or the request was cancelled by a
        // restart (then the next try asks the new process).
        alive();
      }
    }
    if (answered) {
      // Every kernel_info request still pending now was lost: sent on a
      // deaf websocket, or answered while its idle on IOPub was lost
      // (reply.ts). The next restart would cancel it, JupyterLab's own into
      // an unhandled rejection.
      const resent = await settleLost(kernel, Math.min(tryMs, left()));
      return { ms: performance.now() - started, reconnects, resent };
    }
    if (left() <= 0) {
      throw gaveUp();
    }
    // Nothing reaches the kernel on this websocket: make a new one.
    reconnects++;
    await withTimeout(
      kernel.reconnect(),
      Math.max(1, left()),
      'reconnecting'
    ).catch(() => undefined);
    if (reconnects >= SHORT_TRIES) {
      tryMs = Math.min(Math.round(tryMs * 1.5), LONGEST_MS);
    }
  }
}

/**
 * The kernel_info requests of `kernel` that are still waiting for a reply
 * (JupyterLab's own, sent whenever a websocket opens, and ensureUsable's).
 *
 * JupyterLab keeps them in the connection's private `_futures` (by message
 * id) and exposes no list; where a JupyterLab version has no such map, none
 * are found, and nothing else changes.
 */
function pendingKernelInfo(
  kernel: Kernel.IKernelConnection
): Kernel.IShellFuture[] {
  const futures = (kernel as unknown as { _futures?: unknown })._futures;
  if (!(futures instanceof Map)) {
    return [];
  }
  return [...(futures.values() as Iterable<Kernel.IShellFuture>)].filter(
    future =>
      !future.isDisposed &&
      future.msg?.channel === 'shell' &&
      future.msg.header?.msg_type === 'kernel_info_request'
  );
}

/**
 * How long the kernel_info requests still pending when the kernel answers
 * get to settle by themselves before they are sent again: the idle after a
 * reply that came before ensureUsable's own is usually a few milliseconds
 * behind it on IOPub.
 */
const SETTLE_MS = 500;

/**
 * Settle the kernel_info requests still pending on `kernel` once it has
 * answered; how many were sent again. Each gets `SETTLE_MS` to settle by
 * itself (its idle on its way); one still pending then was lost (sent on a
 * deaf websocket, or its idle lost on IOPub) and is sent again, with the
 * same message, on the connection that has just answered, so that its reply
 * (and the idle after it) settles it. Both waits together take `ms` at most.
 *
 * Why: when a websocket opens, JupyterLab sends a kernel_info request and
 * chains `.then()` on it without a `catch` (`_updateConnectionStatus` in
 * `@jupyterlab/services`' `lib/kernel/default.js`). On a deaf websocket the
 * reply never comes; the reconnection leaves the request pending, and the
 * next restart of this connection (the user's, or the server's auto-restart
 * of a dead kernel) cancels it ("Canceled future for kernel_info_request
 * message before replies were done"), which then goes unhandled. Answered,
 * it never rejects. JupyterLab's private `_sendMessage` sends a message
 * without a new future, so that the reply reaches the pending one; where it
 * is missing, nothing is sent (docs/gateway.md).
 */
async function settleLost(
  kernel: Kernel.IKernelConnection,
  ms: number
): Promise<number> {
  const send = (kernel as unknown as { _sendMessage?: (msg: unknown) => void })
    ._sendMessage;
  const ended = new Set<Kernel.IShellFuture>();
  const settled = (futures: Kernel.IShellFuture[]) =>
    Promise.all(
      futures.map(future =>
        future.done.then(
          () => ended.add(future),
          () => ended.add(future)
        )
      )
    );
  let pending = pendingKernelInfo(kernel);
  if (typeof send !== 'function' || !pending.length) {
    return 0;
  }
  const deadline = performance.now() + ms;
  const left = () => Math.max(1, deadline - performance.now());
  await withTimeout(
    settled(pending),
    Math.min(SETTLE_MS, left()),
    'idle'
  ).catch(() => undefined);
  pending = pending.filter(future => !future.isDisposed && !ended.has(future));
  const resent: Kernel.IShellFuture[] = [];
  for (const future of pending) {
    try {
      send.call(kernel, future.msg);
      resent.push(future);
    } catch {
      // Not connected or dead: the next ensureUsable finds it again.
    }
  }
  if (resent.length) {
    await withTimeout(settled(resent), left(), 'replies').catch(
      () => undefined
    );
  }
  return resent.length;
}
