/**
 * Small tools the graph-rewriting transforms (pre-processing, pruning) share: a copy of a model that may be edited
 * without touching the original, an index of producers and consumers, tensor bytes and attribute access.
 */

import { makeTensor } from '../onnx/builder.js';
import { DataType, dataTypeInfo } from '../onnx/dtype.js';
import type { ExternalDataSource } from '../onnx/externalData.js';
import { readExternalBytes } from '../onnx/externalData.js';
import type { Attribute, Graph, Model, Node, Tensor } from '../onnx/ir.js';
import { readTensorValues } from '../onnx/tensor.js';
import { nodeLabel } from '../onnx/validate.js';
import type { TransformReport } from './types.js';

/**
 * A copy of the model whose main graph (node list, nodes, inputs, outputs, value_info, initializers) may be edited
 * freely. Tensors, subgraphs and everything else are shared with the original: replace them, never mutate them.
 */
export function editableCopy(model: Model): Model {
  const g = model.graph;
  const graph: Graph = {
    ...g,
    nodes: g.nodes.map((n) => ({
      ...n,
      inputs: [...n.inputs],
      outputs: [...n.outputs],
      attributes: [...n.attributes],
    })),
    inputs: [...g.inputs],
    outputs: [...g.outputs],
    valueInfo: [...g.valueInfo],
    initializers: [...g.initializers],
    sparseInitializers: [...g.sparseInitializers],
    quantizationAnnotation: [...g.quantizationAnnotation],
  };
  return { ...model, graph };
}

/** Names a subgraph (and its own subgraphs) reads from enclosing scopes. */
export function outerReferences(g: Graph): Set<string> {
  const defined = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.map((t) => t.name)]);
  for (const s of g.sparseInitializers) defined.add(s.values.name);
  for (const n of g.nodes) for (const o of n.outputs) if (o) defined.add(o);
  const refs = new Set<string>();
  for (const n of g.nodes) {
    for (const i of n.inputs) if (i && !defined.has(i)) refs.add(i);
    for (const sub of subgraphsOf(n)) for (const r of outerReferences(sub)) if (!defined.has(r)) refs.add(r);
  }
  for (const o of g.outputs) if (!defined.has(o.name)) refs.add(o.name);
  return refs;
}

export function subgraphsOf(n: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of n.attributes) {
    if (a.type === 'graph') out.push(a.value);
    else if (a.type === 'graphs') out.push(...a.value);
  }
  return out;
}

export interface Use {
  node: number;
  /** Input position; -1 for a read from inside one of the node's subgraphs. */
  input: number;
}

/** Producers and consumers of the values of one graph. Rebuild it after editing the graph. */
export class GraphIndex {
  readonly producer = new Map<string, number>();
  readonly uses = new Map<string, Use[]>();
  readonly initializers = new Map<string, Tensor>();
  readonly graphOutputs: Set<string>;
  /** Graph inputs that are not initializers (an initializer listed as an input may be overridden: not constant). */
  readonly graphInputs: Set<string>;
  readonly order: number[];
  /** Initializers also listed as graph inputs. */
  readonly overridable = new Set<string>();

  constructor(readonly graph: Graph) {
    graph.nodes.forEach((n, i) => {
      for (const o of n.outputs) if (o) this.producer.set(o, i);
    });
    for (const t of graph.initializers) this.initializers.set(t.name, t);
    const inputNames = new Set(graph.inputs.map((v) => v.name));
    this.graphInputs = new Set([...inputNames].filter((n) => !this.initializers.has(n)));
    this.graphOutputs = new Set(graph.outputs.map((o) => o.name));
    graph.nodes.forEach((n, i) => {
      n.inputs.forEach((name, k) => {
        if (name) this.addUse(name, { node: i, input: k });
      });
      for (const sub of subgraphsOf(n)) for (const r of outerReferences(sub)) this.addUse(r, { node: i, input: -1 });
    });
    this.order = topologicalOrder(graph.nodes);
    // Initializers that are also graph inputs can be overridden by a feed: not constants.
    for (const name of inputNames) if (this.initializers.has(name)) this.overridable.add(name);
  }

  private addUse(name: string, use: Use): void {
    const list = this.uses.get(name);
    if (list) list.push(use);
    else this.uses.set(name, [use]);
  }

  usesOf(name: string): Use[] {
    return this.uses.get(name) ?? [];
  }

  /** An initializer that no feed can override. */
  constantTensor(name: string): Tensor | undefined {
    return this.overridable.has(name) ? undefined : this.initializers.get(name);
  }

  label(i: number): string {
    return nodeLabel(this.graph.nodes[i], i);
  }
}

/** Node indices in an order where every producer comes before its consumers (subgraph reads included). */
export function topologicalOrder(nodes: Node[]): number[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o) producer.set(o, i);
  });
  const users: number[][] = nodes.map(() => []);
  const indegree = new Int32Array(nodes.length);
  nodes.forEach((n, i) => {
    const reads = new Set(n.inputs.filter((x) => x));
    for (const sub of subgraphsOf(n)) for (const r of outerReferences(sub)) reads.add(r);
    for (const input of reads) {
      const p = producer.get(input);
      if (p === undefined || p === i) continue;
      indegree[i]++;
      users[p].push(i);
    }
  });
  const queue: number[] = [];
  indegree.forEach((d, i) => {
    if (d === 0) queue.push(i);
  });
  for (let q = 0; q < queue.length; q++) for (const u of users[queue[q]]) if (--indegree[u] === 0) queue.push(u);
  // A cycle (an invalid model): fall back to file order for what is left.
  if (queue.length < nodes.length) {
    const seen = new Set(queue);
    nodes.forEach((_, i) => {
      if (!seen.has(i)) queue.push(i);
    });
  }
  return queue;
}

/** Every value name used in the model's main graph (for making fresh names). */
export function namesInUse(g: Graph): Set<string> {
  const names = new Set<string>();
  for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) names.add(v.name);
  for (const t of g.initializers) names.add(t.name);
  for (const n of g.nodes) {
    for (const x of [...n.inputs, ...n.outputs]) if (x) names.add(x);
    for (const sub of subgraphsOf(n)) for (const r of outerReferences(sub)) names.add(r);
  }
  return names;
}

/** Makes fresh names (`base`, `base_1`, …) that collide with nothing in `taken`, and records them there. */
export function freshName(taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/**
 * Replaces every read of value `from` by `to` in `g` (node inputs, graph outputs stay as they are) and inside
 * subgraphs that do not define `from` themselves.
 */
export function replaceUses(g: Graph, from: string, to: string): void {
  for (const n of g.nodes) {
    for (let k = 0; k < n.inputs.length; k++) if (n.inputs[k] === from) n.inputs[k] = to;
    for (let a = 0; a < n.attributes.length; a++) {
      const attr = n.attributes[a];
      if (attr.type === 'graph' && outerReferences(attr.value).has(from)) {
        n.attributes[a] = { ...attr, value: renamedSubgraph(attr.value, from, to) };
      } else if (attr.type === 'graphs' && attr.value.some((s) => outerReferences(s).has(from))) {
        n.attributes[a] = {
          ...attr,
          value: attr.value.map((s) => (outerReferences(s).has(from) ? renamedSubgraph(s, from, to) : s)),
        };
      }
    }
  }
}

function renamedSubgraph(g: Graph, from: string, to: string): Graph {
  const copy: Graph = {
    ...g,
    nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], attributes: [...n.attributes] })),
    outputs: g.outputs.map((o) => (o.name === from ? { ...o, name: to } : o)),
  };
  replaceUses(copy, from, to);
  return copy;
}

// ---------------------------------------------------------------------------------------------------------------
// Attributes

export function getAttr(n: Node, name: string): Attribute | undefined {
  return n.attributes.find((a) => a.name === name);
}

export function intAttr(n: Node, name: string, dflt: number): number {
  const a = getAttr(n, name);
  return a?.type === 'int' ? Number(a.value) : dflt;
}

export function floatAttr(n: Node, name: string, dflt: number): number {
  const a = getAttr(n, name);
  return a?.type === 'float' ? a.value : a?.type === 'int' ? Number(a.value) : dflt;
}

export function intsAttr(n: Node, name: string): number[] | undefined {
  const a = getAttr(n, name);
  return a?.type === 'ints' ? a.value.map(Number) : undefined;
}

/** Sets (or adds) an attribute on a node of an editable copy. */
export function setAttr(n: Node, attr: Attribute): void {
  const i = n.attributes.findIndex((a) => a.name === attr.name);
  if (i >= 0) n.attributes[i] = attr;
  else n.attributes.push(attr);
}

// ---------------------------------------------------------------------------------------------------------------
// Tensors

/** The tensor's elements as little-endian bytes (raw_data layout), wherever they are stored. */
export async function tensorBytes(t: Tensor, source?: ExternalDataSource): Promise<Uint8Array> {
  if (t.data.kind === 'raw') return t.data.bytes;
  if (t.data.kind === 'external') {
    if (!source) throw new Error(`tensor '${t.name}': its data is in an external file and no source was given`);
    return readExternalBytes(t, source);
  }
  const values = await readTensorValues(t, source);
  const re = makeTensor(t.name, t.dataType, t.dims, values as ArrayLike<number>);
  return (re.data as { bytes: Uint8Array }).bytes;
}

/** Element types whose values can be read as numbers and rewritten at full precision. */
export const FLOAT_TYPES: ReadonlySet<number> = new Set([
  DataType.FLOAT,
  DataType.DOUBLE,
  DataType.FLOAT16,
  DataType.BFLOAT16,
]);

/** A float tensor's values (float16/bfloat16 widened). */
export async function floatValues(t: Tensor, source?: ExternalDataSource): Promise<Float32Array | Float64Array> {
  if (!FLOAT_TYPES.has(t.dataType)) throw new Error(`tensor '${t.name}' is not a floating-point tensor`);
  return (await readTensorValues(t, source)) as Float32Array | Float64Array;
}

/** Bytes per element of a fixed-width type of at least one byte; undefined for sub-byte and string types. */
export function elementBytes(dataType: number): number | undefined {
  const bits = dataTypeInfo(dataType)?.bits;
  return bits && bits >= 8 && bits % 8 === 0 ? bits / 8 : undefined;
}

/**
 * Keeps only the positions `keep` (sorted, distinct) along `axis` of a tensor's little-endian elements. Works on
 * bytes, so it is exact for every fixed-width element type.
 */
export function sliceBytes(
  bytes: Uint8Array,
  dims: readonly number[],
  elemBytes: number,
  axis: number,
  keep: readonly number[],
): Uint8Array {
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1) * elemBytes;
  const size = dims[axis];
  const out = new Uint8Array(outer * keep.length * inner);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    for (const k of keep) {
      out.set(bytes.subarray(base + k * inner, base + (k + 1) * inner), at);
      at += inner;
    }
  }
  return out;
}

export function emptyReport(transform: string): TransformReport {
  return { transform, changedNodes: [], notes: [], warnings: [] };
}

/**
 * Models before IR version 4 must list every initializer among the graph inputs, where it is a weight, not an
 * input a feed overrides. This takes them out of `model.graph.inputs` of an editable copy (so that they are
 * constants to the transform) and returns the function that puts the initializers the edited graph still has back
 * in, after the real inputs. For IR 4 and later it does nothing.
 */
export function detachWeightInputs(model: Model): () => void {
  const g = model.graph;
  if (model.irVersion >= 4) return () => undefined;
  const inits = new Set(g.initializers.map((t) => t.name));
  const declared = new Map(g.inputs.filter((v) => inits.has(v.name)).map((v) => [v.name, v]));
  g.inputs = g.inputs.filter((v) => !inits.has(v.name));
  return () => {
    const real = g.inputs.filter((v) => !g.initializers.some((t) => t.name === v.name));
    g.inputs = [
      ...real,
      ...g.initializers.map((t) => {
        const old = declared.get(t.name);
        const shapeSame = old?.type?.kind === 'tensor' && old.type.shape?.join(',') === t.dims.join(',');
        return old && shapeSame
          ? old
          : { name: t.name, type: { kind: 'tensor' as const, elemType: t.dataType, shape: [...t.dims] } };
      }),
    ];
  };
}

/**
 * The model without the main graph's value_info (the declared types and shapes of intermediate values). Running
 * does not need them — ONNX Runtime infers every intermediate type and shape when it loads the model — and the
 * graph's inputs and outputs keep their declared types; but on small models with long converter names they weigh
 * several percent of the file, and after a type change (FP16, INT8) they would have to be rewritten anyway.
 * Subgraph value_info is kept. Says so in the report's notes when something was dropped.
 */
export function dropIntermediateValueInfo(model: Model, notes: string[]): Model {
  const n = model.graph.valueInfo.length;
  if (n === 0) return model;
  notes.push(
    `dropped the value_info of ${n} intermediate value${n === 1 ? '' : 's'} (declared types/shapes; ONNX Runtime infers them when loading, and the model inputs and outputs keep theirs)`,
  );
  return { ...model, graph: { ...model.graph, valueInfo: [] } };
}

/**
 * Makes initializers with the same type, shape and bytes one initializer: every reader of a duplicate reads the
 * first. Only initializers `mayShare` accepts are merged (the transforms pass the ones they inserted: scales and
 * zero points that repeat, never a tensor the user named). Tensors of more than `maxBytes` are left alone.
 */
export function shareIdenticalInitializers(graph: Graph, mayShare: (name: string) => boolean, maxBytes = 4096): Graph {
  const first = new Map<string, string>();
  const rename = new Map<string, string>();
  const overridable = new Set(graph.inputs.map((v) => v.name));
  for (const t of graph.initializers) {
    if (!mayShare(t.name) || overridable.has(t.name) || t.data.kind !== 'raw' || t.data.bytes.length > maxBytes)
      continue;
    const key = `${t.dataType}|${t.dims.join('x')}|${Array.from(t.data.bytes).join(',')}`;
    const kept = first.get(key);
    if (kept) rename.set(t.name, kept);
    else first.set(key, t.name);
  }
  if (rename.size === 0) return graph;
  return {
    ...graph,
    initializers: graph.initializers.filter((t) => !rename.has(t.name)),
    nodes: graph.nodes.map((n) =>
      n.inputs.some((i) => rename.has(i)) ? { ...n, inputs: n.inputs.map((i) => rename.get(i) ?? i) } : n,
    ),
  };
}
