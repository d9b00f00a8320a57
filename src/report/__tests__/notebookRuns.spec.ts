/**
 * Timing runs of users' own notebooks (`kind: "notebook"`) in reports: listed
 * on their own beside the MNIST runs, never in the benchmark's figures,
 * chart or failed runs.
 */
import { readDeviceBench } from '../../records/validate';
import { renderChartSvg } from '../chart';
import { renderCsv } from '../csv';
import { renderHtml } from '../html';
import { renderMarkdown } from '../markdown';
import { mergeRuns, sourceFromRead } from '../merge';
import { parseCsv } from './fixtures/parseCsv';
import { validRun } from './fixtures/build';

function notebookRun(overrides: Record<string, unknown> = {}) {
  return {
    id: 'nb-1',
    kind: 'notebook',
    status: 'ok',
    source: 'jupyterlab',
    machine_label: 'Laptop',
    device: 'mps',
    device_name: 'Apple MPS',
    profile: 'notebook',
    params: {},
    notebook: 'train <b>.ipynb',
    code_sha256: 'ab'.repeat(32),
    timed_range: { start: 1, stop: 3, cells: 2 },
    repeat: 1,
    total_seconds: 7.5,
    cells: [
      { index: 1, label: 'cell 2', status: 'ok', seconds: 0.5 },
      { index: 3, label: 'cell 4', status: 'ok', seconds: 7 }
    ],
    peak_memory: { peak_rss_bytes: 1000 },
    started_at: '2024-05-01T11:00:00Z',
    finished_at: '2024-05-01T11:01:00Z',
    error: null,
    ...overrides
  };
}

describe('notebook timing runs in reports', () => {
  const read = readDeviceBench({
    schema_version: 1,
    runs: [
      validRun({ id: 'mnist-cpu' }),
      notebookRun(),
      notebookRun({
        id: 'nb-2',
        status: 'failed',
        total_seconds: null,
        error: 'ValueError: bad input (cell 4)'
      })
    ]
  });
  const report = mergeRuns([sourceFromRead('train.ipynb', read)]);

  it('are valid records, kept apart from the benchmark figures', () => {
    expect(read.invalid).toEqual([]);
    expect(report.notebooks.map(r => r.id)).toEqual(['nb-1', 'nb-2']);
    expect(report.groups.map(g => g.device)).toEqual(['cpu']);
    expect(report.failed).toEqual([]);
    expect(report.warnings.join(' ')).not.toMatch(/no training time/);
  });

  it('are listed, escaped, in Markdown and HTML, and not charted', () => {
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('## Notebook timings');
    expect(markdown).toMatch(/\| mps \| ok \| 7\.50 \| 2 \| abababababab \|/);
    expect(markdown).toContain('ValueError: bad input (cell 4)');
    const html = renderHtml(report);
    expect(html).toContain('<h2 id="notebooks">Notebook timings</h2>');
    expect(html).toContain('train &lt;b&gt;.ipynb');
    expect(html).not.toContain('train <b>');
    expect(renderChartSvg(report)).not.toContain('mps');
  });

  it('have their own kind in CSV, with no MNIST figures', () => {
    const rows = parseCsv(renderCsv(report));
    const header = rows[0];
    const byId = new Map(rows.slice(1).map(r => [r[header.indexOf('id')], r]));
    expect(byId.get('mnist-cpu')![0]).toBe('run');
    expect(byId.get('nb-1')![0]).toBe('notebook');
    expect(byId.get('nb-1')![header.indexOf('train_seconds')]).toBe('');
  });
});
