/**
 * The extension in a real Jupyter Notebook 7 (`jupyter notebook`), a real
 * kernel with torch and real MNIST digits, in Chromium: the device panel in
 * the notebook view's left sidebar, the picker, the benchmark opened from
 * File › New (Notebook has no launcher), a quick one-click run and a report.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';
import { SMALL_RUN as SMALL } from '../../src/__tests__/smallRun';

const PANEL = '#jp-DeviceBench-panel';
const TAG = 'device-bench-device';

test.use({
  autoGoto: false,
  // Galata's kernel-tracking mock answers every POST under /api/kernels with
  // 201, which breaks kernel restarts (the driver restarts per device).
  kernels: null,
  // Notebook 7 has no splash screen and no launcher: the app is ready once
  // its main panel is there and window.jupyterapp has started.
  // Playwright reads fixture dependencies from the pattern: none here.
  // eslint-disable-next-line no-empty-pattern
  waitForApplication: async ({}, use) => {
    await use(async (page: Page) => {
      await page.locator('#main-panel').waitFor();
      await page.waitForFunction(() => !!(window as any).jupyterapp?.started);
      await page.evaluate(() => (window as any).jupyterapp.started);
    });
  }
});

/** Run a command in the page's app. */
function command(page: Page, id: string, args: Record<string, unknown> = {}) {
  return page.evaluate(
    ([id, args]) =>
      (window as any).jupyterapp.commands.execute(id, args) as Promise<any>,
    [id, args] as const
  );
}

/** Open the device panel (the left area is closed by default in Notebook 7). */
async function openPanel(page: Page): Promise<void> {
  await command(page, 'device-bench:open-panel');
  await expect(page.locator(PANEL)).toBeVisible();
}

test('Notebook 7: panel, picker, benchmark from File › New, run and export', async ({
  page,
  tmpPath
}) => {
  // Errors from this extension's code (Notebook 7.6 itself throws one
  // unrelated settings error on every page, with or without the extension).
  const problems: string[] = [];
  const watch = (p: Page) => {
    p.on('pageerror', error => {
      if (/device.?bench/i.test(`${error.message}\n${error.stack}`)) {
        problems.push(String(error));
      }
    });
    p.on('console', msg => {
      if (msg.type() === 'error' && /device.?bench/i.test(msg.text())) {
        problems.push(msg.text());
      }
    });
  };
  watch(page);

  // A notebook of the user's own, in Notebook's notebook view.
  const mine = `${tmpPath}/mine.ipynb`;
  await page.contents.uploadContent(
    JSON.stringify({
      cells: [
        {
          cell_type: 'code',
          execution_count: null,
          metadata: {},
          outputs: [],
          source: 'x = 1'
        }
      ],
      metadata: {
        kernelspec: {
          name: 'device-bench-venv',
          display_name: 'Python 3 (device-bench .venv)',
          language: 'python'
        }
      },
      nbformat: 4,
      nbformat_minor: 5
    }),
    'text',
    mine
  );
  await page.goto(`notebooks/${mine}`);
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();

  // The panel opens in the left sidebar from the View menu (Notebook keeps
  // the left area closed by default) and shows the kernel's devices.
  await expect(page.locator(PANEL)).toBeHidden();
  await page.menu.clickMenuItem('View>Show PyTorch Devices');
  await expect(page.locator(PANEL)).toBeVisible();
  const use = page.locator(`${PANEL} [data-device="cpu"] button`).first();
  await expect(use).toBeVisible({ timeout: 60_000 });
  await expect(page.locator(`${PANEL} [data-device="cpu"]`)).toContainText(
    'available'
  );

  // The picker writes one tagged device cell, first in the notebook.
  await use.click();
  const cells = await page.evaluate(() => {
    const widget = (window as any).jupyterapp.shell.currentWidget;
    return widget.content.model.sharedModel.cells.map((c: any) => ({
      source: c.getSource() as string,
      tags: (c.getMetadata('tags') ?? []) as string[]
    }));
  });
  expect(cells).toHaveLength(2);
  expect(cells[0].tags).toContain(TAG);
  expect(cells[0].source).toContain('device = torch.device("cpu")');
  expect(cells[1].source).toBe('x = 1');

  // No launcher in Notebook: File › New › MNIST Device Benchmark opens the
  // copy in a new browser tab, as Notebook opens every notebook.
  const [bench] = await Promise.all([
    page.context().waitForEvent('page'),
    page.menu.clickMenuItem('File>New>MNIST Device Benchmark')
  ]);
  watch(bench);
  await bench.waitForURL(/\/notebooks\/.*mnist_bench(-\d+)?\.ipynb/);
  await bench.locator('#main-panel').waitFor();
  await bench.waitForFunction(() => !!(window as any).jupyterapp?.started);
  await expect(bench.locator('.jp-NotebookPanel')).toBeVisible();
  const file: string = await bench.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.context.path
  );
  expect(file).toBe(`${tmpPath}/mnist_bench.ipynb`);

  await openPanel(bench);
  await expect(bench.locator(`${PANEL} .jp-DeviceBench-run`)).toBeEnabled({
    timeout: 60_000
  });

  // A quick one-click run on cpu, recorded in the notebook and shown.
  const outcome = await command(bench, 'device-bench:run-benchmark', {
    devices: ['cpu'],
    profile: 'quick',
    params: SMALL
  });
  expect(outcome.ok).toBe(true);
  expect(outcome.records.map((r: any) => r.status)).toEqual(['ok']);
  await expect(
    bench.locator(`${PANEL} tr[data-status="ok"]`).first()
  ).toBeVisible();
  const saved = await bench.evaluate(async p => {
    const model = await (window as any).jupyterapp.serviceManager.contents.get(
      p,
      { content: true }
    );
    return model.content.metadata.device_bench?.runs ?? [];
  }, file);
  expect(saved).toHaveLength(1);
  expect(saved[0]).toMatchObject({ status: 'ok', device: 'cpu' });

  // The report export writes a CSV beside the notebook.
  const report = await command(bench, 'device-bench:export-report', {
    format: 'csv'
  });
  expect(report.ok).toBe(true);
  expect(report.path).toMatch(/\.csv$/);
  const csv = await bench.evaluate(async p => {
    const contents = (window as any).jupyterapp.serviceManager.contents;
    const model = await contents.get(p, { content: true, format: 'text' });
    return model.type === 'file' ? String(model.content) : null;
  }, report.path as string);
  expect(csv).not.toBeNull();
  expect(csv!.split('\n')[0]).toContain('device');
  expect(csv).toContain('cpu');

  expect(problems).toEqual([]);
  // The benchmark tab's kernel is not tracked by Galata's fixtures.
  await bench.evaluate(() =>
    (window as any).jupyterapp.serviceManager.sessions.shutdownAll()
  );
  await bench.close();
});

test('Notebook 7 file browser: File › New › MNIST Device Benchmark copies into the folder shown', async ({
  page,
  tmpPath
}) => {
  await page.goto(`tree/${tmpPath}`);
  await expect(page.locator('.jp-DirListing')).toBeVisible();
  const [bench] = await Promise.all([
    page.context().waitForEvent('page'),
    page.menu.clickMenuItem('File>New>MNIST Device Benchmark')
  ]);
  await bench.waitForURL(/\/notebooks\/.*mnist_bench\.ipynb/);
  await bench.locator('#main-panel').waitFor();
  await bench.waitForFunction(() => !!(window as any).jupyterapp?.started);
  await expect(bench.locator('.jp-NotebookPanel')).toBeVisible();
  const file: string = await bench.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.context.path
  );
  expect(file).toBe(`${tmpPath}/mnist_bench.ipynb`);
  await bench.evaluate(() =>
    (window as any).jupyterapp.serviceManager.sessions.shutdownAll()
  );
  await bench.close();
});
