/**
 * Model strings (node, tensor and graph names, doc strings, metadata) come from files downloaded from anywhere.
 * Before they reach a terminal, a Markdown renderer or a spreadsheet they are made inert here:
 * - terminal: control characters (newline, ESC sequences…), bidi overrides and isolates, line separators and lone
 *   surrogates are shown as visible escapes (`\n`, `\u{202E}`, U+FFFD), so a name can neither forge table rows
 *   nor reorder what is shown; long strings are clipped by code point with an ellipsis, looking only at a bounded
 *   prefix (a 1 MB name costs no more than a short one);
 * - Markdown: the same, plus HTML and Markdown syntax escaped, and code spans fenced so that a backtick in a name
 *   cannot end them;
 * - CSV: quoted per RFC 4180, and a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) gets a `'`.
 * Invalid UTF-8 never gets here as bytes: the reader decodes strings with U+FFFD replacement.
 */

/** C0 and C1 controls, DEL, the Arabic letter mark, LRM/RLM, line and paragraph separators, bidi embeddings,
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069), and unpaired surrogates. */
const controlRanges = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069';
const unsafeChars = new RegExp(
  `[${controlRanges}]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]`,
  'g',
);
const hasUnsafe = new RegExp(`[${controlRanges}\\ud800-\\udfff]`);

const namedEscapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visibleEscape(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return '\ufffd';
  return namedEscapes[ch] ?? `\\u{${code.toString(16).toUpperCase().padStart(4, '0')}}`;
}

/** Default length (code points) of a single line of model text in a report. */
export const DEFAULT_TEXT_MAX = 200;

/** The first `max` code points of `s`, or `max − 1` and '…' when it is longer; never splits a surrogate pair. */
export function clipText(s: string, max: number): string {
  if (s.length <= max) return s;
  let units = 0;
  let points = 0;
  let cut = 0;
  while (units < s.length) {
    if (points === max - 1) cut = units;
    if (points === max) return `${s.slice(0, cut)}…`;
    const c = s.charCodeAt(units);
    const pair = c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(units + 1) & 0xfc00) === 0xdc00;
    units += pair ? 2 : 1;
    points++;
  }
  return s;
}

/**
 * One line of terminal text: no control or bidi characters (shown as escapes), at most `max` code points.
 * Plain short strings come back unchanged (the common case costs one regular-expression test).
 */
export function terminalText(s: string, max = DEFAULT_TEXT_MAX): string {
  // Each code point is at most two units and an escape is longer than its character, so this prefix is enough.
  let t = s.length > 2 * max + 8 ? s.slice(0, 2 * max + 8) : s;
  if (hasUnsafe.test(t)) t = t.replace(unsafeChars, visibleEscape);
  return t.length > max ? clipText(t, max) : t;
}

const markdownSpecial = /[\\`*_[\]<>|&~]/g;
const markdownEntity: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

/** Model text for Markdown (a table cell, a heading, a list item): literal text, no HTML, no formatting. */
export function markdownText(s: string, max = DEFAULT_TEXT_MAX): string {
  return terminalText(s, max).replace(markdownSpecial, (c) => markdownEntity[c] ?? `\\${c}`);
}

/**
 * Model text as a Markdown code span in a table cell: HTML inside stays literal; the fence is longer than any run
 * of backticks in the text, and pipes are escaped (GFM splits table cells before it reads code spans).
 */
export function markdownCode(s: string, max = DEFAULT_TEXT_MAX): string {
  const t = terminalText(s, max).replace(/\|/g, '\\|');
  if (!t) return '';
  let longest = 0;
  for (const m of t.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || (t.startsWith(' ') && t.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** One CSV field (RFC 4180): quoted when it holds a quote, comma or line break; formula starts neutralised. */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) {
    s = `'${s}`;
  }
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
