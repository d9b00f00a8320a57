/**
 * Faults around the one-click driver, on a real server and kernel: a restart
 * that races an unanswered kernel_info request, a cell that hangs and
 * ignores SIGINT, saves that fail, a notebook edited during the run, and 50
 * runs in a row (history cap, JS heap, signal connections).
 */
import { Dialog } from '@jupyterlab/apputils';
import { Context } from '@jupyterlab/docregistry';
import {
  type INotebookModel,
  NotebookModelFactory,
  type NotebookPanel
} from '@jupyterlab/notebook';
import type { KernelMessage } from '@jupyterlab/services';
import type { PartialJSONObject } from '@lumino/coreutils';
import { execFileSync } from 'node:child_process';
import {
  BenchmarkDriver,
  CANCEL_GRACE_MS,
  RecordNotSavedError
} from '../benchmark/driver';
import { findTaggedCell } from '../notebook/deviceCell';
import { readDeviceBench } from '../records/validate';
import { METADATA_KEY } from '../common/contract';
import {
  closeNotebook,
  NOTEBOOK,
  openNotebook,
  savedRuns
} from '../__tests__/notebook';
import { SMALL_RUN } from '../__tests__/smallRun';
import { trackConnections } from './connections';
import {
  countUncaught,
  diskState,
  expectNothingLost,
  useServer
} from './table';

const TINY = { ...SMALL_RUN, train_size: 128, test_size: 64 };

function signalKernel(panel: NotebookPanel, signal: string): void {
  const id = panel.sessionContext.session!.kernel!.id;
  execFileSync('pkill', [`-${signal}`, '-f', `kernel-${id}`]);
}

describe('faults around the benchmark driver', () => {
  const served = useServer({
    serverApp: () => ({
      contents_manager_class:
        'jupyterlab_device_bench.tests.faulty_contents.FaultyContentsManager'
    })
  });

  // JupyterLab shows its dialogs one at a time, in the order they were
  // launched: a dialog a test leaves open keeps every later one (the next
  // test's "File Changed") from ever showing. Each test closes its own.
  afterEach(() => {
    const open: string[] = [];
    Dialog.tracker.forEach(dialog =>
      open.push(String(dialog.node.textContent))
    );
    Dialog.flush();
    expect(open).toEqual([]);
  });

  it('restarts safely while a kernel_info request is unanswered', async () => {
    const name = 'fault-kernel-info.ipynb';
    const panel = await openNotebook(served.manager, name);
    const driver = new BenchmarkDriver();
    const uncaught = countUncaught();
    const requests: Promise<string>[] = [];
    const restartMs: number[] = [];
    let restarting = 0;
    driver.changed.connect((_, event) => {
      if (event.phase === 'restarting' && event.index > 0) {
        // The kernel stops answering (SIGSTOP) and a kernel_info request is
        // on its way, as when JupyterLab reconnects: restarting now would
        // cancel it.
        signalKernel(panel, 'STOP');
        requests.push(
          panel.sessionContext!.session!.kernel!.requestKernelInfo().then(
            () => 'ended',
            (error: Error) => `rejected: ${error.message}`
          )
        );
        restarting = performance.now();
      }
      if (event.phase === 'running' && !event.progress && restarting) {
        restartMs.push(performance.now() - restarting);
        restarting = 0;
      }
    });
    try {
      const records = await driver.run(panel, {
        devices: ['cpu', 'cpu', 'cpu', 'cpu'],
        profile: 'quick',
        params: TINY,
        machineLabel: 'fault suite'
      });
      const outcomes = await Promise.all(requests);
      const errors = uncaught();
      const { lost, invalid } = await diskState(served.manager, name, records);
      expectNothingLost({
        fault: 'restart while a kernel_info request is unanswered',
        tries: requests.length,
        lost,
        invalid,
        uncaught: errors,
        notes: `new kernel ready in ${restartMs.map(ms => (ms / 1000).toFixed(1)).join(', ')} s`
      });
      expect(records.map(r => r.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(outcomes).toEqual(['ended', 'ended', 'ended']);
    } finally {
      uncaught();
      driver.dispose();
      await closeNotebook(panel);
    }
  }, 600_000);

  it('ends a device whose cell hangs and ignores SIGINT within 30 s of Cancel', async () => {
    const name = 'fault-hang.ipynb';
    const content = JSON.parse(JSON.stringify(NOTEBOOK));
    const result = content.cells.findIndex((c: any) =>
      (c.metadata.tags ?? []).includes('device-bench-result')
    );
    content.cells.splice(result, 0, {
      cell_type: 'code',
      metadata: {},
      outputs: [],
      execution_count: null,
      source:
        'import signal\nimport time\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint("SIGINT ignored", flush=True)\nwhile True:\n    time.sleep(0.05)\n'
    });
    const panel = await openNotebook(served.manager, name, content);
    const tries = 2;
    const took: number[] = [];
    const uncaught = countUncaught();
    let lost = 0;
    let invalid = 0;
    try {
      for (let i = 0; i < tries; i++) {
        const driver = new BenchmarkDriver();
        let cancelledAt = 0;
        const onIOPub = (_: unknown, msg: KernelMessage.IIOPubMessage) => {
          // Cancel once the cell says SIGINT is ignored (not a fixed delay
          // after it starts: on a loaded machine the interrupt could land
          // before the handler is set, and test an ordinary cell instead).
          if (
            !cancelledAt &&
            msg.header.msg_type === 'stream' &&
            String((msg.content as { text: string }).text).includes(
              'SIGINT ignored'
            )
          ) {
            cancelledAt = performance.now();
            driver.cancel();
          }
        };
        driver.changed.connect((_, event) => {
          if (event.phase === 'running' && !event.progress) {
            panel.sessionContext.session!.kernel!.iopubMessage.connect(onIOPub);
          }
          if (event.phase === 'recorded') {
            took.push(performance.now() - cancelledAt);
          }
        });
        const records = await driver.run(panel, {
          devices: ['cpu', 'cpu'],
          profile: 'quick',
          params: TINY,
          machineLabel: 'fault suite'
        });
        panel.sessionContext.session?.kernel?.iopubMessage.disconnect(onIOPub);
        driver.dispose();
        const state = await diskState(served.manager, name, records);
        lost += state.lost;
        invalid += state.invalid;
        expect(records.map(r => r.status)).toEqual(['cancelled']);
      }
      const errors = uncaught();
      expectNothingLost({
        fault: 'a cell hangs and ignores SIGINT, then Cancel',
        tries,
        lost,
        invalid,
        uncaught: errors,
        notes: `cancelled record ${took.map(ms => (ms / 1000).toFixed(1)).join(', ')} s after Cancel (interrupt, then restart after ${CANCEL_GRACE_MS / 1000} s)`
      });
      expect(took.every(ms => ms < 30_000)).toBe(true);
    } finally {
      uncaught();
      await closeNotebook(panel);
    }
  }, 600_000);

  it.each([
    ['fault-readonly-run.ipynb', 'the notebook file is read-only (403)'],
    ['fault-raise-run.ipynb', 'the contents manager raises (500)']
  ])(
    'stops with the records in hand when saving fails: %s',
    async (name, fault) => {
      const panel = await openNotebook(served.manager, name);
      const driver = new BenchmarkDriver();
      const shown: PartialJSONObject[] = [];
      driver.changed.connect((_, event) => {
        if (event.phase === 'recorded') {
          shown.push(event.record!);
        }
      });
      const uncaught = countUncaught();
      // JupyterLab's own "File Save Error" dialog, which the user closes.
      const dialogs: string[] = [];
      const onDialog = (_: unknown, dialog: Dialog<unknown>) => {
        dialogs.push(String(dialog.node.textContent));
        void dialog.ready.then(() => dialog.resolve());
      };
      Dialog.tracker.widgetAdded.connect(onDialog);
      try {
        const error = await driver
          .run(panel, {
            devices: ['cpu', 'cpu'],
            profile: 'quick',
            params: TINY,
            machineLabel: 'fault suite'
          })
          .then(
            () => null,
            (reason: unknown) => reason
          );
        const errors = uncaught();
        expect(error).toBeInstanceOf(RecordNotSavedError);
        const notSaved = error as RecordNotSavedError;
        // In hand, shown, and in the open notebook: nothing lost.
        const inModel = (
          panel.content.model!.getMetadata(METADATA_KEY) as {
            runs: PartialJSONObject[];
          }
        ).runs;
        const lost = notSaved.records.filter(
          r => !inModel.some(m => m.id === r.id)
        ).length;
        expectNothingLost({
          fault: `saving fails: ${fault}`,
          tries: 1,
          lost,
          invalid: readDeviceBench(
            panel.content.model!.getMetadata(METADATA_KEY)
          ).invalid.length,
          uncaught: errors,
          notes:
            'run stopped after the first device; record in the open notebook and the panel'
        });
        expect(notSaved.records.map(r => r.status)).toEqual(['ok']);
        expect(shown.map(r => r.id)).toEqual(notSaved.records.map(r => r.id));
        expect(notSaved.inNotebook).toBe(true);
        expect(notSaved.message).toMatch(/could not be saved/);
        expect(notSaved.message).toMatch(/open notebook/);
        expect(notSaved.message).toMatch(/Save Notebook As/);
        // One "File Save Error" per failed save: the device's running
        // marker, then its record (the run stops after that device).
        expect(dialogs).toHaveLength(2);
      } finally {
        uncaught();
        Dialog.tracker.widgetAdded.disconnect(onDialog);
        driver.dispose();
        await closeNotebook(panel);
      }
    },
    300_000
  );

  it('keeps every record when another window saves the notebook mid-run', async () => {
    const name = 'fault-two-windows.ipynb';
    const panel = await openNotebook(served.manager, name);
    // The second window: the same file, loaded before the run, no kernel.
    const other = new Context<INotebookModel>({
      manager: served.manager,
      factory: new NotebookModelFactory(),
      path: name,
      kernelPreference: { shouldStart: false, canStart: false }
    });
    await other.initialize(false);
    const driver = new BenchmarkDriver({ contents: served.manager.contents });
    const uncaught = countUncaught();
    // JupyterLab asks the second window before it overwrites a file changed
    // on disk; the user answers Overwrite (the worst case for the records).
    const dialogs: string[] = [];
    const onDialog = (_: unknown, dialog: Dialog<unknown>) => {
      dialogs.push(String(dialog.node.textContent));
      void dialog.ready.then(() => {
        const buttons = [...dialog.node.querySelectorAll('button')];
        buttons.find(b => /Overwrite/.test(b.textContent ?? ''))?.click();
      });
    };
    Dialog.tracker.widgetAdded.connect(onDialog);
    let edited: Promise<void> | null = null;
    const records: PartialJSONObject[] = [];
    driver.changed.connect((_, event) => {
      if (event.phase === 'recorded') {
        records.push(event.record!);
      }
      if (
        !edited &&
        event.index === 1 &&
        event.phase === 'running' &&
        event.progress
      ) {
        // An unrelated edit, saved from the other window while the second
        // device trains. (Saved at the same instant as the driver's own
        // save, the file once read back as not JSON for a moment: two
        // concurrent saves of one file in jupyter_server, not looked into.)
        other.model.sharedModel.insertCell(0, {
          cell_type: 'markdown',
          source: 'edited in the other window'
        });
        edited = other.save();
      }
    });
    try {
      const result = await driver.run(panel, {
        devices: ['cpu', 'cpu', 'cpu'],
        profile: 'quick',
        params: { ...TINY, epochs: 3 },
        machineLabel: 'fault suite'
      });
      await edited;
      const errors = uncaught();
      const { lost, invalid } = await diskState(served.manager, name, records);
      const file = await served.manager.contents.get(name, { content: true });
      const cells = (file.content as { cells: { source: string }[] }).cells;
      const kept = cells.some(c =>
        String(c.source).includes('edited in the other window')
      );
      expectNothingLost({
        fault:
          'another window saves the notebook mid-run (File Changed: Overwrite)',
        tries: 1,
        lost,
        invalid,
        uncaught: errors,
        notes: `records ${result.map(r => r.status).join(', ')}; the other window's edit ${kept ? 'kept' : 'LOST'}; ${dialogs.length} dialog (the other window's)`
      });
      expect(result.map(r => r.status)).toEqual(['ok', 'ok', 'ok']);
      expect(kept).toBe(true);
      // Only the other window was asked; the run itself never stopped on a dialog.
      expect(dialogs).toHaveLength(1);
      expect(dialogs[0]).toMatch(/changed on disk|File Changed/i);
      expect(driver.savedBeside).toBe(true);
    } finally {
      uncaught();
      Dialog.tracker.widgetAdded.disconnect(onDialog);
      driver.dispose();
      other.dispose();
      await closeNotebook(panel);
    }
  }, 300_000);

  it('finishes correctly when the notebook is edited during the run', async () => {
    const name = 'fault-edit.ipynb';
    const panel = await openNotebook(served.manager, name);
    const model = panel.content.model!;
    const driver = new BenchmarkDriver();
    const uncaught = countUncaught();
    let edits = 0;
    driver.changed.connect((_, event) => {
      if (
        event.phase === 'running' &&
        event.progress &&
        edits === event.index &&
        edits < 2
      ) {
        edits++;
        const shared = model.sharedModel;
        // A cell added above, a markdown cell deleted, and the device cell
        // (first device) or the injected parameters (second) deleted.
        shared.insertCell(0, { cell_type: 'code', source: 'added_above = 1' });
        shared.deleteCell(
          shared.cells.findIndex(c => c.cell_type === 'markdown')
        );
        shared.deleteCell(
          findTaggedCell(
            model,
            event.index === 0 ? 'device-bench-device' : 'injected-parameters'
          )
        );
      }
    });
    try {
      const records = await driver.run(panel, {
        devices: ['cpu', 'cpu', 'cpu'],
        profile: 'quick',
        params: TINY,
        machineLabel: 'fault suite'
      });
      const errors = uncaught();
      const { lost, invalid } = await diskState(served.manager, name, records);
      const tags = model.sharedModel.cells.map(c =>
        ((c.getMetadata('tags') as string[]) ?? []).join(',')
      );
      expectNothingLost({
        fault:
          'notebook edited during the run (cells added/deleted, device and parameters cells deleted)',
        tries: edits,
        lost,
        invalid,
        uncaught: errors,
        notes: `records ${records.map(r => r.status).join(', ')}`
      });
      expect(edits).toBe(2);
      expect(records.map(r => r.status)).toEqual(['ok', 'ok', 'ok']);
      expect(tags.filter(t => t.includes('device-bench-device'))).toHaveLength(
        1
      );
      expect(tags.filter(t => t.includes('injected-parameters'))).toHaveLength(
        1
      );
    } finally {
      uncaught();
      driver.dispose();
      await closeNotebook(panel);
    }
  }, 600_000);

  it('keeps the history cap, the heap and the signal connections flat over 50 runs', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc).toBeDefined(); // run with node --expose-gc (make test-faults does)
    const name = 'fault-fifty.ipynb';
    const panel = await openNotebook(served.manager, name);
    const history = 10;
    const runs = 50;
    // Live signal connections anywhere (JupyterLab's own included).
    const tracker = trackConnections();
    const heap: number[] = [];
    const live: number[] = [];
    const uncaught = countUncaught();
    let lost = 0;
    let invalid = 0;
    const all: PartialJSONObject[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        const driver = new BenchmarkDriver();
        const records = await driver.run(panel, {
          devices: ['cpu'],
          profile: 'quick',
          params: TINY,
          machineLabel: 'fault suite',
          history
        });
        driver.dispose();
        all.push(...records);
        expect(records.map(r => r.status)).toEqual(['ok']);
        const state = await diskState(
          served.manager,
          name,
          all.slice(-history)
        );
        lost += state.lost;
        invalid += state.invalid;
        gc!();
        heap.push(process.memoryUsage().heapUsed / 2 ** 20);
        live.push(tracker.live());
      }
      const errors = uncaught();
      const saved = await savedRuns(served.manager, name);
      const at = (xs: number[], i: number) => xs[i - 1].toFixed(0);
      expectNothingLost({
        fault: `${runs} runs in a row in one page (history ${history})`,
        tries: runs,
        lost,
        invalid,
        uncaught: errors,
        notes:
          `JS heap MB after runs 10/30/50: ${at(heap, 10)}/${at(heap, 30)}/${at(heap, 50)}; ` +
          `live signal connections: ${at(live, 10)}/${at(live, 30)}/${at(live, 50)}; ` +
          `${saved.length} runs kept`
      });
      expect(saved.map(r => r.id)).toEqual(all.slice(-history).map(r => r.id));
      // No growth run over run once warm: a leak of one listener or one
      // output area per run would show here.
      expect(live[runs - 1] - live[9]).toBeLessThanOrEqual(5);
      expect(heap[runs - 1] - heap[9]).toBeLessThan(25);
    } finally {
      tracker.restore();
      uncaught();
      await closeNotebook(panel);
    }
  }, 900_000);
});
