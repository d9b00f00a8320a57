/**
 * Benchmarks that need the browser reuse the UI tests' server and Chromium
 * set-up; only the test folder differs. Run with `make bench-probe`.
 */
import uiConfig from '../ui-tests/playwright.config';

export default {
  ...uiConfig,
  testDir: '.',
  testMatch: '*.bench.ts',
  testIgnore: '*.bench.spec.ts',
  timeout: 300_000
};
