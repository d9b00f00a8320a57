/**
 * The one-click benchmark: open the bundled notebook, run it on every
 * device, show progress and results in the device panel, render results.
 */
import {
  ILabShell,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type {
  PartialJSONObject,
  ReadonlyPartialJSONObject
} from '@lumino/coreutils';
import { chipIcon } from '../icons';
import { BENCHMARK_NOTEBOOK } from './_generated/notebook';
import type { IProbeDevice } from '../kernel/types';
import { followSettings } from '../settings';
import type { ParameterValue } from '../notebook/parametersCell';
import {
  CommandIDs,
  IDevicePanel,
  IDeviceProbe,
  TRANSLATION_DOMAIN
} from '../tokens';
import {
  BenchmarkBusyError,
  BenchmarkDriver,
  PROFILES,
  RecordNotSavedError,
  replaceKernel
} from './driver';
import { checkLeftovers, type ILeftoverNotice, isBusy } from './leftover';
import { progressRendererFactory, resultRendererFactory } from './mime';
import { BenchmarkModel, isBenchmarkNotebook } from './model';
import { defaultMachineLabel } from '../records';
import { BenchmarkView } from './view';

/**
 * The file name the benchmark notebook is copied to.
 */
const NOTEBOOK_NAME = 'mnist_bench';

/**
 * What run-benchmark returns to other extensions and tests.
 */
export type RunBenchmarkResult =
  | { ok: true; records: PartialJSONObject[] }
  | { ok: false; error: string; records?: PartialJSONObject[] };

/**
 * A free path for a copy of the notebook in `dir`: never overwrite.
 */
async function freePath(app: JupyterFrontEnd, dir: string): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const name = i ? `${NOTEBOOK_NAME}-${i}.ipynb` : `${NOTEBOOK_NAME}.ipynb`;
    const path = PathExt.join(dir, name);
    try {
      await app.serviceManager.contents.get(path, { content: false });
    } catch (error) {
      // Only "not found" means free: another error must not lead to an overwrite.
      if ((error as { response?: Response }).response?.status === 404) {
        return path;
      }
      throw error;
    }
  }
  throw new Error('No free file name for the benchmark notebook.');
}

export const benchmarkPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-device-bench:benchmark',
  description:
    'Runs the MNIST benchmark notebook on every device with one click.',
  autoStart: true,
  requires: [INotebookTracker, IDevicePanel],
  optional: [
    IDeviceProbe,
    IDefaultFileBrowser,
    ILauncher,
    IRenderMimeRegistry,
    ISettingRegistry,
    ITranslator,
    ICommandPalette,
    ILabShell
  ],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    devicePanel: IDevicePanel,
    probe: IDeviceProbe | null,
    browser: IDefaultFileBrowser | null,
    launcher: ILauncher | null,
    rendermime: IRenderMimeRegistry | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    labShell: ILabShell | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const driver = new BenchmarkDriver({
      contents: app.serviceManager.contents
    });
    const model = new BenchmarkModel(driver);
    const settings = { profile: 'seed', history: 50, machineLabel: '' };
    let starting = false;
    followSettings(settingRegistry, loaded => {
      settings.profile = loaded.get('defaultProfile').composite as string;
      settings.history = loaded.get('historySize').composite as number;
      settings.machineLabel = (
        loaded.get('machineLabel').composite as string
      ).trim();
      if (!driver.isRunning) {
        model.profile = settings.profile;
      }
    });

    rendermime?.addFactory(resultRendererFactory, 50);
    rendermime?.addFactory(progressRendererFactory, 50);

    const knownDevices = new Map<string, IProbeDevice[]>();
    const view = new BenchmarkView({
      model,
      trans,
      devices: () => {
        // The devices of the followed notebook's own kernel; the last list
        // is kept while the kernel restarts between devices.
        const notebook = model.notebook;
        const kernel = notebook?.sessionContext.session?.kernel;
        const outcome = kernel ? probe?.cached(kernel.id) : undefined;
        const key = notebook?.context.path ?? '';
        if (outcome?.kind === 'ready') {
          knownDevices.set(key, outcome.report.devices);
        }
        return knownDevices.get(key) ?? [];
      },
      actions: {
        run: (devices, profile) =>
          void app.commands.execute(CommandIDs.runBenchmark, {
            devices,
            profile
          }),
        cancel: () => void app.commands.execute(CommandIDs.cancelBenchmark),
        openBenchmark: () => void app.commands.execute(CommandIDs.openBenchmark)
      }
    });
    devicePanel.addSection(view, { rank: 100 });
    devicePanel.model.stateChanged.connect(() => view.update());
    probe?.probed.connect(() => view.update());
    const follow = (panel: NotebookPanel | null) => {
      if (!driver.isRunning) {
        model.setNotebook(panel);
      }
    };
    notebooks.currentChanged.connect((_, panel) => follow(panel));
    follow(notebooks.currentWidget);
    driver.runningChanged.connect((_, running) => {
      if (!running) {
        follow(notebooks.currentWidget);
      }
    });

    // Runs left behind by a page reloaded or closed mid-run, or a server
    // restarted: said on opening the notebook, never a silent gap.
    const isRunningHere = (panel: NotebookPanel) =>
      driver.isRunning && driver.runningPanel === panel;
    const notifyLeftover = (panel: NotebookPanel, notice: ILeftoverNotice) => {
      const devices = notice.devices.join(', ');
      if (notice.kernelBusy) {
        Notification.warning(
          trans.__(
            "A benchmark run on %1 did not end in this page (it was reloaded or closed, or the run goes on in another tab), and the notebook's kernel is still busy. Stop the kernel to free the device, or let the other tab finish.",
            devices
          ),
          {
            autoClose: false,
            actions: [
              {
                label: trans.__('Stop the kernel'),
                callback: () =>
                  void replaceKernel(
                    panel.sessionContext,
                    panel.sessionContext.session?.kernel?.name,
                    120_000
                  )
                    .catch(() => undefined)
                    .then(() =>
                      checkLeftovers(
                        panel,
                        isRunningHere,
                        notice => notifyLeftover(panel, notice),
                        true
                      )
                    )
              }
            ]
          }
        );
      } else {
        Notification.info(
          trans.__(
            'The benchmark run on %1 was interrupted (the page was reloaded or closed, or the server restarted): it is recorded as interrupted, and the records of the devices that ended are kept.',
            devices
          ),
          { autoClose: 15_000 }
        );
      }
    };
    notebooks.widgetAdded.connect(
      (_, panel) =>
        void checkLeftovers(panel, isRunningHere, notice =>
          notifyLeftover(panel, notice)
        )
    );

    const fail = (error: string): RunBenchmarkResult => {
      model.message = error;
      Notification.error(error, { autoClose: 8000 });
      return { ok: false, error };
    };

    // Where a copy goes when no folder is given: the file browser's folder in
    // JupyterLab; in Jupyter Notebook 7's notebook view (no ILabShell, no
    // file browser on that page) the open notebook's folder.
    const defaultFolder = (): string => {
      const current = notebooks.currentWidget;
      if (!labShell && current) {
        return PathExt.dirname(current.context.path);
      }
      return browser?.model.path ?? '';
    };

    app.commands.addCommand(CommandIDs.openBenchmark, {
      label: args =>
        args.isLauncher
          ? trans.__('MNIST Device Benchmark')
          : trans.__('Open MNIST Device Benchmark'),
      caption: trans.__(
        'Copy the benchmark notebook into the current folder and open it'
      ),
      icon: chipIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            cwd: { type: 'string', description: 'Folder for the copy' }
          }
        }
      },
      execute: async args => {
        const dir = typeof args.cwd === 'string' ? args.cwd : defaultFolder();
        const path = await freePath(app, dir);
        await app.serviceManager.contents.save(path, {
          type: 'notebook',
          format: 'json',
          content: JSON.parse(BENCHMARK_NOTEBOOK)
        });
        await app.commands.execute('docmanager:open', {
          path,
          factory: 'Notebook'
        });
        return path;
      }
    });

    app.commands.addCommand(CommandIDs.runBenchmark, {
      label: trans.__('Run Benchmark on Every Device'),
      caption: trans.__(
        'Run the open benchmark notebook once per device and record the times'
      ),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            devices: { type: 'array', items: { type: 'string' } },
            profile: { type: 'string', enum: [...PROFILES] },
            params: { type: 'object' }
          }
        }
      },
      isEnabled: () =>
        !driver.isRunning && isBenchmarkNotebook(notebooks.currentWidget),
      execute: async args => {
        if (driver.isRunning || starting) {
          return fail(new BenchmarkBusyError().message);
        }
        // Taken before the first await: a second call meanwhile is refused
        // here, and does not touch the progress of this one.
        starting = true;
        try {
          return await runBenchmark(args);
        } finally {
          starting = false;
        }
      }
    });

    const runBenchmark = async (
      args: ReadonlyPartialJSONObject
    ): Promise<RunBenchmarkResult> => {
      const panel = notebooks.currentWidget;
      if (!panel || !isBenchmarkNotebook(panel)) {
        return fail(
          trans.__(
            'Open the benchmark notebook first (Open MNIST Device Benchmark).'
          )
        );
      }
      await panel.context.ready;
      await panel.sessionContext.ready;
      const kernel = panel.sessionContext.session?.kernel;
      let report = null;
      const cached = kernel ? probe?.cached(kernel.id) : undefined;
      if (kernel && probe && !cached && (await isBusy(panel, 2000))) {
        // Asking a busy kernel waits for its cell: the run would not start,
        // without a word. The devices must then be named.
        if (!Array.isArray(args.devices)) {
          return fail(
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
        return fail(trans.__('This kernel reports no device PyTorch can use.'));
      }
      const profile =
        typeof args.profile === 'string' ? args.profile : settings.profile;
      const params = (args.params ?? {}) as Record<string, ParameterValue>;
      const deviceNames = Object.fromEntries(
        available.map(d => [d.id, d.name])
      );
      model.setNotebook(panel);
      model.start(devices, profile);
      try {
        const records = await driver.run(panel, {
          devices,
          profile,
          params,
          deviceNames,
          history: settings.history,
          machineLabel: settings.machineLabel || defaultMachineLabel(report)
        });
        if (driver.savedBeside) {
          Notification.warning(
            trans.__(
              "This notebook was saved from another window during the run. The records were written into the file without overwriting that window's changes; this window's own changes are not saved yet. Use File › Reload Notebook from Disk to see both, or save to keep this window's version (the records are kept either way)."
            ),
            { autoClose: false }
          );
        }
        return { ok: true, records } satisfies RunBenchmarkResult;
      } catch (error) {
        if (error instanceof RecordNotSavedError) {
          // The devices that ran stay shown; the unsaved record is logged
          // whole, so that its figures are not lost with the message.
          console.error(
            'jupyterlab-device-bench: unsaved record',
            JSON.stringify(error.record)
          );
          return { ...fail(error.message), records: error.records };
        }
        model.start([]);
        return fail((error as Error).message);
      }
    };

    app.commands.addCommand(CommandIDs.cancelBenchmark, {
      label: trans.__('Cancel Benchmark'),
      caption: trans.__(
        'Stop the running benchmark; the current device is recorded as cancelled'
      ),
      describedBy: { args: { type: 'object', properties: {} } },
      isEnabled: () => driver.isRunning,
      execute: () => driver.cancel()
    });

    launcher?.add({
      command: CommandIDs.openBenchmark,
      args: { isLauncher: true },
      category: trans.__('Other'),
      rank: 1
    });
    if (palette) {
      const category = trans.__('Device Bench');
      for (const command of [
        CommandIDs.openBenchmark,
        CommandIDs.runBenchmark,
        CommandIDs.cancelBenchmark
      ]) {
        palette.addItem({ command, category });
      }
    }
  }
};
