/**
 * The data files of the Python package that unit specs read as they are
 * (one source of truth for both languages): the golden fixtures
 * (jupyterlab_device_bench/tests/golden/*.json, checked by pytest too) and
 * the package's own JSON (e.g. recommend_rule.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Python package's folder.
 */
export const PACKAGE_DIR = join(
  __dirname,
  '..',
  '..',
  'jupyterlab_device_bench'
);

/**
 * A JSON file of the Python package, by its path in the package.
 */
export function packageJson<T = any>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(PACKAGE_DIR, ...parts), 'utf8')) as T;
}

/**
 * A golden fixture by its file name (e.g. `recommend.json`).
 */
export function golden<T = any>(name: string): T {
  return packageJson<T>('tests', 'golden', name);
}
