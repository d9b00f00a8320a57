/**
 * The one-click benchmark in a real JupyterLab, a real kernel with torch and
 * real MNIST digits, in Chromium (quick profile, small sizes via params).
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { SMALL_RUN as SMALL } from '../../src/__tests__/smallRun';
import { PANEL, runBenchmark } from '../helpers';

// Galata's kernel-tracking mock answers every POST under /api/kernels with
// 201, which breaks kernel restarts (the driver restarts per device); the
// sessions fixture still tracks and shuts down the kernels.
test.use({ kernels: null });

async function openFromLauncher(page: IJupyterLabPageFixture): Promise<string> {
  await page
    .locator('.jp-LauncherCard[data-category="Other"]', {
      hasText: 'MNIST Device Benchmark'
    })
    .click();
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('device-bench:open-panel')
  );
  // The panel shows the benchmark controls once the probe answered.
  await expect(page.locator(`${PANEL} .jp-DeviceBench-run`)).toBeEnabled();
  return page.evaluate(
    () => (window.jupyterapp.shell.currentWidget as any).context.path
  );
}

async function savedRuns(
  page: IJupyterLabPageFixture,
  file: string
): Promise<any[]> {
  return page.evaluate(async p => {
    const model = await window.jupyterapp.serviceManager.contents.get(p, {
      content: true
    });
    return (model.content as any).metadata.device_bench?.runs ?? [];
  }, file);
}

test('open from the launcher, run, see progress and the recorded table', async ({
  page
}) => {
  const file = await openFromLauncher(page);
  expect(file).toMatch(/mnist_bench(-\d+)?\.ipynb$/);

  const result = runBenchmark(page, SMALL);
  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-progress li[data-device="cpu"]`)
  ).toBeVisible();
  // The panel shows what runs: the command's profile, Run disabled.
  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-profile select`)
  ).toHaveValue('quick');
  await expect(page.locator(`${PANEL} .jp-DeviceBench-run`)).toBeDisabled();
  const outcome = await result;
  expect(outcome.ok).toBe(true);
  expect(outcome.records.map((r: any) => r.status)).toEqual(['ok']);

  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-progress li[data-state="ok"]`)
  ).toBeVisible();
  const rows = page.locator(
    `${PANEL} .jp-DeviceBench-runs tbody tr[data-status="ok"]`
  );
  await expect(rows).toHaveCount(1);
  // Eight steps at the profiles' learning rate cannot train LeNet: the row says
  // the accuracy is too short to judge instead of showing a bare figure.
  await expect(rows.locator('.jp-DeviceBench-accuracyNote')).toHaveText(
    'too short to judge'
  );
  // The run's per-cell breakdown under its seconds: the slowest cell and its
  // share, the peak memory (issue 16 item 4).
  await expect(rows.locator('.jp-DeviceBench-runBreakdown')).toHaveText(
    /^cell \d+ · \d+% peak [\d.]+ MiB$/
  );
  // Inside the sidebar's width too.
  const breakdownBox = (await rows
    .locator('.jp-DeviceBench-runBreakdown')
    .boundingBox())!;
  const sidebarBox = (await page.locator(PANEL).boundingBox())!;
  expect(breakdownBox.x + breakdownBox.width).toBeLessThanOrEqual(
    sidebarBox.x + sidebarBox.width
  );
  // One bar, inside the sidebar's width (no scrolling sideways to see it).
  const bar = page.locator(
    `${PANEL} .jp-DeviceBench-bars-row .jp-DeviceBench-bars-bar`
  );
  await expect(bar).toHaveCount(1);
  await bar.scrollIntoViewIfNeeded();
  const barBox = (await bar.boundingBox())!;
  const panelBox = (await page.locator(PANEL).boundingBox())!;
  expect(barBox.width).toBeGreaterThan(20);
  expect(barBox.x + barBox.width).toBeLessThanOrEqual(
    panelBox.x + panelBox.width
  );
  // Sections in order, each under its accordion title: devices,
  // environment, benchmark, recorded runs.
  const sections = await page
    .locator(`${PANEL} .jp-SidePanel-content > .lm-Widget`)
    .evaluateAll(nodes =>
      nodes.map(n =>
        [
          'jp-DeviceBench-section-devices',
          'jp-DeviceBench-section-environment',
          'jp-DeviceBench-benchmark',
          'jp-DeviceBench-recorded'
        ].find(c => n.classList.contains(c))
      )
    );
  expect(sections).toEqual([
    'jp-DeviceBench-section-devices',
    'jp-DeviceBench-section-environment',
    'jp-DeviceBench-benchmark',
    'jp-DeviceBench-recorded'
  ]);
  await expect(
    page.locator(
      `${PANEL} .jp-AccordionPanel-title .lm-AccordionPanel-titleLabel`
    )
  ).toHaveText(['Devices', 'Environment', 'Benchmark', 'Recorded runs']);
  // The result cell renders as a table.
  await expect(page.locator('.jp-DeviceBench-resultTable')).toBeVisible();
  await expect(page.locator('.jp-DeviceBench-resultTable')).toContainText(
    'too short to judge accuracy'
  );

  const saved = await savedRuns(page, file);
  expect(saved).toHaveLength(1);
  expect(saved[0]).toMatchObject({
    status: 'ok',
    device: 'cpu',
    profile: 'quick'
  });
  expect(saved[0].id).toBe(outcome.records[0].id);
  expect(saved[0].accuracy_note).toMatch(/^too short to judge accuracy: /);

  // A second run while one is running is refused.
  const first = runBenchmark(page, SMALL);
  const second = await runBenchmark(page, SMALL);
  expect(second).toMatchObject({ ok: false });
  expect(String(second.error)).toMatch(/already running/);
  expect((await first).ok).toBe(true);

  // Runs recorded earlier show when the notebook opens again.
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('application:close-all')
  );
  await expect(page.locator(`${PANEL} .jp-DeviceBench-runs`)).toHaveCount(0);
  await page.evaluate(
    p => window.jupyterapp.commands.execute('docmanager:open', { path: p }),
    file
  );
  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-runs tbody tr[data-status="ok"]`)
  ).toHaveCount(2, { timeout: 60_000 });
});

test('cancel mid-run records a cancelled run and the panel is ready again', async ({
  page
}) => {
  const file = await openFromLauncher(page);
  const result = runBenchmark(page, { ...SMALL, epochs: 20, repeat_to: 20000 });
  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-progress li[data-state="running"]`)
  ).toContainText('epoch', { timeout: 120_000 });
  await page.locator(`${PANEL} .jp-DeviceBench-cancel`).click();
  const outcome = await result;
  expect(outcome.ok).toBe(true);
  expect(outcome.records.map((r: any) => r.status)).toEqual(['cancelled']);
  await expect(page.locator(`${PANEL} .jp-DeviceBench-run`)).toBeEnabled();
  await expect(page.locator(`${PANEL} .jp-DeviceBench-cancel`)).toBeDisabled();
  const saved = await savedRuns(page, file);
  expect(saved.map(r => r.status)).toEqual(['cancelled']);
});

test('closing the notebook mid-run records a cancelled run on disk and stops the kernel', async ({
  page
}) => {
  const file = await openFromLauncher(page);
  const result = runBenchmark(page, { ...SMALL, epochs: 20, repeat_to: 20000 });
  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-progress li[data-state="running"]`)
  ).toContainText('epoch', { timeout: 120_000 });
  // The kernel that trains now (each device gets a new one).
  const kernelId = await page.evaluate(
    () =>
      (window.jupyterapp.shell.currentWidget as any).sessionContext.session
        .kernel.id
  );

  // Close the notebook's tab; the run changed it, so JupyterLab asks first.
  await page.evaluate(() => {
    void window.jupyterapp.shell.currentWidget!.close();
  });
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Discard' })
    .click();

  const outcome = await result;
  expect(outcome.ok).toBe(true);
  expect(outcome.records.map((r: any) => r.status)).toEqual(['cancelled']);
  expect(String(outcome.records[0].error)).toMatch(/closed/);
  // Written through the contents API, since the document is gone.
  const saved = await savedRuns(page, file);
  expect(saved.map(r => r.status)).toEqual(['cancelled']);
  expect(saved[0].id).toBe(outcome.records[0].id);

  // The panel is ready again, and the training was interrupted.
  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-openBenchmark`)
  ).toBeVisible();
  await expect(page.locator(`${PANEL} .jp-DeviceBench-progress`)).toHaveCount(
    0
  );
  await expect
    .poll(
      () =>
        page.evaluate(async id => {
          const kernels = window.jupyterapp.serviceManager.kernels;
          await kernels.refreshRunning();
          return [...kernels.running()].find(k => k.id === id)?.execution_state;
        }, kernelId),
      { timeout: 30_000 }
    )
    .toBe('idle');
});
