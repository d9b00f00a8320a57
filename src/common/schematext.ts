/**
 * A settings schema's titles and descriptions, translated in the browser with
 * the extension's own catalog (jupyterlab_server translates schemas only from
 * a language pack's own `.mo` files: docs/i18n.md).
 *
 * Which strings are translated, and with which context, mirrors
 * jupyterlab_server's `translation_utils` (`DEFAULT_SCHEMA_SELECTORS`,
 * `_translate_schema_strings`): every string of the schema gets a path such as
 * `/properties/defaultProfile/oneOf[0]/title`, and the first selector that
 * matches the whole path gives its context (`settings` for the properties'
 * titles and descriptions, anything nested in them included; `schema` for the
 * top-level title and description, and for the selectors a schema adds under
 * `jupyter.lab.internationalization.selectors`). Pure: no DOM, no registry.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

/**
 * What the walk needs of a translation bundle.
 */
export type TranslateWithContext = Pick<TranslationBundle, '_p'>;

/**
 * jupyterlab_server's selectors and their contexts, in its order (the first
 * match wins).
 */
const DEFAULT_SELECTORS: ReadonlyArray<readonly [string, string]> = [
  ['properties/.*/title', 'settings'],
  ['properties/.*/description', 'settings'],
  ['definitions/.*/properties/.*/title', 'settings'],
  ['definitions/.*/properties/.*/description', 'settings'],
  ['title', 'schema'],
  ['description', 'schema'],
  ['jupyter\\.lab\\.setting-icon-label', 'settings'],
  ['jupyter\\.lab\\.menus/.*/label', 'menu'],
  ['jupyter\\.lab\\.toolbars/.*/label', 'toolbar']
];

const I18N_KEY = 'jupyter.lab.internationalization';

type Json = unknown;
type Selector = readonly [RegExp, string];

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The selectors for one schema: the defaults, then the schema's own (context
 * `schema`); a selector given twice keeps its first place and takes the last
 * context, as Python's dict merge does. A selector that is not a valid
 * regular expression here is left out.
 */
function selectors(schema: Record<string, Json>): Selector[] {
  const contexts = new Map<string, string>(DEFAULT_SELECTORS);
  const i18n = schema[I18N_KEY];
  const own = isObject(i18n) ? i18n.selectors : undefined;
  if (Array.isArray(own)) {
    for (const selector of own) {
      if (typeof selector === 'string') {
        contexts.set(selector, 'schema');
      }
    }
  }
  const compiled: Selector[] = [];
  for (const [selector, context] of contexts) {
    try {
      compiled.push([new RegExp('^/' + selector + '$'), context]);
    } catch {
      // Python's regular expressions are not all JavaScript's.
    }
  }
  return compiled;
}

function walk(
  catalog: TranslateWithContext,
  node: Record<string, Json>,
  prefix: string,
  rules: Selector[]
): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) {
    const path = prefix + '/' + key;
    if (typeof value === 'string') {
      const rule = rules.find(([pattern]) => pattern.test(path));
      // The schema's strings are msgids that jupyterlab-translate extracts
      // from schema/plugin.json, not literals of this file (so the bundle is
      // not named `trans`: the extractor and test_catalog.py look for those).
      out[key] = rule ? catalog._p(rule[1], value) : value;
    } else if (isObject(value)) {
      out[key] = walk(catalog, value, path, rules);
    } else if (Array.isArray(value)) {
      out[key] = value.map((element, index) =>
        isObject(element)
          ? walk(catalog, element, `${path}[${index}]`, rules)
          : copy(element)
      );
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * A deep copy of JSON-like data (nothing is translated in it).
 */
function copy(value: Json): Json {
  if (Array.isArray(value)) {
    return value.map(copy);
  }
  if (isObject(value)) {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = copy(item);
    }
    return out;
  }
  return value;
}

/**
 * A copy of `schema` with its titles and descriptions translated by `catalog`
 * in jupyterlab_server's contexts; `schema` itself is not changed. A string
 * the catalog lacks stays as it is; anything but an object comes back as it
 * is.
 */
export function translateSchema<T>(
  schema: T,
  catalog: TranslateWithContext
): T {
  if (!isObject(schema)) {
    return schema;
  }
  return walk(catalog, schema, '', selectors(schema)) as T;
}
