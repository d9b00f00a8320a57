/**
 * A real Jupyter server for integration specs, on 127.0.0.1 only, with a
 * kernel spec that runs the project's venv Python (`python` on PATH: `make
 * test` puts .venv/bin first).
 */
import { PageConfig } from '@jupyterlab/coreutils';
import { JupyterServer } from '@jupyterlab/testing';
import * as net from 'node:net';

export const KERNEL = 'device-bench-test';

/**
 * The test kernel's spec (the gateway helper installs the same one there).
 */
export const KERNEL_SPEC = {
  argv: ['python', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
  display_name: 'Python (device-bench test)',
  language: 'python'
};

/**
 * A TCP port free on 127.0.0.1 right now.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start the server; resolves once clients can use PageConfig to reach it.
 * `options.gatewayUrl` (see `./gateway`) puts its kernels behind a Kernel
 * Gateway, as `jupyter lab --gateway-url` does.
 */
export async function startServer(
  server: JupyterServer,
  serverApp: Record<string, unknown> = {},
  options: { gatewayUrl?: string } = {}
): Promise<void> {
  // A port given in `serverApp` (a server restarted in place) is kept.
  const port =
    typeof serverApp.port === 'number' ? serverApp.port : await freePort();
  await server.start({
    additionalKernelSpecs: { [KERNEL]: KERNEL_SPEC },
    configData: {
      ServerApp: {
        ip: '127.0.0.1',
        port,
        port_retries: 0,
        // JupyterServer finds the server by a localhost URL in its log.
        custom_display_url: `http://localhost:${port}/`,
        allow_root: process.getuid?.() === 0,
        log_level: 'INFO',
        ...serverApp
      },
      LabApp: { log_level: 'INFO' },
      FileContentsManager: { delete_to_trash: false },
      ...(options.gatewayUrl
        ? { GatewayClient: { url: options.gatewayUrl } }
        : {})
    }
  });
  PageConfig.setOption('baseUrl', `http://127.0.0.1:${port}/`);
  PageConfig.setOption('wsUrl', `ws://127.0.0.1:${port}/`);
}

/**
 * Wait until `check` holds, for at most `timeoutMs`; when it gives up, the
 * error says what it waited for.
 */
export async function waitFor(
  check: () => boolean,
  what: string,
  timeoutMs = 120_000
): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(
        `Gave up after ${timeoutMs / 1000} s waiting for ${what}.`
      );
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}
