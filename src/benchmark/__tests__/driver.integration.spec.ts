/**
 * The one-click driver against a real server, a real ipykernel with torch and
 * the bundled notebook on real MNIST digits (quick profile, small sizes).
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { PartialJSONObject } from '@lumino/coreutils';
import { execFileSync } from 'node:child_process';
import {
  closeNotebook as close,
  expectMnistBreakdown,
  openNotebook as open,
  savedRuns as saved,
  taggedIndex
} from '../../__tests__/notebook';
import { useServer, waitFor } from '../../__tests__/server';
import { SMALL_RUN as SMALL } from '../../__tests__/smallRun';
import { METADATA_KEY } from '../../common/contract';
import {
  BenchmarkBusyError,
  BenchmarkDriver,
  type IDriverEvent,
  RecordNotSavedError
} from '../driver';

describe('benchmark driver against a real kernel', () => {
  const jupyter = useServer();

  const openNotebook = (name: string) => open(jupyter.manager, name);
  const savedRuns = (name: string) => saved(jupyter.manager, name);

  /**
   * Run the quick profile on the CPU twice (3 small epochs each) with a
   * driver of its own, calling `act` once, on the first device's first
   * progress.
   */
  async function runTwiceActingMidRun(
    panel: NotebookPanel,
    act: () => unknown
  ): Promise<{ records: PartialJSONObject[]; acted: boolean }> {
    const driver = new BenchmarkDriver();
    let acted = false;
    driver.changed.connect((_, event) => {
      if (
        !acted &&
        event.index === 0 &&
        event.phase === 'running' &&
        event.progress
      ) {
        acted = true;
        void act();
      }
    });
    try {
      const records = await driver.run(panel, {
        devices: ['cpu', 'cpu'],
        profile: 'quick',
        params: { ...SMALL, epochs: 3, repeat_to: 8192 },
        machineLabel: 'm'
      });
      return { records, acted };
    } finally {
      driver.dispose();
    }
  }

  it('runs each device, records and saves a run as soon as it ends', async () => {
    const panel = await openNotebook('driver-twice.ipynb');
    const driver = new BenchmarkDriver();
    const events: IDriverEvent[] = [];
    driver.changed.connect((_, event) => events.push(event));
    try {
      // The same device twice covers the multi-device loop without faking CUDA.
      const run = driver.run(panel, {
        devices: ['cpu', 'cpu'],
        profile: 'quick',
        params: SMALL,
        machineLabel: 'test machine'
      });
      await expect(
        driver.run(panel, {
          devices: ['cpu'],
          profile: 'quick',
          machineLabel: 'x'
        })
      ).rejects.toBeInstanceOf(BenchmarkBusyError);
      const records = await run;

      expect(records.map(r => r.status)).toEqual(['ok', 'ok']);
      expect(records[0].id).not.toBe(records[1].id);
      for (const record of records) {
        expect(record).toMatchObject({
          source: 'jupyterlab',
          device: 'cpu',
          profile: 'quick',
          machine_label: 'test machine',
          error: null
        });
        expect(record.train_seconds).toBeGreaterThan(0);
        expect(record.accuracy).toBeGreaterThan(0.1);
        expect((record.data as PartialJSONObject).source).toBe(
          'mnist-test-split'
        );
        // Privacy: the data folder's path is recorded by its base name only.
        expect((record.params as PartialJSONObject).data_dir).toBe('mnist');
        // The per-cell breakdown and peak memory, as for a timed notebook.
        expectMnistBreakdown(panel, record);
      }
      // Saved to disk after each device.
      const saved = await savedRuns('driver-twice.ipynb');
      expect(saved.map(r => r.id)).toEqual(records.map(r => r.id));
      expect(saved.map(r => r.cells)).toEqual(records.map(r => r.cells));
      const recordedAt = events
        .filter(e => e.phase === 'recorded')
        .map(e => e.index);
      expect(recordedAt).toEqual([0, 1]);
      expect(
        events.some(
          e => e.phase === 'running' && e.progress?.step !== undefined
        )
      ).toBe(true);
      // One device cell, one injected-parameters cell: found by tag, not added twice.
      const tags = panel.content.model!.sharedModel.cells.map(c =>
        ((c.getMetadata('tags') as string[]) ?? []).join(',')
      );
      expect(tags.filter(t => t.includes('device-bench-device'))).toHaveLength(
        1
      );
      expect(tags.filter(t => t.includes('injected-parameters'))).toHaveLength(
        1
      );
    } finally {
      driver.dispose();
      await close(panel);
    }
  }, 300_000);

  it('keeps earlier records when the kernel is killed, and the next device works', async () => {
    const name = 'driver-kill.ipynb';
    const panel = await openNotebook(name);
    const driver = new BenchmarkDriver();
    try {
      const first = await driver.run(panel, {
        devices: ['cpu'],
        profile: 'quick',
        params: SMALL,
        machineLabel: 'm'
      });
      expect(first[0].status).toBe('ok');

      const { records, acted } = await runTwiceActingMidRun(panel, () =>
        // SIGKILL the kernel process, as the OOM killer would (each device
        // has a kernel of its own: the one running now).
        execFileSync('pkill', [
          '-KILL',
          '-f',
          `kernel-${panel.sessionContext.session!.kernel!.id}`
        ])
      );
      expect(acted).toBe(true);
      expect(records.map(r => r.status)).toEqual(['failed', 'ok']);
      expect(String(records[0].error)).toMatch(/kernel died/);
      const saved = await savedRuns(name);
      expect(saved.map(r => r.status)).toEqual(['ok', 'failed', 'ok']);
      expect(saved[0].id).toBe(first[0].id);
    } finally {
      driver.dispose();
      await close(panel);
    }
  }, 300_000);

  it('records a device whose kernel someone restarts mid-run as failed, and the next device runs', async () => {
    const panel = await openNotebook('driver-restart.ipynb');
    try {
      const { records, acted } = await runTwiceActingMidRun(panel, () =>
        panel.sessionContext.restartKernel()
      );
      expect(acted).toBe(true);
      expect(records.map(r => r.status)).toEqual(['failed', 'ok']);
      expect(String(records[0].error)).toMatch(/restarted during the run/);
    } finally {
      await close(panel);
    }
  }, 300_000);

  it('records a device whose notebook raises as failed, with the error, and the next device runs', async () => {
    const name = 'driver-error.ipynb';
    const panel = await openNotebook(name);
    const model = panel.content.model!;
    // Fields the product does not know, in its key and beside it.
    model.setMetadata(METADATA_KEY, {
      schema_version: 1,
      runs: [],
      team_note: 'keep me'
    });
    model.setMetadata('other_tool', { setting: 1 });
    const driver = new BenchmarkDriver();
    try {
      // This torch has no CUDA: the notebook raises on the first device.
      const records = await driver.run(panel, {
        devices: ['cuda:0', 'cpu'],
        profile: 'quick',
        params: SMALL,
        machineLabel: 'm'
      });
      expect(records.map(r => r.status)).toEqual(['failed', 'ok']);
      expect(records[0].device).toBe('cuda:0');
      expect(String(records[0].error)).toMatch(/CUDA/);
      expect(records[0].train_seconds ?? null).toBeNull();
      // The breakdown says where it failed: a cell before the training one,
      // the cells after it not run.
      const cells = records[0].cells as { index: number; status: string }[];
      const failedAt = cells.findIndex(cell => cell.status === 'failed');
      expect(failedAt).toBeGreaterThanOrEqual(0);
      expect(cells[failedAt].index).toBeLessThan(
        taggedIndex(panel, 'device-bench-train')
      );
      expect(
        cells.slice(failedAt + 1).every(cell => cell.status === 'not_run')
      ).toBe(true);
      expectMnistBreakdown(panel, records[1]);

      const file = await jupyter.manager.contents.get(name, {
        type: 'notebook',
        content: true
      });
      const metadata = (file.content as { metadata: Record<string, any> })
        .metadata;
      expect(metadata.other_tool).toEqual({ setting: 1 });
      expect(metadata[METADATA_KEY].team_note).toBe('keep me');
      expect(
        metadata[METADATA_KEY].runs.map((r: PartialJSONObject) => r.status)
      ).toEqual(['failed', 'ok']);
    } finally {
      driver.dispose();
      await close(panel);
    }
  }, 300_000);

  it('stops with the figures in hand when a record cannot be saved', async () => {
    const name = 'driver-unsaved.ipynb';
    const panel = await openNotebook(name);
    const context = panel.context;
    const sessionId = context.sessionContext.session!.id;
    const driver = new BenchmarkDriver({ contents: jupyter.manager.contents });
    let closed = false;
    driver.changed.connect((_, event) => {
      if (!closed && event.phase === 'running' && event.progress) {
        // Closed mid-run, and the file deleted: the cancelled record has
        // nowhere to go.
        closed = true;
        void jupyter.manager.contents.delete(name).then(() => {
          panel.dispose();
          context.dispose();
        });
      }
    });
    try {
      const error = await driver
        .run(panel, {
          devices: ['cpu', 'cpu'],
          profile: 'quick',
          params: { ...SMALL, epochs: 3, repeat_to: 8192 },
          machineLabel: 'm'
        })
        .then(
          () => null,
          (reason: unknown) => reason
        );
      expect(error).toBeInstanceOf(RecordNotSavedError);
      const notSaved = error as RecordNotSavedError;
      // The run stopped there, and says so; the record is in hand.
      expect(notSaved.records).toHaveLength(1);
      expect(notSaved.record.status).toBe('cancelled');
      expect(notSaved.device).toBe('cpu');
      expect(notSaved.inNotebook).toBe(false);
      expect(notSaved.message).toMatch(/could not be saved/);
      expect(driver.isRunning).toBe(false);
    } finally {
      driver.dispose();
      if (!context.isDisposed) {
        context.dispose();
      }
      await jupyter.manager.sessions.shutdown(sessionId);
    }
  }, 300_000);

  it('refuses unknown parameters before changing anything', async () => {
    const panel = await openNotebook('driver-refuse.ipynb');
    const driver = new BenchmarkDriver();
    try {
      const before = JSON.stringify(panel.content.model!.toJSON());
      await expect(
        driver.run(panel, {
          devices: ['cpu'],
          profile: 'quick',
          params: { 'import os; x': 1 } as any,
          machineLabel: 'm'
        })
      ).rejects.toThrow(/not a parameter/);
      await expect(
        driver.run(panel, {
          devices: ['cuda:0"'],
          profile: 'quick',
          machineLabel: 'm'
        })
      ).rejects.toThrow(/refused/);
      expect(JSON.stringify(panel.content.model!.toJSON())).toBe(before);
      expect(driver.isRunning).toBe(false);
      await waitFor(() => !driver.isRunning, 'the driver to be idle');
    } finally {
      driver.dispose();
      await close(panel);
    }
  }, 120_000);
});
