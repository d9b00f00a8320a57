/**
 * The extension's one settings schema (`schema/plugin.json`), shared by its
 * plugins.
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';

/**
 * The id of the plugin whose schema is `schema/plugin.json` (the panel).
 */
export const SETTINGS_ID = 'jupyterlab-device-bench:plugin';

/**
 * Call `apply` with the settings once they load, and again on every change.
 */
export function followSettings(
  registry: ISettingRegistry | null,
  apply: (settings: ISettingRegistry.ISettings) => void
): void {
  if (!registry) {
    return;
  }
  void registry
    .load(SETTINGS_ID)
    .then(settings => {
      apply(settings);
      settings.changed.connect(apply);
    })
    .catch(reason => {
      console.error(
        'jupyterlab-device-bench: could not load settings.',
        reason
      );
    });
}
