/**
 * Every export format against checked-in expected files (regenerate them with
 * `UPDATE_EXPECTED=1 npx jest src/report`), plus structural checks.
 */
import Ajv2020 from 'ajv/dist/2020';
import * as fs from 'node:fs';
import * as path from 'node:path';
import metadataSchema from '../../../jupyterlab_device_bench/schemas/metadata.schema.json';
import reportSchema from '../../../jupyterlab_device_bench/schemas/report.schema.json';
import { renderChartSvg } from '../chart';
import { CSV_COLUMNS, renderCsv } from '../csv';
import { REPORT_CSP, renderHtml } from '../html';
import { buildJsonReport, renderJson } from '../json';
import { renderMarkdown } from '../markdown';
import { mergeRuns, sourceFromRead } from '../merge';
import { REFERENCE_FIGURES, REFERENCE_SERIES_LABEL } from '../reference';
import type { IFormatOptions } from '../types';
import { readReport } from '../../records/validate';
import { fixtureReport, GENERATED_AT } from './fixtures/build';
import { parseCsv } from './fixtures/parseCsv';

const EXPECTED = path.join(__dirname, 'expected');

function expectFile(name: string, actual: string): void {
  const file = path.join(EXPECTED, name);
  if (process.env.UPDATE_EXPECTED) {
    fs.writeFileSync(file, actual);
  }
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

const report = fixtureReport();
const variants: [string, IFormatOptions][] = [
  ['', { generatedAt: GENERATED_AT }],
  ['-reference', { generatedAt: GENERATED_AT, includeReference: true }]
];

describe.each(variants)('formats%s', (suffix, options) => {
  it('CSV matches the expected file', () => {
    expectFile(`report${suffix}.csv`, renderCsv(report, options));
  });

  it('JSON matches the expected file', () => {
    expectFile(`report${suffix}.json.txt`, renderJson(report, options));
  });

  it('Markdown matches the expected file', () => {
    expectFile(`report${suffix}.md.txt`, renderMarkdown(report, options));
  });

  it('HTML matches the expected file', () => {
    expectFile(`report${suffix}.html`, renderHtml(report, options));
  });

  it('SVG matches the expected file', () => {
    expectFile(`chart${suffix}.svg`, renderChartSvg(report, options));
  });
});

describe('CSV', () => {
  it('has one row per run in the documented column order', () => {
    const rows = parseCsv(renderCsv(report));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(1 + report.runs.length);
    for (const row of rows) {
      expect(row).toHaveLength(CSV_COLUMNS.length);
    }
    expect(rows[1].slice(0, 9)).toEqual([
      'run',
      '00000000-0000-4000-8000-000000000001',
      'ok',
      'jupyterlab',
      'Workstation',
      'cuda:0',
      'NVIDIA GeForce RTX 4090',
      'seed',
      '45.1'
    ]);
  });

  it('adds the reference rows when asked', () => {
    const rows = parseCsv(renderCsv(report, { includeReference: true }));
    const reference = rows.filter(row => row[0] === 'reference');
    expect(reference.map(row => [row[4], row[5], row[8]])).toEqual(
      REFERENCE_FIGURES.map(figure => [
        figure.machine,
        figure.device,
        String(figure.seconds)
      ])
    );
    expect(reference[0][3]).toBe(REFERENCE_SERIES_LABEL);
  });

  it('ends lines with CRLF and can start with a byte order mark', () => {
    const csv = renderCsv(report, { bom: true });
    expect(csv.startsWith('\ufeffkind,id,')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/\n(?!=)/);
  });
});

describe('JSON', () => {
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  ajv.addSchema(metadataSchema);
  const validate = ajv.compile(reportSchema);

  it.each([false, true])(
    'is valid against report.schema.json (reference: %p)',
    includeReference => {
      const json = JSON.parse(renderJson(report, { includeReference }));
      expect(validate(json)).toBe(true);
      expect(validate.errors ?? null).toBeNull();
      expect('reference' in json).toBe(includeReference);
    }
  );

  it('writes the shape the brief asks for', () => {
    const json = buildJsonReport(report, { generatedAt: GENERATED_AT });
    expect(Object.keys(json)).toEqual([
      'schema_version',
      'kind',
      'generated_at',
      'sources',
      'warnings',
      'invalid',
      'runs'
    ]);
    expect(json.generated_at).toBe(GENERATED_AT);
    expect(json.sources).toEqual([
      'bench-workstation.ipynb',
      'bench-macbook.ipynb',
      'report-2024.json'
    ]);
  });

  it('lists what the merge left out: warnings and invalid run records', () => {
    const json = JSON.parse(renderJson(report));
    expect(report.warnings.length).toBeGreaterThan(0);
    expect(json.warnings).toEqual(report.warnings);
    expect(json.invalid).toEqual([
      {
        source: 'bench-workstation.ipynb',
        index: 6,
        reason: 'train_seconds must be number or null'
      }
    ]);
    expect(validate(json)).toBe(true);
  });

  it('writes empty lists when nothing was left out', () => {
    const json = buildJsonReport(mergeRuns([]), { generatedAt: GENERATED_AT });
    expect(json.warnings).toEqual([]);
    expect(json.invalid).toEqual([]);
    expect(validate(json)).toBe(true);
  });

  it.each([
    ['warnings', ['ok', 1]],
    ['invalid', [{ source: 'a', index: 0 }]],
    ['invalid', [{ source: 'a', index: 0.5, reason: 'r' }]],
    ['invalid', [{ source: 'a', index: -2, reason: 'r' }]],
    ['invalid', ['a']]
  ])('the schema refuses a malformed %s', (key, value) => {
    const json = JSON.parse(renderJson(report));
    json[key] = value;
    expect(validate(json)).toBe(false);
  });

  it('still accepts a report written before warnings and invalid', () => {
    const json = JSON.parse(renderJson(report));
    delete json.warnings;
    delete json.invalid;
    expect(validate(json)).toBe(true);
    expect(readReport(json).problems).toEqual([]);
  });

  it('can be read and merged again to the same figures', () => {
    const again = readReport(JSON.parse(renderJson(report)));
    expect(again.problems).toEqual([]);
    expect(again.invalid).toEqual([]);
    const merged = mergeRuns([sourceFromRead('export.json', again)]);
    expect(merged.groups).toEqual(report.groups);
    expect(merged.failed).toEqual(report.failed);
  });

  it('defaults generated_at to now', () => {
    const before = Date.now();
    const json = buildJsonReport(report);
    expect(Date.parse(json.generated_at)).toBeGreaterThanOrEqual(before - 1000);
  });
});

describe('HTML', () => {
  const html = renderHtml(report, { includeReference: true });
  const doc = new DOMParser().parseFromString(html, 'text/html');

  it('is one self-contained document without script', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(doc.querySelectorAll('script')).toHaveLength(0);
    expect(doc.querySelectorAll('style')).toHaveLength(1);
    expect(doc.querySelectorAll('link, img, iframe, object, a')).toHaveLength(
      0
    );
    for (const element of Array.from(doc.querySelectorAll('*'))) {
      for (const attribute of Array.from(element.attributes)) {
        expect(attribute.name).not.toMatch(/^(on|src$|href$|xlink:href$)/i);
      }
    }
    expect(html).not.toMatch(/url\(|@import|https?:\/\/(?!www\.w3\.org)/);
  });

  it('declares a restrictive Content-Security-Policy first', () => {
    const metas = doc.head.querySelectorAll('meta');
    expect(metas[0].getAttribute('charset')).toBe('utf-8');
    expect(metas[1].getAttribute('http-equiv')).toBe('Content-Security-Policy');
    expect(metas[1].getAttribute('content')).toBe(REPORT_CSP);
    expect(REPORT_CSP).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    );
  });

  it('reads in light and dark and prints', () => {
    const style = doc.querySelector('style')!.textContent!;
    expect(style).toContain('@media (prefers-color-scheme: dark)');
    expect(style).toContain('@media print');
    expect(style).toContain('color-scheme: light dark');
  });

  it('holds the summary table and the chart', () => {
    expect(doc.querySelectorAll('svg.jp-DeviceBench-chart')).toHaveLength(1);
    const rows = doc.querySelectorAll('#summary ~ .table tbody tr');
    expect(rows).toHaveLength(report.groups.length);
  });
});

describe('SVG chart', () => {
  it('is well-formed XML and shows every machine', () => {
    const svg = renderChartSvg(report);
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    const text = doc.documentElement.textContent ?? '';
    for (const machine of report.machines) {
      expect(text).toContain(machine);
    }
    expect(text).toContain('no successful run');
    expect(text).not.toContain(REFERENCE_SERIES_LABEL);
    expect(doc.getElementsByTagName('script')).toHaveLength(0);
    expect(
      doc.querySelectorAll('rect.jp-DeviceBench-chart-bar').length
    ).toBeGreaterThan(report.groups.length);
  });

  it('adds the labelled reference series when asked', () => {
    const svg = renderChartSvg(report, { includeReference: true });
    expect(svg).toContain(REFERENCE_SERIES_LABEL);
    expect(svg.match(/jp-DeviceBench-chart-bar-reference"/g)).toHaveLength(
      REFERENCE_FIGURES.length + 1
    );
  });

  it('leaves styling to the page when embedded', () => {
    const svg = renderChartSvg(report, {
      standalone: false,
      idPrefix: 'panel'
    });
    expect(svg).not.toContain('<style>');
    expect(svg).not.toContain('jp-DeviceBench-chart-background');
    expect(svg).toContain('aria-labelledby="panel-title panel-desc"');
  });

  it('draws an empty report', () => {
    const svg = renderChartSvg(mergeRuns([]));
    expect(svg).toContain('no runs');
  });
});

describe('Markdown', () => {
  it('shows the table like the article, then warnings and failures', () => {
    const md = renderMarkdown(report);
    expect(md).toContain(
      '| machine | device | device name | profile | data and settings | runs | seconds (median) | speed-up over CPU |'
    );
    expect(md).toContain(
      '| Workstation | cuda:0 | NVIDIA GeForce RTX 4090 | seed | mnist-train+test, 60000 training samples, 10 epochs, batch 64 | 2 | 45.00 | 1.78× |'
    );
    expect(md).toContain('## Warnings');
    expect(md).toContain('## Failed and cancelled runs');
    expect(md).toContain('Machines without a successful run: Old laptop.');
    expect(md).not.toContain('Published reference');
  });

  it('leaves out the data column when every group has the same workload', () => {
    const single = mergeRuns([
      { name: 'a', runs: report.runs.slice(0, 3).map(run => run.record) }
    ]);
    expect(renderMarkdown(single)).toContain(
      '| machine | device | device name | profile | runs | seconds (median) | speed-up over CPU |'
    );
  });
});
