/**
 * Timing a user's own notebook in the open notebook against a real server
 * and a real ipykernel with torch (issue 16): per-cell times from
 * celltiming.py, installed by silent requests, in `kind: "notebook"` records.
 */
import type { ICodeCellModel } from '@jupyterlab/cells';
import type { PartialJSONObject } from '@lumino/coreutils';
import {
  closeNotebook,
  openNotebook,
  savedRuns
} from '../../__tests__/notebook';
import { useServer } from '../../__tests__/server';
import { runProblem } from '../../records';
import { BenchmarkDriver } from '../driver';
import { RUN_ERRORS } from '../errortext';

const code = (source: string, tags: string[] = []) => ({
  cell_type: 'code',
  source,
  metadata: { tags },
  outputs: [],
  execution_count: null
});

/**
 * Setup before the start tag, three timed cells (the middle one a 4 s torch
 * workload: what lies between the cells on the kernel's clock, the silent
 * takes, is then far under the 5% allowed, even on a loaded machine), and a cell after the stop tag that must not run.
 */
const USER_NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    code('import time\nimport torch'),
    code('device = torch.device("cpu")', ['device-bench-device']),
    code('x = torch.randn(256, 256, device=device)\ntime.sleep(0.2)', [
      'device-bench-start'
    ]),
    code(
      'started = time.perf_counter()\nwhile time.perf_counter() - started < 4.0:\n    y = x @ x'
    ),
    code('total = float(y.sum())', ['device-bench-stop']),
    code('raise RuntimeError("after the stop tag: must not run")')
  ]
} as unknown as PartialJSONObject;

type Cell = {
  index: number;
  label: string;
  status: string;
  seconds: number | null;
  error: string | null;
};

describe('timing a user notebook against a real kernel', () => {
  const jupyter = useServer();

  it('times the tagged range per cell on each run, and records a failing cell', async () => {
    const name = 'timing-user.ipynb';
    const panel = await openNotebook(jupyter.manager, name, USER_NOTEBOOK);
    const driver = new BenchmarkDriver();
    try {
      const records = await driver.timeNotebook(panel, {
        devices: ['cpu', 'cpu'],
        machineLabel: 'test machine'
      });
      expect(records.map(r => r.status)).toEqual(['ok', 'ok']);
      for (const record of records) {
        expect(runProblem(record)).toBeNull();
        expect(record).toMatchObject({
          kind: 'notebook',
          source: 'jupyterlab',
          device: 'cpu',
          profile: 'notebook',
          notebook: name,
          timed_range: { start: 2, stop: 4, cells: 3 },
          error: null
        });
        const cells = record.cells as unknown as Cell[];
        expect(cells.map(c => [c.label, c.status])).toEqual([
          ['cell 3', 'ok'],
          ['cell 4', 'ok'],
          ['cell 5', 'ok']
        ]);
        expect(cells[1].seconds).toBeGreaterThanOrEqual(4.0);
        const sum = cells.reduce((total, c) => total + c.seconds!, 0);
        const total = record.total_seconds as number;
        expect(sum).toBeLessThanOrEqual(total * 1.001 + 0.002);
        expect(Math.abs(total - sum) / total).toBeLessThan(0.05);
        const peak = record.peak_memory as Record<string, number>;
        expect(peak.peak_rss_bytes).toBeGreaterThan(0);
        expect(record.code_sha256).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(records[1].code_sha256).toBe(records[0].code_sha256);
      expect(records[0].id).not.toBe(records[1].id);
      // The cell after the stop tag did not run; the silent timing requests
      // took no execution count (cells 1 to 5 counted 1 to 5).
      const model = panel.content.model!;
      const counts = [0, 1, 2, 3, 4, 5].map(
        i => (model.cells.get(i) as ICodeCellModel).executionCount
      );
      expect(counts).toEqual([1, 2, 3, 4, 5, null]);

      // A timed cell changed to fail: a failed record naming it, the cells
      // before it timed, the rest not run, another code hash.
      model.cells.get(3).sharedModel.setSource('raise ValueError("bad input")');
      const [failed] = await driver.timeNotebook(panel, {
        devices: ['cpu'],
        machineLabel: 'test machine'
      });
      expect(runProblem(failed)).toBeNull();
      expect(failed.status).toBe('failed');
      expect(failed.error).toBe('ValueError: bad input (cell 4)');
      expect(failed.total_seconds).toBeNull();
      const cells = failed.cells as unknown as Cell[];
      expect(cells.map(c => c.status)).toEqual(['ok', 'failed', 'not_run']);
      expect(cells[0].seconds).toBeGreaterThan(0.15);
      expect(cells[1].error).toBe('ValueError');
      expect(failed.code_sha256).not.toBe(records[0].code_sha256);
      // Nothing lost: every record saved, in order.
      const saved = await savedRuns(jupyter.manager, name);
      expect(saved.map(r => r.id)).toEqual([...records, failed].map(r => r.id));
    } finally {
      driver.dispose();
      await closeNotebook(panel);
    }
  }, 300_000);

  it('measures the layout and code hash per device: an edit between devices gets its own hash, one after a device started fails it', async () => {
    const name = 'timing-edited.ipynb';
    const panel = await openNotebook(jupyter.manager, name, USER_NOTEBOOK);
    const model = panel.content.model!;
    const loop = (seconds: number) =>
      `started = time.perf_counter()\nwhile time.perf_counter() - started < ${seconds}:\n    y = x @ x`;
    model.cells.get(3).sharedModel.setSource(loop(0.3));
    const driver = new BenchmarkDriver();
    driver.changed.connect((_, event) => {
      if (event.index === 0 && event.phase === 'recorded') {
        // Between two devices: the next one is timed under the new code.
        model.cells.get(3).sharedModel.setSource(loop(0.4));
      } else if (event.index === 1 && event.phase === 'restarting') {
        // The second device has started: its record names the code it
        // started with, which is no longer what would run.
        model.cells.get(3).sharedModel.setSource(loop(0.5));
      }
    });
    try {
      const records = await driver.timeNotebook(panel, {
        devices: ['cpu', 'cpu', 'cpu'],
        machineLabel: 'test machine'
      });
      expect(records.map(r => r.status)).toEqual(['ok', 'failed', 'ok']);
      for (const record of records) {
        expect(runProblem(record)).toBeNull();
      }
      expect(records[1].error).toBe(RUN_ERRORS.cellsChanged);
      const hashes = records.map(r => r.code_sha256);
      expect(new Set(hashes).size).toBe(3);
      // The last device ran the code of the last edit, and says so.
      const cells = records[2].cells as unknown as Cell[];
      expect(cells[1].seconds).toBeGreaterThanOrEqual(0.5);
    } finally {
      driver.dispose();
      await closeNotebook(panel);
    }
  }, 300_000);
});
