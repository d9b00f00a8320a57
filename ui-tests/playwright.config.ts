/**
 * Galata (Playwright) configuration: a real `jupyter lab` on 127.0.0.1, in
 * Debian's Chromium, with Jupyter's config, data and runtime folders in a
 * scratch folder so nothing of the user's set-up leaks in (galata.shared.ts).
 * Its port: DEVICE_BENCH_UI_PORT, or a free one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { galataConfig, scratchFolder } from './galata.shared';

const scratch = scratchFolder('.jupyter-test', folder => {
  // A second kernel whose Python has no torch (made by `make test`).
  const noTorchPython = path.resolve(
    __dirname,
    '..',
    '.venv-notorch',
    'bin',
    'python'
  );
  if (fs.existsSync(noTorchPython)) {
    const spec = path.join(folder, 'data', 'kernels', 'python-no-torch');
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
});

export default {
  ...galataConfig({
    app: 'lab',
    variable: 'DEVICE_BENCH_UI_PORT',
    readyPath: '/lab',
    scratch
  }),
  // The Notebook 7 specs run against `jupyter notebook` (playwright.notebook.config.ts).
  testIgnore: ['notebook7/**']
};
