/**
 * Provides the kernel probe service and the tracker of the current
 * kernel-bearing widget.
 */
import {
  ILabShell,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { followSettings } from '../settings';
import { ICurrentKernelWidget, IDeviceProbe } from '../tokens';
import { DeviceProbeService } from './service';
import { CurrentKernelWidget } from './tracker';

export const probePlugin: JupyterFrontEndPlugin<IDeviceProbe> = {
  id: 'jupyterlab-device-bench:probe',
  description: 'Asks running kernels which devices their PyTorch can use.',
  autoStart: true,
  provides: IDeviceProbe,
  optional: [ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null
  ): IDeviceProbe => {
    const service = new DeviceProbeService();
    followSettings(settingRegistry, settings => {
      const seconds = settings.get('probeTimeoutSeconds').composite as number;
      service.timeoutMs = seconds * 1000;
    });
    return service;
  }
};

export const currentKernelWidgetPlugin: JupyterFrontEndPlugin<ICurrentKernelWidget> =
  {
    id: 'jupyterlab-device-bench:current-kernel-widget',
    description:
      'Tracks the notebook or console whose kernel the extension follows.',
    autoStart: true,
    provides: ICurrentKernelWidget,
    optional: [INotebookTracker, IConsoleTracker, ILabShell],
    activate: (
      app: JupyterFrontEnd,
      notebooks: INotebookTracker | null,
      consoles: IConsoleTracker | null,
      labShell: ILabShell | null
    ): ICurrentKernelWidget =>
      new CurrentKernelWidget({ notebooks, consoles, shell: labShell })
  };
