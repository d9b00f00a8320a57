/**
 * Provides the kernel probe service.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { followSettings } from '../settings';
import { IDeviceProbe } from '../tokens';
import { DeviceProbeService } from './service';

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
