/**
 * The zh_CN catalog the wheel ships, loaded the way JupyterLab's
 * TranslationManager loads an extension's catalog (its own Gettext, so `%1`
 * filling and fallbacks are JupyterLab's), for the unit specs that check
 * Chinese wording; and the English bundle for those that check the fallback.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Gettext, nullTranslator } from '@jupyterlab/translation';
import { readFileSync } from 'fs';
import { join } from 'path';

export const DOMAIN = 'jupyterlab_device_bench';

export const CATALOG_PATH = join(
  __dirname,
  '../../jupyterlab_device_bench/locale/zh_CN/LC_MESSAGES/jupyterlab_device_bench.json'
);

let cached: TranslationBundle | null = null;

/**
 * A translation bundle over the shipped zh_CN catalog (locale zh-CN).
 */
export function chinese(): TranslationBundle {
  if (!cached) {
    const data = JSON.parse(readFileSync(CATALOG_PATH, 'utf8'));
    const metadata = data[''];
    const bundle = new Gettext({ domain: DOMAIN, locale: 'zh-CN' });
    bundle.loadJSON(
      { ...data, '': { ...metadata, pluralForms: metadata.plural_forms } },
      DOMAIN
    );
    cached = bundle;
  }
  return cached;
}

/**
 * The English UI's bundle (no catalog).
 */
export function english(): TranslationBundle {
  return nullTranslator.load(DOMAIN);
}
