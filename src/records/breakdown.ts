/**
 * A run's per-cell breakdown and peak memory (issue 16): a kernel entry of
 * celltiming.py as a record's cell (`$defs/notebook_cell`), the peak memory
 * of a run, and what the panel and the reports show of them (the slowest
 * cell, the peak figure). `kind: "notebook"` records always carry them;
 * MNIST records optionally (older ones do not). The rules are those of
 * records.py (`timed_cell`, `peak_memory`, `slowest_cell`, `peak_figure`);
 * the golden fixture `tests/golden/breakdown.json` checks both.
 */
import type { PartialJSONObject } from '@lumino/coreutils';
import { scrubError } from '../common/scrub';
import { runProblem } from './validate';

/**
 * One timed cell of a record (schema `notebook_cell`).
 */
export interface INotebookCellTiming {
  index: number;
  label: string;
  status: 'ok' | 'failed' | 'not_run';
  seconds: number | null;
  sync_seconds: number | null;
  synchronized?: boolean;
  memory: Record<string, number>;
  error: string | null;
}

/**
 * How records name a cell: its 1-based position in the notebook.
 */
export function cellLabel(index: number): string {
  return `cell ${index + 1}`;
}

function seconds(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? value
    : null;
}

/**
 * The non-negative integer figures of a memory document (keys cut to 60).
 */
export function memoryBytes(value: unknown): Record<string, number> {
  const found: Record<string, number> = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, n] of Object.entries(value)) {
      if (typeof n === 'number' && Number.isInteger(n) && n >= 0) {
        found[key.slice(0, 60)] = n;
      }
    }
  }
  return found;
}

/**
 * A record's cell from the kernel's entry for it; `not_run` without one.
 */
export function timedCell(
  index: number,
  entry: Record<string, unknown> | null | undefined
): INotebookCellTiming {
  if (!entry) {
    return {
      index,
      label: cellLabel(index),
      status: 'not_run',
      seconds: null,
      sync_seconds: null,
      memory: {},
      error: null
    };
  }
  const error = entry.error || entry.timing_error;
  return {
    index,
    label: cellLabel(index),
    status: entry.ok === true ? 'ok' : 'failed',
    seconds: seconds(entry.seconds),
    sync_seconds: seconds(entry.sync_seconds),
    synchronized: entry.synchronized === true,
    memory: memoryBytes(entry.memory),
    error: error ? scrubError(String(error)).slice(0, 300) || null : null
  };
}

/**
 * The largest memory figures of the cells and the kernel's final peak
 * resident set size (celltiming's uninstall document).
 */
export function peakMemory(
  cells: readonly { memory?: unknown }[],
  finalRss: unknown
): Record<string, number> {
  const peak: Record<string, number> = {};
  for (const cell of cells) {
    for (const [key, value] of Object.entries(memoryBytes(cell.memory))) {
      peak[key] = Math.max(peak[key] ?? 0, value);
    }
  }
  const rss = memoryBytes({ peak_rss_bytes: finalRss }).peak_rss_bytes;
  if (rss !== undefined) {
    peak.peak_rss_bytes = Math.max(peak.peak_rss_bytes ?? 0, rss);
  }
  return peak;
}

/**
 * An MNIST record with its breakdown (the optional `cells` and
 * `peak_memory` of `$defs/run`). A breakdown the schema refuses is left out
 * (the run's figures are kept as they were).
 */
export function withBreakdown(
  record: PartialJSONObject,
  cells: readonly INotebookCellTiming[],
  peak: Record<string, number>
): PartialJSONObject {
  const out: PartialJSONObject = {
    ...record,
    cells: cells.map(cell => ({
      ...cell,
      memory: { ...cell.memory }
    })) as unknown as PartialJSONObject[],
    peak_memory: { ...peak }
  };
  return runProblem(out) === null ? out : record;
}

/**
 * The slowest of a record's cells.
 */
export interface ISlowestCell {
  index: number;
  label: string;
  seconds: number;
  /** Its share of the `ok` cells' seconds (0..1). */
  share: number;
}

/**
 * The cell that took longest among a record's `ok` cells, with its share of
 * their seconds; null without timed cells (older records).
 */
export function slowestCell(record: object): ISlowestCell | null {
  const cells = (record as { cells?: unknown }).cells;
  if (!Array.isArray(cells)) {
    return null;
  }
  const timed = cells.filter(
    (c): c is { index: number; label: string; seconds: number } =>
      !!c &&
      typeof c === 'object' &&
      c.status === 'ok' &&
      !!seconds(c.seconds) &&
      typeof c.index === 'number' &&
      typeof c.label === 'string'
  );
  if (!timed.length) {
    return null;
  }
  const total = timed.reduce((sum, c) => sum + c.seconds, 0);
  const top = timed.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  return {
    index: top.index,
    label: top.label,
    seconds: top.seconds,
    share: top.seconds / total
  };
}

/**
 * Which peak memory figure is shown: the first the record has (device
 * memory before the process's resident set size).
 */
export const PEAK_FIGURES = [
  'max_allocated_bytes',
  'driver_allocated_bytes',
  'peak_rss_bytes'
] as const;

/**
 * The peak memory figure to show, or null.
 */
export function peakFigure(
  peak: unknown
): { key: (typeof PEAK_FIGURES)[number]; bytes: number } | null {
  const found = memoryBytes(peak);
  for (const key of PEAK_FIGURES) {
    if (found[key]) {
      return { key, bytes: found[key] };
    }
  }
  return null;
}
