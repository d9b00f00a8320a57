/**
 * `make screenshots`: the README's pictures, taken from the real UI (a real
 * JupyterLab, a real kernel with torch, a quick benchmark on the CPU). Not a
 * test suite: `*.shots.ts` files are not matched by the main configuration,
 * so `make test` never runs them.
 */
import config from './playwright.config';

export default {
  ...config,
  testDir: './screenshots',
  testMatch: '**/*.shots.ts',
  timeout: 300_000,
  use: {
    ...config.use,
    viewport: { width: 1280, height: 1000 }
  }
};
