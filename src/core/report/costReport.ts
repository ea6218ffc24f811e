/**
 * What `edge-profile profile` prints: a model profile (analysis/cost.ts) as a table for the terminal, CSV,
 * Markdown, or JSON. Pure data in, text out.
 */

import type { CostTotals, LayerCost, ModelProfile, TensorSummary } from '../analysis/cost.js';
import { clipText, csvField, markdownCode, markdownText, terminalText } from './safeText.js';
import { formatBytes, formatCount, formatShape } from './summary.js';

export interface CostReportOptions {
  /** Model file name for the heading. */
  file?: string;
  /** Only the N layers with the most MACs (totals stay over all layers). */
  top?: number;
}

const count = formatCount;
const orNa = (n: number | null, f: (n: number) => string = count) => (n === null ? 'n/a' : f(n));

/** A total: exact, or "≥ known (n n/a)" when some layers are unknown, or "n/a" when nothing is known. */
function total(
  t: CostTotals,
  key: 'macs' | 'flops' | 'activationBytes' | 'memoryBytes',
  f: (n: number) => string,
): string {
  const v = t[key];
  if (v !== null) return f(v);
  const known = t.known[key];
  const unknown = t.unknownLayers[key];
  return known > 0 ? `≥ ${f(known)} (${unknown} layer${unknown === 1 ? '' : 's'} n/a)` : 'n/a';
}

function outputShape(l: LayerCost): string {
  const o = l.outputs[0];
  if (!o) return '';
  const mark = o.origin === 'declared' ? '*' : '';
  return `${formatShape(o.shape ?? undefined)}${mark}${l.outputs.length > 1 ? ` +${l.outputs.length - 1}` : ''}`;
}

/** The layers a report shows: all non-folded ones in graph order, or the top N by MACs. */
export function reportLayers(profile: ModelProfile, top?: number): LayerCost[] {
  if (top === undefined) return profile.layers.filter((l) => !l.folded);
  return [...profile.layers]
    .filter((l) => !l.folded)
    .sort((a, b) => (b.macs ?? -1) - (a.macs ?? -1) || (b.flops ?? -1) - (a.flops ?? -1) || a.index - b.index)
    .slice(0, top);
}

export function modeLine(p: ModelProfile): string {
  return p.model.mode === 'exact'
    ? 'shapes: exact (measured by running the model once in ONNX Runtime)'
    : 'shapes: static (inferred; * = taken from the model’s value_info)';
}

export function inputsLine(p: ModelProfile): string {
  return `inputs: ${p.model.inputs.map((i) => `${i.name} ${i.dtype ?? '?'} ${formatShape(i.shape ?? undefined)}`).join(', ')}`;
}

export function totalsLines(t: CostTotals): string[] {
  const dtypes = Object.entries(t.paramsByDtype)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([k, v]) => `${k} ${count(v.params)} (${formatBytes(v.bytes)})`)
    .join(', ');
  return [
    `params: ${count(t.params)} (${formatBytes(t.weightBytes)}${dtypes ? `: ${dtypes}` : ''})`,
    `MACs: ${total(t, 'macs', count)}   FLOPs: ${total(t, 'flops', count)}`,
    `activations: ${total(t, 'activationBytes', formatBytes)}   memory traffic: ${total(t, 'memoryBytes', formatBytes)}` +
      `   intensity: ${t.intensity === null ? 'n/a' : `${t.intensity.toFixed(2)} FLOP/B`}`,
  ];
}

export const costColumns = ['name', 'op', 'output shape', 'params', 'MACs', 'weight bytes', 'activation bytes'];
export const costNumeric = [false, false, false, true, true, true, true];
const columns = costColumns;
const numeric = costNumeric;

export function costRow(l: LayerCost): string[] {
  return [
    l.name,
    l.opType,
    outputShape(l),
    count(l.params),
    orNa(l.macs),
    count(l.weightBytes),
    orNa(l.activationBytes),
  ];
}

export function costTotalRow(t: CostTotals, label: string): string[] {
  return [
    label,
    '',
    '',
    count(t.params),
    orNa(t.macs ?? (t.known.macs > 0 ? t.known.macs : null)) + (t.macs === null && t.known.macs > 0 ? '+' : ''),
    count(t.weightBytes),
    orNa(t.activationBytes ?? (t.known.activationBytes > 0 ? t.known.activationBytes : null)) +
      (t.activationBytes === null && t.known.activationBytes > 0 ? '+' : ''),
  ];
}

export function reportHeading(p: ModelProfile, options: CostReportOptions, shown: number): string {
  const runtime = p.layers.filter((l) => !l.folded).length;
  const folded = p.layers.length - runtime;
  const what = options.top !== undefined ? `top ${shown} of ${runtime} layers by MACs` : `${runtime} layers`;
  return `${options.file ?? p.model.graphName}: ${what}${folded ? ` (${folded} constant-folded nodes not shown)` : ''}`;
}

/**
 * Fixed-width columns: numeric ones right-aligned, cells clipped to `maxWidth` with an ellipsis, control and bidi
 * characters in cells shown as escapes (safeText.ts) so that a model's names cannot break the table.
 */
export function renderTable(
  header: string[],
  numericColumns: boolean[],
  modelRows: string[][],
  footer: string[],
  maxWidth: number[],
): string[] {
  const rows = modelRows.map((r) => r.map((cell, c) => terminalText(cell, maxWidth[c] ?? 24)));
  // A loop, not Math.max(...cells): spreading a column of a few hundred thousand rows overflows the call stack.
  const widths = header.map((h, c) => {
    let w = Math.max(h.length, footer[c].length);
    for (const r of rows) if (r[c].length > w) w = r[c].length;
    return Math.min(maxWidth[c] ?? 24, w);
  });
  const clip = clipText;
  const line = (r: string[]) =>
    r
      .map((cell, c) =>
        numericColumns[c] ? clip(cell, widths[c]).padStart(widths[c]) : clip(cell, widths[c]).padEnd(widths[c]),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line), rule, line(footer)];
}

export function formatCostTable(p: ModelProfile, options: CostReportOptions = {}): string {
  const layers = reportLayers(p, options.top);
  const rows = layers.map(costRow);
  const totals = costTotalRow(p.totals, 'total (all layers)');
  return [
    terminalText(reportHeading(p, options, layers.length), LINE_MAX),
    modeLine(p),
    terminalText(inputsLine(p), LINE_MAX),
    ...totalsLines(p.totals),
    '',
    ...renderTable(columns, numeric, rows, totals, [56, 24, 28, 14, 16, 14, 16]),
    ...p.warnings.map((w) => `warning: ${terminalText(w.message, LINE_MAX)}`),
  ].join('\n');
}

/** Longest line of model text (a heading, the inputs, a warning) in a text or Markdown report. */
export const LINE_MAX = 2000;

/** One CSV field: quoted per RFC 4180, formula starts neutralised (safeText.ts). */
export const csvCell = csvField;

const shapeText = (o: TensorSummary | undefined) =>
  o?.shape ? o.shape.map((d) => (d === null ? '?' : String(d))).join('x') : '';

export const costCsvHeader = [
  'index',
  'name',
  'op',
  'scope',
  'output',
  'output_dtype',
  'output_shape',
  'shape_origin',
  'params',
  'weight_bytes',
  'macs',
  'flops',
  'input_bytes',
  'weight_bytes_read',
  'activation_bytes',
  'memory_bytes',
  'intensity',
  'folded',
];

/** A layer's CSV fields, in `costCsvHeader` order (n/a is null). */
export function costCsvFields(l: LayerCost): (string | number | boolean | null | undefined)[] {
  const o = l.outputs[0];
  return [
    l.index,
    l.name,
    l.opType,
    l.scope.join('/'),
    o?.name,
    o?.dtype,
    shapeText(o),
    o?.origin,
    l.params,
    l.weightBytes,
    l.macs,
    l.flops,
    l.inputBytes,
    l.weightBytesRead,
    l.activationBytes,
    l.memoryBytes,
    l.intensity === null ? null : Number(l.intensity.toFixed(4)),
    l.folded ? 'yes' : '',
  ];
}

/** The layers a CSV shows: every one (folded included), or the top N. */
export function csvLayers(p: ModelProfile, top?: number): LayerCost[] {
  return top !== undefined ? reportLayers(p, top) : p.layers;
}

/** One row per layer (all of them, folded included, or the top N), every numeric field; n/a is an empty cell. */
export function formatCostCsv(p: ModelProfile, options: CostReportOptions = {}): string {
  const lines = [costCsvHeader.join(',')];
  for (const l of csvLayers(p, options.top)) lines.push(costCsvFields(l).map(csvCell).join(','));
  return lines.join('\n');
}

export function formatCostMarkdown(p: ModelProfile, options: CostReportOptions = {}): string {
  const layers = reportLayers(p, options.top);
  // Model text is escaped (markdownText / markdownCode); our own labels and headers are Markdown as written.
  const mdRow = (r: string[]) => `| ${r.join(' | ')} |`;
  return [
    `## ${markdownText(reportHeading(p, options, layers.length), LINE_MAX)}`,
    '',
    `${modeLine(p)}  `,
    `${markdownText(inputsLine(p), LINE_MAX)}  `,
    ...totalsLines(p.totals).map((l) => `${markdownText(l, LINE_MAX)}  `),
    '',
    mdRow(columns),
    `|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`,
    ...layers.map((l) => mdRow(costRow(l).map((c, i) => (i === 0 || i === 1 ? markdownCode(c) : markdownText(c))))),
    mdRow([
      '**total**',
      ...costTotalRow(p.totals, '')
        .slice(1)
        .map((c) => markdownText(c)),
    ]),
    ...(p.warnings.length ? ['', ...p.warnings.map((w) => `- warning: ${markdownText(w.message, LINE_MAX)}`)] : []),
  ].join('\n');
}

/** The JSON document: the profile as is (model, totals, layers, scopes, warnings), `top` applied to layers. */
export function costJson(p: ModelProfile, options: CostReportOptions = {}): object {
  const layers = options.top !== undefined ? reportLayers(p, options.top) : p.layers;
  return {
    model: { ...(options.file ? { file: options.file } : {}), ...p.model },
    totals: p.totals,
    layers,
    scopes: p.scopes,
    warnings: p.warnings,
  };
}
