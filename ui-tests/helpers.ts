/**
 * Helpers the Galata specs and the screenshot script share.
 */
import {
  expect,
  galata,
  type IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import { execFileSync } from 'node:child_process';

export const PANEL = '#jp-DeviceBench-panel';

/**
 * Open the device panel through its command; resolves once it shows.
 */
export async function openPanel(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('device-bench:open-panel')
  );
  await expect(page.locator(PANEL)).toBeVisible();
}

/**
 * The text of Python `expression` in the current notebook's kernel, asked
 * silently (an empty silent request: it neither moves the execution counter
 * nor enters the history).
 */
export function kernelExpression(
  page: IJupyterLabPageFixture,
  expression: string
): Promise<string | undefined> {
  return page.evaluate(async expression => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    const reply = await widget.sessionContext.session.kernel.requestExecute({
      code: '',
      silent: true,
      store_history: false,
      user_expressions: { value: expression }
    }).done;
    return reply.content.user_expressions.value.data?.['text/plain'];
  }, expression);
}

let venv: { executable: string; torchVersion: string } | null = null;

/**
 * The venv's Python as a kernel of it reports it, asked directly (`make
 * test` puts .venv/bin first on PATH): its executable and torch's version.
 * Asked once per process, when a spec first needs it.
 */
export function venvPython(): { executable: string; torchVersion: string } {
  if (!venv) {
    const [executable, torchVersion] = execFileSync(
      'python',
      [
        '-c',
        'import sys, torch; print(sys.executable); print(torch.__version__)'
      ],
      { encoding: 'utf8' }
    )
      .trim()
      .split('\n');
    venv = { executable, torchVersion };
  }
  return venv;
}

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
