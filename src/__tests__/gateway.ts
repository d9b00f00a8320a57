/**
 * A real Jupyter Kernel Gateway for the gateway integration specs, on
 * 127.0.0.1 only, listing its kernels (as JupyterLab's running-kernels list
 * needs), with the same test kernel spec as `startServer` (the venv's Python
 * with torch: `python` on PATH). The Jupyter server of `startServer` is
 * pointed at it with `--gateway-url` (`GatewayClient.url`): every kernel
 * then runs in the gateway, and the server only proxies its websocket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, KERNEL, KERNEL_SPEC } from './server';

export interface IGateway {
  /**
   * The gateway's base URL, for `GatewayClient.url`.
   */
  url: string;
  /**
   * The gateway's process.
   */
  process: ChildProcess;
  /**
   * Everything the gateway logged so far (for a failing spec to show).
   */
  log: () => string;
  /**
   * Stop the gateway (and with it its kernels); bounded.
   */
  stop: () => Promise<void>;
}

/**
 * How long the gateway gets to answer its API after it was started.
 */
const START_MS = 60_000;

/**
 * Start a Kernel Gateway; resolves once its API answers.
 */
export async function startGateway(): Promise<IGateway> {
  const port = await freePort();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'device-bench-kg-'));
  const data = path.join(root, 'data');
  const specDir = path.join(data, 'kernels', KERNEL);
  fs.mkdirSync(specDir, { recursive: true });
  fs.writeFileSync(
    path.join(specDir, 'kernel.json'),
    JSON.stringify(KERNEL_SPEC)
  );
  for (const dir of ['config', 'runtime', 'ipython']) {
    fs.mkdirSync(path.join(root, dir));
  }
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'jupyter',
    [
      'kernelgateway',
      '--KernelGatewayApp.ip=127.0.0.1',
      `--KernelGatewayApp.port=${port}`,
      '--KernelGatewayApp.port_retries=0',
      `--KernelGatewayApp.default_kernel_name=${KERNEL}`,
      '--JupyterWebsocketPersonality.list_kernels=True',
      // Only the test's own spec: the gateway must not offer the ones
      // installed in the venv (or anywhere else on the machine).
      `--KernelSpecManager.allowed_kernelspecs=${KERNEL}`
    ],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        JUPYTER_CONFIG_DIR: path.join(root, 'config'),
        JUPYTER_DATA_DIR: data,
        JUPYTER_RUNTIME_DIR: path.join(root, 'runtime'),
        IPYTHONDIR: path.join(root, 'ipython')
      },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  );
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve())
  );

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(root, { recursive: true, force: true });
  };

  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`The Kernel Gateway exited at start:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/api/kernelspecs`);
      if (response.ok) {
        break;
      }
    } catch {
      // Not listening yet.
    }
    if (Date.now() - started > START_MS) {
      await stop();
      throw new Error(
        `The Kernel Gateway did not answer within ${START_MS / 1000} s:\n${output}`
      );
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  return { url, process: child, log: () => output, stop };
}

/**
 * `min … s, median … s, max … s` of `ms`, for the printed figures.
 */
export function figures(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const s = (v: number) => (v / 1000).toFixed(2);
  return `min ${s(sorted[0])} s, median ${s(sorted[Math.floor(sorted.length / 2)])} s, max ${s(sorted[sorted.length - 1])} s`;
}

/**
 * Which websocket the gateway specs' connections use:
 * DEVICE_BENCH_GATEWAY_WS=browser (the default) or `node`.
 */
export const GATEWAY_WS =
  process.env.DEVICE_BENCH_GATEWAY_WS === 'node' ? 'node' : 'browser';

/**
 * A websocket that ends where a browser's does behind a gateway.
 *
 * jupyter_server's gateway connection speaks only the legacy kernel
 * protocol: the server selects none of the subprotocols JupyterLab offers.
 * A browser accepts that (its socket's `protocol` is ''). jsdom's
 * WebSocket (Node's `ws` inside) fails the handshake instead ("Server sent
 * no subprotocol"), after the server has accepted it and begun to connect
 * to the gateway; JupyterLab then opens a second websocket without
 * subprotocols. The first one, closed while the server's websocket to the
 * gateway still connects, leaves that one stale with the same ZeroMQ
 * identity (docs/gateway.md): in jest, on every new kernel connection. A
 * browser meets that only when it reconnects quickly.
 *
 * This socket offers no subprotocol, so it opens at once with protocol '',
 * as a browser's does. `node` keeps jsdom's own, which meets the fault on
 * every connection: the specs then show that the product recovers from it.
 */
export function gatewaySocket(
  kind: 'browser' | 'node' = GATEWAY_WS
): typeof WebSocket {
  if (kind === 'node') {
    return WebSocket;
  }
  const Native = WebSocket;
  // Called with `new` by the kernel connection; what it returns is the
  // socket.
  function BrowserLikeWebSocket(url: string | URL): WebSocket {
    return new Native(url);
  }
  return Object.assign(BrowserLikeWebSocket, {
    CONNECTING: Native.CONNECTING,
    OPEN: Native.OPEN,
    CLOSING: Native.CLOSING,
    CLOSED: Native.CLOSED
  }) as unknown as typeof WebSocket;
}
