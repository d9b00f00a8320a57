/**
 * What the reports show of the MNIST runs' per-cell breakdown (issue 16):
 * per run that has one, the slowest cell with its share of the cells' time,
 * and the peak memory. Older records without a breakdown are not listed.
 */
import { formatBytes } from '../common/format';
import { type ISlowestCell, peakFigure, slowestCell } from '../records';
import type { IRunRecord } from '../records/types';
import type { IMergedReport } from './types';

export interface IBreakdownRow {
  run: IRunRecord;
  slowest: ISlowestCell | null;
  /** The peak memory figure, e.g. "360.0 MiB (peak_rss_bytes)", or ''. */
  peak: string;
}

/**
 * The MNIST runs of the report that have a breakdown, in the report's order.
 */
export function breakdownRows(report: IMergedReport): IBreakdownRow[] {
  const rows: IBreakdownRow[] = [];
  for (const { record } of report.runs) {
    if ((record as { kind?: unknown }).kind === 'notebook') {
      continue;
    }
    const slowest = slowestCell(record);
    const figure = peakFigure(record.peak_memory);
    if (!slowest && !figure) {
      continue;
    }
    rows.push({
      run: record,
      slowest,
      peak: figure ? `${formatBytes(figure.bytes)} (${figure.key})` : ''
    });
  }
  return rows;
}

export const BREAKDOWN_NOTE =
  "Each code cell of the benchmark notebook timed on the kernel's clock, the device synchronised at its end (the training seconds are the notebook's own clock, inside its training cell). Slowest cell: the one that took longest, and its share of the cells' time. Peak memory: device memory allocated (CUDA, XPU), driver memory (MPS), else the kernel process's peak resident set size.";
