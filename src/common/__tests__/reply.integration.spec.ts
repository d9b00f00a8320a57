/**
 * Replies without their `idle`: on a real server and ipykernel, a websocket
 * that drops the kernel's IOPub status messages on purpose, as a connection
 * does for a moment after its kernel was restarted through another one
 * (src/common/reply.ts). JupyterLab's `done` never settles then; the
 * extension's requests must still get their answer.
 */
import {
  type Kernel,
  type KernelManager,
  type KernelMessage,
  ServerConnection
} from '@jupyterlab/services';
import { JupyterServer } from '@jupyterlab/testing';
import { KERNEL, kernelsWithSocket, startServer } from '../../__tests__/server';
import { DeviceProbeService } from '../../kernel/service';
import { kernelInfoReply } from '../reply';
import { TimeoutError, withTimeout } from '../timeout';
import { ensureUsable } from '../usable';

const settings = ServerConnection.makeSettings();

/**
 * While true, every websocket drops the IOPub status messages it receives.
 */
let dropStatus = false;

class Socket extends WebSocket {
  set onmessage(handler: ((event: MessageEvent) => void) | null) {
    super.onmessage = handler
      ? (event: MessageEvent) => {
          if (dropStatus) {
            const msg = settings.serializer.deserialize(
              event.data,
              this.protocol
            ) as KernelMessage.IMessage;
            if (msg.channel === 'iopub' && msg.header.msg_type === 'status') {
              return;
            }
          }
          handler.call(this, event);
        }
      : null;
  }

  get onmessage(): ((event: MessageEvent) => void) | null {
    return super.onmessage as ((event: MessageEvent) => void) | null;
  }
}

describe('replies whose idle status is lost', () => {
  const server = new JupyterServer();
  let kernels: KernelManager;
  let kernel: Kernel.IKernelConnection;

  beforeAll(async () => {
    await startServer(server);
    kernels = await kernelsWithSocket(Socket);
    kernel = await kernels.startNew({ name: KERNEL });
    await ensureUsable(kernel, 120_000);
  }, 180_000);

  afterEach(() => {
    dropStatus = false;
  });

  afterAll(async () => {
    kernels?.dispose();
    await server.shutdown();
  });

  it('JupyterLab: done waits for the idle, the reply comes anyway', async () => {
    dropStatus = true;
    // What the extension must not rely on: with the idle lost, JupyterLab's
    // kernel_info never settles.
    await expect(
      withTimeout(kernel.requestKernelInfo(), 5_000, 'done')
    ).rejects.toBeInstanceOf(TimeoutError);
    const reply = await kernelInfoReply(kernel, 60_000, 'the reply');
    expect(reply.content).toMatchObject({
      status: 'ok',
      implementation: 'ipython'
    });
  });

  it('the probe answers, and ensureUsable counts the reply', async () => {
    dropStatus = true;
    const service = new DeviceProbeService({ timeoutMs: 60_000 });
    try {
      const outcome = await service.probe(kernel);
      expect(outcome.kind).toBe('ready');
      const usable = await ensureUsable(kernel, 60_000, { infoMs: 10_000 });
      expect(usable.reconnects).toBe(0);
    } finally {
      service.dispose();
    }
  });
});
