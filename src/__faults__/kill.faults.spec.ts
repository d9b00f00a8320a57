/**
 * Fault: the kernel SIGKILLed mid-run (as the OOM killer would), 20 times at
 * different moments of the bundled notebook — while torch is imported, the
 * data loaded, the network trained and evaluated, the result built — in one
 * run of 21 devices on a real server and kernel.
 *
 * Each killed device must get a `failed` record that says the kernel died,
 * every record saved before must still be on disk with valid metadata after
 * every kill, and the next device must run.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { PartialJSONObject } from '@lumino/coreutils';
import { execFileSync } from 'node:child_process';
import { BenchmarkDriver } from '../benchmark/driver';
import { findTaggedCell } from '../notebook/deviceCell';
import { readDeviceBench } from '../records/validate';
import {
  closeNotebook,
  openNotebook,
  savedMetadata
} from '../__tests__/notebook';
import { SMALL_RUN } from '../__tests__/smallRun';
import { countUncaught, expectNothingLost, useServer } from './table';

/**
 * Where in the notebook each kill lands: the cell (by tag) whose execution
 * has just begun, and how long after that. Every code cell right as it
 * starts (torch is imported in the device cell, the data loaded in
 * `load`), and four moments well inside training.
 */
const KILLS: { tag: string; delay: number }[] = [
  ...[
    'parameters',
    'injected-parameters',
    'device-bench-device',
    'device-bench-profiles',
    'device-bench-settings',
    'device-bench-machine',
    'device-bench-data',
    'device-bench-download',
    'device-bench-transform',
    'device-bench-load',
    'device-bench-pipeline',
    'device-bench-model',
    'device-bench-progress',
    'device-bench-loop',
    'device-bench-train',
    'device-bench-eval',
    'device-bench-result'
  ].map(tag => ({ tag, delay: 0 })),
  ...[100, 300, 600].map(delay => ({ tag: 'device-bench-train', delay }))
];

/**
 * For each kill that did not fire: its cell, and how many cells of that
 * device were seen starting.
 */
function unfired(seen: number[], kills: { index: number }[]): string {
  const fired = new Set(kills.map(k => k.index));
  const missing = KILLS.map((k, i) => ({ ...k, i })).filter(
    k => !fired.has(k.i)
  );
  return missing.length
    ? '; not fired: ' +
        missing
          .map(
            k => `#${k.i} ${k.tag}+${k.delay} ms (${seen[k.i] ?? 0} cells seen)`
          )
          .join(', ')
    : '';
}

describe('fault: the kernel is SIGKILLed mid-run', () => {
  const served = useServer();

  it(`loses nothing over ${KILLS.length} kills, and the next device runs`, async () => {
    const name = 'fault-kill.ipynb';
    const panel: NotebookPanel = await openNotebook(served.manager, name);
    const model = panel.content.model!;
    const driver = new BenchmarkDriver();
    const uncaught = countUncaught();
    const checks: Promise<void>[] = [];
    const records: PartialJSONObject[] = [];
    let lost = 0;
    let invalid = 0;
    const kills: { index: number; tag: string; delay: number }[] = [];
    let armed = -1;
    // Per device: code cells whose execute_input this spec saw.
    const seen: number[] = [];

    // Kill the kernel `delay` ms after the tagged cell starts executing.
    const onIOPub = (_: unknown, msg: KernelMessage.IIOPubMessage) => {
      const index = armed;
      if (index < 0 || index >= KILLS.length) {
        return;
      }
      if (msg.header.msg_type !== 'execute_input') {
        return;
      }
      seen[index] = (seen[index] ?? 0) + 1;
      const { tag, delay } = KILLS[index];
      const cell = model.cells.get(findTaggedCell(model, tag));
      if ((msg.content as { code: string }).code !== cell.sharedModel.source) {
        return;
      }
      armed = -1;
      const kernelId = panel.sessionContext.session!.kernel!.id;
      setTimeout(() => {
        // Only while this device runs: a kill that comes later would land
        // in the next device's restart, which is not what this row tests.
        if (records.length === index) {
          kills.push({ index, tag, delay });
          execFileSync('pkill', ['-KILL', '-f', `kernel-${kernelId}`]);
        }
      }, delay);
    };
    const listening: { kernel: Kernel.IKernelConnection | null } = {
      kernel: null
    };
    driver.changed.connect((_, event) => {
      if (event.phase === 'running' && !event.progress) {
        // The device's cells are about to run on this kernel.
        const kernel = panel.sessionContext.session!.kernel!;
        listening.kernel?.iopubMessage.disconnect(onIOPub);
        kernel.iopubMessage.connect(onIOPub);
        listening.kernel = kernel;
        armed = event.index;
      }
      if (event.phase === 'recorded') {
        armed = -1;
        records.push(event.record!);
        const expected = records.map(r => String(r.id));
        checks.push(
          savedMetadata(served.manager, name).then(metadata => {
            const read = readDeviceBench(metadata);
            invalid += read.problems.length + read.invalid.length ? 1 : 0;
            const onDisk = new Set<string>(read.runs.map(r => r.id));
            lost += expected.filter(id => !onDisk.has(id)).length;
          })
        );
      }
    });
    try {
      const result = await driver.run(panel, {
        devices: Array(KILLS.length + 1).fill('cpu'),
        profile: 'quick',
        params: { ...SMALL_RUN, epochs: 2, repeat_to: 4096 },
        machineLabel: 'fault suite',
        history: 100
      });
      await Promise.all(checks);
      const errors = uncaught();
      const killed = new Set(kills.map(k => k.index));
      const died = result.filter(
        (r, i) =>
          killed.has(i) &&
          r.status === 'failed' &&
          /kernel died/.test(String(r.error))
      );
      // A kill in the last cells can land just after the figures came in:
      // the record is then ok, as it should be.
      const lateOk = result.filter(
        (r, i) => killed.has(i) && r.status === 'ok'
      );
      expectNothingLost({
        fault: 'kernel SIGKILLed mid-run (each code cell, inside training)',
        tries: kills.length,
        lost,
        invalid,
        uncaught: errors,
        notes:
          `${died.length} failed "kernel died", ${lateOk.length} ok (killed after its result), ` +
          `${KILLS.length - kills.length} kills not fired (the device had ended)` +
          unfired(seen, kills)
      });
      expect(result).toHaveLength(KILLS.length + 1);
      // A kill only fires while its device runs; the last cells are short.
      expect(kills.length).toBeGreaterThanOrEqual(KILLS.length - 3);
      expect(died.length + lateOk.length).toBe(kills.length);
      expect(died.length).toBeGreaterThanOrEqual(KILLS.length - 5);
      // Devices that were not killed, and the last one, ran to the end.
      expect(
        result.filter((r, i) => !killed.has(i)).map(r => r.status)
      ).toEqual(result.filter((r, i) => !killed.has(i)).map(() => 'ok'));
      expect(result[result.length - 1].status).toBe('ok');
    } finally {
      uncaught();
      listening.kernel?.iopubMessage.disconnect(onIOPub);
      driver.dispose();
      await closeNotebook(panel);
    }
  }, 1_200_000);
});
