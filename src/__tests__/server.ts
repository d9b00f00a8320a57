/**
 * A real Jupyter server for integration specs, on 127.0.0.1 only, with a
 * kernel spec that runs the project's venv Python (`python` on PATH: `make
 * test` puts .venv/bin first).
 */
import { PageConfig } from '@jupyterlab/coreutils';
import {
  KernelManager,
  ServerConnection,
  ServiceManager
} from '@jupyterlab/services';
import { JupyterServer } from '@jupyterlab/testing';
import childProcess, { type ChildProcess } from 'node:child_process';
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
 * How many ports `startServer` tries when it picks them (each one free when
 * picked, but anything may take it before the server binds it), and how
 * long one try may take before the server prints its URL.
 */
export const START_TRIES = 3;
export const START_MS = 120_000;

/**
 * `call()`, with the child process it spawns (JupyterServer keeps its own
 * private): JupyterServer.start spawns `jupyter-lab` before its first await.
 */
function spawning<T>(call: () => T): { result: T; child: ChildProcess | null } {
  const cp = childProcess as { spawn: typeof childProcess.spawn };
  const spawn = cp.spawn;
  let child: ChildProcess | null = null;
  cp.spawn = ((...args: Parameters<typeof spawn>) =>
    (child = spawn(...args))) as typeof spawn;
  try {
    return { result: call(), child };
  } finally {
    cp.spawn = spawn;
  }
}

/**
 * One try: the server on `port`; resolves with null once clients can reach
 * it, else with why not (its process exited: the port was taken, or it
 * printed no URL within START_MS), the process stopped.
 */
async function startOn(
  server: JupyterServer,
  port: number,
  serverApp: Record<string, unknown>,
  options: { gatewayUrl?: string }
): Promise<string | null> {
  let log = '';
  const { result, child } = spawning(() =>
    server.start({
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
    })
  );
  const collect = (chunk: Buffer) => {
    log = (log + String(chunk)).slice(-2000);
  };
  child?.stdout?.on('data', collect);
  child?.stderr?.on('data', collect);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = new Promise<string>(resolve => {
    if (!child) {
      return;
    }
    const said = () =>
      `its process exited (code ${child.exitCode ?? child.signalCode})`;
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(said());
    }
    child.once('exit', () => resolve(said()));
  });
  const late = new Promise<string>(resolve => {
    timer = setTimeout(
      () => resolve(`it printed no URL within ${START_MS / 1000} s`),
      START_MS
    );
  });
  const why = await Promise.race([result.then(() => null), exited, late]);
  clearTimeout(timer);
  if (why === null) {
    return null;
  }
  // JupyterServer forgets its process only when it sees it exit in
  // `shutdown`: one that has already exited is shown its exit again.
  const stopped = server.shutdown().catch(() => undefined);
  if (child && (child.exitCode !== null || child.signalCode !== null)) {
    child.emit('exit', child.exitCode, child.signalCode);
  }
  await stopped;
  return `${why}; its last output:\n${log.trim()}`;
}

/**
 * Start the server; resolves once clients can use PageConfig to reach it.
 * `options.gatewayUrl` (see `./gateway`) puts its kernels behind a Kernel
 * Gateway, as `jupyter lab --gateway-url` does. A port it picks can be taken
 * before the server binds it: the server then exits at once, and it tries
 * again with another (START_TRIES in all); a port given in `serverApp` is
 * tried once. When it gives up, the error names the ports and why each
 * failed. `options.pickPort` (default `freePort`) is for its own spec.
 */
export async function startServer(
  server: JupyterServer,
  serverApp: Record<string, unknown> = {},
  options: { gatewayUrl?: string; pickPort?: () => Promise<number> } = {}
): Promise<void> {
  // A port given in `serverApp` (a server restarted in place) is kept.
  const given = typeof serverApp.port === 'number' ? serverApp.port : null;
  const failures: string[] = [];
  for (let i = 0; i < (given === null ? START_TRIES : 1); i++) {
    const port = given ?? (await (options.pickPort ?? freePort)());
    const why = await startOn(server, port, serverApp, options);
    if (why === null) {
      PageConfig.setOption('baseUrl', `http://127.0.0.1:${port}/`);
      PageConfig.setOption('wsUrl', `ws://127.0.0.1:${port}/`);
      return;
    }
    failures.push(`port ${port}: ${why}`);
  }
  throw new Error(
    `Gave up waiting for a Jupyter server to listen on 127.0.0.1 after ${failures.length} tr${failures.length === 1 ? 'y' : 'ies'}:\n${failures.join('\n')}`
  );
}

/**
 * A kernel manager for the server started last whose kernel connections
 * use `socket` for their websockets (one that loses or drops messages on
 * purpose), ready.
 */
export async function kernelsWithSocket(
  socket: typeof WebSocket
): Promise<KernelManager> {
  const kernels = new KernelManager({
    serverSettings: ServerConnection.makeSettings({ WebSocket: socket }),
    standby: 'never'
  });
  await kernels.ready;
  return kernels;
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
