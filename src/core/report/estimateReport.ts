/**
 * What `edge-profile profile MODEL --target ID` prints: the cost report (costReport.ts) with the target estimate
 * (targets/estimate.ts) merged in — per-layer latency, share, bound, where each layer runs; latency, RAM and flash
 * against the target's capacities; diagnostics. Every estimate is printed next to the profile's calibration status.
 * Pure data in, text out.
 */

import type { LayerCost, ModelProfile } from '../analysis/cost.js';
import type { Diagnostic, Estimate, FixKind, LayerEstimate } from '../targets/estimate.js';
import { formatMs, formatSize } from '../targets/units.js';
import {
  type CostReportOptions,
  costColumns,
  costCsvFields,
  costCsvHeader,
  costNumeric,
  costRow,
  costTotalRow,
  csvCell,
  csvLayers,
  inputsLine,
  LINE_MAX,
  modeLine,
  renderTable,
  reportHeading,
  reportLayers,
  totalsLines,
} from './costReport.js';
import { markdownCode, markdownText, terminalText } from './safeText.js';

const pct = (share: number | null) => (share === null ? '' : `${(share * 100).toFixed(1)}%`);

/** `target: cortex-m7 — Arm Cortex-M7 (…); runtime TFLite Micro + CMSIS-NN 6.x; estimate (uncalibrated)`. */
export function targetLine(est: Estimate): string {
  const t = est.target;
  return `target: ${t.id} — ${t.name}; runtime ${t.runtime}; ${t.accuracy}`;
}

const fallbackName = (est: Estimate) => (est.target.fallback === 'host-cpu' ? 'host CPU' : 'CPU core');

/** Where a layer runs, for the table: blank on the target. */
export function runsOnText(l: LayerEstimate, est: Estimate): string {
  if (l.fusedInto !== undefined) return `fused into #${l.fusedInto}`;
  if (l.runsOn === 'fallback') return fallbackName(est);
  if (l.runsOn === 'unsupported') return 'no kernel';
  return '';
}

function verdict(fits: boolean | null, capacity: number | null, unsized: number): string {
  if (fits === true) return 'fits';
  if (fits === false) return 'DOES NOT FIT';
  if (capacity === null) return 'capacity not published';
  return unsized ? `unknown (${unsized} tensors of unknown size)` : 'unknown';
}

/** `yes`, `NO (RAM)`, or `unknown (RAM: capacity not published)`. */
export function fitsText(est: Estimate): string {
  const { ram, flash } = est.totals.fits;
  const checks: [string, boolean | null][] = [['RAM', ram]];
  if (est.target.placement.weights === 'flash') checks.push(['flash', flash]);
  const failed = checks.filter(([, v]) => v === false).map(([k]) => k);
  const noKernel = est.layers.some((l) => l.runsOn === 'unsupported');
  if (failed.length || noKernel) {
    return `NO (${[...failed.map((k) => `${k} exceeded`), ...(noKernel ? ['ops without a kernel'] : [])].join(', ')})`;
  }
  const unknown = checks.filter(([, v]) => v === null).map(([k]) => k);
  return unknown.length ? `unknown (${unknown.join(', ')}: capacity not published or need not fully known)` : 'yes';
}

/** The estimate's totals as lines: latency, RAM, flash, with their parts and verdicts. */
export function estimateTotalsLines(est: Estimate): string[] {
  const t = est.totals;
  const tag = est.target.accuracy;
  const latency =
    t.latencyMs === null
      ? `latency: n/a (at least ${formatMs(t.knownLatencyMs + t.perInferenceMs)} ms; ${t.unknownLatencyLayers} layer${t.unknownLatencyLayers === 1 ? '' : 's'} without an estimate)`
      : `latency: ${formatMs(t.latencyMs)} ms (layers ${formatMs(t.knownLatencyMs)} ms + ${formatMs(t.perInferenceMs)} ms per inference)`;
  const overheadBound = est.layers.filter((l) => l.bound === 'overhead').length;
  const bounds = `${t.computeBoundLayers} compute-bound, ${t.memoryBoundLayers} memory-bound${
    overheadBound ? `, ${overheadBound} overhead-bound` : ''
  } layers${t.fusedLayers ? `, ${t.fusedLayers} fused` : ''}${
    t.fallbackLayers ? `, ${t.fallbackLayers} on the ${fallbackName(est)}` : ''
  }`;
  const ramParts = [`arena ${formatSize(t.ram.arenaBytes)}`];
  if (t.ram.runtimeBytes) ramParts.push(`runtime ${formatSize(t.ram.runtimeBytes)}`);
  if (t.ram.weightBytes) ramParts.push(`weights ${formatSize(t.ram.weightBytes)}`);
  const level = est.target.placement.activations;
  const ram = `RAM (${level}): ${t.unsizedTensors ? '≥ ' : ''}${formatSize(t.peakRamBytes)}${
    t.ramCapacityBytes !== null ? ` of ${formatSize(t.ramCapacityBytes)}` : ''
  } (${ramParts.join(' + ')}): ${verdict(t.fits.ram, t.ramCapacityBytes, t.unsizedTensors)}`;
  const lines = [`${latency}; ${tag}`, `  ${bounds}`, ram];
  if (est.target.placement.weights === 'flash') {
    lines.push(
      `flash: ${formatSize(t.flashBytes)}${t.flashCapacityBytes !== null ? ` of ${formatSize(t.flashCapacityBytes)}` : ''} (weights ${formatSize(t.flash.weightBytes)} + runtime code ${formatSize(t.flash.runtimeCodeBytes)}): ${verdict(t.fits.flash, t.flashCapacityBytes, 0)}`,
    );
  } else {
    lines.push(`flash: not used (weights in ${est.target.placement.weights})`);
  }
  lines.push(`fits ${est.target.id}: ${fitsText(est)}`);
  return lines;
}

const fixText: Record<FixKind, string> = {
  'quantize-int8': 'quantize to int8',
  'quantize-fp16': 'convert to float16',
  prune: 'prune',
  'reduce-input-size': 'reduce the input size',
  'replace-op': 'replace the op',
  'set-dims': 'give symbolic dims a size (--dim/--input)',
};

/** `error: model needs … [layers #3, #7] fixes: quantize to int8, prune`. */
export function formatDiagnostic(d: Diagnostic): string {
  const shown = d.layers.slice(0, 6).map((i) => `#${i}`);
  const more = d.layers.length > shown.length ? ` +${d.layers.length - shown.length} more` : '';
  const layers = d.layers.length ? ` [layer${d.layers.length === 1 ? '' : 's'} ${shown.join(', ')}${more}]` : '';
  const fixes = d.fixes.length ? `; fixes: ${d.fixes.map((f) => fixText[f]).join(', ')}` : '';
  return `${d.severity}: ${d.message}${layers}${fixes}`;
}

const estimateColumns = ['latency ms', 'share', 'bound', 'runs on'];
const estimateNumeric = [true, true, false, false];

function estimateCells(l: LayerEstimate | undefined, est: Estimate): string[] {
  if (!l) return ['', '', '', ''];
  if (l.fusedInto !== undefined) return ['', '', '', runsOnText(l, est)];
  return [l.latencyMs === null ? 'n/a' : formatMs(l.latencyMs), pct(l.share), l.bound ?? '', runsOnText(l, est)];
}

function totalEstimateCells(est: Estimate): string[] {
  const t = est.totals;
  return [`${formatMs(t.knownLatencyMs)}${t.unknownLatencyLayers ? '+' : ''}`, '', '', ''];
}

function byIndex(est: Estimate): Map<number, LayerEstimate> {
  return new Map(est.layers.map((l) => [l.index, l]));
}

function tableParts(p: ModelProfile, est: Estimate, layers: LayerCost[]) {
  const idx = byIndex(est);
  const header = ['#', ...costColumns, ...estimateColumns];
  const numeric = [true, ...costNumeric, ...estimateNumeric];
  const rows = layers.map((l) => [String(l.index), ...costRow(l), ...estimateCells(idx.get(l.index), est)]);
  const footer = ['', ...costTotalRow(p.totals, 'total (all layers)'), ...totalEstimateCells(est)];
  return { header, numeric, rows, footer };
}

export function formatEstimateTable(p: ModelProfile, est: Estimate, options: CostReportOptions = {}): string {
  const layers = reportLayers(p, options.top);
  const { header, numeric, rows, footer } = tableParts(p, est, layers);
  return [
    terminalText(reportHeading(p, options, layers.length), LINE_MAX),
    terminalText(targetLine(est), LINE_MAX),
    modeLine(p),
    terminalText(inputsLine(p), LINE_MAX),
    ...totalsLines(p.totals),
    ...estimateTotalsLines(est),
    '',
    ...renderTable(header, numeric, rows, footer, [5, 36, 20, 20, 10, 12, 12, 16, 10, 6, 8, 16]),
    ...p.warnings.map((w) => `warning: ${terminalText(w.message, LINE_MAX)}`),
    ...(est.diagnostics.length
      ? ['', 'diagnostics:', ...est.diagnostics.map((d) => `  ${terminalText(formatDiagnostic(d), LINE_MAX)}`)]
      : []),
  ].join('\n');
}

export function formatEstimateMarkdown(p: ModelProfile, est: Estimate, options: CostReportOptions = {}): string {
  const layers = reportLayers(p, options.top);
  const { header, numeric, rows, footer } = tableParts(p, est, layers);
  // Model text is escaped (markdownText / markdownCode); our own labels and headers are Markdown as written.
  const esc = (s: string) => markdownText(s, LINE_MAX);
  const mdRow = (r: string[]) => `| ${r.join(' | ')} |`;
  return [
    `## ${esc(reportHeading(p, options, layers.length))}`,
    '',
    `${esc(targetLine(est))}  `,
    `${modeLine(p)}  `,
    `${esc(inputsLine(p))}  `,
    ...totalsLines(p.totals).map((l) => `${esc(l)}  `),
    ...estimateTotalsLines(est).map((l) => `${esc(l.trim())}  `),
    '',
    mdRow(header.map((h) => h.replace(/\|/g, '\\|'))),
    `|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`,
    ...rows.map((r) => mdRow(r.map((c, i) => ((i === 1 || i === 2) && c ? markdownCode(c) : markdownText(c))))),
    mdRow(footer.map((c, i) => (i === 1 ? '**total**' : markdownText(c)))),
    ...(p.warnings.length ? ['', ...p.warnings.map((w) => `- warning: ${esc(w.message)}`)] : []),
    ...(est.diagnostics.length
      ? ['', '### Diagnostics', '', ...est.diagnostics.map((d) => `- ${esc(formatDiagnostic(d))}`)]
      : []),
  ].join('\n');
}

const round = (n: number | null | undefined, digits = 6) =>
  n === null || n === undefined ? n : Number(n.toFixed(digits));

/** The cost CSV with the estimate's columns appended (every layer, or the top N); n/a is an empty cell. */
export function formatEstimateCsv(p: ModelProfile, est: Estimate, options: CostReportOptions = {}): string {
  const idx = byIndex(est);
  const calibration = est.target.accuracy;
  const header = [
    ...costCsvHeader,
    'op_class',
    'compute_dtype',
    'runs_on',
    'fused_into',
    'compute_ms',
    'memory_ms',
    'overhead_ms',
    'boundary_ms',
    'latency_ms',
    'share',
    'bound',
    'target',
    'accuracy',
  ];
  const lines = [header.join(',')];
  for (const l of csvLayers(p, options.top)) {
    const e = idx.get(l.index);
    lines.push(
      [
        ...costCsvFields(l),
        e?.opClass,
        e?.dtype,
        e?.runsOn,
        e?.fusedInto,
        round(e?.computeMs),
        round(e?.memoryMs),
        round(e?.overheadMs),
        round(e?.boundaryMs),
        round(e?.latencyMs),
        round(e?.share, 4),
        e?.bound,
        est.target.id,
        calibration,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\n');
}

/** A layer's keys in the order the cost model sets them (the last three only on some layers). */
const layerKeys = [
  'index',
  'name',
  'opType',
  'scope',
  'outputs',
  'params',
  'weightBytes',
  'paramsByDtype',
  'weights',
  'macs',
  'flops',
  'activationBytes',
  'inputBytes',
  'weightBytesRead',
  'memoryBytes',
  'intensity',
  'folded',
  'unknownReason',
  'subgraphs',
];
/** A layer estimate's keys after index, name and opType, in the order the estimator sets them. */
const estimateKeys = [
  'opClass',
  'dtype',
  'runsOn',
  'computeMs',
  'memoryMs',
  'overheadMs',
  'latencyMs',
  'bound',
  'share',
  'fusedInto',
  'boundaryMs',
];

/** Whether the own keys of `o` (after the first `skip`) appear in `keys`, in that order. */
function keysInOrder(o: object, keys: readonly string[], skip: number): boolean {
  let at = 0;
  let seen = 0;
  for (const k in o) {
    if (seen++ < skip) continue;
    while (at < keys.length && keys[at] !== k) at++;
    if (at === keys.length) return false;
    at++;
  }
  return true;
}

/**
 * The layer's fields followed by its estimate's (index, name and opType are the layer's): the same keys in the
 * same order as `{ ...layer, ...estimate }`, written out as one object literal whose absent optional fields are
 * undefined (JSON leaves them out). Spreading the two, or adding fields to a copy, costs V8 some 15 µs a layer,
 * most of writing a 50k-layer estimate; a literal of fixed shape about 2 µs. Layers with other keys (or in
 * another order) are merged the slow way.
 */
function estimatedLayer(l: LayerCost, e: LayerEstimate): object {
  if (!keysInOrder(l, layerKeys, 0) || !keysInOrder(e, estimateKeys, 3)) {
    return { ...l, ...e, index: l.index, name: l.name, opType: l.opType };
  }
  return {
    index: l.index,
    name: l.name,
    opType: l.opType,
    scope: l.scope,
    outputs: l.outputs,
    params: l.params,
    weightBytes: l.weightBytes,
    paramsByDtype: l.paramsByDtype,
    weights: l.weights,
    macs: l.macs,
    flops: l.flops,
    activationBytes: l.activationBytes,
    inputBytes: l.inputBytes,
    weightBytesRead: l.weightBytesRead,
    memoryBytes: l.memoryBytes,
    intensity: l.intensity,
    folded: l.folded,
    unknownReason: l.unknownReason,
    subgraphs: l.subgraphs,
    opClass: e.opClass,
    dtype: e.dtype,
    runsOn: e.runsOn,
    computeMs: e.computeMs,
    memoryMs: e.memoryMs,
    overheadMs: e.overheadMs,
    latencyMs: e.latencyMs,
    bound: e.bound,
    share: e.share,
    fusedInto: e.fusedInto,
    boundaryMs: e.boundaryMs,
  };
}

/**
 * The JSON document of `profile --target`: the cost document (model, totals, layers, scopes, warnings) with the
 * estimate merged in — `target`, the estimate's totals added to `totals`, each layer's estimate fields added to the
 * layer, `diagnostics` (with layer names) and the `arena` plan.
 */
export function estimateJson(p: ModelProfile, est: Estimate, options: CostReportOptions = {}): object {
  const idx = byIndex(est);
  const layers = options.top !== undefined ? reportLayers(p, options.top) : p.layers;
  const names = new Map(p.layers.map((l) => [l.index, l.name]));
  return {
    model: { ...(options.file ? { file: options.file } : {}), ...p.model },
    target: est.target,
    totals: { ...p.totals, ...est.totals },
    layers: layers.map((l) => {
      const e = idx.get(l.index);
      return e ? estimatedLayer(l, e) : l;
    }),
    scopes: p.scopes,
    warnings: p.warnings,
    diagnostics: est.diagnostics.map((d) => ({ ...d, layerNames: d.layers.map((i) => names.get(i) ?? `#${i}`) })),
    arena: est.arena,
  };
}
