/**
 * CSV export: one row per run (and per reference figure when asked), RFC 4180
 * quoting, and neutralised spreadsheet formulas.
 *
 * Safety rule: only numbers this module writes itself (finite JS numbers from
 * validated run records, written with `String(n)`) are left as they are;
 * every string cell (anything that came from a notebook as text, and JSON of
 * objects) that starts with `=`, `+`, `-`, `@` (or their full-width forms),
 * possibly after white space, or with a tab, CR or LF, gets a leading `'`,
 * and so does every part of it after a separator (`,` `;` tab, CR, LF) that
 * would start a formula (the `'` is inserted after the separator).
 * A notebook string such as "-2+3" or even "-5" is therefore written as
 * `'-2+3` / `'-5`: text that looks like a number is still text. A cell is
 * capped at 32,000 characters (spreadsheets hold at most 32,767).
 */
import { preview, truncate } from '../common/escape';
import { REFERENCE_SERIES_LABEL, REFERENCE_FIGURES } from './reference';
import type { IFormatOptions, IMergedReport, IMergedRun } from './types';

/**
 * The CSV columns, in order.
 */
export const CSV_COLUMNS: readonly string[] = Object.freeze([
  'kind',
  'id',
  'status',
  'source',
  'machine_label',
  'device',
  'device_name',
  'profile',
  'train_seconds',
  'steady_epoch_seconds',
  'samples_per_second',
  'accuracy',
  'epochs',
  'batch_size',
  'dataset',
  'data_source',
  'train_samples',
  'repeat_to',
  'torch_version',
  'cuda_version',
  'started_at',
  'finished_at',
  'error',
  'found_in',
  'params'
]);

/**
 * The most characters one cell holds (then "…").
 */
export const CSV_CELL_MAX = 32000;

/**
 * Options of the CSV export.
 */
export interface ICsvOptions extends IFormatOptions {
  /**
   * Start with a UTF-8 byte order mark (helps Excel detect UTF-8; default false).
   */
  bom?: boolean;
}

const FORMULA_START =
  /^[\t\r\n]|^[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]/;

const FORMULA_CHARS = '=+-@\uff1d\uff0b\uff0d\uff20';

/**
 * Prefix `'` to a string a spreadsheet would read as a formula, and insert
 * `'` after every separator (`,` `;` tab, CR, LF, CRLF) whose field would
 * start a formula: `=` `+` `-` `@` (or their full-width forms) after optional
 * white space (tabs and line breaks included) or quotes. Excel in a locale
 * whose list separator is `;` splits `GPU;=cmd|...` at the `;`, even inside
 * a quoted field, and runs the second part; so no part of a cell may start
 * a formula, whichever separator the spreadsheet splits at.
 *
 * One pass, linear in the length of the text.
 */
export function neutraliseFormula(text: string): string {
  const inserts: number[] = [];
  // Ends of separators whose field has only white space or quotes so far.
  let pending: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ',' || c === ';') {
      pending = [i + 1];
    } else if (c === '\t' || c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++;
      }
      pending.push(i + 1);
    } else if (c === '"' || /\s/.test(c)) {
      continue;
    } else {
      if (pending.length && FORMULA_CHARS.includes(c)) {
        inserts.push(...pending);
      }
      pending = [];
    }
  }
  let inner = text;
  if (inserts.length) {
    const parts: string[] = [];
    let last = 0;
    for (const at of inserts) {
      parts.push(text.slice(last, at), "'");
      last = at;
    }
    parts.push(text.slice(last));
    inner = parts.join('');
  }
  return FORMULA_START.test(inner) ? `'${inner}` : inner;
}

/**
 * Quote a field when it holds `,` `"` CR or LF (RFC 4180), or `;` or a tab
 * (the separators of other locales and of TSV), doubling quotes.
 */
export function quoteCsv(text: string): string {
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One CSV cell: finite numbers as numbers, booleans as true/false, null and
 * undefined empty, strings (and objects as JSON) capped, neutralised and
 * quoted.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(value) : '';
  }
  if (typeof value === 'boolean') {
    return String(value);
  }
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else {
    try {
      text = JSON.stringify(value) ?? '';
    } catch {
      text = preview(value, CSV_CELL_MAX);
    }
  }
  let safe = neutraliseFormula(truncate(text, CSV_CELL_MAX));
  if (safe.length > CSV_CELL_MAX + 2) {
    // Many inserted `'` made it longer than cap + "…" + a leading `'`: cut
    // again (cutting only removes text, so what is left stays neutralised).
    safe = truncate(safe, CSV_CELL_MAX);
  }
  return quoteCsv(safe);
}

/**
 * The merged report as CSV (columns: {@link CSV_COLUMNS}; CRLF line ends).
 */
export function renderCsv(
  report: IMergedReport,
  options: ICsvOptions = {}
): string {
  const lines: string[] = [CSV_COLUMNS.join(',')];
  for (const run of report.runs) {
    lines.push(runRow(run).map(csvCell).join(','));
  }
  if (options.includeReference) {
    for (const figure of REFERENCE_FIGURES) {
      const row: unknown[] = new Array(CSV_COLUMNS.length).fill(null);
      row[0] = 'reference';
      row[3] = REFERENCE_SERIES_LABEL;
      row[4] = figure.machine;
      row[5] = figure.device;
      row[6] = figure.device_name;
      row[7] = figure.profile;
      row[8] = figure.seconds;
      lines.push(row.map(csvCell).join(','));
    }
  }
  return (options.bom ? '\ufeff' : '') + lines.join('\r\n') + '\r\n';
}

function runRow({ record, sources }: IMergedRun): unknown[] {
  const settings = objectOrEmpty(record.settings);
  const data = objectOrEmpty(record.data);
  const versions = objectOrEmpty(record.versions);
  return [
    // A timing run of a user's notebook is of other code: its own kind, and
    // no MNIST columns.
    (record as { kind?: unknown }).kind === 'notebook' ? 'notebook' : 'run',
    record.id,
    record.status,
    record.source,
    record.machine_label,
    record.device,
    record.device_name,
    record.profile,
    record.train_seconds,
    record.steady_epoch_seconds,
    record.samples_per_second,
    record.accuracy,
    settings.epochs,
    settings.batch_size,
    settings.dataset,
    data.source,
    data.train_samples,
    data.repeat_to ?? settings.repeat_to,
    versions.torch,
    versions.cuda,
    record.started_at,
    record.finished_at,
    record.error,
    sources.join('; '),
    record.params
  ];
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
