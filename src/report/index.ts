/**
 * Timing reports: reading run records (notebook metadata, exported reports),
 * merging them, and exporting them as CSV, JSON, Markdown, HTML and SVG.
 *
 * Pure functions without DOM: they run in the browser and in Node.
 */
export * from './types';
export {
  DISPLAY_MAX,
  ELLIPSIS,
  cleanText,
  displayText,
  escapeHtml,
  escapeMarkdown,
  preview,
  truncate
} from './escape';
export {
  REPORT_KIND,
  SCHEMA_VERSION,
  kindOf,
  readDeviceBench,
  readReport,
  readSourceFile,
  runProblem
} from './validate';
export {
  MAX_WARNINGS,
  baseName,
  median,
  mergeRuns,
  sourceFromRead,
  workloadLabel,
  workloadOf
} from './merge';
export {
  formatAccuracy,
  formatRate,
  formatSeconds,
  formatSpeedup,
  isoTimestamp
} from './format';
export {
  REFERENCE_FIGURES,
  REFERENCE_NOTE,
  REFERENCE_SERIES_LABEL,
  referenceJson,
  referenceRows
} from './reference';
export type { IReferenceRow } from './reference';
export {
  CSV_CELL_MAX,
  CSV_COLUMNS,
  csvCell,
  neutraliseFormula,
  quoteCsv,
  renderCsv
} from './csv';
export type { ICsvOptions } from './csv';
export { buildJsonReport, renderJson } from './json';
export type { IJsonReport } from './json';
export { mdText, renderMarkdown } from './markdown';
export { REPORT_CSP, htmlText, renderHtml } from './html';
export { layoutChart, renderChartSvg } from './chart';
export type { IChartLayout, IChartOptions, IChartRow } from './chart';
