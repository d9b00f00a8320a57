/**
 * Timing a user's own notebook in a real JupyterLab, a real kernel with torch,
 * in Chromium (issue 16): tag the timed range from the cell toolbar, run from
 * the panel, read the breakdown and the recommendation, and set the device
 * with the panel's button.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

const PANEL = '#jp-DeviceBench-panel';

// See benchmark.spec.ts: kernel restarts need the real kernels API.
test.use({ kernels: null });

const code = (source: string, tags: string[] = []) => ({
  cell_type: 'code',
  source,
  metadata: tags.length ? { tags } : {},
  outputs: [],
  execution_count: null
});

const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    code('import time\nimport torch'),
    code('device = torch.device("cpu")', ['device-bench-device']),
    code('x = torch.ones(64, 64, device=device)'),
    code('time.sleep(1.0)\ny = x @ x'),
    code('total = float(y.sum())'),
    code('raise RuntimeError("after the stop tag: must not run")')
  ]
};

function cellSource(page: IJupyterLabPageFixture, index: number) {
  return page.evaluate(
    i =>
      (
        window.jupyterapp.shell.currentWidget as any
      ).content.model.sharedModel.cells[i].getSource() as string,
    index
  );
}

function cellTags(page: IJupyterLabPageFixture): Promise<string[][]> {
  return page.evaluate(() =>
    (
      window.jupyterapp.shell.currentWidget as any
    ).content.model.sharedModel.cells.map(
      (c: any) => (c.getMetadata('tags') as string[] | undefined) ?? []
    )
  );
}

/**
 * Make cell `index` active and press its toolbar button for `command`.
 */
async function pressCellToolbar(
  page: IJupyterLabPageFixture,
  index: number,
  command: string
): Promise<void> {
  const cell = page.locator('.jp-Notebook .jp-Cell').nth(index);
  await cell.locator('.jp-InputPrompt').click();
  await cell.locator(`.jp-cell-toolbar [data-command="${command}"]`).click();
}

test('tag a range from the cell toolbar, time it, use the recommended device', async ({
  page,
  tmpPath
}) => {
  const file = `${tmpPath}/timing.ipynb`;
  await page.evaluate(
    ([p, content]) =>
      window.jupyterapp.serviceManager.contents.save(p as string, {
        type: 'notebook',
        format: 'json',
        content
      }),
    [file, NOTEBOOK] as const
  );
  await page.evaluate(
    p =>
      window.jupyterapp.commands.execute('docmanager:open', {
        path: p,
        kernel: { name: 'device-bench-venv' }
      }),
    file
  );
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('device-bench:open-panel')
  );

  await pressCellToolbar(page, 2, 'device-bench:tag-start');
  await pressCellToolbar(page, 4, 'device-bench:tag-stop');
  // Tagging another cell moves the tag: at most one of each.
  await pressCellToolbar(page, 3, 'device-bench:tag-stop');
  await pressCellToolbar(page, 4, 'device-bench:tag-stop');
  const tags = await cellTags(page);
  expect(tags.map(t => t.includes('device-bench-start'))).toEqual([
    false,
    false,
    true,
    false,
    false,
    false
  ]);
  expect(tags.map(t => t.includes('device-bench-stop'))).toEqual([
    false,
    false,
    false,
    false,
    true,
    false
  ]);

  // The Benchmark section offers the run once the kernel reported its devices.
  const run = page.locator(`${PANEL} .jp-DeviceBench-run`);
  await expect(run).toBeEnabled({ timeout: 90_000 });
  await run.click();
  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-progress li[data-state="ok"]`)
  ).toBeVisible({ timeout: 120_000 });

  const row = page.locator(
    `${PANEL} .jp-DeviceBench-breakdown tr[data-device="cpu"]`
  );
  await expect(row).toBeVisible();
  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-breakdown thead th`)
  ).toHaveText([
    'Device',
    'Total (s)',
    'Spread (s)',
    'cell 3',
    'cell 4',
    'cell 5'
  ]);
  const slow = Number(await row.locator('td').nth(3).innerText());
  expect(slow).toBeGreaterThanOrEqual(1.0);
  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-recommendation`)
  ).toContainText(
    /Only cpu ran: .* for this notebook; cell 4 is \d+% of the time\./
  );
  // The cell after the stop tag did not run.
  expect(
    await page.evaluate(
      () =>
        (window.jupyterapp.shell.currentWidget as any).content.model.cells.get(
          5
        ).executionCount
    )
  ).toBeNull();

  // The device cell, edited by hand, is set back by the panel's button.
  await page.evaluate(() =>
    (
      window.jupyterapp.shell.currentWidget as any
    ).content.model.sharedModel.cells[1].setSource('device = "somewhere"')
  );
  await page
    .locator(`${PANEL} .jp-DeviceBench-useDevice`, { hasText: 'Use cpu' })
    .click();
  await expect
    .poll(() => cellSource(page, 1))
    .toContain('device = torch.device("cpu")');
  expect(await cellSource(page, 1)).toMatch(
    /^# Device chosen with jupyterlab-device-bench: .*cpu/
  );
});
