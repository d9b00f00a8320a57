/**
 * The run sequence of run-benchmark, with stand-ins for the driver, the
 * model, the probe and the notebook (pure logic: the real run is covered by
 * the driver's integration spec and Galata).
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { nullTranslator } from '@jupyterlab/translation';
import type { PartialJSONObject } from '@lumino/coreutils';
import type { IProbeReport, ProbeOutcome } from '../../tokens';
import { BenchmarkController } from '../controller';
import { BenchmarkBusyError, RecordNotSavedError } from '../driver';

const trans = nullTranslator.load('jupyterlab_device_bench');

function notebook(kernelId: string | null = 'k1'): NotebookPanel {
  return {
    context: { path: 'bench.ipynb', ready: Promise.resolve() },
    sessionContext: {
      ready: Promise.resolve(),
      session: kernelId ? { kernel: { id: kernelId } } : null
    }
  } as unknown as NotebookPanel;
}

function ready(devices: [string, string, boolean][]): ProbeOutcome {
  return {
    kind: 'ready',
    report: {
      devices: devices.map(([id, name, available]) => ({
        id,
        name,
        available
      }))
    } as unknown as IProbeReport
  };
}

class FakeDriver {
  isRunning = false;
  savedBeside = false;
  calls: { panel: NotebookPanel; options: Record<string, unknown> }[] = [];
  outcome: () => Promise<PartialJSONObject[]> = async () => [{ id: 'r1' }];
  run(panel: NotebookPanel, options: Record<string, unknown>) {
    this.calls.push({ panel, options });
    return this.outcome();
  }
}

class FakeModel {
  message = '';
  notebook: NotebookPanel | null = null;
  starts: { devices: string[]; profile?: string }[] = [];
  setNotebook(panel: NotebookPanel | null): void {
    this.notebook = panel;
  }
  start(devices: string[], profile?: string): void {
    this.starts.push({ devices, profile });
  }
}

class FakeProbe {
  cache = new Map<string, ProbeOutcome>();
  probed: string[] = [];
  answer: ProbeOutcome = ready([
    ['cpu', 'CPU', true],
    ['cuda:0', 'GPU 0', true],
    ['mps', 'Apple', false]
  ]);
  cached(id: string) {
    return this.cache.get(id);
  }
  async probe(kernel: { id: string }) {
    this.probed.push(kernel.id);
    return this.answer;
  }
}

describe('BenchmarkController', () => {
  let driver: FakeDriver;
  let model: FakeModel;
  let probe: FakeProbe;
  let panel: NotebookPanel | null;
  let benchmark: boolean;
  let busy: boolean;
  let errors: string[];
  let warnings: string[];
  let unsaved: PartialJSONObject[];
  let controller: BenchmarkController;
  const settings = { profile: 'seed', history: 7, machineLabel: 'lab box' };

  beforeEach(() => {
    driver = new FakeDriver();
    model = new FakeModel();
    probe = new FakeProbe();
    panel = notebook();
    benchmark = true;
    busy = false;
    errors = [];
    warnings = [];
    unsaved = [];
    controller = new BenchmarkController({
      driver: driver as unknown as BenchmarkController.IOptions['driver'],
      model: model as unknown as BenchmarkController.IOptions['model'],
      probe: probe as unknown as BenchmarkController.IOptions['probe'],
      settings,
      current: () => panel,
      trans,
      error: message => errors.push(message),
      warning: message => warnings.push(message),
      isBenchmark: p => benchmark && p !== null,
      isBusy: async () => busy,
      logUnsaved: record => unsaved.push(record)
    });
  });

  it('refuses when no benchmark notebook is current', async () => {
    benchmark = false;
    expect(controller.canRun).toBe(false);
    const result = await controller.run({});
    expect(result).toEqual({
      ok: false,
      error: 'Open the benchmark notebook first (Open MNIST Device Benchmark).'
    });
    expect(errors).toEqual([
      'Open the benchmark notebook first (Open MNIST Device Benchmark).'
    ]);
    expect(model.message).toBe(errors[0]);
    expect(driver.calls).toHaveLength(0);

    panel = null;
    benchmark = true;
    expect((await controller.run({})).ok).toBe(false);
    expect(driver.calls).toHaveLength(0);
  });

  it('refuses a second run while the first is starting, without touching it', async () => {
    let finish: (records: PartialJSONObject[]) => void = () => undefined;
    driver.outcome = () => new Promise(resolve => (finish = resolve));
    const first = controller.run({ devices: ['cpu'] });
    expect(controller.isStarting).toBe(true);
    const second = await controller.run({ devices: ['cuda:0'] });
    expect(second).toEqual({
      ok: false,
      error: new BenchmarkBusyError().message
    });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(driver.calls).toHaveLength(1);
    expect(driver.calls[0].options.devices).toEqual(['cpu']);
    finish([{ id: 'done' }]);
    expect(await first).toEqual({ ok: true, records: [{ id: 'done' }] });
    expect(controller.isStarting).toBe(false);
    expect(model.starts).toEqual([{ devices: ['cpu'], profile: 'seed' }]);
  });

  it('refuses while the driver runs', async () => {
    driver.isRunning = true;
    expect(controller.canRun).toBe(false);
    expect(await controller.run({})).toEqual({
      ok: false,
      error: new BenchmarkBusyError().message
    });
    expect(driver.calls).toHaveLength(0);
  });

  it("uses the probe's available devices when none are given", async () => {
    expect(controller.canRun).toBe(true);
    const result = await controller.run({ profile: 'quick' });
    expect(result).toEqual({ ok: true, records: [{ id: 'r1' }] });
    expect(probe.probed).toEqual(['k1']);
    expect(driver.calls).toHaveLength(1);
    const { panel: ran, options } = driver.calls[0];
    expect(ran).toBe(panel);
    expect(options).toEqual({
      devices: ['cpu', 'cuda:0'],
      profile: 'quick',
      params: {},
      deviceNames: { cpu: 'CPU', 'cuda:0': 'GPU 0' },
      history: 7,
      machineLabel: 'lab box'
    });
    expect(model.notebook).toBe(panel);
    expect(model.starts).toEqual([
      { devices: ['cpu', 'cuda:0'], profile: 'quick' }
    ]);
    expect(errors).toEqual([]);
  });

  it('uses the cached outcome without asking the kernel again', async () => {
    probe.cache.set('k1', ready([['cpu', 'CPU', true]]));
    busy = true; // not asked: the cache answers
    await controller.run({});
    expect(probe.probed).toEqual([]);
    expect(driver.calls[0].options.devices).toEqual(['cpu']);
    expect(driver.calls[0].options.profile).toBe('seed');
  });

  it('refuses a busy kernel when no devices are given, with the message', async () => {
    busy = true;
    const result = await controller.run({});
    const message =
      "The notebook's kernel is busy running a cell. Wait for it to finish, or stop it (Kernel › Interrupt Kernel), then run the benchmark.";
    expect(result).toEqual({ ok: false, error: message });
    expect(errors).toEqual([message]);
    expect(model.message).toBe(message);
    expect(probe.probed).toEqual([]);
    expect(driver.calls).toHaveLength(0);
    expect(model.starts).toEqual([]);
  });

  it('runs the named devices on a busy kernel without probing it', async () => {
    busy = true;
    const result = await controller.run({ devices: ['cpu'] });
    expect(result.ok).toBe(true);
    expect(probe.probed).toEqual([]);
    expect(driver.calls[0].options.devices).toEqual(['cpu']);
  });

  it('refuses when the kernel reports no usable device', async () => {
    probe.answer = ready([['mps', 'Apple', false]]);
    const result = await controller.run({});
    expect(result).toEqual({
      ok: false,
      error: 'This kernel reports no device PyTorch can use.'
    });
    expect(driver.calls).toHaveLength(0);
  });

  it('keeps the records and reports when a record is not saved', async () => {
    const records = [{ id: 'a' }, { id: 'b' }];
    driver.outcome = async () => {
      throw new RecordNotSavedError('cuda:0', 'disk full', records, true);
    };
    const result = await controller.run({ devices: ['cpu', 'cuda:0'] });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.records).toBe(records);
    expect(!result.ok && result.error).toMatch(
      /^The record for cuda:0 could not be saved: disk full/
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBe(!result.ok && result.error);
    expect(unsaved).toEqual([{ id: 'b' }]);
    // The devices that ran stay shown: the progress is not cleared.
    expect(model.starts).toEqual([
      { devices: ['cpu', 'cuda:0'], profile: 'seed' }
    ]);
  });

  it('clears the progress and reports on any other failure', async () => {
    driver.outcome = async () => {
      throw new Error('kernel died');
    };
    const result = await controller.run({ devices: ['cpu'] });
    expect(result).toEqual({ ok: false, error: 'kernel died' });
    expect(errors).toEqual(['kernel died']);
    expect(model.starts).toEqual([
      { devices: ['cpu'], profile: 'seed' },
      { devices: [] }
    ]);
  });

  it('shows the saved-beside warning after the run', async () => {
    driver.outcome = async () => {
      driver.savedBeside = true;
      return [{ id: 'r1' }];
    };
    const result = await controller.run({ devices: ['cpu'] });
    expect(result).toEqual({ ok: true, records: [{ id: 'r1' }] });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^This notebook was saved from another window during the run\./
    );
    expect(errors).toEqual([]);
  });

  it('shows no warning when nothing was saved beside', async () => {
    await controller.run({ devices: ['cpu'] });
    expect(warnings).toEqual([]);
  });

  it('times a notebook with a device cell on the available devices, repeats interleaved', async () => {
    benchmark = false;
    const timed: Record<string, unknown>[] = [];
    const timing = Object.assign(driver, {
      timeNotebook: async (
        _: NotebookPanel,
        options: Record<string, unknown>
      ) => {
        timed.push(options);
        return [{ id: 't1' }, { id: 't2' }];
      }
    });
    const other = new BenchmarkController({
      driver: timing as unknown as BenchmarkController.IOptions['driver'],
      model: model as unknown as BenchmarkController.IOptions['model'],
      probe: probe as unknown as BenchmarkController.IOptions['probe'],
      settings: { ...settings, timingRepeat: 2 },
      current: () => panel,
      trans,
      error: message => errors.push(message),
      warning: message => warnings.push(message),
      isBenchmark: () => false,
      isTimable: p => p !== null,
      isBusy: async () => false
    });
    expect(other.canRun).toBe(true);
    const result = await other.run({});
    expect(result).toEqual({ ok: true, records: [{ id: 't1' }, { id: 't2' }] });
    expect(driver.calls).toHaveLength(0);
    expect(timed).toEqual([
      {
        devices: ['cpu', 'cuda:0'],
        repeat: 2,
        deviceNames: { cpu: 'CPU', 'cuda:0': 'GPU 0' },
        history: 7,
        machineLabel: 'lab box'
      }
    ]);
    expect(model.starts).toEqual([
      { devices: ['cpu', 'cuda:0', 'cpu', 'cuda:0'], profile: undefined }
    ]);
    expect(errors).toEqual([]);
  });
});
