/**
 * Galata (Playwright) configuration for Jupyter Notebook 7: a real
 * `jupyter notebook` on 127.0.0.1, in Debian's Chromium, with Jupyter's
 * config, data and runtime folders in a scratch folder of its own (as in
 * playwright.config.ts, so the two suites never share state; both from
 * galata.shared.ts). Its port: DEVICE_BENCH_NOTEBOOK_PORT, or a free one.
 */
import { galataConfig, scratchFolder } from './galata.shared';

const config = galataConfig({
  app: 'notebook',
  variable: 'DEVICE_BENCH_NOTEBOOK_PORT',
  readyPath: '/tree',
  scratch: scratchFolder('.jupyter-test-notebook')
});

export default {
  ...config,
  testDir: 'notebook7',
  use: {
    ...config.use,
    // Notebook 7 serves its pages at /tree, /notebooks/..., not under /lab.
    appPath: ''
  }
};
