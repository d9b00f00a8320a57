/**
 * The device cell's errors (deviceCell.ts), shown in the user's language.
 *
 * The errors are thrown in English (a command's result and the console keep
 * them so); the notification words them through the translator
 * (common/texttable.ts). Any other text is shown as it is.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ITextPattern } from '../common/texttable';
import { shown, translateKnown } from '../common/texttable';

const DEVICE_CELL_ERROR_PATTERNS: readonly ITextPattern[] = [
  {
    pattern:
      /^"(.*)" is not a device this extension can select: use auto, cpu, mps, cuda, cuda:N, xpu or xpu:N\.$/s,
    names: ['device'],
    word: (trans, p) =>
      trans.__(
        '"%1" is not a device this extension can select: use auto, cpu, mps, cuda, cuda:N, xpu or xpu:N.',
        shown(p.device)
      )
  },
  {
    pattern:
      /^(\d+) cells are tagged "(.+)"; keep the tag on one of them \(nothing was changed\)\.$/,
    names: ['count', 'tag'],
    word: (trans, p) =>
      trans.__(
        '%1 cells are tagged "%2"; keep the tag on one of them (nothing was changed).',
        shown(p.count),
        shown(p.tag)
      )
  },
  {
    pattern:
      /^The cell tagged "(.+)" is not a code cell; remove the tag or the cell first \(nothing was changed\)\.$/,
    names: ['tag'],
    word: (trans, p) =>
      trans.__(
        'The cell tagged "%1" is not a code cell; remove the tag or the cell first (nothing was changed).',
        shown(p.tag)
      )
  }
];

/**
 * A device-cell error in the user's language; other texts as they are.
 */
export function deviceCellErrorText(
  trans: TranslationBundle,
  message: string
): string {
  return translateKnown(trans, {}, message, {
    patterns: DEVICE_CELL_ERROR_PATTERNS
  });
}
