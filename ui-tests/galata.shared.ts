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
 * The port in `variable`; when it is not set, a port free on 127.0.0.1 now,
 * kept in `variable` so that Playwright's workers (which inherit the
 * runner's environment and load this configuration again) use the same one.
 * A fixed default port fails the run when anything else holds it (a server
 * left from an earlier run, another suite).
 */
export function serverPort(variable: string): number {
  if (!process.env[variable]) {
    process.env[variable] = execFileSync(
      process.execPath,
      [
        '-e',
        "const s = require('node:net').createServer();" +
          "s.listen(0, '127.0.0.1', () => {" +
          'process.stdout.write(String(s.address().port)); s.close(); });'
      ],
      { encoding: 'utf-8' }
    ).trim();
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
 * A configuration running `jupyter <app>` on `port`, ready once `readyPath`
 * answers, with Jupyter's folders in `scratch`.
 */
export function galataConfig(options: {
  app: 'lab' | 'notebook';
  port: number;
  readyPath: string;
  scratch: string;
}): Record<string, any> {
  const { app, port, readyPath, scratch } = options;
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
    webServer: {
      command: `jupyter ${app} --config jupyter_server_test_config.py --ServerApp.port=${port}`,
      url: `http://127.0.0.1:${port}${readyPath}`,
      cwd: __dirname,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: process.env.DEVICE_BENCH_UI_DEBUG ? 'pipe' : 'ignore',
      env: {
        ...process.env,
        JUPYTER_CONFIG_DIR: path.join(scratch, 'config'),
        JUPYTER_DATA_DIR: path.join(scratch, 'data'),
        JUPYTER_RUNTIME_DIR: path.join(scratch, 'runtime'),
        IPYTHONDIR: path.join(scratch, 'ipython'),
        JUPYTERLAB_GALATA_ROOT_DIR: path.join(scratch, 'root')
      }
    }
  };
}
