/**
 * Markdown export: a table like the 2023 article's (machine, device, device
 * name, profile, runs, median seconds, speed-up over the CPU of the same
 * machine), the warnings, the failed runs, and the reference figures when
 * asked. Every string from a notebook is cleaned, truncated and escaped (see
 * `escapeMarkdown`): no HTML, link, image or table break survives.
 */
import { displayText, escapeMarkdown } from '../common/escape';
import {
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
import type { IRunRecord } from '../records/types';
import { BREAKDOWN_NOTE, breakdownRows } from './breakdown';
import type { IFormatOptions, IMergedReport, IRunGroup } from './types';

/**
 * Untrusted text as one escaped Markdown cell.
 */
export function mdText(value: unknown, max?: number): string {
  return escapeMarkdown(displayText(value, max));
}

/**
 * The merged report as Markdown.
 */
export function renderMarkdown(
  report: IMergedReport,
  options: IFormatOptions = {}
): string {
  const lines: string[] = [];
  const total = report.runs.length;
  lines.push('# Device benchmark report', '');
  lines.push(
    `Generated ${isoTimestamp(options.generatedAt)} from ${total} run${total === 1 ? '' : 's'} in ${report.sources.length} source${report.sources.length === 1 ? '' : 's'}${report.sources.length ? ': ' + report.sources.map(name => mdText(name, 80)).join(', ') : ''}.`,
    ''
  );

  if (report.groups.length) {
    const withWorkload =
      new Set(report.groups.map(group => group.workloadLabel)).size > 1;
    const header = [
      'machine',
      'device',
      'device name',
      'profile',
      ...(withWorkload ? ['data and settings'] : []),
      'runs',
      'seconds (median)',
      'speed-up over CPU'
    ];
    const align = header.map((_, i) =>
      i >= header.length - 3 ? '---:' : '---'
    );
    lines.push(row(header), row(align));
    for (const group of report.groups) {
      lines.push(
        row([
          mdText(group.machine),
          mdText(group.device),
          mdText(group.deviceName),
          mdText(group.profile),
          ...(withWorkload ? [mdText(group.workloadLabel)] : []),
          String(group.count),
          formatSeconds(group.medianSeconds),
          speedupText(group)
        ])
      );
    }
    lines.push(
      '',
      'Seconds: median of the successful runs of the timed training loop. Speed-up: median CPU seconds of the same machine, profile, data and settings ÷ median seconds of the device.',
      ''
    );
  } else {
    lines.push('No successful run.', '');
  }

  const measured = new Set(report.groups.map(group => group.machine));
  const idle = report.machines.filter(machine => !measured.has(machine));
  if (idle.length) {
    lines.push(
      `Machines without a successful run: ${idle.map(machine => mdText(machine)).join(', ')}.`,
      ''
    );
  }

  if (report.warnings.length) {
    lines.push('## Warnings', '');
    for (const warning of report.warnings) {
      lines.push(`- ${mdText(warning, 1000)}`);
    }
    lines.push('');
  }

  const breakdown = breakdownRows(report);
  if (breakdown.length) {
    lines.push('## Cell breakdown of the benchmark runs', '');
    lines.push(mdText(BREAKDOWN_NOTE, 1000), '');
    lines.push(
      row([
        'machine',
        'device',
        'profile',
        'status',
        'train seconds',
        'slowest cell',
        'cell seconds',
        'share',
        'peak memory'
      ]),
      row(['---', '---', '---', '---', '---:', '---', '---:', '---:', '---'])
    );
    for (const { run, slowest, peak } of breakdown) {
      lines.push(
        row([
          mdText(run.machine_label),
          mdText(run.device),
          mdText(run.profile),
          mdText(run.status),
          formatSeconds(run.train_seconds),
          mdText(slowest?.label ?? '', 40),
          formatSeconds(slowest?.seconds),
          formatShare(slowest?.share),
          mdText(peak)
        ])
      );
    }
    lines.push('');
  }

  if (report.failed.length) {
    lines.push('## Failed and cancelled runs', '');
    lines.push(
      row(['machine', 'device', 'profile', 'status', 'error']),
      row(['---', '---', '---', '---', '---'])
    );
    for (const run of report.failed) {
      lines.push(
        row([
          mdText(run.machine_label),
          mdText(run.device),
          mdText(run.profile),
          mdText(run.status),
          mdText(run.error)
        ])
      );
    }
    lines.push('');
  }

  if (report.notebooks.length) {
    lines.push('## Notebook timings', '');
    lines.push(
      "Runs of users' own notebooks, timed cell by cell (not the MNIST benchmark: not in the figures above). Code: the first 12 characters of the timed cells' hash; equal codes ran the same code.",
      ''
    );
    lines.push(
      row([
        'notebook',
        'machine',
        'device',
        'status',
        'total seconds',
        'timed cells',
        'code',
        'error'
      ]),
      row(['---', '---', '---', '---', '---:', '---:', '---', '---'])
    );
    for (const run of report.notebooks) {
      const fields = notebookFields(run);
      lines.push(
        row([
          mdText(fields.notebook),
          mdText(run.machine_label),
          mdText(run.device),
          mdText(run.status),
          formatSeconds(fields.total),
          String(fields.cells),
          mdText(fields.code),
          mdText(run.error)
        ])
      );
    }
    lines.push('');
  }

  if (options.includeReference) {
    lines.push(`## ${capitalise(REFERENCE_SERIES_LABEL)}`, '');
    lines.push(mdText(REFERENCE_NOTE, 1000), '');
    lines.push(
      row([
        'machine',
        'device',
        'device name',
        'profile',
        'seconds',
        'speed-up over CPU'
      ]),
      row(['---', '---', '---', '---', '---:', '---:'])
    );
    for (const figure of referenceRows()) {
      lines.push(
        row([
          mdText(figure.machine),
          mdText(figure.device),
          mdText(figure.device_name),
          mdText(figure.profile),
          formatSeconds(figure.seconds),
          figure.device === 'cpu' ? 'baseline' : formatSpeedup(figure.speedup)
        ])
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * What the report lists of a `kind: "notebook"` run.
 */
export function notebookFields(run: IRunRecord): {
  notebook: string;
  total: number | null;
  cells: number;
  code: string;
} {
  const value = run as unknown as Record<string, unknown>;
  return {
    notebook: typeof value.notebook === 'string' ? value.notebook : '',
    total: typeof value.total_seconds === 'number' ? value.total_seconds : null,
    cells: Array.isArray(value.cells) ? value.cells.length : 0,
    code:
      typeof value.code_sha256 === 'string'
        ? value.code_sha256.slice(0, 12)
        : ''
  };
}

function speedupText(group: IRunGroup): string {
  if (group.baseline) {
    return 'baseline';
  }
  return group.speedup === null ? '—' : formatSpeedup(group.speedup);
}

function row(cells: string[]): string {
  return `| ${cells.map(cell => cell || ' ').join(' | ')} |`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
