/**
 * The Benchmark section's model: whose progress list it shows. Pure logic,
 * so a stand-in driver (two signals and a flag) and stand-in notebooks.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';
import type { BenchmarkDriver, IDriverEvent } from '../driver';
import { BenchmarkModel } from '../model';

class FakeDriver {
  isRunning = false;
  changed = new Signal<this, IDriverEvent>(this);
  runningChanged = new Signal<this, boolean>(this);
  setRunning(value: boolean): void {
    this.isRunning = value;
    this.runningChanged.emit(value);
  }
}

function notebook(path: string): NotebookPanel {
  return {
    model: null,
    context: { path, ready: Promise.resolve() }
  } as unknown as NotebookPanel;
}

describe('BenchmarkModel progress', () => {
  let driver: FakeDriver;
  let model: BenchmarkModel;
  const a = notebook('a/bench.ipynb');
  const b = notebook('b/other.ipynb');

  beforeEach(() => {
    driver = new FakeDriver();
    model = new BenchmarkModel(driver as unknown as BenchmarkDriver);
    model.setNotebook(a);
    model.start(['cpu']);
    driver.setRunning(true);
    driver.changed.emit({
      device: 'cpu',
      index: 0,
      total: 1,
      phase: 'running',
      elapsedMs: 1200
    });
  });

  afterEach(() => model.dispose());

  it('follows the run in its own notebook, during and after it', () => {
    expect(model.progress.map(r => r.state)).toEqual(['running']);
    expect(model.progressElsewhere).toBeNull();
    driver.setRunning(false);
    expect(model.progress).toHaveLength(1);
    expect(model.progressElsewhere).toBeNull();
  });

  it('shows a run going on in another notebook with that notebook named', () => {
    model.setNotebook(b);
    expect(model.progress).toHaveLength(1);
    expect(model.progressElsewhere).toBe('a/bench.ipynb');
    model.setNotebook(null);
    expect(model.progressElsewhere).toBe('a/bench.ipynb');
  });

  it('drops a finished run from other notebooks and once its notebook closed', () => {
    model.setNotebook(b);
    driver.setRunning(false);
    expect(model.progress).toHaveLength(0);
    expect(model.progressElsewhere).toBeNull();
    model.setNotebook(null);
    expect(model.progress).toHaveLength(0);
    model.setNotebook(a);
    expect(model.progress.map(r => r.state)).toEqual(['running']);
  });

  it('shows the profile that runs', () => {
    model.profile = 'seed';
    model.start(['cpu'], 'quick');
    expect(model.profile).toBe('quick');
  });

  it('ignores events for a device it does not list', () => {
    driver.changed.emit({
      device: 'cuda:0',
      index: 0,
      total: 1,
      phase: 'restarting',
      elapsedMs: 0
    });
    expect(model.progress.map(r => r.device)).toEqual(['cpu']);
    expect(model.progress[0].elapsedMs).toBe(1200);
  });
});
