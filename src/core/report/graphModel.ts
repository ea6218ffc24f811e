/**
 * The graph the model webview draws: every graph of a model (the main one, then If/Loop/Scan bodies), its nodes
 * with their name scope, inputs and outputs (element type, shape and where the shape came from) and per-node costs,
 * the edges between them, and the scope table. Pure: built from the IR and `analyzeModel`'s result, no tensor bytes.
 *
 * Per-node numbers are columns described by `metrics` (each node's `metrics[i]` is the value of `metrics[i]`), so
 * that overlays work the same for costs known now (MACs, parameters, bytes) and for figures added later (latency
 * or the compute/memory bound of an estimate for a target), which the host sends as further columns.
 */

import type { CostTotals, LayerCost, ModelProfile, SubgraphCost } from '../analysis/cost.js';
import type { FactOrigin, ValueFacts } from '../analysis/facts.js';
import { dataTypeName } from '../onnx/dtype.js';
import type { Dim, Graph, Model, ValueInfo } from '../onnx/ir.js';
import { nodeLabel } from '../onnx/validate.js';

export interface GraphTensor {
  name: string;
  /** Element type name (`float32`…); null when unknown or not a tensor. */
  dtype: string | null;
  /** null: the rank is unknown. */
  shape: Dim[] | null;
  origin: FactOrigin | null;
  /**
   * What the value is: a graph input, a stored weight (initializer), the output of a node of this graph, or a value
   * of an enclosing graph that a subgraph reads.
   */
  kind: 'input' | 'initializer' | 'activation' | 'outer';
  /** Index of the node (in `GraphView.nodes`) that produces it; -1 for initializers and outer values. */
  producer: number;
}

export interface GraphNode {
  /** 'op': a node of the graph; 'input' / 'output': a graph input or output, drawn as a node of its own. */
  kind: 'op' | 'input' | 'output';
  /** The node's name, `OpType#index` when it has none; for inputs and outputs the value's name. */
  name: string;
  opType: string;
  domain: string;
  /** Index into `GraphView.scopes` (0: the graph itself). */
  scope: number;
  /** Indices into `GraphView.tensors`; -1 marks an omitted optional input or output. */
  inputs: number[];
  outputs: number[];
  /** One value per entry of `GraphModel.metrics`; null when unknown. */
  metrics: (number | null)[];
  /** Computed from constants only (no run-time cost). */
  folded?: boolean;
  /** Why MACs/FLOPs are unknown. */
  unknownReason?: string;
  /** If/Loop/Scan bodies: the attribute and the graph's index in `GraphModel.graphs`. */
  subgraphs?: { attribute: string; graph: number }[];
}

export interface GraphEdge {
  /** Node indices in `GraphView.nodes`. */
  from: number;
  to: number;
  /** Index into `GraphView.tensors` of the value that flows. */
  tensor: number;
}

export interface GraphScope {
  /** One path segment ('' for the graph itself). */
  name: string;
  /** Index of the enclosing scope; -1 for the graph itself. */
  parent: number;
}

export interface GraphView {
  /** Index in `GraphModel.graphs`; 0 is the main graph. */
  id: number;
  name: string;
  /** The node that holds this graph (for a subgraph). */
  parent: { graph: number; node: number; attribute: string } | null;
  nodes: GraphNode[];
  tensors: GraphTensor[];
  edges: GraphEdge[];
  scopes: GraphScope[];
}

/** A per-node column that overlays can colour by. */
export type MetricInfo =
  | {
      kind: 'numeric';
      key: string;
      label: string;
      unit: 'count' | 'bytes' | 'flops' | 'seconds';
      /** How a collapsed scope shows its nodes' values. */
      aggregate: 'sum' | 'max';
    }
  | {
      kind: 'category';
      key: string;
      label: string;
      /** Node values are indices into this list. */
      categories: string[];
    };

export interface GraphModel {
  graphs: GraphView[];
  metrics: MetricInfo[];
  /** Op nodes over all graphs. */
  nodeCount: number;
  /** The main graph's totals, one per entry of `metrics` (subgraphs included as the cost model counts them). */
  totals: (number | null)[];
  /** The cost analysis' warnings, as text. */
  warnings: string[];
}

/** The cost columns every graph model has, in this order. */
export const COST_METRICS: MetricInfo[] = [
  { kind: 'numeric', key: 'macs', label: 'MACs', unit: 'count', aggregate: 'sum' },
  { kind: 'numeric', key: 'flops', label: 'FLOPs', unit: 'flops', aggregate: 'sum' },
  { kind: 'numeric', key: 'params', label: 'Parameters', unit: 'count', aggregate: 'sum' },
  { kind: 'numeric', key: 'activationBytes', label: 'Activation bytes', unit: 'bytes', aggregate: 'sum' },
  { kind: 'numeric', key: 'weightBytes', label: 'Weight bytes', unit: 'bytes', aggregate: 'sum' },
  { kind: 'numeric', key: 'memoryBytes', label: 'Memory traffic', unit: 'bytes', aggregate: 'sum' },
];

function layerMetrics(l: LayerCost | undefined): (number | null)[] {
  if (!l) return COST_METRICS.map(() => null);
  return [l.macs, l.flops, l.params, l.activationBytes, l.weightBytes, l.memoryBytes];
}

function declared(v: ValueInfo | undefined): { dtype: string | null; shape: Dim[] | null } {
  const t = v?.type;
  if (t && (t.kind === 'tensor' || t.kind === 'sparse_tensor')) {
    return { dtype: dataTypeName(t.elemType), shape: t.shape ? [...t.shape] : null };
  }
  return { dtype: null, shape: null };
}

interface Known {
  dtype: string | null;
  shape: Dim[] | null;
  origin: FactOrigin | null;
}

/** Facts of the main graph's values as the cost analysis computed them. */
function fromFacts(f: ValueFacts | undefined): Known | undefined {
  if (!f) return undefined;
  if (f.kind !== 'tensor') return { dtype: null, shape: null, origin: f.origin };
  return {
    dtype: f.dtype !== undefined ? dataTypeName(f.dtype) : null,
    shape: f.shape ? [...f.shape] : null,
    origin: f.origin,
  };
}

/**
 * The graph model of `model`, from the cost analysis of the same model (`analyzeModel(model)`): the profile gives
 * costs and scopes per node (subgraph bodies included), `facts` the main graph's value shapes.
 */
export function buildGraphModel(
  model: Model,
  analysis: { profile: ModelProfile; facts: Map<string, ValueFacts> },
): GraphModel {
  const graphs: GraphView[] = [];
  let nodeCount = 0;

  const addGraph = (
    graph: Graph,
    layers: LayerCost[] | undefined,
    lookup: (name: string) => Known | undefined,
    parent: GraphView['parent'],
    outer: GraphView | undefined,
  ): number => {
    const view: GraphView = {
      id: graphs.length,
      name: graph.name,
      parent,
      nodes: [],
      tensors: [],
      edges: [],
      scopes: [{ name: '', parent: -1 }],
    };
    graphs.push(view);
    const byName = new Map<string, number>();
    const scopeIds = new Map<string, number>();
    const scopeOf = (path: string[]): number => {
      let at = 0;
      let key = '';
      for (const s of path) {
        key += `/${s}`;
        let id = scopeIds.get(key);
        if (id === undefined) {
          id = view.scopes.length;
          view.scopes.push({ name: s, parent: at });
          scopeIds.set(key, id);
        }
        at = id;
      }
      return at;
    };
    const addTensor = (t: GraphTensor): number => {
      const i = view.tensors.length;
      view.tensors.push(t);
      byName.set(t.name, i);
      return i;
    };
    const known = (name: string, fallback: { dtype: string | null; shape: Dim[] | null }): Known =>
      lookup(name) ?? { ...fallback, origin: fallback.dtype !== null || fallback.shape ? 'declared' : null };

    const initNames = new Set(graph.initializers.map((t) => t.name));
    for (const t of graph.initializers) {
      addTensor({
        name: t.name,
        dtype: dataTypeName(t.dataType),
        shape: [...t.dims],
        origin: 'constant',
        kind: 'initializer',
        producer: -1,
      });
    }
    for (const s of graph.sparseInitializers) {
      addTensor({
        name: s.values.name,
        dtype: dataTypeName(s.values.dataType),
        shape: [...s.dims],
        origin: 'constant',
        kind: 'initializer',
        producer: -1,
      });
    }
    for (const v of graph.inputs) {
      if (initNames.has(v.name)) continue;
      const node = view.nodes.length;
      const k = known(v.name, declared(v));
      const t = addTensor({ name: v.name, ...k, origin: k.origin ?? 'input', kind: 'input', producer: node });
      view.nodes.push({
        kind: 'input',
        name: v.name,
        opType: 'Input',
        domain: '',
        scope: 0,
        inputs: [],
        outputs: [t],
        metrics: COST_METRICS.map(() => null),
      });
    }

    const valueInfo = new Map(graph.valueInfo.map((v) => [v.name, v]));
    const outputInfo = new Map(graph.outputs.map((v) => [v.name, v]));
    const resolveInput = (name: string): number => {
      if (name === '') return -1;
      const i = byName.get(name);
      if (i !== undefined) return i;
      // A value of an enclosing graph (subgraphs read them without declaring them).
      const o = outer?.tensors.find((t) => t.name === name);
      return addTensor({
        name,
        dtype: o?.dtype ?? null,
        shape: o?.shape ? [...o.shape] : null,
        origin: o?.origin ?? null,
        kind: 'outer',
        producer: -1,
      });
    };

    const opNodeIndex: number[] = [];
    graph.nodes.forEach((n, index) => {
      const layer = layers?.[index];
      const self = view.nodes.length;
      opNodeIndex[index] = self;
      const inputs = n.inputs.map(resolveInput);
      const outputs = n.outputs.map((o) => {
        if (o === '') return -1;
        const k = known(o, declared(valueInfo.get(o) ?? outputInfo.get(o)));
        return addTensor({ name: o, ...k, kind: 'activation', producer: self });
      });
      const node: GraphNode = {
        kind: 'op',
        name: nodeLabel(n, index),
        opType: n.opType,
        domain: n.domain,
        scope: scopeOf(layer?.scope ?? []),
        inputs,
        outputs,
        metrics: layerMetrics(layer),
      };
      if (layer?.folded) node.folded = true;
      if (layer?.unknownReason) node.unknownReason = layer.unknownReason;
      view.nodes.push(node);
      nodeCount++;
      const seen = new Set<number>();
      for (const t of inputs) {
        if (t < 0 || seen.has(t)) continue;
        seen.add(t);
        const producer = view.tensors[t].producer;
        if (producer >= 0) view.edges.push({ from: producer, to: self, tensor: t });
      }
    });

    for (const v of graph.outputs) {
      const node = view.nodes.length;
      const t = byName.get(v.name) ?? resolveInput(v.name);
      view.nodes.push({
        kind: 'output',
        name: v.name,
        opType: 'Output',
        domain: '',
        scope: 0,
        inputs: [t],
        outputs: [],
        metrics: COST_METRICS.map(() => null),
      });
      const producer = view.tensors[t].producer;
      if (producer >= 0) view.edges.push({ from: producer, to: node, tensor: t });
    }

    // Subgraphs after the whole graph, so that their outer values resolve against every tensor of this one.
    graph.nodes.forEach((n, index) => {
      const costs = layers?.[index]?.subgraphs;
      const subs: { attribute: string; graph: number }[] = [];
      for (const a of n.attributes) {
        const bodies = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
        bodies.forEach((body, i) => {
          const attribute = a.type === 'graphs' ? `${a.name}[${i}]` : a.name;
          const cost: SubgraphCost | undefined = costs?.find((s) => s.attribute === attribute);
          const shapes = new Map<string, Known>();
          for (const l of cost?.layers ?? []) {
            for (const o of l.outputs) shapes.set(o.name, { dtype: o.dtype, shape: o.shape, origin: o.origin });
          }
          const id = addGraph(
            body,
            cost?.layers,
            (name) => shapes.get(name),
            { graph: view.id, node: opNodeIndex[index], attribute },
            view,
          );
          subs.push({ attribute, graph: id });
        });
      }
      if (subs.length) view.nodes[opNodeIndex[index]].subgraphs = subs;
    });
    return view.id;
  };

  addGraph(model.graph, analysis.profile.layers, (name) => fromFacts(analysis.facts.get(name)), null, undefined);
  return {
    graphs,
    metrics: COST_METRICS.map((m) => ({ ...m })),
    nodeCount,
    totals: totalsMetrics(analysis.profile.totals),
    warnings: analysis.profile.warnings.map((w) => w.message),
  };
}

function totalsMetrics(t: CostTotals): (number | null)[] {
  return [t.macs, t.flops, t.params, t.activationBytes, t.weightBytes, t.memoryBytes];
}
