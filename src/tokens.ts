/**
 * Tokens that join the extension's plugins, one per concern
 * (kernel probe → panel → notebook device cell), and the interfaces behind
 * them. Types only (besides the tokens and command ids): no implementation
 * is imported here (scripts/check-imports.mjs keeps it so).
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { ConsolePanel } from '@jupyterlab/console';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';
import type { IProbeReport } from './kernel/types';

export type { IProbeReport } from './kernel/types';

/**
 * The command ids of the extension.
 */
export namespace CommandIDs {
  export const openPanel = 'device-bench:open-panel';
  export const refresh = 'device-bench:refresh';
  export const insertDeviceCell = 'device-bench:insert-device-cell';
  export const tagStart = 'device-bench:tag-start';
  export const tagStop = 'device-bench:tag-stop';
  export const openBenchmark = 'device-bench:open-benchmark';
  export const runBenchmark = 'device-bench:run-benchmark';
  export const cancelBenchmark = 'device-bench:cancel-benchmark';
  export const exportReport = 'device-bench:export-report';
  export const mergeReports = 'device-bench:merge-reports';
  export const copyFix = 'device-bench:copy-fix';
  export const insertFixCell = 'device-bench:insert-fix-cell';
  export const restartAndCheck = 'device-bench:restart-and-check';
}

/**
 * The translation domain of the extension.
 */
export const TRANSLATION_DOMAIN = 'jupyterlab_device_bench';

/**
 * What the probe service knows about one kernel.
 */
export type ProbeOutcome =
  | { kind: 'ready'; report: IProbeReport }
  | { kind: 'not-python'; language: string }
  | {
      kind: 'error';
      reason: 'timeout' | 'dead' | 'aborted' | 'failed';
      message: string;
    };

/**
 * Asks a running kernel what its PyTorch can use.
 */
export interface IDeviceProbe extends IDisposable {
  /**
   * Probe a kernel, or return the cached outcome for that kernel id.
   *
   * Concurrent calls for the same kernel share one request.
   */
  probe(
    kernel: Kernel.IKernelConnection,
    options?: IDeviceProbe.IProbeOptions
  ): Promise<ProbeOutcome>;

  /**
   * The cached outcome for a kernel id, if any.
   */
  cached(kernelId: string): ProbeOutcome | undefined;

  /**
   * Forget what is known about a kernel (after a restart, for example).
   */
  invalidate(kernelId: string): void;

  /**
   * Emitted when a probe finishes for a kernel id.
   */
  readonly probed: ISignal<IDeviceProbe, IDeviceProbe.IProbedArgs>;
}

export namespace IDeviceProbe {
  export interface IProbeOptions {
    /**
     * Ignore the cache and ask the kernel again.
     */
    force?: boolean;
    /**
     * Give up after this many milliseconds (default: the service's timeout).
     */
    timeoutMs?: number;
  }

  export interface IProbedArgs {
    kernelId: string;
    outcome: ProbeOutcome;
  }
}

export const IDeviceProbe = new Token<IDeviceProbe>(
  'jupyterlab-device-bench:IDeviceProbe',
  'Asks a running kernel which devices its PyTorch can use.'
);

/**
 * What the device panel shows.
 */
export type PanelState =
  | 'no-kernel'
  | 'starting'
  | 'waiting'
  | 'probing'
  | 'not-python'
  | 'no-torch'
  | 'ready'
  | 'error';

/**
 * The probe state of the kernel the device panel follows (what other
 * plugins may read of it).
 */
export interface IDevicePanelModel {
  /**
   * The followed kernel's session, or null.
   */
  readonly session: ISessionContext | null;
  /**
   * What the panel shows.
   */
  readonly state: PanelState;
  /**
   * The followed kernel's probe document, when there is one.
   */
  readonly report: IProbeReport | null;
  /**
   * Emitted whenever any of the above changes.
   */
  readonly stateChanged: ISignal<unknown, void>;
}

/**
 * The device panel in the left sidebar: the followed kernel's devices, and
 * room for more sections (the benchmark adds one).
 */
export interface IDevicePanel {
  /**
   * The probe state of the followed kernel.
   */
  readonly model: IDevicePanelModel;
  /**
   * Add a section below the device list; sections are ordered by `rank`
   * (lowest first; default 500), then by when they were added.
   */
  addSection(widget: Widget, options?: { rank?: number }): void;
}

export const IDevicePanel = new Token<IDevicePanel>(
  'jupyterlab-device-bench:IDevicePanel',
  'The device panel of the left sidebar.'
);

/**
 * The kernel-bearing widget the extension follows: the notebook or console
 * last made current, and the current notebook. One tracker for every plugin
 * (the panel follows `current`, the benchmark and the recorded runs follow
 * `currentNotebook`).
 */
export interface ICurrentKernelWidget {
  /**
   * The notebook or console last made current, or null.
   */
  readonly current: NotebookPanel | ConsolePanel | null;
  /**
   * Whether `current` is a notebook (the device cell only goes into one).
   */
  readonly isNotebook: boolean;
  /**
   * The current notebook (the notebook tracker's current widget), or null.
   */
  readonly currentNotebook: NotebookPanel | null;
  /**
   * Emitted when `current`, `isNotebook` or `currentNotebook` changes.
   */
  readonly changed: ISignal<ICurrentKernelWidget, void>;
}

export const ICurrentKernelWidget = new Token<ICurrentKernelWidget>(
  'jupyterlab-device-bench:ICurrentKernelWidget',
  'The notebook or console whose kernel the extension follows.'
);
