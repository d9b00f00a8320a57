import { removeMath, replaceMath } from '@jupyterlab/rendermime/lib/latex';
import { marked } from 'marked';
import { CSV_CELL_MAX, csvCell, neutraliseFormula, quoteCsv } from '../csv';
import {
  cleanText,
  displayText,
  escapeHtml,
  escapeMarkdown,
  preview,
  truncate
} from '../../common/escape';
import { parseCsv } from './fixtures/parseCsv';

describe('truncate', () => {
  it('keeps short strings and cuts long ones with an ellipsis', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('abc…');
    expect(truncate('x'.repeat(250))).toBe('x'.repeat(200) + '…');
  });

  it('never splits a surrogate pair', () => {
    expect(truncate('ab\u{1F680}cd', 3)).toBe('ab…');
    expect(truncate('ab\u{1F680}cd', 4)).toBe('ab\u{1F680}…');
  });

  it('cuts a 10 MB string quickly', () => {
    const big = 'A'.repeat(10 * 1024 * 1024);
    expect(truncate(big, 200)).toHaveLength(201);
    expect(displayText(big)).toHaveLength(201);
  });
});

describe('cleanText and displayText', () => {
  it('turns line breaks and tabs into spaces', () => {
    expect(cleanText('a\nb\r\nc\td\u2028e')).toBe('a b  c d e');
  });

  it('replaces controls, bidi overrides and lone surrogates', () => {
    expect(cleanText('nul\u0000 bidi\u202e x\ud800 y\udfff \ufeff')).toBe(
      'nul\ufffd bidi\ufffd x\ufffd y\ufffd \ufffd'
    );
    expect(cleanText('\u{1F680} ok')).toBe('\u{1F680} ok');
  });

  it('shows any value as one line', () => {
    expect(displayText(null)).toBe('');
    expect(displayText(undefined)).toBe('');
    expect(displayText(1.5)).toBe('1.5');
    expect(displayText(Number.NaN)).toBe('');
    expect(displayText(false)).toBe('false');
    expect(displayText({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
  });
});

describe('preview', () => {
  it('is bounded, whatever the size', () => {
    const big = { list: Array.from({ length: 1e6 }, (_, i) => i) };
    expect(preview(big).length).toBeLessThanOrEqual(201);
    expect(preview('x'.repeat(1e7))).toHaveLength(201);
  });

  it('handles cycles and depth', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(preview(a)).toBe('{"self":[cycle]}');
    expect(preview([[[[[[[[[1]]]]]]]]])).toBe('[[[[[[[[…]]]]]]]]');
  });
});

describe('escapeHtml', () => {
  it('escapes & < > " \'', () => {
    expect(escapeHtml(`<img src=x onerror="a('&')">`)).toBe(
      '&lt;img src=x onerror=&quot;a(&#39;&amp;&#39;)&quot;&gt;'
    );
  });
});

describe('escapeMarkdown', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['[x](javascript:alert(1))', '\\[x\\](javascript&#58;alert(1))'],
    ['![i](https://e.x/a.png)', '!\\[i\\](https&#58;//e.x/a.png)'],
    ['a | b', 'a \\| b'],
    ['`code` *em* _em_ ~~s~~', '\\`code\\` \\*em\\* \\_em\\_ \\~\\~s\\~\\~'],
    ['&lt;', '&amp;lt;'],
    ['back\\slash', 'back&#92;&#92;slash'],
    ['$x^2$ {.class}', '&#92;&#36;x^2&#92;&#36; \\{.class\\}'],
    ['\\(x^2\\)', '&#92;&#92;(x^2&#92;&#92;)'],
    ['user@example.invalid', 'user&#64;example.invalid'],
    ['www.example.invalid', 'www\\.example.invalid'],
    ['# heading', '\\# heading'],
    ['- item', '\\- item'],
    ['1. item', '1\\. item'],
    ['cuda:0 reason: text', 'cuda:0 reason: text'],
    ['mnist-train+test (MPS)', 'mnist-train+test (MPS)']
  ])('escapes %p', (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });
});

describe('escapeMarkdown and math', () => {
  // What JupyterLab does with Markdown (renderMarkdown in
  // @jupyterlab/rendermime): removeMath hides the math from the parser,
  // marked renders the rest, then MathJax typesets the page's text with
  // JupyterLab's options: inline `$` and `\(`, display `$$` and `\[`,
  // environments, escapes (`\\` and `\$` are literal) and MathJax's default
  // `\ref{}`. End delimiters are counted too.
  const MATHJAX =
    /\$\$|\$|\\[()[\]]|\\(?:begin|end)\s*\{[^}]*\}|\\(?:eq)?ref\s*\{[^}]*\}|(\\[\\$])/g;

  /** The math delimiters MathJax would find in a page's text. */
  function mathJaxDelimiters(text: string): string[] {
    return [...text.matchAll(MATHJAX)]
      .filter(match => match[1] === undefined)
      .map(match => match[0]);
  }

  /** The text a page shows once MathJax has read its escapes. */
  function shown(text: string): string {
    return text.replace(/\\([\\$])/g, '$1');
  }

  function render(markdown: string): string {
    const { text, math } = removeMath(markdown);
    const html = replaceMath(
      marked.parse(text, { gfm: true, async: false }) as string,
      math
    );
    return new DOMParser()
      .parseFromString(html, 'text/html')
      .body.textContent!.trim();
  }

  const inputs = [
    '\\(x^2\\)',
    '\\[x^2\\]',
    '$x^2$',
    '$$x^2$$',
    '\\\\(x\\\\)',
    '\\\\[x\\\\]',
    '\\begin{equation}x\\end{equation}',
    'costs \\$5 and \\$10',
    '\\\\$x$',
    'eq \\ref{a} \\eqref{b}',
    '@@0@@ $ @@1@@',
    'a\\',
    '\\{x\\} \\$ \\( $ \\)',
    'C:\\Users\\me (cuda:0)'
  ];

  it('the checks find math where it is', () => {
    expect(removeMath('\\\\(x\\\\)').math).toHaveLength(1);
    expect(removeMath('$x$').math).toHaveLength(1);
    expect(() => render('\\@\\@0\\@\\@')).toThrow();
    expect(mathJaxDelimiters(render('\\\\(x\\\\)'))).toEqual(['\\(', '\\)']);
    expect(mathJaxDelimiters(render('\\$x\\$'))).toEqual(['$', '$']);
    expect(mathJaxDelimiters('\\\\( \\$')).toEqual([]);
  });

  it.each(inputs)('leaves no math in %p', input => {
    const escaped = escapeMarkdown(input);
    expect(removeMath(escaped).math).toEqual([]);
    const text = render(escaped);
    expect(mathJaxDelimiters(text)).toEqual([]);
    expect(shown(text)).toBe(input);
  });

  it('leaves no math in a whole table of such cells', () => {
    const row = `| ${inputs.map(escapeMarkdown).join(' | ')} |`;
    const table = [
      `| ${inputs.map(() => 'h').join(' | ')} |`,
      `| ${inputs.map(() => '---').join(' | ')} |`,
      row,
      row
    ].join('\n');
    expect(removeMath(table).math).toEqual([]);
    expect(mathJaxDelimiters(render(table))).toEqual([]);
  });
});

describe('CSV cells', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['+cmd', "'+cmd"],
    ['-2+3', "'-2+3"],
    ['-5', "'-5"],
    ['@SUM(1+1)', "'@SUM(1+1)"],
    ['\t=1+1', '"\'\t\'=1+1"'],
    ['\r=1+1', '"\'\r\'=1+1"'],
    ['\n=1', '"\'\n\'=1"'],
    ['  =1+1', "'  =1+1"],
    ['\uff1d1+1', "'\uff1d1+1"],
    ['plain text', 'plain text'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['', '']
  ])('writes the string %p as %p', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  // A spreadsheet whose list separator is `;` (or that reads tabs) splits a
  // line there even inside a quoted field: every part after a separator that
  // would start a formula gets a `'`, and such fields are quoted.
  it.each([
    ["GPU;=cmd|' /C calc'!A0", `"GPU;'=cmd|' /C calc'!A0"`],
    ['GPU\t=cmd|A0', `"GPU\t'=cmd|A0"`],
    ['x,+1', `"x,'+1"`],
    ['x; -1', `"x;' -1"`],
    ['x;\t@SUM(A1)', `"x;'\t'@SUM(A1)"`],
    ['x;"=1"', `"x;'""=1"""`],
    ['x;\uff1d1', `"x;'\uff1d1"`],
    ['x\r\n=1', `"x\r\n'=1"`],
    ['=a;=b', `"'=a;'=b"`],
    ['a;b', '"a;b"'],
    ['a\tb', '"a\tb"'],
    ['a.ipynb; b.ipynb', '"a.ipynb; b.ipynb"'],
    ['mnist-train+test', 'mnist-train+test']
  ])('neutralises formulas after separators: %p as %p', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('leaves no formula whichever separator a spreadsheet splits at', () => {
    const payloads = [
      "GPU;=cmd|' /C calc'!A0",
      'a\t+1',
      'b, -1',
      'c;"@x"',
      'd\n=1',
      'e;\u3000\uff0b1',
      ';;==;',
      '\t\t=1'
    ];
    const line = payloads.map(csvCell).join(',');
    const formula =
      /^[\t\r\n]|^[\s\u00a0\u3000"]*[=+\-@\uff1d\uff0b\uff0d\uff20]/;
    for (const field of line.split(/[,;\t\r\n]/)) {
      expect(field).not.toMatch(formula);
    }
    // Still RFC 4180: the cells read back as the neutralised texts.
    expect(parseCsv(line + '\r\n')).toEqual([
      payloads.map(payload => neutraliseFormula(payload))
    ]);
  });

  it('keeps a cell with many neutralised separators capped', () => {
    const cell = csvCell(';='.repeat(100_000));
    expect(cell.length).toBeLessThanOrEqual(CSV_CELL_MAX + 4);
  });

  it('writes numbers it owns as numbers, negative ones included', () => {
    expect(csvCell(-2)).toBe('-2');
    expect(csvCell(45.02)).toBe('45.02');
    expect(csvCell(1e21)).toBe('1e+21');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(Infinity)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
  });

  it('writes objects as JSON, quoted', () => {
    expect(csvCell({ a: 1, b: '=x' })).toBe('"{""a"":1,""b"":""=x""}"');
  });

  it('caps a cell at 32,000 characters', () => {
    const cell = csvCell('A'.repeat(10 * 1024 * 1024));
    expect(cell).toHaveLength(32001);
    expect(cell.endsWith('…')).toBe(true);
  });

  it('exposes the parts', () => {
    expect(neutraliseFormula('=1')).toBe("'=1");
    expect(quoteCsv('a"b')).toBe('"a""b"');
  });
});
