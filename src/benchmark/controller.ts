/**
 * The run sequence of run-benchmark: pick the notebook, probe (or refuse) a
 * busy kernel, choose the devices, start the model, run the driver and say
 * how it ended. Its collaborators come in through the constructor, so that
 * it is unit-tested with stand-ins; the plugin only wires commands to it.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import type {
  PartialJSONObject,
  ReadonlyPartialJSONObject
} from '@lumino/coreutils';
import type { IProbeReport } from '../kernel/types';
import type { ParameterValue } from '../notebook/parametersCell';
import { defaultMachineLabel } from '../records';
import type { IDeviceProbe } from '../tokens';
import {
  BenchmarkBusyError,
  type BenchmarkDriver,
  RecordNotSavedError
} from './driver';
import { isBusy } from './leftover';
import {
  type BenchmarkModel,
  isBenchmarkNotebook,
  isTimableNotebook
} from './model';
import { runErrorText } from './errortext';

/**
 * What run-benchmark returns to other extensions and tests.
 */
export type RunBenchmarkResult =
  | { ok: true; records: PartialJSONObject[] }
  | { ok: false; error: string; records?: PartialJSONObject[] };

export namespace BenchmarkController {
  /**
   * The settings a run reads (read again at each run).
   */
  export interface ISettings {
    profile: string;
    history: number;
    machineLabel: string;
    /**
     * Runs per device when timing a user's notebook (default 1).
     */
    timingRepeat?: number;
  }

  export interface IOptions {
    driver: Pick<BenchmarkDriver, 'isRunning' | 'savedBeside' | 'run'> &
      Partial<Pick<BenchmarkDriver, 'timeNotebook'>>;
    model: Pick<BenchmarkModel, 'setNotebook' | 'start' | 'message'>;
    probe: Pick<IDeviceProbe, 'cached' | 'probe'> | null;
    settings: Readonly<ISettings>;
    /**
     * The current notebook.
     */
    current: () => NotebookPanel | null;
    trans: Pick<TranslationBundle, '__'>;
    /**
     * Show an error (a run refused or failed).
     */
    error: (message: string) => void;
    /**
     * Show a warning that stays until closed.
     */
    warning: (message: string) => void;
    /**
     * Whether a notebook is the benchmark notebook (default: its tagged cells).
     */
    isBenchmark?: (panel: NotebookPanel | null) => boolean;
    /**
     * Whether a notebook is a user's notebook that can be timed on every
     * device (it has a device cell; default: its tagged cells).
     */
    isTimable?: (panel: NotebookPanel | null) => boolean;
    /**
     * Whether the notebook's kernel is busy running a cell.
     */
    isBusy?: (panel: NotebookPanel, graceMs: number) => Promise<boolean>;
    /**
     * Where the record that could not be saved is logged whole.
     */
    logUnsaved?: (record: PartialJSONObject) => void;
  }
}

/**
 * How long a busy kernel gets to become idle before a run refuses it.
 */
const BUSY_WAIT_MS = 2000;

export class BenchmarkController {
  constructor(options: BenchmarkController.IOptions) {
    this._options = options;
    this._isBenchmark = options.isBenchmark ?? isBenchmarkNotebook;
    this._isTimable = options.isTimable ?? isTimableNotebook;
    this._isBusy = options.isBusy ?? isBusy;
    this._logUnsaved =
      options.logUnsaved ??
      (record =>
        console.error(
          'jupyterlab-device-bench: unsaved record',
          JSON.stringify(record)
        ));
  }

  /**
   * Whether run-benchmark is enabled: no run going on, and the current
   * notebook is the benchmark notebook.
   */
  get canRun(): boolean {
    const panel = this._options.current();
    return (
      !this._options.driver.isRunning &&
      (this._isBenchmark(panel) || this._timable(panel))
    );
  }

  /**
   * Whether a run is being started (before the driver runs).
   */
  get isStarting(): boolean {
    return this._starting;
  }

  /**
   * Run the benchmark on the current notebook. `args` as run-benchmark's:
   * `devices` (default: the kernel's available devices), `profile` (default:
   * the setting), `params`.
   */
  async run(args: ReadonlyPartialJSONObject = {}): Promise<RunBenchmarkResult> {
    if (this._options.driver.isRunning || this._starting) {
      return this._fail(new BenchmarkBusyError().message);
    }
    // Taken before the first await: a second call meanwhile is refused
    // here, and does not touch the progress of this one.
    this._starting = true;
    try {
      return await this._run(args);
    } finally {
      this._starting = false;
    }
  }

  private async _run(
    args: ReadonlyPartialJSONObject
  ): Promise<RunBenchmarkResult> {
    const { driver, model, probe, settings, trans } = this._options;
    const panel = this._options.current();
    const timing = !this._isBenchmark(panel) && this._timable(panel);
    if (!panel || (!this._isBenchmark(panel) && !timing)) {
      return this._fail(
        trans.__(
          'Open the benchmark notebook first (Open MNIST Device Benchmark).'
        )
      );
    }
    await panel.context.ready;
    await panel.sessionContext.ready;
    const kernel = panel.sessionContext.session?.kernel;
    let report: IProbeReport | null = null;
    const cached = kernel ? probe?.cached(kernel.id) : undefined;
    if (
      kernel &&
      probe &&
      !cached &&
      (await this._isBusy(panel, BUSY_WAIT_MS))
    ) {
      // Asking a busy kernel waits for its cell: the run would not start,
      // without a word. The devices must then be named.
      if (!Array.isArray(args.devices)) {
        return this._fail(
          trans.__(
            "The notebook's kernel is busy running a cell. Wait for it to finish, or stop it (Kernel › Interrupt Kernel), then run the benchmark."
          )
        );
      }
    } else if (kernel && probe) {
      const outcome = cached ?? (await probe.probe(kernel));
      report = outcome.kind === 'ready' ? outcome.report : null;
    }
    const available = (report?.devices ?? []).filter(d => d.available);
    const devices = Array.isArray(args.devices)
      ? (args.devices as unknown[]).map(String)
      : available.map(d => d.id);
    if (!devices.length) {
      return this._fail(
        trans.__('This kernel reports no device PyTorch can use.')
      );
    }
    const profile =
      typeof args.profile === 'string' ? args.profile : settings.profile;
    const machineLabel = settings.machineLabel || defaultMachineLabel(report);
    const params = (args.params ?? {}) as Record<string, ParameterValue>;
    const deviceNames = Object.fromEntries(available.map(d => [d.id, d.name]));
    const repeat =
      typeof args.repeat === 'number'
        ? args.repeat
        : (settings.timingRepeat ?? 1);
    model.setNotebook(panel);
    if (timing) {
      // Every run of every device, interleaved, as the driver runs them.
      const order: string[] = [];
      for (let r = 0; r < Math.max(1, Math.min(repeat, 100)); r++) {
        order.push(...devices);
      }
      model.start(order);
    } else {
      model.start(devices, profile);
    }
    try {
      const records = timing
        ? await driver.timeNotebook!(panel, {
            devices,
            repeat,
            deviceNames,
            history: settings.history,
            machineLabel
          })
        : await driver.run(panel, {
            devices,
            profile,
            params,
            deviceNames,
            history: settings.history,
            machineLabel
          });
      if (driver.savedBeside) {
        this._options.warning(
          trans.__(
            "This notebook was saved from another window during the run. The records were written into the file without overwriting that window's changes; this window's own changes are not saved yet. Use File › Reload Notebook from Disk to see both, or save to keep this window's version (the records are kept either way)."
          )
        );
      }
      return { ok: true, records };
    } catch (error) {
      if (error instanceof RecordNotSavedError) {
        // The devices that ran stay shown; the unsaved record is logged
        // whole, so that its figures are not lost with the message.
        this._logUnsaved(error.record);
        return { ...this._fail(error.message), records: error.records };
      }
      model.start([]);
      return this._fail((error as Error).message);
    }
  }

  private _fail(error: string): RunBenchmarkResult {
    // Shown in the user's language; the command's result keeps the English.
    const shown = runErrorText(this._options.trans, error);
    this._options.model.message = shown;
    this._options.error(shown);
    return { ok: false, error };
  }

  private _options: BenchmarkController.IOptions;
  /**
   * Whether `panel` is a user's notebook this driver can time.
   */
  private _timable(panel: NotebookPanel | null): boolean {
    return !!this._options.driver.timeNotebook && this._isTimable(panel);
  }

  private _isBenchmark: (panel: NotebookPanel | null) => boolean;
  private _isTimable: (panel: NotebookPanel | null) => boolean;
  private _isBusy: (panel: NotebookPanel, graceMs: number) => Promise<boolean>;
  private _logUnsaved: (record: PartialJSONObject) => void;
  private _starting = false;
}
