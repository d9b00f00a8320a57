/**
 * Build the prebuilt (federated) extension with @jupyterlab/builder against
 * the JupyterLab that is installed in the current Python environment.
 *
 * `jupyter labextension build` in JupyterLab 4.6 hands over to
 * jupyter-builder, which looks the core metadata up on the network; this
 * script passes the installed JupyterLab's core path to the builder instead,
 * as `jupyter labextension build` used to. Arguments (`--development`,
 * `--watch`, `--source-map`) go to the builder unchanged.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function corePath() {
  const candidates = [process.env.PYTHON, 'python', 'python3'].filter(Boolean);
  const code =
    'import os, jupyterlab; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))';
  for (const python of candidates) {
    try {
      return execFileSync(python, ['-c', code], { encoding: 'utf8' }).trim();
    } catch {
      // try the next interpreter
    }
  }
  console.error(
    'No Python with jupyterlab found (tried: ' + candidates.join(', ') + ').'
  );
  process.exit(1);
}

const builder =
  require.resolve('@jupyterlab/builder/lib/build-labextension.js');
const result = spawnSync(
  process.execPath,
  [builder, '--core-path', corePath(), ...process.argv.slice(2), root],
  { cwd: root, stdio: 'inherit' }
);
process.exit(result.status ?? 1);
