/**
 * ensureUsable on a real kernel connection to a real server and ipykernel,
 * with a websocket made deaf on purpose (its messages to the kernel are
 * dropped, as behind a Kernel Gateway after a restart: docs/gateway.md).
 * JupyterLab's own kernel_info request, lost with that websocket, must not
 * be left for the next restart to cancel: that rejection goes unhandled.
 */
import {
  type Kernel,
  type KernelManager,
  type KernelMessage
} from '@jupyterlab/services';
import { JupyterServer } from '@jupyterlab/testing';
import { KERNEL, kernelsWithSocket, startServer } from '../../__tests__/server';
import { watchUncaught } from '../../__tests__/uncaught';
import { ensureUsable } from '../usable';

/**
 * Whether the next websocket opened drops what it is given to send.
 */
let deafNext = false;

class Socket extends WebSocket {
  private readonly deaf = deafNext;

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    if (!this.deaf) {
      super.send(data);
    }
  }
}

describe('ensureUsable on a real connection with a deaf websocket', () => {
  const server = new JupyterServer();
  let kernels: KernelManager;

  beforeAll(async () => {
    await startServer(server);
    kernels = await kernelsWithSocket(Socket);
  }, 120_000);

  afterAll(async () => {
    kernels?.dispose();
    await server.shutdown();
  });

  it('reconnects, and the kernel_info lost with the deaf websocket is answered, not cancelled by the next restart', async () => {
    const stopWatching = watchUncaught();
    let kernel: Kernel.IKernelConnection | undefined;
    try {
      kernel = await kernels.startNew({ name: KERNEL });
      await ensureUsable(kernel, 60_000);

      // The kernel_info requests sent on this connection, and the ids
      // of those that got a reply.
      const sent: string[] = [];
      const replied = new Set<string>();
      kernel.anyMessage.connect((_, { msg, direction }) => {
        if (
          direction === 'send' &&
          msg.header.msg_type === 'kernel_info_request'
        ) {
          sent.push(msg.header.msg_id);
        }
        const parent = msg.parent_header as KernelMessage.IHeader | undefined;
        if (
          direction === 'recv' &&
          msg.header.msg_type === 'kernel_info_reply' &&
          parent?.msg_id
        ) {
          replied.add(parent.msg_id);
        }
      });

      // A new websocket that loses everything sent on it: JupyterLab sends
      // its kernel_info request there as soon as it opens.
      deafNext = true;
      await kernel.reconnect();
      deafNext = false;
      expect(sent).toHaveLength(1);
      const lostId = sent[0];

      const result = await ensureUsable(kernel, 60_000, { infoMs: 1_000 });
      expect(result.reconnects).toBeGreaterThanOrEqual(1);
      // The lost one, at least (JupyterLab's request on the new websocket
      // settles by itself unless its idle is over 0.5 s late).
      expect(result.resent).toBeGreaterThanOrEqual(1);
      // Sent again on the websocket that works, and answered there.
      const answered = replied.has(lostId);

      // The restart clears the connection's pending requests: none is left
      // to be cancelled.
      await kernel.restart();
      await ensureUsable(kernel, 60_000);
      await new Promise(resolve => setTimeout(resolve, 100));
      // Without ensureUsable's care: ["Canceled future for
      // kernel_info_request message before replies were done"].
      expect(stopWatching()).toEqual([]);
      expect(answered).toBe(true);
    } finally {
      stopWatching();
      await kernel?.shutdown().catch(() => undefined);
    }
  }, 180_000);
});
