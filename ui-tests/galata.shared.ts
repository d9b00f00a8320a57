/**
 * What the two Galata configurations share (playwright.config.ts for
 * JupyterLab, playwright.notebook.config.ts for Notebook 7): a real Jupyter
 * server on 127.0.0.1, in Debian's Chromium, with Jupyter's config, data
 * and runtime folders in a scratch folder of the configuration's own, so
 * nothing of the user's set-up leaks in and the two suites never share state.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

/**
 * A TCP port free on 127.0.0.1 right now (asked of a child Node, since a
 * configuration is loaded synchronously).
 */
export function pickPort(): number {
  return Number(
    execFileSync(
      process.execPath,
      [
        '-e',
        "const s = require('node:net').createServer();" +
          "s.listen(0, '127.0.0.1', () => {" +
          'process.stdout.write(String(s.address().port)); s.close(); });'
      ],
      { encoding: 'utf-8' }
    ).trim()
  );
}

/**
 * The port in `variable`; when it is not set, a port free on 127.0.0.1 now,
 * kept in `variable` (and `${variable}_PICKED` set) so that Playwright's
 * workers (which inherit the runner's environment and load this
 * configuration again) use the same one. A fixed default port fails the run
 * when anything else holds it (a server left from an earlier run, another
 * suite). A picked port may be taken before the server binds it: the global
 * set-up (server.setup.ts) then picks another and changes `variable` before
 * the workers start.
 */
export function serverPort(variable: string): number {
  if (!process.env[variable]) {
    process.env[variable] = String(pickPort());
    process.env[`${variable}_PICKED`] = '1';
  }
  return Number(process.env[variable]);
}

/**
 * The scratch folder `name` beside this file; the runner's main process
 * (not a worker) empties it once per run and calls `prepare` on it.
 */
export function scratchFolder(
  name: string,
  prepare?: (scratch: string) => void
): string {
  const scratch = path.resolve(__dirname, name);
  if (!process.env.TEST_WORKER_INDEX) {
    fs.rmSync(scratch, { recursive: true, force: true });
    for (const dir of ['config', 'data', 'runtime', 'ipython', 'root']) {
      fs.mkdirSync(path.join(scratch, dir), { recursive: true });
    }
    prepare?.(scratch);
  }
  return scratch;
}

/**
 * What server.setup.ts needs to start the server (the configuration's
 * `metadata.jupyterServer`).
 */
export interface IServerOptions {
  app: 'lab' | 'notebook';
  /**
   * The environment variable that holds the port (see `serverPort`).
   */
  variable: string;
  readyPath: string;
  scratch: string;
}

/**
 * A configuration running `jupyter <app>` on the port of `variable`, ready
 * once `readyPath` answers, with Jupyter's folders in `scratch`. The server
 * is started by the global set-up (server.setup.ts), not Playwright's
 * `webServer`: that one cannot try another port when the picked one was
 * taken before the server bound it.
 */
export function galataConfig(options: IServerOptions): Record<string, any> {
  const port = serverPort(options.variable);
  return {
    ...baseConfig,
    reporter: [['list']],
    retries: 0,
    workers: 1,
    timeout: 120_000,
    expect: { timeout: 30_000 },
    use: {
      ...baseConfig.use,
      baseURL: `http://127.0.0.1:${port}`,
      video: 'off',
      trace: 'off',
      launchOptions: {
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run'
        ]
      }
    },
    globalSetup: path.join(__dirname, 'server.setup.ts'),
    metadata: { jupyterServer: options }
  };
}
