/**
 * Export and merge through the Jupyter contents API: the browser side of
 * the report module (reading files, writing files, offering downloads,
 * rasterising the chart).
 */
import { PathExt } from '@jupyterlab/coreutils';
import type { Contents } from '@jupyterlab/services';
import { renderChartSvg } from './chart';
import { renderCsv } from './csv';
import { renderHtml } from './html';
import { renderJson } from './json';
import { renderMarkdown } from './markdown';
import { baseName, mergeRuns, sourceFromRead } from './merge';
import type {
  IMergedReport,
  IReportInvalidEntry,
  IReportSource
} from './types';
import { readSourceFile } from '../records/validate';
import { REPORT_ERRORS } from './errortext';

export const FORMATS = [
  'csv',
  'json',
  'markdown',
  'html',
  'svg',
  'png'
] as const;
export type ReportFormat = (typeof FORMATS)[number];

const EXTENSIONS: Record<ReportFormat, string> = {
  csv: '.csv',
  json: '.json',
  markdown: '.md',
  html: '.html',
  svg: '.svg',
  png: '.png'
};

const MIME: Record<ReportFormat, string> = {
  csv: 'text/csv',
  json: 'application/json',
  markdown: 'text/markdown',
  html: 'text/html',
  svg: 'image/svg+xml',
  png: 'image/png'
};

export function isReportFormat(value: unknown): value is ReportFormat {
  return (
    typeof value === 'string' && (FORMATS as readonly string[]).includes(value)
  );
}

/**
 * The default report path next to a notebook: `<dir>/<name>-report.<ext>`.
 */
export function reportPath(source: string, format: ReportFormat): string {
  const dir = PathExt.dirname(source);
  const stem = PathExt.basename(source, PathExt.extname(source));
  return PathExt.join(dir, `${stem}-report${EXTENSIONS[format]}`);
}

/**
 * Render a merged report as text (every format but PNG).
 */
export function renderText(
  report: IMergedReport,
  format: Exclude<ReportFormat, 'png'>,
  includeReference: boolean
): string {
  const options = { includeReference };
  switch (format) {
    case 'csv':
      return renderCsv(report, options);
    case 'json':
      return renderJson(report, options);
    case 'markdown':
      return renderMarkdown(report, options);
    case 'html':
      return renderHtml(report, options);
    case 'svg':
      return renderChartSvg(report, options);
  }
}

/**
 * Rasterise an SVG document to PNG (base64, without the data: prefix).
 */
export async function svgToPngBase64(svg: string, scale = 2): Promise<string> {
  const url = URL.createObjectURL(new Blob([svg], { type: MIME.svg }));
  try {
    const image = new Image();
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error(REPORT_ERRORS.chartNotDrawn));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(image.width * scale));
    canvas.height = Math.max(1, Math.round(image.height * scale));
    const context = canvas.getContext('2d');
    if (!context) {
      throw new Error(REPORT_ERRORS.noRaster);
    }
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return canvas
      .toDataURL('image/png')
      .replace(/^data:image\/png;base64,/, '');
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * Read the sources (notebooks and exported JSON reports) and merge them.
 */
export async function readSources(
  contents: Contents.IManager,
  paths: string[]
): Promise<IReportSource[]> {
  const sources: IReportSource[] = [];
  for (const path of paths) {
    const model = await contents.get(path, { content: true });
    let json: unknown = model.content;
    if (model.type !== 'notebook') {
      try {
        json = JSON.parse(String(model.content));
      } catch {
        sources.push({
          name: baseName(path),
          runs: [],
          problems: [`${baseName(path)} is not JSON; it was left out.`]
        });
        continue;
      }
    }
    sources.push(sourceFromRead(baseName(path), readSourceFile(json)));
  }
  return sources;
}

/**
 * What an export wrote.
 */
export interface IExportResult {
  path: string;
  format: ReportFormat;
  runs: number;
  /**
   * The merge warnings (untrusted text may appear in them).
   */
  warnings: string[];
  /**
   * The run records of the sources that were left out as not valid.
   */
  invalid: IReportInvalidEntry[];
}

/**
 * Merge the sources and write the report to `path`; offer it as a download
 * too when `download` is set.
 */
export async function writeReport(
  contents: Contents.IManager,
  sources: IReportSource[],
  format: ReportFormat,
  path: string,
  options: { includeReference: boolean; download?: boolean }
): Promise<IExportResult> {
  const report = mergeRuns(sources);
  let blob: Blob;
  if (format === 'png') {
    const png = await svgToPngBase64(renderChartSvg(report, options));
    await contents.save(path, { type: 'file', format: 'base64', content: png });
    blob = await (await fetch(`data:image/png;base64,${png}`)).blob();
  } else {
    const text = renderText(report, format, options.includeReference);
    await contents.save(path, { type: 'file', format: 'text', content: text });
    blob = new Blob([text], { type: MIME[format] });
  }
  if (options.download) {
    download(blob, PathExt.basename(path));
  }
  return {
    path,
    format,
    runs: report.runs.length,
    warnings: report.warnings,
    invalid: report.invalid
  };
}

/**
 * Offer a blob as a browser download.
 */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  anchor.style.display = 'none';
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
