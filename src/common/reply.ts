/**
 * Shell replies, as soon as they arrive.
 *
 * JupyterLab's `future.done` (and so `kernel.requestKernelInfo()`) settles
 * only once the request's reply has come on the shell channel **and** the
 * kernel's `idle` status for it on IOPub. That status can be lost: when a
 * kernel is restarted through another connection (another window, the
 * running-kernels list, a gateway), the server's IOPub subscription for
 * this connection reaches the new process a moment after its shell socket
 * does (ZeroMQ's slow joiner), so a request sent in that moment gets its
 * reply but never its `idle`, and `done` never settles. Seen in a fresh
 * clone's jest run, and reproduced under load: 1 restart in 12 with both
 * cores busy; the reply came after 0.3 s, the `idle` never.
 *
 * The extension's requests are silent (no output) or kernel_info: the reply
 * carries everything asked for, so they wait for the reply alone.
 */
import { type Kernel, KernelMessage } from '@jupyterlab/services';
import { withTimeout } from './timeout';

/**
 * The shell reply of `future`, as soon as it arrives (or `done`, if that
 * comes first). Rejects when the future is disposed or cancelled before a
 * reply (a restart, a dead kernel). Takes the future's `onReply`.
 */
export function shellReply<
  REQUEST extends KernelMessage.IShellMessage,
  REPLY extends KernelMessage.IShellMessage
>(future: Kernel.IShellFuture<REQUEST, REPLY>): Promise<REPLY> {
  return new Promise<REPLY>((resolve, reject) => {
    future.onReply = resolve;
    future.done.then(resolve, reject);
  });
}

/**
 * Send a kernel_info request on `kernel`'s connection and resolve with its
 * reply, not waiting for the `idle` status (see above). Rejects with a
 * `TimeoutError` after `ms`; the request's future is disposed either way,
 * so nothing is left pending on the connection.
 */
export async function kernelInfoReply(
  kernel: Kernel.IKernelConnection,
  ms: number,
  what = 'kernel_info'
): Promise<KernelMessage.IInfoReplyMsg> {
  const msg = KernelMessage.createMessage({
    msgType: 'kernel_info_request',
    channel: 'shell',
    username: kernel.username,
    session: kernel.clientId,
    content: {}
  });
  const future = kernel.sendShellMessage(
    msg,
    true,
    true
  ) as Kernel.IShellFuture<
    KernelMessage.IInfoRequestMsg,
    KernelMessage.IInfoReplyMsg
  >;
  try {
    return await withTimeout(shellReply(future), ms, what);
  } finally {
    future.dispose();
  }
}
