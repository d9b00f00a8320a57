/**
 * Helpers the Galata specs and the screenshot script share.
 */
import { galata, type IJupyterLabPageFixture, test } from '@jupyterlab/galata';

export const PANEL = '#jp-DeviceBench-panel';

/**
 * Run the one-click benchmark (quick profile) on `devices` through its
 * command; resolves with the command's outcome.
 */
export function runBenchmark(
  page: IJupyterLabPageFixture,
  params: Record<string, unknown>,
  devices: string[] = ['cpu']
): Promise<any> {
  return page.evaluate(
    ([d, p]) =>
      window.jupyterapp.commands.execute('device-bench:run-benchmark', {
        devices: d,
        profile: 'quick',
        params: p
      }) as Promise<any>,
    [devices, params] as const
  );
}

/**
 * `test.use(ZH_CN)`: JupyterLab in Simplified Chinese (the zh_CN language
 * pack, requirements/dev.txt). Galata's own readiness check looks for a tab
 * named "Launcher" (English); here it is 启动器: wait for the splash to go
 * and the launcher to show instead.
 */
export const ZH_CN: Parameters<typeof test.use>[0] = {
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    '@jupyterlab/translation-extension:plugin': { locale: 'zh_CN' }
  },
  // eslint-disable-next-line no-empty-pattern
  waitForApplication: async ({}, use) => {
    await use(async page => {
      await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
      await page.locator('.jp-Launcher').waitFor();
    });
  }
};
