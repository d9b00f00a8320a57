/**
 * Text helpers for showing untrusted strings (anything that came from a
 * notebook or a report file): truncation, control-character clean-up, HTML
 * and Markdown escaping, and a bounded preview of any value.
 *
 * Pure functions; no DOM.
 */

/**
 * How many characters of one untrusted string are shown (then "…").
 */
export const DISPLAY_MAX = 200;

/**
 * The mark appended to truncated text.
 */
export const ELLIPSIS = '\u2026';

/**
 * Cut `s` to at most `max` UTF-16 code units and append "…" when it was
 * longer. Never splits a surrogate pair.
 */
export function truncate(s: string, max: number = DISPLAY_MAX): string {
  const limit = Math.max(0, Math.floor(max));
  if (s.length <= limit) {
    return s;
  }
  let end = limit;
  const last = s.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) {
    end -= 1;
  }
  return s.slice(0, end) + ELLIPSIS;
}

// Line breaks and tabs become spaces (a table cell is one line).
const LINE_BREAKS = /[\t\n\r\u2028\u2029]/g;
// C0/C1 controls, bidirectional overrides and isolates (they can make text
// read differently from what it is), non-characters, and lone surrogates
// (they make XML, e.g. an SVG file, malformed) become U+FFFD.
const UNSAFE_CHARS =
  // eslint-disable-next-line no-control-regex -- matching them is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Replace line breaks and tabs by spaces, and control characters,
 * bidirectional controls, non-characters and lone surrogates by U+FFFD.
 */
export function cleanText(s: string): string {
  return s.replace(LINE_BREAKS, ' ').replace(UNSAFE_CHARS, '\ufffd');
}

/**
 * Any value as one line of plain text for display: strings cleaned and
 * truncated to `max` characters (+ "…"), finite numbers as numbers, null and
 * undefined as '', anything else as a bounded JSON preview. The result is
 * still untrusted text: escape it for the output format.
 */
export function displayText(value: unknown, max: number = DISPLAY_MAX): string {
  if (typeof value === 'string') {
    // Clean only what can be shown: a 10 MB string costs no more than a short one.
    const head = value.length > max ? value.slice(0, max + 1) : value;
    return truncate(cleanText(head), max);
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(value) : '';
  }
  if (typeof value === 'boolean') {
    return String(value);
  }
  if (value === null || value === undefined) {
    return '';
  }
  return preview(value, max);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;'
};

/**
 * Escape `& < > " '` for HTML and XML text and attribute values.
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, c => HTML_ESCAPES[c]);
}

const MARKDOWN_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  ':': '&#58;',
  // Math. JupyterLab hides math from the Markdown parser first (removeMath
  // in @jupyterlab/rendermime: `$`, `$$`, and `\\(` `\\[`, which Markdown
  // turns into `\(` `\[`), then MathJax typesets the rendered text, where it
  // finds `$`, `\(`, `\[`, `\begin{` and `\ref{` (and reads `\\` and `\$` as
  // a literal backslash and dollar). So neither character is written as
  // itself: a backslash becomes `&#92;&#92;` and a dollar `&#92;&#36;`, which
  // the rendered page holds as `\\` and `\$`: no removeMath delimiter in the
  // source, no MathJax delimiter in the page (which shows `\` and `$`).
  '\\': '&#92;&#92;',
  $: '&#92;&#36;',
  // Email autolinks; and removeMath's placeholders: JupyterLab replaces
  // `@@0@@` in the rendered HTML with saved math (or fails when there is
  // none), and a backslash-escaped `\@` is rendered as `@`.
  '@': '&#64;'
};

// Inline syntax: emphasis, code, links (`[` `]`), HTML and autolinks (`<`),
// entities (`&`), strike-through, table cells, email autolinks, math (`$`
// and backslash, rendered by JupyterLab), attribute extensions (`{}`); and a
// colon followed by anything but white space or a digit (`javascript:x`,
// `https://`; while `cuda:0` and "reason: text" stay readable).
const MARKDOWN_SPECIAL = /[\\`*_[\]~|{}<>&@$]|:(?=[^\s0-9])/g;

/**
 * Escape text for one Markdown table cell or list item (CommonMark, GitHub
 * Flavored Markdown, JupyterLab's Markdown with math): `& < >` and a colon
 * that could start a URL become entities; a backslash becomes `&#92;&#92;`
 * and `$` becomes `&#92;&#36;` (MathJax's own escapes `\\` and `\$`, so that
 * no math delimiter survives, neither for JupyterLab's removeMath nor for
 * MathJax; a renderer without math shows them as `\\` and `\$`), and `@`
 * becomes `&#64;` (email autolinks, JupyterLab's `@@0@@` math placeholders);
 * `` ` * _ [ ] ~ | { } `` are backslash-escaped, and so is the dot of
 * `www.`; a leading `#`, `-`, `+`, `=` or list number is escaped. No HTML,
 * link, image, emphasis, math or table break survives. Apply to cleaned,
 * single-line text (see {@link displayText}).
 */
export function escapeMarkdown(s: string): string {
  let out = s.replace(MARKDOWN_SPECIAL, c => MARKDOWN_ENTITIES[c] ?? '\\' + c);
  // Bare `www.` autolinks (GitHub Flavored Markdown).
  out = out.replace(/\b(www)\./gi, '$1\\.');
  // Block syntax at the start of a line (headings, lists, setext headings).
  out = out.replace(/^(\s*)([#+=-])/, '$1\\$2');
  out = out.replace(/^(\s*[0-9]+)([.)])/, '$1\\$2');
  return out;
}

/**
 * A short JSON-like preview of any value (at most `max` characters + "…"),
 * built without serialising more than it shows: a 10 MB string or a huge
 * array costs no more than a small one. Cycles print as `[cycle]`.
 */
export function preview(value: unknown, max: number = DISPLAY_MAX): string {
  const parts: string[] = [];
  let length = 0;
  const budget = max + 1;
  const seen = new Set<unknown>();
  const push = (s: string): boolean => {
    parts.push(s);
    length += s.length;
    return length < budget;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') {
      return push(JSON.stringify(v.slice(0, budget)));
    }
    if (typeof v === 'number') {
      return push(String(v));
    }
    if (typeof v === 'boolean' || v === null) {
      return push(String(v));
    }
    if (v === undefined) {
      return push('undefined');
    }
    if (typeof v !== 'object') {
      return push(`[${typeof v}]`);
    }
    if (seen.has(v)) {
      return push('[cycle]');
    }
    if (depth > 6) {
      return push(Array.isArray(v) ? '[…]' : '{…}');
    }
    seen.add(v);
    try {
      if (Array.isArray(v)) {
        if (!push('[')) {
          return false;
        }
        for (let i = 0; i < v.length; i++) {
          if ((i > 0 && !push(',')) || !walk(v[i], depth + 1)) {
            return false;
          }
        }
        return push(']');
      }
      if (!push('{')) {
        return false;
      }
      let first = true;
      for (const key in v as Record<string, unknown>) {
        if (!Object.prototype.hasOwnProperty.call(v, key)) {
          continue;
        }
        if (!first && !push(',')) {
          return false;
        }
        first = false;
        if (!push(JSON.stringify(key.slice(0, budget)) + ':')) {
          return false;
        }
        if (!walk((v as Record<string, unknown>)[key], depth + 1)) {
          return false;
        }
      }
      return push('}');
    } finally {
      seen.delete(v);
    }
  };
  walk(value, 0);
  const text = parts.join('');
  return truncate(cleanText(text.slice(0, budget)), max);
}
