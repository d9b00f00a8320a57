/**
 * Galata (Playwright) configuration: a real `jupyter lab` on 127.0.0.1, in
 * Debian's Chromium, with Jupyter's config, data and runtime folders in a
 * scratch folder so nothing of the user's set-up leaks in.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const PORT = Number(process.env.DEVICE_BENCH_UI_PORT ?? 8899);
const scratch = path.resolve(__dirname, '.jupyter-test');

// Only the runner's main process prepares the folders, once per run.
if (!process.env.TEST_WORKER_INDEX) {
  fs.rmSync(scratch, { recursive: true, force: true });
  for (const dir of ['config', 'data', 'runtime', 'ipython', 'root']) {
    fs.mkdirSync(path.join(scratch, dir), { recursive: true });
  }
  // A second kernel whose Python has no torch (made by `make test`).
  const noTorchPython = path.resolve(
    __dirname,
    '..',
    '.venv-notorch',
    'bin',
    'python'
  );
  if (fs.existsSync(noTorchPython)) {
    const spec = path.join(scratch, 'data', 'kernels', 'python-no-torch');
    fs.mkdirSync(spec, { recursive: true });
    fs.writeFileSync(
      path.join(spec, 'kernel.json'),
      JSON.stringify({
        argv: [
          noTorchPython,
          '-m',
          'ipykernel_launcher',
          '-f',
          '{connection_file}'
        ],
        display_name: 'Python (no torch)',
        language: 'python'
      })
    );
  }
}

export default {
  ...baseConfig,
  // The Notebook 7 specs run against `jupyter notebook` (playwright.notebook.config.ts).
  testIgnore: ['notebook7/**'],
  reporter: [['list']],
  retries: 0,
  workers: 1,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${PORT}`,
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
    command: `jupyter lab --config jupyter_server_test_config.py --ServerApp.port=${PORT}`,
    url: `http://127.0.0.1:${PORT}/lab`,
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
