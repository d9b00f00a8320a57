/**
 * The extension's one settings schema (`schema/plugin.json`), shared by its
 * plugins.
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { ITranslator } from '@jupyterlab/translation';
import { translateSchema } from './common/schematext';

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

/**
 * Whether a UI language code (BCP 47, `translator.languageCode`) is English.
 */
export function isEnglish(languageCode: string): boolean {
  return /^en(-|$)/i.test(languageCode);
}

/**
 * Show the schema's titles and descriptions in the UI language in the
 * Settings Editor, from the extension's own catalog (`domain`).
 *
 * jupyterlab_server translates schemas only from a language pack's own `.mo`
 * files, and `ISettingRegistry.transform` is never called for a schema without
 * `"jupyter.lab.transform": true`, a flag that keeps the plugin out of the
 * registry until the transform is registered (so `jupyter.lab.menus` and
 * `jupyter.lab.toolbars` would be composed late). So the registry's entry for
 * the plugin is replaced by a copy with a translated schema once it loads, and
 * again whenever the registry reloads it (a save fetches it anew, in
 * English); the fetched object is never changed, the menus and toolbars in it
 * are the same, and nothing is emitted. An English UI does nothing at all.
 */
export function translateSettingsSchema(
  registry: ISettingRegistry | null,
  translator: ITranslator | null,
  domain: string
): void {
  if (!registry || !translator || isEnglish(translator.languageCode)) {
    return;
  }
  const trans = translator.load(domain);
  const translated = new WeakSet<ISettingRegistry.IPlugin>();
  const apply = () => {
    const plugin = registry.plugins[SETTINGS_ID];
    if (!plugin || translated.has(plugin)) {
      return;
    }
    const copy: ISettingRegistry.IPlugin = {
      ...plugin,
      schema: translateSchema(plugin.schema, trans)
    };
    translated.add(copy);
    registry.plugins[SETTINGS_ID] = copy;
  };
  registry.pluginChanged.connect((_, id) => {
    if (id === SETTINGS_ID) {
      apply();
    }
  });
  void registry.load(SETTINGS_ID).then(apply, () => undefined);
}
