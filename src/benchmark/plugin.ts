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
import { chipIcon } from '../icons';
import {
  BENCHMARK_NOTEBOOK,
  BENCHMARK_NOTEBOOK_ZH_CN
} from './_generated/notebook';
import type { IProbeDevice } from '../kernel/types';
import { followSettings } from '../settings';
import {
  CommandIDs,
  ICurrentKernelWidget,
  IDevicePanel,
  IDeviceProbe,
  TRANSLATION_DOMAIN
} from '../tokens';
import { BenchmarkController } from './controller';
import { BenchmarkDriver, PROFILES, replaceKernel } from './driver';
import { checkLeftovers, type ILeftoverNotice } from './leftover';
import { progressRendererFactory, resultRendererFactory } from './mime';
import { BenchmarkModel } from './model';
import { BenchmarkView } from './view';

/**
 * The file name the benchmark notebook is copied to.
 */
const NOTEBOOK_NAME = 'mnist_bench';

export type { RunBenchmarkResult } from './controller';

/**
 * The bundled notebook for a UI language: its prose in Chinese for zh-CN
 * (the code cells are the English notebook's, built from one source by
 * scripts/build_zh_notebook.py), else English.
 */
export function benchmarkNotebook(languageCode: string | undefined): string {
  return /^zh([-_](cn|hans)|$)/i.test(languageCode ?? '')
    ? BENCHMARK_NOTEBOOK_ZH_CN
    : BENCHMARK_NOTEBOOK;
}

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
  requires: [INotebookTracker, IDevicePanel, ICurrentKernelWidget],
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
    current: ICurrentKernelWidget,
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
    const settings = {
      profile: 'seed',
      history: 50,
      machineLabel: '',
      timingRepeat: 1
    };
    followSettings(settingRegistry, loaded => {
      settings.profile = loaded.get('defaultProfile').composite as string;
      settings.history = loaded.get('historySize').composite as number;
      settings.timingRepeat = loaded.get('timingRepeat').composite as number;
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
        openBenchmark: () =>
          void app.commands.execute(CommandIDs.openBenchmark),
        useDevice: device =>
          void app.commands.execute(CommandIDs.insertDeviceCell, { device })
      }
    });
    devicePanel.addSection(view, { rank: 100 });
    devicePanel.model.stateChanged.connect(() => view.update());
    probe?.probed.connect(() => view.update());
    // The current notebook, except while a run holds its own.
    const follow = () => {
      if (!driver.isRunning) {
        model.setNotebook(current.currentNotebook);
      }
    };
    current.changed.connect(follow);
    follow();
    driver.runningChanged.connect((_, running) => {
      if (!running) {
        follow();
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

    const controller = new BenchmarkController({
      driver,
      model,
      probe,
      settings,
      current: () => current.currentNotebook,
      trans,
      error: message => Notification.error(message, { autoClose: 8000 }),
      warning: message => Notification.warning(message, { autoClose: false })
    });

    // Where a copy goes when no folder is given: the file browser's folder in
    // JupyterLab; in Jupyter Notebook 7's notebook view (no ILabShell, no
    // file browser on that page) the open notebook's folder.
    const defaultFolder = (): string => {
      const notebook = current.currentNotebook;
      if (!labShell && notebook) {
        return PathExt.dirname(notebook.context.path);
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
          content: JSON.parse(benchmarkNotebook(translator?.languageCode))
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
        'Run the open benchmark notebook, or time a notebook with a device cell, once per device and record the times'
      ),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            devices: { type: 'array', items: { type: 'string' } },
            profile: { type: 'string', enum: [...PROFILES] },
            params: { type: 'object' },
            repeat: {
              type: 'integer',
              minimum: 1,
              description:
                'Runs per device when timing a notebook with a device cell'
            }
          }
        }
      },
      isEnabled: () => controller.canRun,
      execute: args => controller.run(args)
    });

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
