/**
 * The panel's "Benchmark" section state: the followed notebook, device
 * choice, profile and the progress of a run.
 */
import { VDomModel } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { PARAMETERS_TAG, RESULT_CELL_TAG } from '../common/contract';
import { findTaggedCell } from '../notebook/deviceCell';
import {
  type BenchmarkDriver,
  type IDriverEvent,
  type IProgress,
  timingCells
} from './driver';
import { hasDeviceCell } from './timing';

/**
 * One device's line in the progress list.
 */
export interface IDeviceProgress {
  device: string;
  state: 'waiting' | 'restarting' | 'running' | 'ok' | 'failed' | 'cancelled';
  progress?: IProgress;
  elapsedMs: number;
  error?: string;
}

/**
 * Whether a notebook is a benchmark notebook (it has the tagged cells the
 * driver needs).
 */
export function isBenchmarkNotebook(panel: NotebookPanel | null): boolean {
  const model = panel?.content.model;
  return (
    !!model &&
    findTaggedCell(model, PARAMETERS_TAG) >= 0 &&
    findTaggedCell(model, RESULT_CELL_TAG) >= 0
  );
}

/**
 * Whether a notebook is a user's notebook that can be timed on every device:
 * not the benchmark notebook, and one device cell (the picker's tag).
 */
export function isTimableNotebook(panel: NotebookPanel | null): boolean {
  return (
    !!panel?.content.model &&
    !isBenchmarkNotebook(panel) &&
    hasDeviceCell(timingCells(panel))
  );
}

export class BenchmarkModel extends VDomModel {
  constructor(driver: BenchmarkDriver) {
    super();
    this._driver = driver;
    driver.changed.connect(this._onDriverEvent, this);
    driver.runningChanged.connect(this._onRunning, this);
  }

  get notebook(): NotebookPanel | null {
    return this._notebook;
  }

  get isBenchmark(): boolean {
    return isBenchmarkNotebook(this._notebook);
  }

  /**
   * Whether the followed notebook is a user's notebook with a device cell
   * (timed cell by cell on every device rather than run as the benchmark).
   */
  get isTimable(): boolean {
    return isTimableNotebook(this._notebook);
  }

  get running(): boolean {
    return this._driver.isRunning;
  }

  get profile(): string {
    return this._profile;
  }
  set profile(value: string) {
    this._profile = value;
    this.stateChanged.emit();
  }

  /**
   * Devices the user unticked (all available devices run by default).
   */
  isSelected(device: string): boolean {
    return !this._unselected.has(device);
  }

  toggle(device: string): void {
    if (this._unselected.has(device)) {
      this._unselected.delete(device);
    } else {
      this._unselected.add(device);
    }
    this.stateChanged.emit();
  }

  /**
   * The progress list of the last run: shown while a run goes on, whichever
   * notebook the panel follows, and afterwards only with the notebook it ran
   * in (not under another notebook's controls, nor once it was closed).
   */
  get progress(): readonly IDeviceProgress[] {
    return this._driver.isRunning || this._progressFor === this._notebook
      ? this._progress
      : [];
  }

  /**
   * The path of the notebook a shown progress list belongs to when the panel
   * follows another one; `null` otherwise.
   */
  get progressElsewhere(): string | null {
    return this._progressFor !== this._notebook && this.progress.length
      ? (this._progressFor?.context.path ?? '')
      : null;
  }

  get message(): string {
    return this._message;
  }
  set message(value: string) {
    this._message = value;
    this.stateChanged.emit();
  }

  /**
   * Follow a notebook (or none).
   */
  setNotebook(panel: NotebookPanel | null): void {
    if (panel === this._notebook) {
      return;
    }
    this._notebook = panel;
    this.stateChanged.emit();
    // Whether it is a benchmark notebook is known once its cells are loaded.
    void panel?.context.ready.then(() => {
      if (this._notebook === panel && !this.isDisposed) {
        this.stateChanged.emit();
      }
    });
  }

  /**
   * Prepare the progress list for a run of `devices` with `profile`.
   */
  start(devices: string[], profile?: string): void {
    if (profile !== undefined) {
      // The choice shows the profile that runs (the command may pass another).
      this._profile = profile;
    }
    this._progressFor = this._notebook;
    this._progress = devices.map(device => ({
      device,
      state: 'waiting',
      elapsedMs: 0
    }));
    this._message = '';
    this.stateChanged.emit();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.setNotebook(null);
    this._driver.changed.disconnect(this._onDriverEvent, this);
    this._driver.runningChanged.disconnect(this._onRunning, this);
    super.dispose();
  }

  private _onDriverEvent(_: BenchmarkDriver, event: IDriverEvent): void {
    const row = this._progress[event.index];
    if (!row || row.device !== event.device) {
      return;
    }
    const next: IDeviceProgress = { ...row, elapsedMs: event.elapsedMs };
    if (event.phase === 'recorded' && event.record) {
      next.state = event.record.status as IDeviceProgress['state'];
      next.error = (event.record.error as string | null) ?? undefined;
    } else if (event.phase !== 'recorded') {
      next.state = event.phase;
      if (event.progress) {
        next.progress = event.progress;
      }
    }
    this._progress = this._progress.map((r, i) =>
      i === event.index ? next : r
    );
    this.stateChanged.emit();
  }

  private _onRunning(): void {
    this.stateChanged.emit();
  }

  private _driver: BenchmarkDriver;
  private _notebook: NotebookPanel | null = null;
  private _profile = 'seed';
  private _unselected = new Set<string>();
  private _progress: IDeviceProgress[] = [];
  private _progressFor: NotebookPanel | null = null;
  private _message = '';
}
