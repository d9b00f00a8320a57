/**
 * The Galata configurations' global set-up (galata.shared.ts): start
 * `jupyter <app>` on the configuration's port, with Jupyter's folders in its
 * scratch folder, before the workers start; the function it returns stops it
 * (with its kernels) after the run.
 *
 * A picked port (`serverPort`) can be taken between picking it and the
 * server binding it (`port_retries = 0`, jupyter_server_test_config.py): the
 * server then exits at once, and this picks another port (TRIES in all) and
 * writes it into the port's variable, which the workers inherit. A port given
 * in the variable is tried once. When it gives up, the error names each port
 * and why it failed; a server that neither exits nor answers is given up on
 * after START_MS.
 */
import type { FullConfig } from '@playwright/test';
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { type IServerOptions, pickPort } from './galata.shared';

const TRIES = 3;
const START_MS = 120_000;

type Started = { stop: () => Promise<void> } | { why: string };

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Stop the server's process group (the server and its kernels): SIGTERM,
 * then SIGKILL after 15 s.
 */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (!running(child) || child.pid === undefined) {
    return;
  }
  const exited = new Promise(resolve => child.once('exit', resolve));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // The group is gone already.
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function startOn(
  options: IServerOptions,
  port: number
): Promise<Started> {
  const { app, readyPath, scratch } = options;
  const child = spawn(
    'jupyter',
    [
      app,
      '--config',
      'jupyter_server_test_config.py',
      `--ServerApp.port=${port}`
    ],
    {
      cwd: __dirname,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        JUPYTER_CONFIG_DIR: path.join(scratch, 'config'),
        JUPYTER_DATA_DIR: path.join(scratch, 'data'),
        JUPYTER_RUNTIME_DIR: path.join(scratch, 'runtime'),
        IPYTHONDIR: path.join(scratch, 'ipython'),
        JUPYTERLAB_GALATA_ROOT_DIR: path.join(scratch, 'root')
      }
    }
  );
  let log = '';
  let serving = false;
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = String(chunk);
    if (process.env.DEVICE_BENCH_UI_DEBUG) {
      process.stderr.write(text);
    }
    // Its "is running at" URL: the port was free when it looked.
    serving ||= text.includes(`:${port}/`);
    log = (log + text).slice(-2000);
  });
  // A runner that ends without its teardown leaves no server behind.
  const orphan = () => {
    if (running(child)) {
      process.kill(-child.pid!, 'SIGKILL');
    }
  };
  process.once('exit', orphan);
  const url = `http://127.0.0.1:${port}${readyPath}`;
  const deadline = Date.now() + START_MS;
  let why: string | null = null;
  while (why === null) {
    if (!running(child)) {
      why = `it exited (code ${child.exitCode ?? child.signalCode})`;
      break;
    }
    if (serving) {
      try {
        const response = await fetch(url);
        // Ours only while it still runs (one that lost the port exits).
        if (response.ok && running(child)) {
          return {
            stop: async () => {
              await stopGroup(child);
              process.removeListener('exit', orphan);
            }
          };
        }
      } catch {
        // Not listening yet.
      }
    }
    if (Date.now() > deadline) {
      why = `${url} did not answer within ${START_MS / 1000} s`;
      break;
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  await stopGroup(child);
  process.removeListener('exit', orphan);
  return { why: `${why}; its last output:\n${log.trim()}` };
}

export default async function globalSetup(
  config: FullConfig
): Promise<() => Promise<void>> {
  const options = config.metadata.jupyterServer as IServerOptions;
  const { app, variable, readyPath } = options;
  const picked = process.env[`${variable}_PICKED`] === '1';
  const failures: string[] = [];
  for (let i = 0; i < (picked ? TRIES : 1); i++) {
    const port = i === 0 ? Number(process.env[variable]) : pickPort();
    // The workers (started after this) load the configuration with it.
    process.env[variable] = String(port);
    const started = await startOn(options, port);
    if ('stop' in started) {
      return started.stop;
    }
    failures.push(`port ${port}: ${started.why}`);
  }
  throw new Error(
    `Gave up waiting for jupyter ${app} to answer ${readyPath} on 127.0.0.1 after ${failures.length} tr${failures.length === 1 ? 'y' : 'ies'}:\n${failures.join('\n')}`
  );
}
