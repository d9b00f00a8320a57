/**
 * The bar chart of a merged report: horizontal bars of median training
 * seconds per machine, device and profile (every machine shown, also those
 * without a successful run), optionally followed by the published reference
 * series.
 *
 * `layoutChart` computes the geometry and the (cleaned, truncated, NOT
 * escaped) texts, for a view that builds SVG elements itself;
 * `renderChartSvg` writes SVG markup with every text escaped. Class names are
 * `jp-DeviceBench-chart-*` so that the panel can style them with `--jp-*`
 * variables; presentation attributes give a neutral palette that reads in
 * light and dark when nothing styles them.
 */
/* eslint-disable jupyter/no-untranslated-string -- the chart belongs to exported
   reports, which are written in English (docs/reports.md) */
import { displayText, escapeHtml } from '../common/escape';
import { formatSeconds, formatSpeedup } from '../common/format';
import { differingWorkloadFields, workloadParts } from './merge';
import { REFERENCE_SERIES_LABEL, referenceRows } from './reference';
import type {
  IFormatOptions,
  IMergedReport,
  IRunGroup,
  IWorkload
} from './types';

/**
 * One row of the chart.
 */
export interface IChartRow {
  /**
   * `machine`: a machine heading; `bar`: one bar; `note`: a line of text
   * (e.g. "no successful run").
   */
  kind: 'machine' | 'bar' | 'note';
  series: 'runs' | 'reference';
  /**
   * The baseline of the row's text.
   */
  y: number;
  /**
   * The row's label (plain text, cleaned and truncated; escape it).
   */
  label: string;
  /**
   * A longer description for a tooltip (plain text; escape it).
   */
  title: string;
  /**
   * For bars: whether the device is the CPU.
   */
  cpu?: boolean;
  seconds?: number;
  barX?: number;
  barY?: number;
  barWidth?: number;
  barHeight?: number;
  /**
   * For bars: the text after the bar, e.g. "45.02 s · 1.68×".
   */
  value?: string;
}

/**
 * The geometry and texts of a chart.
 */
export interface IChartLayout {
  width: number;
  height: number;
  title: string;
  description: string;
  rows: IChartRow[];
  /**
   * Where the bars start and how wide the longest one is.
   */
  barX: number;
  barArea: number;
  maxSeconds: number;
  axisY: number;
  ticks: { x: number; label: string }[];
  legend: {
    x: number;
    y: number;
    label: string;
    series: 'runs' | 'cpu' | 'reference';
  }[];
}

/**
 * Options of the chart.
 */
export interface IChartOptions extends IFormatOptions {
  /**
   * A standalone SVG file (default): embeds its own style (light and dark)
   * and a background. False for an SVG inside a page that styles it.
   */
  standalone?: boolean;
  /**
   * Prefix of the ids of the SVG's title and description (default
   * `jp-DeviceBench-chart`); make it unique when several charts share a page.
   */
  idPrefix?: string;
}

const WIDTH = 760;
const PAD = 8;
const LABEL_X = PAD;
const INDENT = 16;
const BAR_X = 340;
const BAR_AREA = 320;
const ROW = 22;
const HEADING_ROW = 26;
const BAR_HEIGHT = 14;
const LABEL_CHARS = 44;
const MACHINE_CHARS = 60;
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

/**
 * The fallback palette (presentation attributes): mid tones that read on
 * light and dark backgrounds.
 */
const PALETTE = {
  bar: '#3d7fcc',
  cpu: '#8b949e',
  reference: '#d9822b',
  grid: '#8b949e'
};

/**
 * The chart's geometry and texts.
 */
export function layoutChart(
  report: IMergedReport,
  options: IFormatOptions = {}
): IChartLayout {
  const reference = options.includeReference ? referenceRows() : [];
  const values = [
    ...report.groups.map(group => group.medianSeconds),
    ...reference.map(row => row.seconds)
  ].filter(value => Number.isFinite(value) && value > 0);
  const maxSeconds = niceMax(values.reduce((a, b) => Math.max(a, b), 0));
  const scale = (seconds: number) =>
    round(Math.max(0, Math.min(1, seconds / maxSeconds)) * BAR_AREA);

  const rows: IChartRow[] = [];
  let y = 52 + (reference.length ? 18 : 0);
  const heading = (
    label: string,
    title: string,
    series: IChartRow['series']
  ) => {
    y += HEADING_ROW - ROW;
    rows.push({ kind: 'machine', series, y, label, title });
    y += ROW;
  };
  const bar = (
    row: Omit<
      IChartRow,
      'kind' | 'y' | 'barX' | 'barY' | 'barWidth' | 'barHeight'
    > & { seconds: number }
  ) => {
    rows.push({
      kind: 'bar',
      y,
      barX: BAR_X,
      barY: y - BAR_HEIGHT + 3,
      barWidth: scale(row.seconds),
      barHeight: BAR_HEIGHT,
      ...row
    });
    y += ROW;
  };

  const byMachine = new Map<string, IRunGroup[]>();
  for (const machine of report.machines) {
    byMachine.set(machine, []);
  }
  for (const group of report.groups) {
    const list = byMachine.get(group.machine) ?? [];
    list.push(group);
    byMachine.set(group.machine, list);
  }
  for (const [machine, groups] of byMachine) {
    const name = displayText(machine, MACHINE_CHARS);
    heading(name, displayText(machine), 'runs');
    if (!groups.length) {
      rows.push({
        kind: 'note',
        series: 'runs',
        y,
        label: 'no successful run',
        title: `${displayText(machine)}: no successful run`
      });
      y += ROW;
      continue;
    }
    // A profile run with several workloads on this machine: name the
    // settings that differ.
    const byProfile = new Map<string, IRunGroup[]>();
    for (const group of groups) {
      const list = byProfile.get(group.profile) ?? [];
      list.push(group);
      byProfile.set(group.profile, list);
    }
    // Per profile: undefined when it has one workload, else the fields to
    // show (null: some runs recorded none, show everything).
    const shown = new Map<string, (keyof IWorkload)[] | null | undefined>();
    for (const [profile, siblings] of byProfile) {
      const labels = new Set(siblings.map(other => other.workloadLabel));
      shown.set(
        profile,
        labels.size > 1
          ? differingWorkloadFields(siblings.map(other => other.workload))
          : undefined
      );
    }
    for (const group of groups) {
      const parts = [
        displayText(group.device, 20),
        displayText(group.profile, 30)
      ];
      const fields = shown.get(group.profile);
      if (fields !== undefined) {
        parts.push(
          workloadParts(group.workload, fields ?? undefined).join(', ')
        );
      }
      if (group.deviceName) {
        parts.push(displayText(group.deviceName));
      }
      bar({
        series: 'runs',
        label: displayText(parts.join(' \u00b7 '), LABEL_CHARS),
        title: groupTitle(group),
        cpu: group.device === 'cpu',
        seconds: group.medianSeconds,
        value: valueText(
          group.medianSeconds,
          group.baseline ? null : group.speedup
        )
      });
    }
  }

  const refMachines = [...new Set(reference.map(row => row.machine))];
  for (const machine of refMachines) {
    heading(
      `${machine} \u2014 ${REFERENCE_SERIES_LABEL}`,
      `${machine}: ${REFERENCE_SERIES_LABEL}`,
      'reference'
    );
    for (const row of reference.filter(r => r.machine === machine)) {
      bar({
        series: 'reference',
        label: displayText(
          `${row.device} \u00b7 ${row.profile} \u00b7 ${row.device_name}`,
          LABEL_CHARS
        ),
        title: `${REFERENCE_SERIES_LABEL}: ${row.machine}, ${row.device_name} (${row.device}), profile ${row.profile}: ${formatSeconds(row.seconds)} s`,
        cpu: row.device === 'cpu',
        seconds: row.seconds,
        value: valueText(row.seconds, row.device === 'cpu' ? null : row.speedup)
      });
    }
  }

  if (!rows.length) {
    rows.push({
      kind: 'note',
      series: 'runs',
      y,
      label: 'no runs',
      title: 'no runs'
    });
    y += ROW;
  }

  const axisY = y - ROW + 10;
  const ticks = niceTicks(maxSeconds).map(value => ({
    x: round(BAR_X + scale(value)),
    label: String(value)
  }));
  const legend: IChartLayout['legend'] = [
    { x: BAR_X, y: 40, label: 'accelerator (median of runs)', series: 'runs' },
    { x: BAR_X + 215, y: 40, label: 'CPU', series: 'cpu' }
  ];
  if (reference.length) {
    legend.push({
      x: BAR_X,
      y: 58,
      label: REFERENCE_SERIES_LABEL,
      series: 'reference'
    });
  }
  const bars = rows.filter(row => row.kind === 'bar').length;
  return {
    width: WIDTH,
    height: axisY + 36,
    title: 'Training time per machine, device and profile',
    description: `Median seconds of the timed training loop (shorter is faster) for ${bars} bar${bars === 1 ? '' : 's'} on ${report.machines.length} machine${report.machines.length === 1 ? '' : 's'}${reference.length ? `, with the ${REFERENCE_SERIES_LABEL}` : ''}. Speed-up: CPU seconds of the same machine, profile, data and settings divided by the device's seconds.`,
    rows,
    barX: BAR_X,
    barArea: BAR_AREA,
    maxSeconds,
    axisY,
    ticks,
    legend
  };
}

/**
 * The chart as SVG markup (escaped texts, no script, no external reference).
 */
export function renderChartSvg(
  report: IMergedReport,
  options: IChartOptions = {}
): string {
  const layout = layoutChart(report, options);
  const standalone = options.standalone ?? true;
  const id = escapeHtml(options.idPrefix ?? 'jp-DeviceBench-chart');
  const e = escapeHtml;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="jp-DeviceBench-chart" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="${e(FONT)}" font-size="12">`,
    `<title id="${id}-title">${e(layout.title)}</title>`,
    `<desc id="${id}-desc">${e(layout.description)}</desc>`
  );
  if (standalone) {
    out.push(`<style>${STANDALONE_STYLE}</style>`);
    out.push(
      `<rect class="jp-DeviceBench-chart-background" x="0" y="0" width="${layout.width}" height="${layout.height}" fill="#ffffff"/>`
    );
  }
  out.push(
    `<text class="jp-DeviceBench-chart-heading" x="${LABEL_X}" y="20" font-size="14" font-weight="600" fill="currentColor">${e(layout.title)}</text>`,
    `<text class="jp-DeviceBench-chart-muted" x="${LABEL_X}" y="40" fill="currentColor" fill-opacity="0.75">median seconds, shorter is faster</text>`
  );
  for (const item of layout.legend) {
    out.push(
      `<rect class="${barClass(item.series)}" x="${item.x}" y="${item.y - 10}" width="12" height="12"${barPaint(item.series)}/>`,
      `<text class="jp-DeviceBench-chart-legend" x="${item.x + 18}" y="${item.y}" fill="currentColor">${e(item.label)}</text>`
    );
  }
  for (const row of layout.rows) {
    if (row.kind === 'machine') {
      out.push(
        `<text class="jp-DeviceBench-chart-machine" x="${LABEL_X}" y="${row.y}" font-weight="600" fill="currentColor"><title>${e(row.title)}</title>${e(row.label)}</text>`
      );
    } else if (row.kind === 'note') {
      out.push(
        `<text class="jp-DeviceBench-chart-note jp-DeviceBench-chart-muted" x="${LABEL_X + INDENT}" y="${row.y}" font-style="italic" fill="currentColor" fill-opacity="0.75">${e(row.label)}</text>`
      );
    } else {
      const series = barSeries(row);
      out.push(
        `<g class="jp-DeviceBench-chart-row"><title>${e(row.title)}</title>`,
        `<text class="jp-DeviceBench-chart-label" x="${LABEL_X + INDENT}" y="${row.y}" fill="currentColor">${e(row.label)}</text>`,
        `<rect class="${barClass(series)}" x="${row.barX}" y="${row.barY}" width="${row.barWidth}" height="${row.barHeight}"${barPaint(series)}/>`,
        `<text class="jp-DeviceBench-chart-value" x="${round((row.barX ?? 0) + (row.barWidth ?? 0) + 6)}" y="${row.y}" fill="currentColor">${e(row.value ?? '')}</text>`,
        '</g>'
      );
    }
  }
  out.push(
    `<line class="jp-DeviceBench-chart-axis" x1="${layout.barX}" y1="${layout.axisY}" x2="${layout.barX + layout.barArea}" y2="${layout.axisY}" stroke="${PALETTE.grid}"/>`
  );
  for (const tick of layout.ticks) {
    out.push(
      `<line class="jp-DeviceBench-chart-axis" x1="${tick.x}" y1="${layout.axisY}" x2="${tick.x}" y2="${layout.axisY + 4}" stroke="${PALETTE.grid}"/>`,
      `<text class="jp-DeviceBench-chart-tick jp-DeviceBench-chart-muted" x="${tick.x}" y="${layout.axisY + 16}" text-anchor="middle" fill="currentColor" fill-opacity="0.75">${e(tick.label)}</text>`
    );
  }
  out.push(
    `<text class="jp-DeviceBench-chart-muted" x="${layout.barX + layout.barArea}" y="${layout.axisY + 30}" text-anchor="end" fill="currentColor" fill-opacity="0.75">seconds</text>`,
    '</svg>'
  );
  return out.join('\n') + '\n';
}

/**
 * The style of a standalone SVG: a neutral palette, light and dark.
 */
const STANDALONE_STYLE = [
  '.jp-DeviceBench-chart{color:#1f2328}',
  '.jp-DeviceBench-chart-background{fill:#ffffff}',
  `.jp-DeviceBench-chart-bar{fill:${PALETTE.bar}}`,
  '@media (prefers-color-scheme: dark){.jp-DeviceBench-chart{color:#e6edf3}.jp-DeviceBench-chart-background{fill:#0d1117}.jp-DeviceBench-chart-bar{fill:#5a9ee8}}',
  // After the dark rules, which must not repaint these.
  `.jp-DeviceBench-chart-bar-cpu{fill:${PALETTE.cpu}}`,
  `.jp-DeviceBench-chart-bar-reference{fill:${PALETTE.reference};fill-opacity:0.35;stroke:${PALETTE.reference};stroke-dasharray:3 2}`
].join('');

/**
 * Which series, and so which colour, a bar belongs to: accelerator runs, CPU
 * runs or the published figures.
 */
export function barSeries(row: IChartRow): 'runs' | 'cpu' | 'reference' {
  if (row.series === 'reference') {
    return 'reference';
  }
  return row.cpu ? 'cpu' : 'runs';
}

function barClass(series: 'runs' | 'cpu' | 'reference'): string {
  return series === 'runs'
    ? 'jp-DeviceBench-chart-bar'
    : `jp-DeviceBench-chart-bar jp-DeviceBench-chart-bar-${series}`;
}

function barPaint(series: 'runs' | 'cpu' | 'reference'): string {
  if (series === 'reference') {
    return ` fill="${PALETTE.reference}" fill-opacity="0.35" stroke="${PALETTE.reference}" stroke-dasharray="3 2"`;
  }
  return ` fill="${series === 'cpu' ? PALETTE.cpu : PALETTE.bar}"`;
}

function valueText(seconds: number, speedup: number | null): string {
  const text = `${formatSeconds(seconds)} s`;
  return speedup === null ? text : `${text} \u00b7 ${formatSpeedup(speedup)}`;
}

function groupTitle(group: IRunGroup): string {
  const parts = [
    `${displayText(group.machine)}, ${displayText(group.device, 20)}${group.deviceName ? ` (${displayText(group.deviceName)})` : ''}, profile ${displayText(group.profile)}`,
    group.workloadLabel,
    `${group.count} run${group.count === 1 ? '' : 's'}: median ${formatSeconds(group.medianSeconds)} s, fastest ${formatSeconds(group.minSeconds)} s`
  ];
  if (group.speedup !== null && !group.baseline) {
    parts.push(
      `speed-up over the CPU of the same machine: ${formatSpeedup(group.speedup)}`
    );
  }
  return parts.join('; ');
}

/**
 * A round axis maximum at or above `value` (1, 2, 2.5 or 5 × 10^n).
 */
function niceMax(value: number): number {
  if (!(value > 0)) {
    return 1;
  }
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) {
      return round(step * power);
    }
  }
  return round(10 * power);
}

function niceTicks(max: number): number[] {
  const ticks: number[] = [];
  for (let i = 0; i <= 4; i++) {
    ticks.push(round((max * i) / 4));
  }
  return ticks;
}

/**
 * Round to two decimals (stable, short output).
 */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}
