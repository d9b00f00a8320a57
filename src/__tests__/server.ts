/**
 * A real Jupyter server for integration specs, on 127.0.0.1 only, with a
 * kernel spec that runs the project's venv Python (`python` on PATH: `make
 * test` puts .venv/bin first).
 */
import { PageConfig } from '@jupyterlab/coreutils';
import { ServiceManager } from '@jupyterlab/services';
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

/**
 * A spec's own real Jupyter server, started in `beforeAll` and shut down
 * (with its kernels) in `afterAll`.
 */
export interface ITestServer {
  /**
   * The service manager of the running server (set once `beforeAll` ran).
   */
  readonly manager: ServiceManager.IManager;
  /**
   * Stop the server, which shuts its kernels down, and start it again with
   * the same settings (give `serverApp` a port, token and folder for the
   * same server); the manager stays.
   */
  restart(): Promise<void>;
}

export function useServer(
  options: {
    /**
     * `ServerApp` settings, read at each start.
     */
    serverApp?: () =>
      Record<string, unknown> | Promise<Record<string, unknown>>;
    /**
     * Called after each start (before the manager is made, the first time).
     */
    started?: () => void;
  } = {}
): ITestServer {
  let server = new JupyterServer();
  let manager: ServiceManager.IManager | null = null;
  const start = async () => {
    await startServer(server, (await options.serverApp?.()) ?? {});
    options.started?.();
  };

  beforeAll(async () => {
    await start();
    manager = new ServiceManager({ standby: 'never' });
    await manager.ready;
  }, 180_000);

  afterAll(async () => {
    manager?.dispose();
    await server.shutdown();
  });

  return {
    get manager() {
      if (!manager) {
        throw new Error('useServer: the server is not started yet');
      }
      return manager;
    },
    async restart() {
      await server.shutdown();
      server = new JupyterServer();
      await start();
    }
  };
}
