/**
 * Faults only a browser has: the page reloaded, or its tab closed, while a
 * one-click benchmark runs (real JupyterLab, real kernel with torch, real
 * MNIST digits, Chromium).
 *
 * Every record of a device that ended must be on disk; the device that was
 * running when the page went must show as interrupted after reopening,
 * never a silent gap; a kernel still busy with it must be said, with a way
 * to stop it.
 *
 * `make test` tries each fault twice (the second time on a notebook that
 * already holds the first one's records). The fault suite
 * (`make test-faults`) sets DEVICE_BENCH_FAULT_TRIES=5 and adds a row for
 * each fault to its table (records lost, invalid metadata, uncaught errors
 * in the page).
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';
import { SMALL_RUN as SMALL } from '../../src/__tests__/smallRun';
import { readDeviceBench } from '../../src/records/validate';
// The fault suite's table, which its jest specs write too.
import {
  addRow,
  cost,
  NOTHING_LOST,
  type IFaultRow
} from '../../src/__faults__/setup';

const PANEL = '#jp-DeviceBench-panel';
const FAULT_SUITE = process.env.DEVICE_BENCH_FAULT_TRIES !== undefined;
const TRIES = FAULT_SUITE ? Number(process.env.DEVICE_BENCH_FAULT_TRIES) : 2;
if (!Number.isInteger(TRIES) || TRIES < 1) {
  throw new Error(
    `DEVICE_BENCH_FAULT_TRIES must be a whole number of at least 1, not ${JSON.stringify(process.env.DEVICE_BENCH_FAULT_TRIES)}`
  );
}

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

async function savedMetadata(page: Page, file: string): Promise<any> {
  return page.evaluate(async p => {
    const model = await window.jupyterapp.serviceManager.contents.get(p, {
      content: true
    });
    return (model.content as any).metadata;
  }, file);
}

async function savedRuns(page: Page, file: string): Promise<any[]> {
  return (await savedMetadata(page, file)).device_bench?.runs ?? [];
}

/**
 * What a fault cost, counted over every try: records of devices that ended
 * (in an earlier try, or before the fault in this one) missing from disk,
 * times the saved metadata was invalid, errors uncaught in the page.
 */
class FaultCount {
  tries = 0;
  lost = 0;
  invalid = 0;
  uncaught = 0;
  private _ended = new Set<string>();

  /** Count the page's uncaught errors. */
  watch(page: Page): void {
    page.on('pageerror', error => {
      this.uncaught++;
      console.log(`uncaught in the page: ${error}`);
    });
  }

  /**
   * After a try: check the file on disk. Every record that ended in an
   * earlier try must still be there, and this try must have added `added`
   * records that are not `running`.
   */
  async check(page: Page, file: string, added: number): Promise<void> {
    const read = readDeviceBench(await savedMetadata(page, file));
    if (read.problems.length || read.invalid.length) {
      this.invalid++;
    }
    const onDisk = new Set<string>(read.runs.map(r => r.id));
    for (const id of this._ended) {
      if (!onDisk.has(id)) {
        // Counted once: it is no longer expected.
        this.lost++;
        this._ended.delete(id);
      }
    }
    const fresh = read.runs.filter(
      r => r.status !== 'running' && !this._ended.has(r.id)
    );
    this.lost += Math.max(0, added - fresh.length);
    fresh.forEach(r => this._ended.add(r.id));
    this.tries++;
  }

  /**
   * In the fault suite, a row of its table, with the tries that got as far
   * as their check (also when a try failed on the way).
   */
  addRow(fault: string, notes: string): void {
    if (FAULT_SUITE) {
      if (this.tries < TRIES) {
        notes += `; FAILED in try ${this.tries + 1} of ${TRIES}`;
      }
      const row: IFaultRow = {
        fault,
        tries: this.tries,
        lost: this.lost,
        invalid: this.invalid,
        uncaught: this.uncaught,
        notes
      };
      addRow(row);
    }
  }

  /** Nothing lost, nothing invalid, no uncaught error in the page. */
  expectNothingLost(): void {
    expect(cost(this)).toEqual(NOTHING_LOST);
  }
}

/**
 * The last "progress:" line logged, so that a line is logged only when what
 * it says changes (polls come every 100 ms).
 */
let lastProgress = '';

/**
 * How many devices of the panel's progress list train now (and, for the
 * log of a failed try, what the list says when that changes).
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
    const line = `progress: ${JSON.stringify(texts)} ${JSON.stringify(state)}`;
    if (line !== lastProgress) {
      console.log(line);
      lastProgress = line;
    }
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
  // Each try's log starts with the list as it is.
  lastProgress = '';
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
 * resolves with the runs on disk once no `running` record is left (and
 * counts in `stopped` the kernels it had to stop).
 */
async function afterReopen(
  page: Page,
  file: string,
  stopped = { count: 0 }
): Promise<any[]> {
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
    stopped.count++;
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
  test.setTimeout(TRIES * 120_000 + 60_000);
  page.on('dialog', dialog => void dialog.accept()); // "Leave site?"
  const count = new FaultCount();
  count.watch(page);
  const stopped = { count: 0 };
  const file = await openBenchmark(page);
  try {
    for (let i = 0; i < TRIES; i++) {
      console.log(`reload, try ${i + 1}`);
      await startRun(page, ['cpu'], LONG, 0);
      await (page as IJupyterLabPageFixture).reload({ waitForIsReady: false });
      await reopen(page, file);
      const runs = await afterReopen(page, file, stopped);
      // Counted first, so that the table shows what a failing try lost.
      // This try adds its interrupted record (on reopening).
      await count.check(page, file, 1);
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
  } finally {
    count.addRow(
      'the page reloaded mid-run (training; Galata, Chromium)',
      `${count.tries} interrupted records after reopening; ` +
        `the kernel still busy and stopped by the user ${stopped.count} times`
    );
  }
  count.expectNothingLost();
});

test('a tab closed mid-run leaves the finished records and an interrupted one', async ({
  page
}) => {
  test.setTimeout(TRIES * 150_000 + 60_000);
  const count = new FaultCount();
  count.watch(page);
  const file = await openBenchmark(page);
  const stopped = { count: 0 };
  let current: Page = page;
  try {
    for (let i = 0; i < TRIES; i++) {
      console.log(`tab close, try ${i + 1}`);
      // Two devices: the first ends and is saved, the tab closes in the second.
      await startRun(current, ['cpu', 'cpu'], THREE_EPOCHS, 1);
      const next = await current.context().newPage();
      await current.close({ runBeforeUnload: false });
      current = next;
      count.watch(current);
      await current.goto('/lab');
      await current.waitForFunction(
        () => typeof (window as any).jupyterapp === 'object'
      );
      await current.evaluate(() => window.jupyterapp.started);
      await reopen(current, file);
      await current.evaluate(() =>
        window.jupyterapp.commands.execute('device-bench:open-panel')
      );
      const runs = await afterReopen(current, file, stopped);
      // Counted first: the first device's ok record (saved before the tab
      // closed) and the second one's interrupted record.
      await count.check(current, file, 2);
      expect(runs.map(r => r.status)).toEqual(
        Array(i + 1)
          .fill(['ok', 'interrupted'])
          .flat()
      );
    }
  } finally {
    count.addRow(
      'the tab closed mid-run (second of two devices training; Galata, Chromium)',
      `${count.tries} ok + ${count.tries} interrupted records after reopening; ` +
        `the kernel still busy and stopped by the user ${stopped.count} times`
    );
  }
  await current.close();
  count.expectNothingLost();
});
