/**
 * What the host shows of an estimate outside the webview, as plain data (no `vscode`, so unit-tested): the
 * Problems panel entries, the fixes a diagnostic offers and what each fix runs, the status bar text, the layer
 * list of "Show Layer…", and the per-node latency and bound columns for the graph's overlays.
 */

import type { DiagnosticView, EstimateView } from '../core/report/estimateView.js';
import type { GraphModel, MetricInfo } from '../core/report/graphModel.js';
import type { FixKind, Severity } from '../core/targets/estimate.js';
import { formatMs } from '../core/targets/units.js';
import type { COMMANDS } from './shared.js';

export interface ProblemItem {
  severity: Severity;
  /** One line: the estimator's message, and the first layer involved by name. */
  message: string;
  /** The estimator's code (`ram-exceeded`…). */
  code: DiagnosticView['code'];
  /** Main graph node indices involved (for reveal). */
  nodes: number[];
  /** Name of the first layer involved, if any. */
  layer: string | null;
  fixes: FixKind[];
}

export interface FixAction {
  /** Button / menu text. */
  title: string;
  /** A command (key of COMMANDS) run with the model's URI, or a setting to open. */
  run: { command: keyof typeof COMMANDS } | { setting: string } | null;
}

const FIXES: Record<FixKind, FixAction> = {
  'quantize-int8': { title: 'Quantize to INT8…', run: { command: 'quantizeInt8' } },
  'quantize-fp16': { title: 'Convert to FP16…', run: { command: 'convertFp16' } },
  prune: { title: 'Prune…', run: { command: 'prune' } },
  'reduce-input-size': { title: 'Set Input Shapes…', run: { setting: 'edgeProfiler.inputShapes' } },
  'set-dims': { title: 'Set Dimensions…', run: { setting: 'edgeProfiler.dims' } },
  'replace-op': { title: 'Replace the Op', run: null },
};

export function fixAction(fix: FixKind): FixAction {
  return FIXES[fix];
}

/** The Problems panel entries of an estimate, errors first. */
export function problemItems(view: EstimateView, graph: GraphModel): ProblemItem[] {
  const nodes = graph.graphs[0]?.nodes ?? [];
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return view.diagnostics
    .map((d) => {
      const first = d.nodes.find((n) => nodes[n] !== undefined);
      const layer = first === undefined ? null : nodes[first].name;
      const where = layer === null ? '' : d.nodes.length > 1 ? ` (first layer: ${layer})` : ` (layer: ${layer})`;
      const message = d.message.includes(layer ?? '\u0000') ? d.message : `${d.message}${where}`;
      return { severity: d.severity, message, code: d.code, nodes: d.nodes, layer, fixes: d.fixes };
    })
    .sort((a, b) => rank[a.severity] - rank[b.severity]);
}

/** Status bar text: `$(chip) cortex-m7 · 45.2 ms` (or with what does not fit). */
export function statusText(targetId: string, view: EstimateView | undefined): string {
  if (!view) return `$(chip) ${targetId}`;
  // Right after a target change the estimate shown is still the old target's: say so rather than mix the two.
  if (view.target.id !== targetId) return `$(chip) ${targetId} · $(sync~spin) estimating…`;
  const t = view.totals;
  const latency = t.latencyMs === null ? `≥ ${formatMs(t.knownLatencyMs)} ms` : `${formatMs(t.latencyMs)} ms`;
  const over = [t.fits.ram === false ? 'RAM' : '', t.fits.flash === false ? 'flash' : ''].filter(Boolean);
  return `$(chip) ${targetId} · ${latency}${over.length ? ` · $(warning) ${over.join(' + ')} exceeded` : ''}`;
}

export interface LayerPick {
  label: string;
  description: string;
  detail?: string;
  node: number;
}

/** Op nodes of the main graph for a quick pick, slowest first when there is an estimate, else in graph order. */
export function layerPicks(graph: GraphModel, view: EstimateView | undefined): LayerPick[] {
  const nodes = graph.graphs[0]?.nodes ?? [];
  const byNode = new Map(view?.layers.map((l) => [l.node, l]) ?? []);
  const picks: (LayerPick & { ms: number })[] = [];
  nodes.forEach((n, i) => {
    if (n.kind !== 'op') return;
    const e = byNode.get(i);
    const ms = e?.latencyMs ?? -1;
    const detail = e
      ? e.fusedInto !== undefined
        ? `fused into ${nodes[e.fusedInto]?.name ?? `#${e.fusedInto}`}`
        : e.latencyMs === null
          ? 'latency n/a'
          : `${formatMs(e.latencyMs)} ms${e.share !== null ? ` (${(e.share * 100).toFixed(1)}%)` : ''}${e.bound ? `, ${e.bound}-bound` : ''}`
      : undefined;
    picks.push({ label: n.name, description: n.domain ? `${n.domain}.${n.opType}` : n.opType, detail, node: i, ms });
  });
  if (view) picks.sort((a, b) => b.ms - a.ms || a.node - b.node);
  return picks.map(({ ms: _ms, ...p }) => p);
}

export const LATENCY_METRIC: MetricInfo = {
  kind: 'numeric',
  key: 'latency',
  label: 'Estimated latency',
  unit: 'seconds',
  aggregate: 'sum',
};
export const BOUND_CATEGORIES = ['compute', 'memory', 'overhead'] as const;
export const BOUND_METRIC: MetricInfo = {
  kind: 'category',
  key: 'bound',
  label: 'Bound',
  categories: [...BOUND_CATEGORIES],
};

/** Per-node columns of graph 0 for the overlays: latency in seconds, and the bound as a category index. */
export function estimateColumns(
  graph: GraphModel,
  view: EstimateView,
): { latency: (number | null)[]; bound: (number | null)[] } {
  const n = graph.graphs[0]?.nodes.length ?? 0;
  const latency = new Array<number | null>(n).fill(null);
  const bound = new Array<number | null>(n).fill(null);
  for (const l of view.layers) {
    if (l.node < 0 || l.node >= n) continue;
    latency[l.node] = l.latencyMs === null ? null : l.latencyMs / 1000;
    bound[l.node] = l.bound === null ? null : BOUND_CATEGORIES.indexOf(l.bound);
  }
  return { latency, bound };
}
