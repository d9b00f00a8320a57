/**
 * The MNIST runs' per-cell breakdown and peak memory where users look: the
 * panel's "Recorded runs" section (MNIST runs and timed notebooks in tables
 * of their own) and the Markdown and HTML reports, escaped; records without
 * a breakdown render as before.
 */
import { NotebookModel, type NotebookPanel } from '@jupyterlab/notebook';
import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { METADATA_KEY } from '../../common/contract';
import { readDeviceBench } from '../../records/validate';
import { renderHtml } from '../html';
import { renderMarkdown } from '../markdown';
import { mergeRuns, sourceFromRead } from '../merge';
import { RecordedRunsModel } from '../model';
import { RecordedRunsView } from '../view';
import { validRun } from './fixtures/build';

const HOSTILE = '<img src=x onerror=alert(1)>|**x**';

function mnistWithBreakdown(overrides: Record<string, unknown> = {}) {
  return validRun({
    id: 'mnist-timed',
    machine_label: `box ${HOSTILE}`,
    cells: [
      { index: 1, label: 'cell 2', status: 'ok', seconds: 0.5, memory: {} },
      {
        index: 28,
        label: 'cell 29',
        status: 'ok',
        seconds: 1.5,
        memory: { peak_rss_bytes: 377_487_360 }
      }
    ],
    peak_memory: { peak_rss_bytes: 377_487_360 },
    ...overrides
  });
}

function notebookRun(overrides: Record<string, unknown> = {}) {
  return {
    id: 'nb-1',
    kind: 'notebook',
    status: 'ok',
    source: 'jupyterlab',
    machine_label: 'Laptop',
    device: 'cpu',
    device_name: 'CPU',
    profile: 'notebook',
    params: {},
    notebook: `train ${HOSTILE}.ipynb`,
    code_sha256: 'ab'.repeat(32),
    timed_range: { start: 1, stop: 3, cells: 2 },
    repeat: 1,
    total_seconds: 7.5,
    cells: [
      { index: 1, label: 'cell 2', status: 'ok', seconds: 0.5 },
      { index: 3, label: 'cell 4', status: 'ok', seconds: 7 }
    ],
    peak_memory: { max_allocated_bytes: 2 * 1024 ** 3 },
    started_at: '2024-05-01T11:00:00Z',
    finished_at: '2024-05-01T11:01:00Z',
    error: null,
    ...overrides
  };
}

const RUNS = [
  validRun({ id: 'mnist-old' }),
  mnistWithBreakdown(),
  notebookRun()
];

describe('the MNIST breakdown in reports', () => {
  const read = readDeviceBench({ schema_version: 1, runs: RUNS });
  const report = mergeRuns([sourceFromRead('bench.ipynb', read)]);

  it('validates, old and new records alike', () => {
    expect(read.invalid).toEqual([]);
    expect(read.runs).toHaveLength(3);
  });

  it('lists the slowest cell, its share and the peak memory in Markdown, escaped', () => {
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('## Cell breakdown of the benchmark runs');
    const line = markdown.split('\n').find(l => l.includes('cell 29'))!;
    expect(line).toMatch(
      /\| cpu \| seed \| ok \| 10\.00 \| cell 29 \| 1\.50 \| 75% \| 360\\\.0 MiB \(peak\\_rss\\_bytes\) \|$/
    );
    expect(line).not.toContain('<img');
    expect(line).not.toContain('**x**');
    // Only the run that has a breakdown; timed notebooks keep their section.
    const section = markdown.split('## Cell breakdown')[1].split('\n## ')[0];
    expect(section).not.toContain('ipynb');
    expect(section.match(/\| cpu \|/g)).toHaveLength(1);
  });

  it('lists them in HTML, escaped', () => {
    const html = renderHtml(report);
    expect(html).toContain(
      '<h2 id="breakdown">Cell breakdown of the benchmark runs</h2>'
    );
    expect(html).toContain(
      '<td>cell 29</td><td class="num">1.50</td><td class="num">75%</td><td>360.0 MiB (peak_rss_bytes)</td>'
    );
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('leaves reports of older records as they were', () => {
    const old = mergeRuns([
      sourceFromRead(
        'old.ipynb',
        readDeviceBench({ schema_version: 1, runs: [validRun({ id: 'a' })] })
      )
    ]);
    expect(renderMarkdown(old)).not.toContain('Cell breakdown');
    expect(renderHtml(old)).not.toContain('id="breakdown"');
  });
});

describe('the Recorded runs section', () => {
  const trans = nullTranslator.load('jupyterlab_device_bench');
  let notebook: NotebookModel;
  let model: RecordedRunsModel;
  let view: RecordedRunsView;

  async function render(runs: unknown[]): Promise<HTMLElement> {
    notebook = new NotebookModel();
    notebook.setMetadata(METADATA_KEY, { schema_version: 1, runs } as any);
    model = new RecordedRunsModel();
    model.setNotebook({ model: notebook } as unknown as NotebookPanel);
    view = new RecordedRunsView({ model, trans, exportReport: () => {} });
    Widget.attach(view, document.body);
    view.update();
    // React renders in its own time: wait for the section's content (a
    // bounded number of frames).
    for (let i = 0; i < 100 && !view.node.querySelector('table'); i++) {
      await new Promise(resolve => requestAnimationFrame(resolve));
    }
    return view.node;
  }

  afterEach(() => {
    view.dispose();
    model.dispose();
    notebook.dispose();
  });

  it('shows MNIST runs and timed notebooks in tables of their own', async () => {
    const node = await render(RUNS);
    const mnist = node.querySelector('table.jp-DeviceBench-runs')!;
    const notebooks = node.querySelector('table.jp-DeviceBench-notebookRuns')!;
    // MNIST headings over MNIST runs only: no notebook total in Train seconds.
    expect([...mnist.querySelectorAll('th')].map(th => th.textContent)).toEqual(
      ['Device, profile', 'Train seconds', 'Samples per second', 'Accuracy']
    );
    expect(mnist.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(mnist.textContent).not.toContain('train ');
    expect(
      [...notebooks.querySelectorAll('th')].map(th => th.textContent)
    ).toEqual([
      'Device, notebook',
      'Total seconds',
      'Slowest cell',
      'Peak memory'
    ]);
    const row = notebooks.querySelector('tbody tr')!;
    const cells = [...row.querySelectorAll('td')].map(td => td.textContent);
    expect(cells[0]).toContain(`train ${HOSTILE}.ipynb`);
    expect(cells.slice(1)).toEqual(['7.50', 'cell 4 · 93%', '2.0 GiB']);
    // React escapes: the hostile name is text, not markup.
    expect(node.querySelector('img')).toBeNull();
  });

  it('shows the slowest cell and peak memory under a timed MNIST run, and nothing extra for older runs', async () => {
    const node = await render(RUNS);
    const rows = [
      ...node.querySelectorAll('table.jp-DeviceBench-runs tbody tr')
    ];
    // Newest first.
    const [timed, old] = rows;
    const breakdown = timed.querySelector('.jp-DeviceBench-runBreakdown')!;
    expect(breakdown.textContent).toBe('cell 29 · 75% peak 360.0 MiB');
    expect(breakdown.parentElement!.getAttribute('title')).toBe(
      "Slowest cell: cell 29, 1.50 s, 75% of the cells' time. Peak memory: 360.0 MiB (the kernel process's resident memory)."
    );
    expect(old.querySelector('.jp-DeviceBench-runBreakdown')).toBeNull();
    expect(old.querySelectorAll('td')[1].textContent).toBe('10.00');
  });

  it('shows no notebook table without timed notebooks', async () => {
    const node = await render([validRun({ id: 'only' })]);
    expect(node.querySelector('table.jp-DeviceBench-notebookRuns')).toBeNull();
    expect(
      node.querySelectorAll('table.jp-DeviceBench-runs tbody tr')
    ).toHaveLength(1);
  });
});
