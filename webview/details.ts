/** The side panel's account of the selected node, input/output or scope. */

import { dataTypeByName } from '../src/core/onnx/dtype.js';
import type { LayerEstimateView } from '../src/core/report/estimateView.js';
import type { GraphModel, GraphTensor, GraphView } from '../src/core/report/graphModel.js';
import { formatShape } from '../src/core/report/summary.js';
import type { WeightStats } from '../src/protocol.js';
import { button, el, table } from './dom.js';
import { formatCount, type Hierarchy } from './graph/hierarchy.js';
import { formatMetric, itemValues } from './graph/overlay.js';
import { histogramChart } from './profile/charts.js';

/** What the host answered for one weight's statistics (or that the question is out). */
export type WeightStatsEntry = { pending: true } | { pending: false; stats: WeightStats | null; error?: string };

export interface DetailsActions {
  openGraph(graph: number): void;
  toggle(item: number): void;
  weightStats(tensor: number): WeightStatsEntry | undefined;
  requestWeightStats(tensor: number): void;
  /** The estimate's figures for a main-graph node, with the estimate's label; undefined: no estimate. */
  layerEstimate(item: number): { layer: LayerEstimateView; label: string } | undefined;
}

/** Bytes a stored tensor takes: element count times element size (sub-byte types rounded up). */
export function tensorBytes(t: GraphTensor): number | null {
  if (!t.shape || !t.dtype || t.shape.some((d) => typeof d !== 'number')) return null;
  const info = dataTypeByName(t.dtype);
  if (!info) return null;
  const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
  return Math.ceil((count * info.bits) / 8);
}

const stat = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(5)).toString() : String(v));

function renderWeights(into: HTMLElement, graph: GraphView, ids: number[], actions: DetailsActions): void {
  const weights = ids.filter((t) => t >= 0 && graph.tensors[t].kind === 'initializer');
  if (!weights.length) return;
  into.append(el('h3', 'Weights'));
  const list = el('ul', undefined, 'weights');
  for (const t of weights) {
    const x = graph.tensors[t];
    const li = el('li', undefined, 'weight');
    const size = tensorBytes(x);
    li.append(
      el('div', x.name, 'weight-name'),
      el(
        'div',
        `${x.dtype ?? '?'} ${x.shape ? formatShape(x.shape) : '(unknown shape)'}, ${size === null ? '? bytes' : formatMetric(size, 'bytes')}`,
        'muted',
      ),
    );
    const entry = actions.weightStats(t);
    if (!entry) {
      li.append(
        button('Statistics', () => actions.requestWeightStats(t), {
          ariaLabel: `Statistics of ${x.name}`,
          cls: 'stats-button',
        }),
      );
    } else if (entry.pending) {
      li.append(el('div', 'Reading statistics…', 'muted'));
    } else if (!entry.stats) {
      li.append(el('div', `No statistics: ${entry.error ?? 'the host could not read this tensor'}`, 'error'));
    } else {
      const s = entry.stats;
      const facts: string[][] = [
        ['Elements', formatCount(s.count) + (s.sampled !== undefined ? ` (sampled ${formatCount(s.sampled)})` : '')],
        ['Min', stat(s.min)],
        ['Max', stat(s.max)],
        ['Mean', stat(s.mean)],
        ['Std', stat(s.std)],
        ['Sparsity', `${(100 * s.sparsity).toFixed(2)}% zeros`],
      ];
      if (s.nonFinite) facts.push(['Non-finite', `${formatCount(s.nonFinite)} (NaN or ±∞, left out above)`]);
      const box = el('div', undefined, 'weight-stats');
      box.append(
        table(['', ''], facts),
        histogramChart(
          `Histogram of ${x.name}: ${s.histogram.counts.length} bins from ${stat(s.histogram.min)} to ${stat(s.histogram.max)}`,
          s.histogram.counts,
          s.histogram.min,
          s.histogram.max,
          stat,
        ),
      );
      li.append(box);
    }
    list.append(li);
  }
  into.append(list);
}

function tensorRows(graph: GraphView, ids: number[]): string[][] {
  return ids
    .filter((t) => t >= 0)
    .map((t) => {
      const x: GraphTensor = graph.tensors[t];
      const what = x.kind === 'initializer' ? 'weight' : x.kind === 'outer' ? 'outer scope' : (x.origin ?? 'unknown');
      return [x.name, x.dtype ?? '?', x.shape ? formatShape(x.shape) : '(unknown rank)', what];
    });
}

function metricRows(model: GraphModel, values: (i: number) => number): string[][] {
  return model.metrics.map((m, i) => {
    const v = values(i);
    if (m.kind === 'category') return [m.label, Number.isNaN(v) ? 'n/a' : (m.categories[v] ?? '?')];
    return [m.label, Number.isNaN(v) ? 'n/a' : formatMetric(v, m.unit)];
  });
}

export function renderDetails(
  into: HTMLElement,
  model: GraphModel,
  hier: Hierarchy,
  item: number,
  expanded: boolean,
  actions: DetailsActions,
): void {
  into.replaceChildren();
  if (item < 0) return;
  const graph = hier.graph;
  if (hier.isContainer(item)) {
    const kind = hier.kind[item] === 'range' ? 'Range of a scope' : 'Scope';
    into.append(el('h2', hier.title[item]), el('p', kind, 'muted'));
    const facts: string[][] = [];
    if (hier.path[item]) facts.push(['Path', hier.path[item]]);
    facts.push(['Nodes', formatCount(hier.opCount[item])]);
    into.append(table(['', ''], facts));
    const columns = model.metrics.map((m, i) =>
      itemValues(
        hier,
        graph.nodes.map((n) => n.metrics[i] ?? null),
        m,
      ),
    );
    into.append(
      el('h3', 'Totals'),
      table(
        ['', ''],
        metricRows(model, (i) => columns[i][item]),
      ),
    );
    into.append(button(expanded ? 'Collapse' : 'Expand', () => actions.toggle(item)));
    return;
  }
  const node = graph.nodes[item];
  into.append(el('h2', node.name));
  if (node.kind !== 'op') {
    into.append(el('p', node.kind === 'input' ? 'Graph input' : 'Graph output', 'muted'));
    const t = node.kind === 'input' ? node.outputs : node.inputs;
    into.append(table(['name', 'type', 'shape', 'shape from'], tensorRows(graph, t), 'Value'));
    return;
  }
  const facts: string[][] = [['Op type', node.domain ? `${node.domain}.${node.opType}` : node.opType]];
  const scope = hier.path[graph.nodes.length + node.scope];
  if (scope) facts.push(['Scope', scope]);
  if (node.folded) facts.push(['Run time', 'folded (computed from constants)']);
  into.append(table(['', ''], facts));
  into.append(el('h3', 'Inputs'), table(['name', 'type', 'shape', 'shape from'], tensorRows(graph, node.inputs)));
  into.append(el('h3', 'Outputs'), table(['name', 'type', 'shape', 'shape from'], tensorRows(graph, node.outputs)));
  into.append(
    el('h3', 'Cost'),
    table(
      ['', ''],
      metricRows(model, (i) => node.metrics[i] ?? Number.NaN),
    ),
  );
  if (node.unknownReason) into.append(el('p', `Cost n/a: ${node.unknownReason}`, 'muted'));
  const est = graph.id === 0 ? actions.layerEstimate(item) : undefined;
  if (est) {
    const l = est.layer;
    const ms = (v: number | null) => (v === null ? 'n/a' : formatMetric(v / 1000, 'seconds'));
    const rows: string[][] = [
      ['Latency', ms(l.latencyMs)],
      ['Compute', ms(l.computeMs)],
      ['Memory', ms(l.memoryMs)],
      ['Share', l.share === null ? 'n/a' : `${(100 * l.share).toFixed(2)}%`],
      ['Bound', l.bound ?? 'n/a'],
      ['Runs on', l.runsOn],
    ];
    if (l.fusedInto !== undefined) rows.push(['Fused into', graph.nodes[l.fusedInto]?.name ?? String(l.fusedInto)]);
    into.append(el('h3', 'Estimate'), el('p', est.label, 'muted accuracy'), table(['', ''], rows));
  }
  renderWeights(into, graph, node.inputs, actions);
  if (node.subgraphs?.length) {
    into.append(el('h3', 'Subgraphs'));
    const list = el('ul', undefined, 'subgraphs');
    for (const s of node.subgraphs) {
      const li = el('li');
      const g = model.graphs[s.graph];
      li.append(
        button(`Open ${s.attribute}`, () => actions.openGraph(s.graph), {
          ariaLabel: `Open subgraph ${s.attribute} (${g.nodes.filter((n) => n.kind === 'op').length} nodes)`,
        }),
      );
      list.append(li);
    }
    into.append(list);
  }
}
