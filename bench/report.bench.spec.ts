/**
 * Timing reports in Node: reading (schema validation), merging and every
 * export format for 1, 100 and 10,000 runs.
 *
 * Prints a table of median milliseconds and the time per run, and the ratio
 * of the time per run at 10,000 runs to that at 100 (about 1 when the cost
 * is linear). Target: 10,000 runs merged and rendered to HTML in under a
 * second. Asserts nothing about speed (a benchmark, not a test).
 *
 *   npx jest -c bench/jest.bench.config.js
 */
import { renderChartSvg } from '../src/report/chart';
import { renderCsv } from '../src/report/csv';
import { renderHtml } from '../src/report/html';
import { renderJson } from '../src/report/json';
import { renderMarkdown } from '../src/report/markdown';
import { mergeRuns } from '../src/report/merge';
import type { IMergedReport, IReportSource } from '../src/report/types';
import { readDeviceBench } from '../src/records/validate';

const SIZES = [1, 100, 10_000];
const OPTIONS = { includeReference: true, generatedAt: '2024-06-02T12:00:00Z' };

/**
 * A deterministic pseudo-random generator (mulberry32).
 */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROFILES = ['seed', 'resident', 'quick'];
const DEVICES = ['cpu', 'cuda:0', 'mps'];

/**
 * `count` run records as notebooks would hold them: about one machine per 20
 * runs, three profiles, three devices, 5% failed, 2% with 1 epoch instead of
 * 10 (mixed data), split over notebooks of 50 runs; 5% of the runs appear in
 * two notebooks.
 */
function notebooks(count: number): unknown[] {
  const next = random(count);
  const runs: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const device = DEVICES[Math.floor(next() * DEVICES.length)];
    const profile = PROFILES[Math.floor(next() * PROFILES.length)];
    const ok = next() > 0.05;
    const epochs = next() > 0.02 ? 10 : 1;
    const seconds = (device === 'cpu' ? 100 : 40) * (0.9 + 0.2 * next());
    runs.push({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      status: ok ? 'ok' : 'failed',
      source: 'jupyterlab',
      machine_label: `Machine ${Math.floor(i / 20)}`,
      device,
      device_name: device === 'cpu' ? 'Some CPU' : 'Some GPU',
      profile,
      params: { device, profile },
      settings: ok
        ? { profile, epochs, batch_size: 64, dataset: 'mnist', repeat_to: null }
        : null,
      data: ok
        ? {
            source: 'mnist-train+test',
            loader: 'torchvision',
            train_samples: 60000,
            test_samples: 10000,
            repeated: false,
            repeat_to: null
          }
        : null,
      train_seconds: ok ? seconds : null,
      epoch_seconds: ok ? Array(epochs).fill(seconds / epochs) : null,
      steady_epoch_seconds: ok ? seconds / epochs : null,
      samples_per_second: ok ? 60000 / (seconds / epochs) : null,
      accuracy: ok ? 0.95 + 0.04 * next() : null,
      versions: { python: '3.11.9', torch: '2.4.1', cuda: null, cudnn: null },
      cpu: { model: 'Some CPU', threads: 8, logical_cores: 16 },
      started_at: '2024-05-01T10:00:00Z',
      finished_at: '2024-05-01T10:05:00Z',
      error: ok ? null : 'CUDA out of memory'
    });
  }
  const docs: unknown[] = [];
  for (let start = 0; start < count; start += 50) {
    const slice = runs.slice(start, start + 50);
    // 5% duplicates: the first runs of the previous notebook again.
    const again =
      start > 0
        ? runs.slice(start - 50, start - 50 + Math.ceil(slice.length / 20))
        : [];
    docs.push({ schema_version: 1, runs: [...slice, ...again] });
  }
  return docs;
}

function read(docs: unknown[]): IReportSource[] {
  return docs.map((doc, i) => {
    const result = readDeviceBench(doc);
    return { name: `notebook-${i}.ipynb`, runs: result.runs };
  });
}

/**
 * Median milliseconds of `fn` over enough repetitions (after a warm-up).
 */
function time<T>(fn: () => T, repeat: number): [number, T] {
  let result = fn();
  const samples: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    result = fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return [samples[Math.floor(samples.length / 2)], result];
}

interface IRow {
  step: string;
  ms: number[];
}

it('report: read, merge and export 1, 100 and 10,000 runs', () => {
  const rows: IRow[] = [
    'read + validate',
    'merge',
    'CSV',
    'JSON',
    'Markdown',
    'HTML',
    'SVG chart',
    'merge + HTML'
  ].map(step => ({ step, ms: [] }));
  const add = (step: string, ms: number) =>
    rows.find(row => row.step === step)!.ms.push(ms);
  const sizes: string[] = [];

  for (const size of SIZES) {
    const repeat = size >= 10_000 ? 9 : size >= 100 ? 51 : 201;
    const docs = notebooks(size);
    const [readMs, sources] = time(() => read(docs), repeat);
    const [mergeMs, report] = time(() => mergeRuns(sources), repeat);
    expect(report.runs).toHaveLength(size);
    add('read + validate', readMs);
    add('merge', mergeMs);
    const formats: [string, (r: IMergedReport) => string][] = [
      ['CSV', r => renderCsv(r, OPTIONS)],
      ['JSON', r => renderJson(r, OPTIONS)],
      ['Markdown', r => renderMarkdown(r, OPTIONS)],
      ['HTML', r => renderHtml(r, OPTIONS)],
      ['SVG chart', r => renderChartSvg(r, OPTIONS)]
    ];
    const bytes: string[] = [];
    for (const [step, render] of formats) {
      const [ms, text] = time(() => render(report), repeat);
      expect(text.length).toBeGreaterThan(0);
      add(step, ms);
      bytes.push(`${step} ${(text.length / 1024).toFixed(0)} KiB`);
    }
    const [totalMs] = time(
      () => renderHtml(mergeRuns(sources), OPTIONS),
      repeat
    );
    add('merge + HTML', totalMs);
    sizes.push(
      `${size} run${size === 1 ? '' : 's'}: ${report.groups.length} groups, ${report.machines.length} machines, ${report.duplicates} duplicates; ${bytes.join(', ')}`
    );
  }

  const pad = (s: string, n: number) => s.padStart(n);
  const lines = [
    `Node ${process.version}, median of repeated runs (ms)`,
    '',
    `${'step'.padEnd(16)}${pad('1 run', 10)}${pad('100 runs', 11)}${pad('10,000 runs', 13)}${pad('µs/run @100', 13)}${pad('µs/run @10k', 13)}${pad('ratio', 8)}`
  ];
  for (const row of rows) {
    const [one, hundred, tenk] = row.ms;
    const perHundred = (hundred / 100) * 1000;
    const perTenk = (tenk / 10_000) * 1000;
    lines.push(
      `${row.step.padEnd(16)}${pad(one.toFixed(3), 10)}${pad(hundred.toFixed(2), 11)}${pad(tenk.toFixed(1), 13)}${pad(perHundred.toFixed(1), 13)}${pad(perTenk.toFixed(1), 13)}${pad((perTenk / perHundred).toFixed(2), 8)}`
    );
  }
  const total = rows.find(row => row.step === 'merge + HTML')!.ms[2];
  lines.push(
    '',
    'ratio: time per run at 10,000 runs ÷ time per run at 100 runs (1 = linear).',
    `Target: 10,000 runs merged and rendered to HTML in under 1000 ms: ${total.toFixed(0)} ms (${total < 1000 ? 'met' : 'NOT met'}).`,
    '',
    ...sizes
  );
  console.log(lines.join('\n'));
});
