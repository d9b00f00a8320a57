/**
 * HTML export: one self-contained file — inline style only, the summary
 * table, the inline SVG chart, warnings, failed runs, every run, and the
 * reference figures when asked. No script at all, no external request (a
 * Content-Security-Policy meta tag forbids them too), readable in light and
 * dark, prints well. Every string from a notebook is cleaned, truncated to
 * 200 characters (+ "…") and HTML-escaped.
 */
import { renderChartSvg } from './chart';
import { notebookFields } from './markdown';
import { BREAKDOWN_NOTE, breakdownRows } from './breakdown';
import { displayText, escapeHtml } from '../common/escape';
import {
  formatAccuracy,
  formatRate,
  formatSeconds,
  formatShare,
  formatSpeedup,
  isoTimestamp
} from '../common/format';
import {
  REFERENCE_NOTE,
  REFERENCE_SERIES_LABEL,
  referenceRows
} from './reference';
import type { IFormatOptions, IMergedReport, IRunGroup } from './types';

/**
 * The Content-Security-Policy of exported HTML reports.
 */
export const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/**
 * Untrusted text, cleaned, truncated and escaped for HTML.
 */
export function htmlText(value: unknown, max?: number): string {
  return escapeHtml(displayText(value, max));
}

/**
 * The merged report as one self-contained HTML document.
 */
export function renderHtml(
  report: IMergedReport,
  options: IFormatOptions = {}
): string {
  const generatedAt = isoTimestamp(options.generatedAt);
  const total = report.runs.length;
  const out: string[] = [];
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(REPORT_CSP)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<title>Device benchmark report</title>',
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<h1>Device benchmark report</h1>',
    `<p class="meta">Generated <time datetime="${escapeHtml(generatedAt)}">${escapeHtml(generatedAt)}</time> from ${total} run${total === 1 ? '' : 's'} in ${report.sources.length} source${report.sources.length === 1 ? '' : 's'}${report.sources.length ? ': ' + report.sources.map(name => `<span class="source">${htmlText(name, 80)}</span>`).join(', ') : ''}.</p>`
  );

  if (report.warnings.length) {
    out.push(
      '<section class="warnings" aria-labelledby="warnings">',
      '<h2 id="warnings">Warnings</h2>',
      '<ul>',
      ...report.warnings.map(warning => `<li>${htmlText(warning, 1000)}</li>`),
      '</ul>',
      '</section>'
    );
  }

  out.push(
    '<section aria-labelledby="summary">',
    '<h2 id="summary">Summary</h2>'
  );
  if (report.groups.length) {
    out.push(
      '<div class="table"><table>',
      '<thead><tr><th scope="col">machine</th><th scope="col">device</th><th scope="col">device name</th><th scope="col">profile</th><th scope="col">data and settings</th><th scope="col" class="num">runs</th><th scope="col" class="num">seconds (median)</th><th scope="col" class="num">fastest</th><th scope="col" class="num">samples/s</th><th scope="col" class="num">accuracy</th><th scope="col" class="num">speed-up over CPU</th></tr></thead>',
      '<tbody>',
      ...report.groups.map(groupRow),
      '</tbody>',
      '</table></div>',
      '<p class="note">Seconds: median of the successful runs of the timed training loop. Speed-up: median CPU seconds of the same machine, profile, data and settings ÷ median seconds of the device.</p>'
    );
  } else {
    out.push('<p>No successful run.</p>');
  }
  out.push('</section>');

  out.push(
    '<section aria-labelledby="chart">',
    '<h2 id="chart">Chart</h2>',
    '<figure>',
    renderChartSvg(report, {
      includeReference: options.includeReference,
      standalone: false
    }).trimEnd(),
    '</figure>',
    '</section>'
  );

  const breakdown = breakdownRows(report);
  if (breakdown.length) {
    out.push(
      '<section aria-labelledby="breakdown">',
      '<h2 id="breakdown">Cell breakdown of the benchmark runs</h2>',
      `<p class="note">${escapeHtml(BREAKDOWN_NOTE)}</p>`,
      '<div class="table"><table>',
      '<thead><tr><th scope="col">machine</th><th scope="col">device</th><th scope="col">profile</th><th scope="col">status</th><th scope="col" class="num">train seconds</th><th scope="col">slowest cell</th><th scope="col" class="num">cell seconds</th><th scope="col" class="num">share</th><th scope="col">peak memory</th></tr></thead>',
      '<tbody>',
      ...breakdown.map(
        ({ run, slowest, peak }) =>
          `<tr><td>${htmlText(run.machine_label)}</td><td>${htmlText(run.device)}</td><td>${htmlText(run.profile)}</td><td>${htmlText(run.status)}</td><td class="num">${formatSeconds(run.train_seconds)}</td><td>${htmlText(slowest?.label ?? '')}</td><td class="num">${formatSeconds(slowest?.seconds)}</td><td class="num">${formatShare(slowest?.share)}</td><td>${htmlText(peak)}</td></tr>`
      ),
      '</tbody>',
      '</table></div>',
      '</section>'
    );
  }

  if (report.failed.length) {
    out.push(
      '<section aria-labelledby="failed">',
      '<h2 id="failed">Failed and cancelled runs</h2>',
      '<div class="table"><table>',
      '<thead><tr><th scope="col">machine</th><th scope="col">device</th><th scope="col">profile</th><th scope="col">status</th><th scope="col">finished</th><th scope="col">error</th></tr></thead>',
      '<tbody>',
      ...report.failed.map(
        run =>
          `<tr><td>${htmlText(run.machine_label)}</td><td>${htmlText(run.device)}</td><td>${htmlText(run.profile)}</td><td>${htmlText(run.status)}</td><td>${htmlText(run.finished_at)}</td><td>${htmlText(run.error)}</td></tr>`
      ),
      '</tbody>',
      '</table></div>',
      '</section>'
    );
  }

  if (report.notebooks.length) {
    out.push(
      '<section aria-labelledby="notebooks">',
      '<h2 id="notebooks">Notebook timings</h2>',
      '<p class="note">Runs of users&#39; own notebooks, timed cell by cell (not the MNIST benchmark: not in the figures above). Code: the first 12 characters of the timed cells&#39; hash.</p>',
      '<div class="table"><table>',
      '<thead><tr><th scope="col">notebook</th><th scope="col">machine</th><th scope="col">device</th><th scope="col">status</th><th scope="col" class="num">total seconds</th><th scope="col" class="num">timed cells</th><th scope="col">code</th><th scope="col">error</th></tr></thead>',
      '<tbody>',
      ...report.notebooks.map(run => {
        const fields = notebookFields(run);
        return `<tr><td>${htmlText(fields.notebook)}</td><td>${htmlText(run.machine_label)}</td><td>${htmlText(run.device)}</td><td>${htmlText(run.status)}</td><td class="num">${formatSeconds(fields.total)}</td><td class="num">${fields.cells}</td><td>${htmlText(fields.code)}</td><td>${htmlText(run.error)}</td></tr>`;
      }),
      '</tbody>',
      '</table></div>',
      '</section>'
    );
  }

  if (options.includeReference) {
    out.push(
      '<section aria-labelledby="reference">',
      `<h2 id="reference">${escapeHtml(capitalise(REFERENCE_SERIES_LABEL))}</h2>`,
      `<p class="note">${escapeHtml(REFERENCE_NOTE)}</p>`,
      '<div class="table"><table>',
      '<thead><tr><th scope="col">machine</th><th scope="col">device</th><th scope="col">device name</th><th scope="col">profile</th><th scope="col" class="num">seconds</th><th scope="col" class="num">speed-up over CPU</th></tr></thead>',
      '<tbody>',
      ...referenceRows().map(
        row =>
          `<tr><td>${escapeHtml(row.machine)}</td><td>${escapeHtml(row.device)}</td><td>${escapeHtml(row.device_name)}</td><td>${escapeHtml(row.profile)}</td><td class="num">${formatSeconds(row.seconds)}</td><td class="num">${row.device === 'cpu' ? 'baseline' : escapeHtml(formatSpeedup(row.speedup))}</td></tr>`
      ),
      '</tbody>',
      '</table></div>',
      '</section>'
    );
  }

  out.push(
    '<section aria-labelledby="runs">',
    `<h2 id="runs">All runs (${total})</h2>`
  );
  if (total) {
    out.push(
      '<div class="table"><table class="runs">',
      '<thead><tr><th scope="col">machine</th><th scope="col">device</th><th scope="col">profile</th><th scope="col">status</th><th scope="col" class="num">seconds</th><th scope="col">finished</th><th scope="col">id</th><th scope="col">found in</th></tr></thead>',
      '<tbody>',
      ...report.runs.map(
        ({ record, sources }) =>
          `<tr><td>${htmlText(record.machine_label)}</td><td>${htmlText(record.device)}</td><td>${htmlText(record.profile)}</td><td>${htmlText(record.status)}</td><td class="num">${formatSeconds(record.train_seconds)}</td><td>${htmlText(record.finished_at)}</td><td class="id">${htmlText(record.id)}</td><td>${htmlText(sources.join(', '))}</td></tr>`
      ),
      '</tbody>',
      '</table></div>'
    );
  } else {
    out.push('<p>No run.</p>');
  }
  out.push(
    '</section>',
    '</main>',
    '<footer><p>Exported by jupyterlab-device-bench. This file contains no script and loads nothing.</p></footer>',
    '</body>',
    '</html>'
  );
  return out.join('\n') + '\n';
}

function groupRow(group: IRunGroup): string {
  const speedup = group.baseline
    ? 'baseline'
    : group.speedup === null
      ? '—'
      : escapeHtml(formatSpeedup(group.speedup));
  return [
    '<tr>',
    `<td>${htmlText(group.machine)}</td>`,
    `<td>${htmlText(group.device)}</td>`,
    `<td>${htmlText(group.deviceName)}</td>`,
    `<td>${htmlText(group.profile)}</td>`,
    `<td class="wide">${htmlText(group.workloadLabel)}</td>`,
    `<td class="num">${group.count}</td>`,
    `<td class="num">${formatSeconds(group.medianSeconds)}</td>`,
    `<td class="num">${formatSeconds(group.minSeconds)}</td>`,
    `<td class="num">${formatRate(group.meanSamplesPerSecond)}</td>`,
    `<td class="num">${formatAccuracy(group.meanAccuracy)}</td>`,
    `<td class="num">${speedup}</td>`,
    '</tr>'
  ].join('');
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The document's only style: light and dark palettes, print rules, and the
 * chart's classes.
 */
const STYLE = `
:root {
  color-scheme: light dark;
  --fg: #1f2328;
  --bg: #ffffff;
  --muted: #59636e;
  --border: #d1d9e0;
  --stripe: #f6f8fa;
  --bar: #2f6fbd;
  --cpu: #818b98;
  --reference: #c4661f;
  --warn-bg: #fff8c5;
  --warn-border: #d4a72c;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3;
    --bg: #0d1117;
    --muted: #9198a1;
    --border: #3d444d;
    --stripe: #151b23;
    --bar: #5a9ee8;
    --cpu: #8b949e;
    --reference: #e0904a;
    --warn-bg: #2c2413;
    --warn-border: #9e6a03;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0;
  color: var(--fg);
  background: var(--bg);
  font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
}
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.5rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; }
.meta, .note, footer { color: var(--muted); }
.note { font-size: 0.9rem; }
.source { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.warnings {
  border: 1px solid var(--warn-border);
  background: var(--warn-bg);
  border-radius: 6px;
  padding: 0 1rem 0.5rem;
}
.warnings h2 { margin-top: 0.75rem; }
table { border-collapse: collapse; width: 100%; }
.table { overflow-x: auto; margin: 0.5rem 0; }
th, td {
  border-bottom: 1px solid var(--border);
  padding: 0.3rem 0.5rem;
  text-align: left;
  vertical-align: top;
  overflow-wrap: break-word;
}
thead th { border-bottom-width: 2px; }
tbody tr:nth-child(even) { background: var(--stripe); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
.wide { min-width: 14rem; }
.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.85em; }
figure { margin: 0.5rem 0; overflow-x: auto; }
svg.jp-DeviceBench-chart { max-width: 100%; height: auto; color: var(--fg); }
.jp-DeviceBench-chart-bar { fill: var(--bar); }
.jp-DeviceBench-chart-bar-cpu { fill: var(--cpu); }
.jp-DeviceBench-chart-bar-reference { fill: var(--reference); fill-opacity: 0.35; stroke: var(--reference); }
.jp-DeviceBench-chart-axis { stroke: var(--border); }
footer { max-width: 72rem; margin: 0 auto; padding: 0 1rem 2rem; font-size: 0.85rem; }
@media print {
  :root {
    color-scheme: light;
    --fg: #000000;
    --bg: #ffffff;
    --muted: #333333;
    --border: #999999;
    --stripe: #ffffff;
    --bar: #2f6fbd;
    --cpu: #818b98;
    --reference: #c4661f;
    --warn-bg: #ffffff;
    --warn-border: #000000;
  }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  tr, figure, .warnings li { break-inside: avoid; }
  thead { display: table-header-group; }
  figure { overflow: visible; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
