/**
 * The report exporter's errors (exporter.ts), shown in the user's language.
 *
 * The errors are thrown in English (a command's result keeps them so); the
 * notification words them through the translator (common/texttable.ts).
 * Any other text is shown as it is.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { TextTable } from '../common/texttable';
import { translateKnown } from '../common/texttable';

/**
 * The exporter's own errors, as thrown (English).
 */
export const REPORT_ERRORS = {
  chartNotDrawn: 'The browser could not draw the chart.',
  noRaster: 'This browser cannot rasterise the chart.'
} as const;

const REPORT_ERROR_TEXTS: TextTable = {
  [REPORT_ERRORS.chartNotDrawn]: trans =>
    trans.__('The browser could not draw the chart.'),
  [REPORT_ERRORS.noRaster]: trans =>
    trans.__('This browser cannot rasterise the chart.')
};

/**
 * A report error in the user's language; other texts as they are.
 */
export function reportErrorText(
  trans: TranslationBundle,
  message: string
): string {
  return translateKnown(trans, REPORT_ERROR_TEXTS, message);
}
