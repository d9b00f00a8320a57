/**
 * The per-cell breakdown and peak memory rules (src/records/breakdown.ts),
 * on the golden cases pytest runs too (tests/golden/breakdown.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PartialJSONObject } from '@lumino/coreutils';
import {
  peakFigure,
  peakMemory,
  runProblem,
  slowestCell,
  timedCell,
  withBreakdown
} from '..';

const GOLDEN = JSON.parse(
  readFileSync(
    join(
      __dirname,
      '..',
      '..',
      '..',
      'jupyterlab_device_bench',
      'tests',
      'golden',
      'breakdown.json'
    ),
    'utf-8'
  )
);

interface ICase {
  name: string;
  [key: string]: any;
}

describe('breakdown golden cases', () => {
  it.each(GOLDEN.timed_cell as ICase[])('timedCell: $name', c => {
    expect(timedCell(c.index, c.entry)).toEqual(c.cell);
  });

  it.each(GOLDEN.peak_memory as ICase[])('peakMemory: $name', c => {
    expect(peakMemory(c.cells, c.final_rss)).toEqual(c.peak);
  });

  it.each(GOLDEN.slowest_cell as ICase[])('slowestCell: $name', c => {
    const found = slowestCell(c.record);
    if (c.slowest === null) {
      expect(found).toBeNull();
    } else {
      expect({ ...found, share: 0 }).toEqual({ ...c.slowest, share: 0 });
      expect(found!.share).toBeCloseTo(c.slowest.share, 9);
    }
  });

  it.each(GOLDEN.peak_figure as ICase[])('peakFigure: $name', c => {
    expect(peakFigure(c.peak)).toEqual(c.figure);
  });

  it.each(GOLDEN.valid as ICase[])('valid: $name', c => {
    expect(runProblem(c.record)).toBeNull();
    if ('cells' in c.record) {
      const { cells, peak_memory, ...rest } = c.record;
      expect(
        withBreakdown(rest as PartialJSONObject, cells, peak_memory)
      ).toEqual(c.record);
    }
  });

  it.each(GOLDEN.invalid as ICase[])('invalid: $name', c => {
    expect(runProblem(c.record)).not.toBeNull();
    // A breakdown the schema refuses is left out: the record stays as it was.
    const { cells, peak_memory, ...rest } = c.record;
    expect(
      withBreakdown(rest as PartialJSONObject, cells, peak_memory)
    ).toEqual(rest);
  });
});
