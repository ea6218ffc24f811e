/**
 * Cost per node, per name scope and per model: parameters, MACs, FLOPs, bytes moved, arithmetic intensity.
 *
 * Conventions (also in the README, "Cost model"):
 * - MAC: one multiply-accumulate of an operator's main contraction: Conv (grouped and depthwise included: out ·
 *   (C/group) · kernel), ConvTranspose, Gemm, MatMul, Einsum, ConvInteger, MatMulInteger, QLinearConv,
 *   QLinearMatMul, com.microsoft FusedConv/FusedGemm/FusedMatMul/QGemm/MatMulNBits/…, the gate products of LSTM,
 *   GRU and RNN, and attention (Q·Kᵀ, P·V, projections of com.microsoft Attention). Every other operator has 0 MACs.
 *   Padding positions count like any other; zero-point subtraction and requantization are not counted. This is
 *   the convention of torchvision's and TF-slim's published counts (conv + fully connected MACs only).
 * - FLOPs: 2 per MAC, plus 1 per output element for a bias, element-wise arithmetic and activations (whatever the
 *   activation's internal cost); pooling: the window size per output (global pooling: 1 per input element);
 *   softmax 5 per element; mean/variance normalizations 5, inference BatchNormalization 2, RMS normalization 4;
 *   reductions 1 per input element (2 for sum of squares / L2 / log-sum-exp). Data movement (Reshape, Transpose,
 *   Gather, Concat, Slice, Pad, Cast, Shape, …) is 0. The exact table is opCosts.ts, one rule per operator.
 * - Unknown is never guessed: a node whose needed shapes are unknown, or depend on a symbolic dimension (`batch`)
 *   the caller gave no size for (`dims`), or whose operator has no cost rule, gets macs/flops `null` and a warning
 *   that names it. A total over nodes is `null` when any node in it is `null`; `known` then holds the sum of the
 *   nodes that are known and `unknownLayers` how many are not.
 * - Parameters: stored tensors — initializers, Constant node values, and ConstantOfShape outputs computed from
 *   constants (generated weights) — counted once, at the first node (in execution order) that reads them at run
 *   time, through any chain of constant-only nodes (a DequantizeLinear of an int8 weight puts the int8 tensor, its
 *   scale and zero point on the Conv that reads the result). Bytes by the real element type (int4 = half a byte).
 * - Constant folding: a node whose inputs are all constant (Constant, ConstantOfShape of a constant shape,
 *   DequantizeLinear of a weight, Reshape of an initializer…) is marked `folded`: it costs nothing at run time and
 *   its outputs are weights, not activations.
 * - Bytes: activationBytes = the node's output tensors; inputBytes = its non-constant inputs (each value once);
 *   weightBytesRead = the stored weight tensors it reads (shared ones again at every reader); memoryBytes = inputs
 *   + weights read + outputs; intensity = FLOPs / memoryBytes.
 * - Subgraphs: If/Loop/Scan bodies are costed once and added to their node (Loop and Scan: one iteration; If: the
 *   branch with more FLOPs, while the weights of both branches count as parameters); a warning says so.
 * - Scopes: node names split on '/' (`/encoder/layer.0/attention/MatMul` → encoder › layer.0 › attention); names
 *   that join several names with ';' (TFLite converters) are scoped by the first. Scope totals add up to the model's.
 */

import { DataType, dataTypeName, storageBytes } from '../onnx/dtype.js';
import type { Attribute, Dim, Graph, Model, Node, Tensor } from '../onnx/ir.js';
import { initializedInputs, normalizeDomain } from '../onnx/ir.js';
import { elementCount, tensorByteSize } from '../onnx/tensor.js';
import { nodeLabel } from '../onnx/validate.js';
import { opKey } from '../report/summary.js';
import type { FactOrigin, ValueFacts } from './facts.js';
import { type InferenceWalk, type InferOptions, type InferWarning, inferShapes } from './infer.js';
import { type CostContext, knownShape, MissingShape, type OpCost, opCosts, UnsupportedVariant } from './opCosts.js';

export interface ProfileOptions extends InferOptions {
  /**
   * Facts measured by running the model (exact mode, runtime/exactShapes.ts), by value name. They replace the
   * inferred facts of the main graph's values, and the profile's mode becomes 'exact'.
   */
  measured?: Map<string, ValueFacts>;
  /** Told when each step of the analysis is done, for timing it (the CLI's EDGE_PROFILER_TIMINGS). */
  phaseDone?: (phase: 'inferred' | 'costed' | 'scoped') => void;
}

export interface TensorSummary {
  name: string;
  /** Element type name (`float32`, `int8`…); null when unknown or not a tensor. */
  dtype: string | null;
  /** Numbers, symbols (`batch`), null for an unknown dimension; null when the rank is unknown. */
  shape: Dim[] | null;
  /** Where the shape came from: 'inferred', 'declared' (the model's value_info), 'measured' (exact mode)… */
  origin: FactOrigin | null;
  /** Bytes at the element type; null when the shape is not fully known. */
  bytes: number | null;
}

export interface DtypeCount {
  params: number;
  bytes: number;
}

export interface SubgraphCost {
  /** The attribute holding the graph (`body`, `then_branch`…). */
  attribute: string;
  layers: LayerCost[];
  totals: CostTotals;
  /** True for the If branch whose compute was added to the node (the one with more FLOPs). */
  counted: boolean;
}

export interface LayerCost {
  /** Position of the node in its graph. */
  index: number;
  /** Node name, or `OpType#index` when it has none. */
  name: string;
  /** Op type, prefixed with its domain outside the standard one. */
  opType: string;
  /** Name scopes the node sits in, outermost first. */
  scope: string[];
  outputs: TensorSummary[];
  /** Elements of the weights first read here. */
  params: number;
  /** Bytes of the weights first read here, at their element types. */
  weightBytes: number;
  paramsByDtype: Record<string, DtypeCount>;
  /** Names of the weights counted here. */
  weights: string[];
  macs: number | null;
  flops: number | null;
  /** Bytes of the node's outputs. */
  activationBytes: number | null;
  /** Bytes of the node's non-constant inputs. */
  inputBytes: number | null;
  /** Bytes of the stored weights the node reads, shared ones included. */
  weightBytesRead: number;
  /** inputBytes + weightBytesRead + activationBytes. */
  memoryBytes: number | null;
  /** FLOPs per byte of memoryBytes. */
  intensity: number | null;
  /** Computed from constants only: no run-time cost; its outputs are weights. */
  folded?: boolean;
  /** Why macs/flops are null. */
  unknownReason?: string;
  /** If/Loop/Scan bodies, costed once. */
  subgraphs?: SubgraphCost[];
}

type Summable = 'macs' | 'flops' | 'activationBytes' | 'inputBytes' | 'memoryBytes';

export interface CostTotals {
  /** Layers (nodes) summed. */
  layers: number;
  /** Of which constant-folded. */
  foldedLayers: number;
  params: number;
  weightBytes: number;
  paramsByDtype: Record<string, DtypeCount>;
  macs: number | null;
  flops: number | null;
  activationBytes: number | null;
  inputBytes: number | null;
  weightBytesRead: number;
  memoryBytes: number | null;
  intensity: number | null;
  /** Sums over the layers whose value is known (equal to the totals above when nothing is unknown). */
  known: Record<Summable, number>;
  /** Layers whose value is unknown and left out of `known`. */
  unknownLayers: Record<Summable, number>;
}

/**
 * A scope's totals: `known` and `unknownLayers` only when some layer of the scope has an unknown figure (otherwise
 * `known` would repeat the totals and `unknownLayers` be all zeros; a 50k-node model has some 33k scopes).
 */
export type ScopeTotals = Omit<CostTotals, 'known' | 'unknownLayers'> &
  Partial<Pick<CostTotals, 'known' | 'unknownLayers'>>;

export interface ScopeCost {
  /** Last path segment ('' for the root). */
  name: string;
  /** '/'-joined path from the root ('' for the root). */
  path: string;
  totals: ScopeTotals;
  /** Indices (into `layers`) of the nodes directly in this scope. */
  layerIndices: number[];
  children: ScopeCost[];
}

export interface ProfileWarning {
  code:
    | 'symbolic-shape'
    | 'unknown-shape'
    | 'no-cost-rule'
    | 'unsupported-variant'
    | 'cost-failed'
    | 'unknown-weights'
    | 'subgraph-once'
    | InferWarning['code'];
  message: string;
  opType?: string;
  /** Node labels concerned (the first few). */
  nodes?: string[];
  /** How many nodes the warning is about. */
  count?: number;
  symbols?: string[];
}

export interface ModelCostInfo {
  graphName: string;
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  /** 'static': shapes from inference; 'exact': shapes measured by running the model once. */
  mode: 'static' | 'exact';
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  /** Sizes given to symbolic dimensions. */
  dims: Record<string, number>;
  /** Input shapes given by the caller. */
  inputShapes: Record<string, Dim[]>;
}

export interface ModelProfile {
  model: ModelCostInfo;
  totals: CostTotals;
  layers: LayerCost[];
  scopes: ScopeCost;
  warnings: ProfileWarning[];
}

// ---------------------------------------------------------------------------------------------------------------

/** A stored tensor: where parameters come from. */
interface Source {
  name: string;
  dtype: number;
  elements: number;
  bytes: number;
  /** Set once its parameters are counted (at the first node that reads it). */
  counted?: boolean;
}

/** Constant values by name: the stored tensors each is made of; null marks a run-time value (shadowing). */
class StaticScope {
  readonly local = new Map<string, Source[] | null>();
  constructor(private readonly parent?: StaticScope) {}
  get(name: string): Source[] | undefined {
    const v = this.local.get(name);
    if (v === null) return undefined;
    return v ?? this.parent?.get(name);
  }
}

/** Operators that produce different values on every run even from constant inputs: never folded. */
const nondeterministic = new Set([
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
]);
/** Shape queries of constants are constants, but read no weight data. */
const shapeQueries = new Set(['Shape', 'Size']);

const MAX_NODES_IN_WARNING = 5;
const MAX_INFERENCE_WARNINGS = 20;

function bytesOf(f: ValueFacts | undefined): number | null {
  if (f?.kind !== 'tensor' || f.dtype === undefined || f.dtype === DataType.STRING || !f.shape) return null;
  // A symbolic or unknown dimension makes the count NaN (elementCount takes whole numbers only).
  const n = elementCount(f.shape as number[]);
  return Number.isNaN(n) ? null : storageBytes(f.dtype, n);
}

/**
 * What a layer without weights of its own holds (most layers): one shared, frozen empty record and list, replaced by
 * the layer's own as soon as it counts a weight.
 */
const noParams: Record<string, DtypeCount> = Object.freeze({});
const noWeights = Object.freeze([]) as unknown as string[];

function tensorSummary(name: string, f: ValueFacts | undefined): TensorSummary {
  const t = f?.kind === 'tensor' ? f : undefined;
  return {
    name,
    dtype: t?.dtype !== undefined ? dataTypeName(t.dtype) : null,
    // The facts' own list: shapes are never changed in place once made (rules build new ones).
    shape: t?.shape ?? null,
    origin: f ? f.origin : null,
    bytes: bytesOf(f),
  };
}

function tensorSource(t: Tensor): Source {
  const n = elementCount(t.dims);
  const b = tensorByteSize(t);
  return { name: t.name, dtype: t.dataType, elements: Number.isNaN(n) ? 0 : n, bytes: Number.isNaN(b) ? 0 : b };
}

/** The tensor a Constant node holds, as a source (value, sparse_value or the value_* shorthands). */
function constantSource(node: Node, name: string): Source | undefined {
  for (const a of node.attributes) {
    switch (a.type) {
      case 'tensor': {
        // Spelled out: spreading and overriding a field is V8's slow path (exports hold thousands of Constants).
        const t = tensorSource(a.value);
        return { name, dtype: t.dtype, elements: t.elements, bytes: t.bytes };
      }
      case 'sparse_tensor': {
        const values = tensorSource(a.value.values);
        return {
          name,
          dtype: values.dtype,
          elements: values.elements,
          bytes: values.bytes + tensorSource(a.value.indices).bytes,
        };
      }
      case 'float':
        return { name, dtype: DataType.FLOAT, elements: 1, bytes: 4 };
      case 'floats':
        return { name, dtype: DataType.FLOAT, elements: a.value.length, bytes: 4 * a.value.length };
      case 'int':
        return { name, dtype: DataType.INT64, elements: 1, bytes: 8 };
      case 'ints':
        return { name, dtype: DataType.INT64, elements: a.value.length, bytes: 8 * a.value.length };
      case 'string':
        return { name, dtype: DataType.STRING, elements: 1, bytes: a.value.length };
      case 'strings':
        return {
          name,
          dtype: DataType.STRING,
          elements: a.value.length,
          bytes: a.value.reduce((s, x) => s + x.length, 0),
        };
    }
  }
  return undefined;
}

/** Node indices in an order where producers come first (the given order when it already is one, or on a cycle). */
function executionOrder(nodes: Node[]): number[] {
  const producer = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) {
    for (const o of nodes[i].outputs) if (o) producer.set(o, i);
  }
  const identity = () => Array.from({ length: nodes.length }, (_, i) => i);
  let sorted = true;
  for (let i = 0; i < nodes.length && sorted; i++) {
    for (const input of nodes[i].inputs) {
      const p = producer.get(input);
      if (p !== undefined && p > i) sorted = false;
    }
  }
  if (sorted) return identity();
  const users: number[][] = nodes.map(() => []);
  const indegree = new Int32Array(nodes.length);
  nodes.forEach((n, i) => {
    for (const input of n.inputs) {
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
  return queue.length === nodes.length ? queue : identity();
}

/** Scopes nested deeper than this are joined into the last one, so a hostile name cannot make a tree of any depth. */
const MAX_SCOPE_DEPTH = 64;

/** Name scopes of a node name: '/'-separated segments except the last; only the first of ';'-joined names. */
export function nameScopes(name: string): string[] {
  const semi = name.indexOf(';');
  const parts = (semi < 0 ? name : name.slice(0, semi)).split('/');
  const scopes: string[] = [];
  for (const p of parts) if (p !== '') scopes.push(p);
  scopes.pop();
  if (scopes.length > MAX_SCOPE_DEPTH) {
    scopes.push(scopes.splice(MAX_SCOPE_DEPTH - 1).join('/'));
  }
  // Exactly sized: every layer keeps its list (an array grown by push keeps spare room).
  return scopes.slice();
}

/** The stored tensors each named value is made of; undefined for a run-time value or an omitted input (''). */
function staticsOf(names: readonly string[], statics: StaticScope): (Source[] | undefined)[] {
  const out = new Array<Source[] | undefined>(names.length);
  for (let i = 0; i < names.length; i++) out[i] = names[i] === '' ? undefined : statics.get(names[i]);
  return out;
}

/** The stored tensors of several values, each once, in order of first appearance. */
function uniqueSources(lists: readonly (Source[] | undefined)[]): Source[] {
  const out: Source[] = [];
  let seen: Set<Source> | undefined;
  for (const sources of lists) {
    if (!sources) continue;
    for (const s of sources) {
      if (seen) {
        if (seen.has(s)) continue;
        seen.add(s);
      } else if (out.includes(s)) {
        continue;
      } else if (out.length >= 16) {
        // Long lists (a folded Concat of many constants): a set instead of scanning the list.
        seen = new Set(out);
        seen.add(s);
      }
      out.push(s);
    }
  }
  return out;
}

/** What a cost rule sees of one node: shapes that must be known, attributes. One object per node. */
class NodeCostContext implements CostContext {
  constructor(
    readonly node: Node,
    readonly inputCount: number,
    private readonly lookup: (name: string) => ValueFacts | undefined,
    /** The facts of the node's inputs and outputs, by index (already looked up). */
    private readonly inputFacts: readonly (ValueFacts | undefined)[],
    private readonly outputFacts: readonly (ValueFacts | undefined)[],
  ) {}
  private shapeOf(name: string | undefined, facts?: ValueFacts): number[] {
    if (!name) throw new MissingShape('(omitted)', 'unknown');
    const f = facts ?? this.lookup(name);
    const s = knownShape(name, f?.kind === 'tensor' ? f.shape : undefined);
    if (s instanceof MissingShape) throw s;
    return s;
  }
  has(i: number): boolean {
    return i < this.node.inputs.length && this.node.inputs[i] !== '';
  }
  inShape(i: number): number[] {
    return this.shapeOf(this.node.inputs[i], this.inputFacts[i]);
  }
  outShape(i: number): number[] {
    return this.shapeOf(this.node.outputs[i], this.outputFacts[i]);
  }
  inElems(i: number): number {
    return product(this.shapeOf(this.node.inputs[i], this.inputFacts[i]));
  }
  outElems(i: number): number {
    return product(this.shapeOf(this.node.outputs[i], this.outputFacts[i]));
  }
  attr(name: string): Attribute | undefined {
    const attrs = this.node.attributes;
    for (let i = 0; i < attrs.length; i++) if (attrs[i].name === name) return attrs[i];
    return undefined;
  }
  int(name: string, fallback: number): number {
    const a = this.attr(name);
    return (a?.type === 'int' ? Number(a.value) : a?.type === 'float' ? a.value : undefined) ?? fallback;
  }
  ints(name: string): number[] | undefined {
    const a = this.attr(name);
    return a?.type === 'ints' ? a.value.map(Number) : a?.type === 'int' ? [Number(a.value)] : undefined;
  }
  string(name: string, fallback: string): string {
    const a = this.attr(name);
    return a?.type === 'string' ? a.value : fallback;
  }
}

function product(xs: readonly number[]): number {
  let p = 1;
  for (let i = 0; i < xs.length; i++) p *= xs[i];
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// Totals

function emptyTotals(): CostTotals {
  const zero = (): Record<Summable, number> => ({
    macs: 0,
    flops: 0,
    activationBytes: 0,
    inputBytes: 0,
    memoryBytes: 0,
  });
  return {
    layers: 0,
    foldedLayers: 0,
    params: 0,
    weightBytes: 0,
    paramsByDtype: {},
    macs: 0,
    flops: 0,
    activationBytes: 0,
    inputBytes: 0,
    weightBytesRead: 0,
    memoryBytes: 0,
    intensity: null,
    known: zero(),
    unknownLayers: zero(),
  };
}

function addByDtype(into: Record<string, DtypeCount>, from: Record<string, DtypeCount>): void {
  // Most layers have no weights and share one empty object: nothing to enumerate.
  if (from === noParams) return;
  for (const k in from) {
    const v = from[k];
    const t = into[k] ?? { params: 0, bytes: 0 };
    t.params += v.params;
    t.bytes += v.bytes;
    into[k] = t;
  }
}

function addLayer(t: CostTotals, l: LayerCost): void {
  t.layers++;
  if (l.folded) t.foldedLayers++;
  t.params += l.params;
  t.weightBytes += l.weightBytes;
  t.weightBytesRead += l.weightBytesRead;
  addByDtype(t.paramsByDtype, l.paramsByDtype);
  // The summable fields one by one (a loop over their names makes every access a keyed lookup).
  const known = t.known;
  const unknown = t.unknownLayers;
  if (l.macs === null) unknown.macs++;
  else known.macs += l.macs;
  if (l.flops === null) unknown.flops++;
  else known.flops += l.flops;
  if (l.activationBytes === null) unknown.activationBytes++;
  else known.activationBytes += l.activationBytes;
  if (l.inputBytes === null) unknown.inputBytes++;
  else known.inputBytes += l.inputBytes;
  if (l.memoryBytes === null) unknown.memoryBytes++;
  else known.memoryBytes += l.memoryBytes;
}

/** Adds totals `from` (not yet finished) into `into`. */
function addTotals(into: CostTotals, from: CostTotals): void {
  into.layers += from.layers;
  into.foldedLayers += from.foldedLayers;
  into.params += from.params;
  into.weightBytes += from.weightBytes;
  into.weightBytesRead += from.weightBytesRead;
  addByDtype(into.paramsByDtype, from.paramsByDtype);
  const k = into.known;
  const fk = from.known;
  k.macs += fk.macs;
  k.flops += fk.flops;
  k.activationBytes += fk.activationBytes;
  k.inputBytes += fk.inputBytes;
  k.memoryBytes += fk.memoryBytes;
  const u = into.unknownLayers;
  const fu = from.unknownLayers;
  u.macs += fu.macs;
  u.flops += fu.flops;
  u.activationBytes += fu.activationBytes;
  u.inputBytes += fu.inputBytes;
  u.memoryBytes += fu.memoryBytes;
}

/** Finished totals as a scope keeps them (see ScopeTotals). */
function scopeTotals(t: CostTotals): ScopeTotals {
  const u = t.unknownLayers;
  if (u.macs || u.flops || u.activationBytes || u.inputBytes || u.memoryBytes) return t;
  // Written out in emptyTotals' order: an object rest that leaves two keys out is V8's slow path (~10x the time,
  // and each copy gets a second property store), on every one of a 50k-node model's ~33k scopes.
  return {
    layers: t.layers,
    foldedLayers: t.foldedLayers,
    params: t.params,
    weightBytes: t.weightBytes,
    paramsByDtype: t.paramsByDtype,
    macs: t.macs,
    flops: t.flops,
    activationBytes: t.activationBytes,
    inputBytes: t.inputBytes,
    weightBytesRead: t.weightBytesRead,
    memoryBytes: t.memoryBytes,
    intensity: t.intensity,
  };
}

/** Sets the strict totals (null when any layer is unknown) and the intensity from `known`/`unknownLayers`. */
function finishTotals(t: CostTotals): CostTotals {
  // Field by field (a loop over their names makes every access a keyed lookup; there is a totals per scope).
  const known = t.known;
  const unknown = t.unknownLayers;
  t.macs = unknown.macs ? null : known.macs;
  t.flops = unknown.flops ? null : known.flops;
  t.activationBytes = unknown.activationBytes ? null : known.activationBytes;
  t.inputBytes = unknown.inputBytes ? null : known.inputBytes;
  t.memoryBytes = unknown.memoryBytes ? null : known.memoryBytes;
  t.intensity = t.flops !== null && t.memoryBytes ? t.flops / t.memoryBytes : null;
  return t;
}

function totalsOf(layers: LayerCost[]): CostTotals {
  const t = emptyTotals();
  for (const l of layers) addLayer(t, l);
  return finishTotals(t);
}

/** Up to this many children, a scope's child is found by scanning them. */
const SCAN_CHILDREN = 8;

/** The name-scope tree of the layers, and the model's totals (every layer summed). */
function buildScopes(layers: LayerCost[]): { root: ScopeCost; totals: CostTotals } {
  // The scopes are built in their final shape. A scope's child is found by scanning its children while they are
  // few (most scopes have one or two: a map each cost a lot of memory on a 50k-node model); a scope with more
  // gets its children by name kept aside.
  const childrenByName = new Map<ScopeCost, Map<string, ScopeCost>>();
  const childNamed = (at: ScopeCost, name: string): ScopeCost | undefined => {
    const children = at.children;
    if (children.length <= SCAN_CHILDREN) {
      for (let k = 0; k < children.length; k++) if (children[k].name === name) return children[k];
      return undefined;
    }
    let byName = childrenByName.get(at);
    if (!byName) {
      byName = new Map(children.map((c) => [c.name, c]));
      childrenByName.set(at, byName);
    }
    return byName.get(name);
  };
  const addChild = (at: ScopeCost, child: ScopeCost): void => {
    at.children.push(child);
    childrenByName.get(at)?.set(child.name, child);
  };
  const make = (name: string, path: string): ScopeCost => ({
    name,
    path,
    totals: emptyTotals(),
    layerIndices: [],
    children: [],
  });
  const root = make('', '');
  // The scopes the previous layer sat in, root first: consecutive layers mostly share them, so only the part of
  // a layer's scope list that differs from the previous one is looked up.
  const chain: ScopeCost[] = [root];
  let previous: string[] = [];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const scope = l.scope;
    let shared = 0;
    if (scope !== previous) {
      while (shared < scope.length && shared < previous.length && scope[shared] === previous[shared]) shared++;
      chain.length = shared + 1;
      let at = chain[shared];
      for (let j = shared; j < scope.length; j++) {
        const s = scope[j];
        let child = childNamed(at, s);
        if (!child) {
          // join, not a template: a flat string (a concatenation would be flattened again by every JSON.stringify).
          child = make(s, at.path ? [at.path, s].join('/') : s);
          addChild(at, child);
        }
        chain.push(child);
        at = child;
      }
      previous = scope;
    }
    // Into the innermost scope only: the enclosing ones add their children's sums once, at the end.
    const leaf = chain[chain.length - 1];
    addLayer(leaf.totals as CostTotals, l);
    leaf.layerIndices.push(i);
  }
  /** Adds the children's sums into the scope's own, finishes them and returns them in full (known/unknown too). */
  const finish = (s: ScopeCost): CostTotals => {
    const sums = s.totals as CostTotals;
    // Exactly sized (an array grown by push keeps spare room).
    s.layerIndices = s.layerIndices.slice();
    if (s.children.length) {
      s.children = s.children.slice();
      for (const c of s.children) addTotals(sums, finish(c));
    }
    finishTotals(sums);
    s.totals = scopeTotals(sums);
    return sums;
  };
  return { root, totals: finish(root) };
}

/** A deep copy of totals. */
function copyTotals(t: CostTotals): CostTotals {
  const paramsByDtype: Record<string, DtypeCount> = {};
  for (const k in t.paramsByDtype) paramsByDtype[k] = { ...t.paramsByDtype[k] };
  return { ...t, paramsByDtype, known: { ...t.known }, unknownLayers: { ...t.unknownLayers } };
}

// ---------------------------------------------------------------------------------------------------------------

interface Problems {
  symbolic: Map<string, { symbols: string[]; nodes: string[]; count: number }>;
  unknownShape: Map<string, { nodes: string[]; values: string[]; count: number }>;
  noRule: Map<string, { nodes: string[]; count: number; function: boolean }>;
  variant: Map<string, { nodes: string[]; messages: string[]; count: number }>;
  failed: { node: string; opType: string; message: string }[];
  unknownWeights: string[];
  subgraphs: string[];
}

function note<T extends { nodes: string[]; count: number }>(
  map: Map<string, T>,
  key: string,
  init: () => T,
  node: string,
): T {
  let e = map.get(key);
  if (!e) {
    e = init();
    map.set(key, e);
  }
  e.count++;
  if (e.nodes.length < MAX_NODES_IN_WARNING) e.nodes.push(node);
  return e;
}

const quoteList = (xs: string[], count: number) =>
  xs.map((x) => `'${x}'`).join(', ') + (count > xs.length ? `, … (${count} in all)` : '');

/** Per-node, per-scope and per-model cost of a model. Never throws for a model's content. */
export function profileModel(model: Model, options: ProfileOptions = {}): ModelProfile {
  return analyzeModel(model, options).profile;
}

/** The cost profile together with the value facts it was computed from (for memory planning and estimates). */
export function analyzeModel(
  model: Model,
  options: ProfileOptions = {},
): { profile: ModelProfile; facts: Map<string, ValueFacts> } {
  const walk: InferenceWalk = { orders: new Map(), mainNodes: [] };
  const inference = inferShapes(model, options, walk);
  options.phaseDone?.('inferred');
  const orders = walk.orders;
  const mainFacts = inference.values;
  if (options.measured) {
    for (const [name, f] of options.measured) {
      const inferred = mainFacts.get(name);
      // Keep a folded value the inference computed: measured facts carry shapes only.
      mainFacts.set(
        name,
        inferred?.kind === 'tensor' && f.kind === 'tensor' && inferred.value ? { ...f, value: inferred.value } : f,
      );
    }
  }
  const functions = new Set(model.functions.map((f) => `${normalizeDomain(f.domain)}\u0000${f.name}`));
  const problems: Problems = {
    symbolic: new Map(),
    unknownShape: new Map(),
    noRule: new Map(),
    variant: new Map(),
    failed: [],
    unknownWeights: [],
    subgraphs: [],
  };

  /**
   * nameScopes(name), shared with the previous layer when its name has the same prefix (the part before the last
   * '/'): consecutive layers mostly sit in the same scope.
   */
  let prefix = '';
  let prefixScopes: string[] | undefined;
  const scopesOf = (name: string): string[] => {
    const slash = name.lastIndexOf('/');
    if (slash <= 0 || slash === name.length - 1 || name.includes(';')) return nameScopes(name);
    if (prefixScopes && slash === prefix.length && name.startsWith(prefix)) return prefixScopes;
    prefix = name.slice(0, slash);
    prefixScopes = nameScopes(name);
    return prefixScopes;
  };

  const costGraph = (
    g: Graph,
    lookup: (name: string) => ValueFacts | undefined,
    parentStatics: StaticScope | undefined,
  ): LayerCost[] => {
    const statics = new StaticScope(parentStatics);
    // Inputs are run-time values, unless an initializer of the same name (IR < 4) gives them a default: set after.
    for (const v of g.inputs) statics.local.set(v.name, null);
    for (const t of g.initializers) statics.local.set(t.name, [tensorSource(t)]);
    // Node outputs are marked run-time so that they shadow a constant of the same name in an enclosing graph or
    // defined earlier in this one; in a main graph that defines every value once, an unknown name reads as
    // run-time already.
    const markRunTime = parentStatics !== undefined || !walk.mainGraphInOrder;
    for (const s of g.sparseInitializers) {
      // Stored as non-zero values plus their indices.
      const values = tensorSource(s.values);
      const indices = tensorSource(s.indices);
      statics.local.set(s.values.name, [{ ...values, bytes: values.bytes + indices.bytes }]);
    }

    const nodes = g.nodes;
    const layers: LayerCost[] = new Array(nodes.length);
    const order = orders.get(g) ?? executionOrder(nodes);
    // The main graph's node facts as the inference kept them: the same as looking them up by name when every value
    // is defined once (and no measured facts replaced them).
    const known =
      parentStatics === undefined && walk.mainGraphInOrder && !options.measured ? walk.mainNodes : undefined;
    for (let j = 0; j < order.length; j++) {
      const index = order[j];
      const node = nodes[index];
      const label = nodeLabel(node, index);
      const key = opKey(node.domain, node.opType);
      const std = normalizeDomain(node.domain) === '';
      const inputs = node.inputs;
      let presentCount = 0;
      for (const n of inputs) if (n !== '') presentCount++;
      let hasGraphs = false;
      for (const a of node.attributes) if (a.type === 'graph' || a.type === 'graphs') hasGraphs = true;
      // Facts of the inputs and outputs, looked up once (the byte counts, summaries and cost rule all read them).
      const seen = known?.[index];
      let inputFacts: (ValueFacts | undefined)[];
      let outputFacts: (ValueFacts | undefined)[];
      if (seen) {
        inputFacts = seen.inputs;
        outputFacts = seen.outputs;
      } else {
        inputFacts = new Array<ValueFacts | undefined>(inputs.length);
        for (let i = 0; i < inputs.length; i++) inputFacts[i] = inputs[i] === '' ? undefined : lookup(inputs[i]);
        outputFacts = node.outputs.map((o) => (o === '' ? undefined : lookup(o)));
      }
      const outputs = node.outputs.includes('')
        ? node.outputs.flatMap((o, k) => (o === '' ? [] : [tensorSummary(o, outputFacts[k])]))
        : node.outputs.map((o, k) => tensorSummary(o, outputFacts[k]));
      const layer: LayerCost = {
        index,
        name: label,
        opType: key,
        scope: scopesOf(node.name),
        outputs,
        params: 0,
        weightBytes: 0,
        paramsByDtype: noParams,
        weights: noWeights,
        macs: 0,
        flops: 0,
        activationBytes: 0,
        inputBytes: 0,
        weightBytesRead: 0,
        memoryBytes: 0,
        intensity: null,
      };
      layers[index] = layer;

      // Constant folding: outputs of nodes computed from constants only are constants (weights).
      let folded: Source[] | undefined;
      let inputSources: (Source[] | undefined)[] | undefined;
      if (std && node.opType === 'Constant') {
        const out = node.outputs[0] ?? label;
        const s = constantSource(node, out);
        folded = s ? [s] : [];
      } else if (!hasGraphs && presentCount > 0 && !(std && nondeterministic.has(node.opType))) {
        inputSources = staticsOf(inputs, statics);
        const sources = inputSources;
        if (inputs.every((n, i) => n === '' || sources[i] !== undefined)) {
          if (std && node.opType === 'ConstantOfShape') {
            folded = [generatedSource(node, lookup)];
          } else if (std && shapeQueries.has(node.opType)) {
            folded = [];
          } else {
            folded = uniqueSources(inputSources);
          }
        }
      }
      if (folded) {
        layer.folded = true;
        for (const o of node.outputs) if (o) statics.local.set(o, folded);
        continue;
      }
      if (markRunTime) {
        for (const o of node.outputs) if (o) statics.local.set(o, null);
        // Looked up again after the outputs are set: a node that reads its own output (invalid) sees it as run-time.
        inputSources = undefined;
      }
      inputSources ??= staticsOf(inputs, statics);

      // Weights read, and counted where first read.
      let weights: string[] | undefined;
      for (const s of uniqueSources(inputSources)) {
        layer.weightBytesRead += s.bytes;
        if (s.counted) continue;
        s.counted = true;
        layer.params += s.elements;
        layer.weightBytes += s.bytes;
        weights ??= [];
        weights.push(s.name);
        const k = dataTypeName(s.dtype);
        if (layer.paramsByDtype === noParams) layer.paramsByDtype = {};
        const d = layer.paramsByDtype[k] ?? { params: 0, bytes: 0 };
        d.params += s.elements;
        d.bytes += s.bytes;
        layer.paramsByDtype[k] = d;
      }
      if (weights) layer.weights = weights.slice();

      // Activation bytes in and out (each input value once).
      let inputBytes: number | null = 0;
      // Repeats found by scanning while the inputs are few; a set for a node with many (a Concat or Sum of thousands
      // of values would otherwise be quadratic).
      const counted = inputs.length > 16 ? new Set<string>() : undefined;
      for (let i = 0; i < inputs.length; i++) {
        const n = inputs[i];
        if (n === '' || inputSources[i] !== undefined) continue;
        if (counted) {
          if (counted.has(n)) continue;
          counted.add(n);
        } else if (inputs.indexOf(n) < i) continue;
        const b = bytesOf(inputFacts[i]);
        inputBytes = b === null || inputBytes === null ? null : inputBytes + b;
      }
      layer.inputBytes = inputBytes;
      let outBytes: number | null = 0;
      for (const o of outputs) outBytes = o.bytes === null || outBytes === null ? null : outBytes + o.bytes;
      layer.activationBytes = outBytes;

      // MACs and FLOPs.
      const cost = nodeCost(node, key, label, lookup, layer, presentCount, inputFacts, outputFacts);
      layer.macs = cost?.macs ?? null;
      layer.flops = cost?.flops ?? null;

      if (hasGraphs) addSubgraphs(node, label, layer, statics, lookup);
      layer.memoryBytes =
        layer.inputBytes === null || layer.activationBytes === null
          ? null
          : layer.inputBytes + layer.weightBytesRead + layer.activationBytes;
      layer.intensity = layer.flops !== null && layer.memoryBytes ? layer.flops / layer.memoryBytes : null;
    }
    return layers;
  };

  /** The output of a ConstantOfShape with a constant shape: generated weights of that shape. */
  const generatedSource = (node: Node, lookup: (name: string) => ValueFacts | undefined): Source => {
    const name = node.outputs[0] ?? '';
    const valueAttr = node.attributes.find((a) => a.name === 'value');
    const dtype = valueAttr?.type === 'tensor' ? valueAttr.value.dataType : DataType.FLOAT;
    const shapeFacts = lookup(node.inputs[0]);
    let dims: number[] | undefined;
    if (shapeFacts?.kind === 'tensor' && shapeFacts.value) dims = shapeFacts.value.data;
    else {
      const out = lookup(name);
      if (out?.kind === 'tensor' && out.shape?.every((d) => typeof d === 'number')) dims = out.shape as number[];
    }
    const n = dims ? elementCount(dims) : Number.NaN;
    if (Number.isNaN(n)) {
      problems.unknownWeights.push(name);
      return { name, dtype, elements: 0, bytes: 0 };
    }
    return { name, dtype, elements: n, bytes: storageBytes(dtype, n) };
  };

  const nodeCost = (
    node: Node,
    key: string,
    label: string,
    lookup: (name: string) => ValueFacts | undefined,
    layer: LayerCost,
    inputCount: number,
    inputFacts: readonly (ValueFacts | undefined)[],
    outputFacts: readonly (ValueFacts | undefined)[],
  ): OpCost | undefined => {
    const rule = opCosts[key];
    if (!rule || !Object.hasOwn(opCosts, key)) {
      const isFunction = functions.has(`${normalizeDomain(node.domain)}\u0000${node.opType}`);
      note(problems.noRule, key, () => ({ nodes: [], count: 0, function: isFunction }), label);
      layer.unknownReason = isFunction ? `model-local function ${key} is not costed` : `no cost rule for ${key}`;
      return undefined;
    }
    const ctx = new NodeCostContext(node, inputCount, lookup, inputFacts, outputFacts);
    try {
      return rule(ctx);
    } catch (err) {
      if (err instanceof MissingShape) {
        if (err.reason === 'symbolic') {
          const k = err.symbols.join(', ');
          note(problems.symbolic, k, () => ({ symbols: err.symbols, nodes: [], count: 0 }), label);
        } else {
          const e = note(problems.unknownShape, key, () => ({ nodes: [], values: [], count: 0 }), label);
          if (e.values.length < MAX_NODES_IN_WARNING) e.values.push(err.value);
        }
        layer.unknownReason = err.message;
      } else if (err instanceof UnsupportedVariant) {
        const e = note(problems.variant, key, () => ({ nodes: [], messages: [], count: 0 }), label);
        if (e.messages.length < MAX_NODES_IN_WARNING) e.messages.push(err.message);
        layer.unknownReason = err.message;
      } else {
        const message = err instanceof Error ? err.message : String(err);
        problems.failed.push({ node: label, opType: key, message });
        layer.unknownReason = message;
      }
      return undefined;
    }
  };

  const addSubgraphs = (
    node: Node,
    label: string,
    layer: LayerCost,
    statics: StaticScope,
    outer: (name: string) => ValueFacts | undefined,
  ): void => {
    const subs: SubgraphCost[] = [];
    for (const a of node.attributes) {
      const graphs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      graphs.forEach((body, i) => {
        const facts = inference.graphs.get(body);
        const lookup = (name: string) => facts?.get(name) ?? outer(name);
        const bodyLayers = costGraph(body, lookup, statics);
        subs.push({
          attribute: a.type === 'graphs' ? `${a.name}[${i}]` : a.name,
          layers: bodyLayers,
          totals: totalsOf(bodyLayers),
          counted: true,
        });
      });
    }
    if (!subs.length) return;
    // If: only one branch runs; count the heavier one's compute. Weights of every branch are stored.
    if (node.opType === 'If' && subs.length > 1) {
      const flops = (s: SubgraphCost) => s.totals.flops ?? s.totals.known.flops;
      const heaviest = subs.reduce((best, s) => (flops(s) > flops(best) ? s : best));
      for (const s of subs) s.counted = s === heaviest;
    }
    for (const s of subs) {
      layer.params += s.totals.params;
      layer.weightBytes += s.totals.weightBytes;
      if (layer.paramsByDtype === noParams) layer.paramsByDtype = {};
      addByDtype(layer.paramsByDtype, s.totals.paramsByDtype);
      if (!s.counted) continue;
      layer.weightBytesRead += s.totals.weightBytesRead;
      layer.macs = layer.macs === null || s.totals.macs === null ? null : layer.macs + s.totals.macs;
      layer.flops = layer.flops === null || s.totals.flops === null ? null : layer.flops + s.totals.flops;
      if (layer.inputBytes !== null) {
        layer.inputBytes = s.totals.inputBytes === null ? null : layer.inputBytes + s.totals.inputBytes;
      }
    }
    if (layer.macs === null && !layer.unknownReason) layer.unknownReason = 'a subgraph has nodes whose cost is unknown';
    layer.subgraphs = subs;
    problems.subgraphs.push(`${label} (${node.opType})`);
  };
  const layers = costGraph(model.graph, (name) => mainFacts.get(name), undefined);
  options.phaseDone?.('costed');
  const { root: scopes, totals: sums } = buildScopes(layers);
  options.phaseDone?.('scoped');
  // The root scope's totals are the model's (a copy, not shared).
  const totals = copyTotals(sums);

  const initNames = initializedInputs(model.graph);
  const info: ModelCostInfo = {
    graphName: model.graph.name,
    irVersion: model.irVersion,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opsets: model.opsetImports.map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version })),
    mode: options.measured ? 'exact' : 'static',
    inputs: model.graph.inputs
      .filter((v) => !initNames.has(v.name))
      .map((v) => tensorSummary(v.name, mainFacts.get(v.name))),
    outputs: model.graph.outputs.map((v) => tensorSummary(v.name, mainFacts.get(v.name))),
    dims: { ...(options.dims ?? {}) },
    inputShapes: { ...(options.inputShapes ?? {}) },
  };
  const profile: ModelProfile = {
    model: info,
    totals,
    layers,
    scopes,
    warnings: [...problemWarnings(problems), ...inferenceWarnings(inference.warnings)],
  };
  return { profile, facts: mainFacts };
}

function problemWarnings(p: Problems): ProfileWarning[] {
  const out: ProfileWarning[] = [];
  for (const [, e] of p.symbolic) {
    const syms = e.symbols.map((s) => `'${s}'`).join(', ');
    out.push({
      code: 'symbolic-shape',
      message:
        `MACs/FLOPs n/a for ${e.count} node(s) whose shapes depend on symbolic dimension(s) ${syms}: ` +
        `${quoteList(e.nodes, e.count)}; give sizes to count them (${e.symbols.map((s) => `--dim ${s}=1`).join(' ')})`,
      nodes: e.nodes,
      count: e.count,
      symbols: e.symbols,
    });
  }
  for (const [op, e] of p.unknownShape) {
    out.push({
      code: 'unknown-shape',
      message: `MACs/FLOPs n/a for ${e.count} ${op} node(s) whose shapes are unknown: ${quoteList(e.nodes, e.count)} (unknown: ${e.values.map((v) => `'${v}'`).join(', ')})`,
      opType: op,
      nodes: e.nodes,
      count: e.count,
    });
  }
  for (const [op, e] of p.noRule) {
    out.push({
      code: 'no-cost-rule',
      message: e.function
        ? `model-local function ${op} is not costed: MACs/FLOPs n/a for ${quoteList(e.nodes, e.count)}`
        : `no cost rule for operator ${op}: MACs/FLOPs n/a for ${quoteList(e.nodes, e.count)}`,
      opType: op,
      nodes: e.nodes,
      count: e.count,
    });
  }
  for (const [op, e] of p.variant) {
    out.push({
      code: 'unsupported-variant',
      message: `MACs/FLOPs n/a for ${e.count} ${op} node(s): ${[...new Set(e.messages)].join('; ')} (${quoteList(e.nodes, e.count)})`,
      opType: op,
      nodes: e.nodes,
      count: e.count,
    });
  }
  for (const f of p.failed) {
    out.push({
      code: 'cost-failed',
      message: `cannot cost '${f.node}' (${f.opType}): ${f.message}`,
      opType: f.opType,
      nodes: [f.node],
      count: 1,
    });
  }
  if (p.unknownWeights.length) {
    out.push({
      code: 'unknown-weights',
      message: `size of generated weights unknown, counted as 0 parameters: ${quoteList(p.unknownWeights.slice(0, MAX_NODES_IN_WARNING), p.unknownWeights.length)}`,
      count: p.unknownWeights.length,
    });
  }
  if (p.subgraphs.length) {
    out.push({
      code: 'subgraph-once',
      message: `subgraph bodies costed once (Loop/Scan: one iteration; If: the branch with more FLOPs): ${quoteList(p.subgraphs.slice(0, MAX_NODES_IN_WARNING), p.subgraphs.length)}`,
      count: p.subgraphs.length,
    });
  }
  return out;
}

function inferenceWarnings(ws: InferWarning[]): ProfileWarning[] {
  const out: ProfileWarning[] = ws.slice(0, MAX_INFERENCE_WARNINGS).map((w) => ({
    code: w.code,
    message: `shape inference: ${w.where ? `${w.where}` : ''}${w.message}`,
    ...(w.opType ? { opType: w.opType } : {}),
    ...(w.node ? { nodes: [w.node] } : {}),
  }));
  if (ws.length > MAX_INFERENCE_WARNINGS) {
    out.push({
      code: 'rule-failed',
      message: `shape inference: ${ws.length - MAX_INFERENCE_WARNINGS} more warning(s) not listed`,
      count: ws.length - MAX_INFERENCE_WARNINGS,
    });
  }
  return out;
}
