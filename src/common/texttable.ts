/**
 * One lookup for every text the UI words from a table: stored English errors
 * (benchmark/errortext.ts, common/probetext.ts) and the kernel's sentences
 * sent as codes (panel/fixtext.ts, panel/reasontext.ts).
 *
 * A table maps a key (the stored English text, or a code) to its wording: a
 * function that makes the sentence with a `trans.__` call of a string literal,
 * so that jupyterlab-translate extracts the template. Parameters are data: they
 * fill `%1`, `%2` … once and are never read as markup here (React escapes
 * them when it renders the text).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';

/**
 * What a wording needs of a translation bundle.
 */
export type Translate = Pick<TranslationBundle, '__'>;

/**
 * A text's parameters: strings, or null/undefined for "not known".
 */
export type TextParams = Readonly<Record<string, string | null | undefined>>;

/**
 * A sentence made with the translator; null: no translation by design (the
 * caller's own English stands).
 */
export type Wording = (trans: Translate, params: TextParams) => string | null;

/**
 * Key -> wording.
 */
export type TextTable = Readonly<Record<string, Wording>>;

/**
 * A stored text that carries values (e.g. "… within 120 s (…)."): the
 * pattern's groups become the parameters named by `names`, in order.
 */
export interface ITextPattern {
  pattern: RegExp;
  names: readonly string[];
  word: Wording;
}

// Never called with strings of its own: it re-words a table's sentences in
// English, to tell whether the user's language has a translation.
// eslint-disable-next-line jupyter/incorrect-translator-usage
const ENGLISH = nullTranslator.load('jupyterlab_device_bench');

/**
 * Whether `table` has a wording for `key` (own keys only).
 */
export function hasText(table: TextTable, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, key);
}

/**
 * The wording of `key` in the user's language, or `fallback` (the text the
 * kernel or the record sent, by default the key itself) when the table does
 * not know the key, when its wording is null, or when the translator has no
 * translation (the wording reads as its English template would): then the
 * sender's own words stand, so that an unknown code from a newer kernel and
 * an old record that stored only English still render.
 */
export function translateKnown(
  trans: Translate,
  table: TextTable,
  key: string,
  options: {
    params?: TextParams;
    fallback?: string;
    patterns?: readonly ITextPattern[];
  } = {}
): string {
  const fallback = options.fallback ?? key;
  if (hasText(table, key)) {
    return wordKnown(trans, table, key, options.params ?? {}) ?? fallback;
  }
  for (const { pattern, names, word } of options.patterns ?? []) {
    const match = pattern.exec(key);
    if (match) {
      const params = Object.fromEntries(names.map((n, i) => [n, match[i + 1]]));
      return translated(trans, word, params) ?? fallback;
    }
  }
  return fallback;
}

/**
 * The wording of `key` in the user's language; null when the table does not
 * know the key, its wording is null, or the translator has no translation
 * (see translateKnown).
 */
export function wordKnown(
  trans: Translate,
  table: TextTable,
  key: string,
  params: TextParams
): string | null {
  return hasText(table, key) ? translated(trans, table[key], params) : null;
}

function translated(
  trans: Translate,
  word: Wording,
  params: TextParams
): string | null {
  const localized = word(trans, params);
  if (localized === null || localized === word(ENGLISH, params)) {
    return null;
  }
  return localized;
}

/**
 * A parameter as shown: its value, or `?` when not known.
 */
export function shown(value: string | null | undefined): string {
  return value ?? '?';
}
