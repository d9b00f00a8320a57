/**
 * Faults only a browser has: the page reloaded, or its tab closed, while a
 * one-click benchmark runs (real JupyterLab, real kernel with torch, real
 * MNIST digits, Chromium). Five times each.
 *
 * Every record of a device that ended must be on disk; the device that was
 * running when the page went must show as interrupted after reopening,
 * never a silent gap; a kernel still busy with it must be said, with a way
 * to stop it.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';
import { SMALL_RUN as SMALL } from '../../src/__tests__/smallRun';

const PANEL = '#jp-DeviceBench-panel';
const TRIES = 5;

// Restarts need the real kernels API (see benchmark.spec.ts).
test.use({ kernels: null });

/** A run long enough to be interrupted in its training. */
const LONG = { ...SMALL, epochs: 20, repeat_to: 20000 };
// Long enough that the second device is seen training (a fresh clone on an
// idle machine once finished SMALL's single epoch between two polls).
const THREE_EPOCHS = { ...SMALL, epochs: 3 };

async function openBenchmark(page: Page): Promise<string> {
  const path = await page.evaluate(
    () =>
      window.jupyterapp.commands.execute(
        'device-bench:open-benchmark'
      ) as Promise<string>
  );
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('device-bench:open-panel')
  );
  await expect(page.locator(`${PANEL} .jp-DeviceBench-run`)).toBeEnabled({
    timeout: 120_000
  });
  return path;
}

async function reopen(page: Page, path: string): Promise<void> {
  // After the layout of the page is restored (it could otherwise cover what
  // was opened before), and again until the notebook shows.
  await page.evaluate(() => window.jupyterapp.restored);
  await expect(async () => {
    await page.evaluate(
      p => window.jupyterapp.commands.execute('docmanager:open', { path: p }),
      path
    );
    await expect(page.locator('.jp-NotebookPanel')).toBeVisible({
      timeout: 10_000
    });
  }).toPass({ timeout: 60_000 });
}

async function savedRuns(page: Page, file: string): Promise<any[]> {
  return page.evaluate(async p => {
    const model = await window.jupyterapp.serviceManager.contents.get(p, {
      content: true
    });
    return (model.content as any).metadata.device_bench?.runs ?? [];
  }, file);
}

/**
 * How many devices of the panel's progress list train now (and, for the
 * log of a failed try, what the list says).
 */
async function running(page: Page): Promise<number> {
  const rows = page.locator(`${PANEL} .jp-DeviceBench-progress li`);
  const texts = await rows.allTextContents();
  const count = await rows
    .filter({ hasText: 'epoch' })
    .and(page.locator('[data-state="running"]'))
    .count();
  if (!count) {
    const state = await page.evaluate(() => {
      const widget = window.jupyterapp.shell.currentWidget as any;
      const session = widget?.sessionContext;
      return {
        current: widget?.id,
        path: widget?.context?.path,
        kernel: session?.session?.kernel?.id?.slice(0, 8),
        status: session?.session?.kernel?.status,
        connection: session?.session?.kernel?.connectionStatus,
        display: session?.kernelDisplayStatus,
        panel: document
          .querySelector('#jp-DeviceBench-panel')
          ?.textContent?.slice(0, 200)
      };
    });
    console.log(`progress: ${JSON.stringify(texts)} ${JSON.stringify(state)}`);
  }
  return count;
}

/** Start a run and resolve once its device `index` trains. */
async function startRun(
  page: Page,
  devices: string[],
  params: Record<string, unknown>,
  index: number
): Promise<void> {
  let ended: unknown = null;
  void page
    .evaluate(
      ([d, p]) =>
        window.jupyterapp.commands.execute('device-bench:run-benchmark', {
          devices: d,
          profile: 'quick',
          params: p
        }),
      [devices, params] as const
    )
    .then(
      outcome => (ended = outcome ?? 'no outcome'),
      () => undefined // The page goes away mid-run.
    );
  await expect
    .poll(
      async () =>
        ended
          ? `the run ended before it trained: ${JSON.stringify(ended).slice(0, 300)}`
          : await running(page),
      // Polled often: on an idle machine a short device trains for
      // about a second, and Playwright's default intervals grow to 1 s.
      { timeout: 120_000, intervals: [100] }
    )
    .toBe(1);
  const states = page.locator(`${PANEL} .jp-DeviceBench-progress li`);
  await expect(states.nth(index)).toHaveAttribute('data-state', 'running');
}

/**
 * After reopening: the notice, the kernel stopped when it was still busy;
 * resolves with the runs on disk once no `running` record is left.
 */
async function afterReopen(page: Page, file: string): Promise<any[]> {
  const busy = page.getByText(/did not end in this page/);
  const interrupted = page.getByText(/was interrupted/);
  await expect(busy.or(interrupted).first()).toBeVisible({ timeout: 60_000 });
  if (await busy.isVisible()) {
    // The kernel still works on the device that was running: stop it.
    const before = await page.evaluate(
      () =>
        (window.jupyterapp.shell.currentWidget as any).sessionContext.session
          .kernel.id
    );
    await page.getByRole('button', { name: 'Stop the kernel' }).click();
    await expect(interrupted.first()).toBeVisible({ timeout: 60_000 });
    const kernels = await page.evaluate(
      async () => (
        await window.jupyterapp.serviceManager.kernels.refreshRunning(),
        [...window.jupyterapp.serviceManager.kernels.running()].map(k => k.id)
      )
    );
    // The busy kernel is gone, not left running unseen.
    expect(kernels).not.toContain(before);
  }
  let runs: any[] = [];
  await expect
    .poll(
      async () => {
        runs = await savedRuns(page, file);
        return runs.filter(r => r.status === 'running').length;
      },
      { timeout: 30_000 }
    )
    .toBe(0);
  return runs;
}

test('a page reloaded mid-run leaves the finished records and an interrupted one', async ({
  page
}) => {
  test.setTimeout(TRIES * 120_000);
  page.on('dialog', dialog => void dialog.accept()); // "Leave site?"
  const file = await openBenchmark(page);
  for (let i = 0; i < TRIES; i++) {
    console.log(`reload, try ${i + 1}`);
    await startRun(page, ['cpu'], LONG, 0);
    await (page as IJupyterLabPageFixture).reload({ waitForIsReady: false });
    await reopen(page, file);
    const runs = await afterReopen(page, file);
    // Every earlier try's record is still there; this one is interrupted.
    expect(runs.map(r => r.status)).toEqual(Array(i + 1).fill('interrupted'));
    expect(runs[i].device).toBe('cpu');
    expect(String(runs[i].error)).toMatch(/interrupted/);
    await expect(
      page.locator(
        `${PANEL} .jp-DeviceBench-runs tbody tr[data-status="interrupted"]`
      )
    ).toHaveCount(i + 1);
  }
});

test('a tab closed mid-run leaves the finished records and an interrupted one', async ({
  page
}) => {
  test.setTimeout(TRIES * 150_000);
  const file = await openBenchmark(page);
  let current: Page = page;
  for (let i = 0; i < TRIES; i++) {
    console.log(`tab close, try ${i + 1}`);
    // Two devices: the first ends and is saved, the tab closes in the second.
    await startRun(current, ['cpu', 'cpu'], THREE_EPOCHS, 1);
    const next = await current.context().newPage();
    await current.close({ runBeforeUnload: false });
    current = next;
    await current.goto('/lab');
    await current.waitForFunction(
      () => typeof (window as any).jupyterapp === 'object'
    );
    await current.evaluate(() => window.jupyterapp.started);
    await reopen(current, file);
    await current.evaluate(() =>
      window.jupyterapp.commands.execute('device-bench:open-panel')
    );
    const runs = await afterReopen(current, file);
    expect(runs.map(r => r.status)).toEqual(
      Array(i + 1)
        .fill(['ok', 'interrupted'])
        .flat()
    );
  }
  await current.close();
});
