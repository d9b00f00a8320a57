/**
 * Provides the kernel probe service.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IDeviceProbe } from '../tokens';
import { DeviceProbeService } from './service';

/**
 * The id of the plugin whose schema is `schema/plugin.json`.
 */
export const SETTINGS_ID = 'jupyterlab-device-bench:plugin';

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
    if (settingRegistry) {
      void settingRegistry
        .load(SETTINGS_ID)
        .then(settings => {
          const update = () => {
            const seconds = settings.get('probeTimeoutSeconds')
              .composite as number;
            service.timeoutMs = seconds * 1000;
          };
          update();
          settings.changed.connect(update);
        })
        .catch(reason => {
          console.error(
            'jupyterlab-device-bench: could not load settings.',
            reason
          );
        });
    }
    return service;
  }
};
