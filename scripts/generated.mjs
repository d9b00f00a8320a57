/**
 * Shared by the build-time generators (embed-python.mjs, compile-schemas.mjs):
 * write a generated source file only when its content changed (so that
 * `tsc --watch` and make see no needless change), and regenerate on change
 * of its inputs with `--watch`.
 */
import { mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeIfChanged(target, content) {
  mkdirSync(dirname(target), { recursive: true });
  let previous = '';
  try {
    previous = readFileSync(target, 'utf8');
  } catch {
    // first build
  }
  if (previous !== content) {
    writeFileSync(target, content);
  }
}

/**
 * Run `generate` now and, with `--watch` on the command line, whenever one
 * of `inputs` (absolute paths) changes.
 */
export function generateAndWatch(inputs, generate) {
  generate();
  if (process.argv.includes('--watch')) {
    for (const file of inputs) {
      watch(file, () => {
        try {
          generate();
        } catch (error) {
          console.error(error);
        }
      });
    }
  }
}
