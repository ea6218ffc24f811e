/**
 * Static shape and type inference over a whole model, subgraphs and model-local functions included.
 * Never throws for a model's content: an operator without a rule, or a rule that fails, leaves its outputs unknown
 * (or as the model declares them) and adds a warning that names the node and the operator.
 */

import type { Attribute, Dim, FunctionDef, Graph, Model, Node, Tensor, TypeInfo } from '../onnx/ir.js';
import { initializedInputs, normalizeDomain } from '../onnx/ir.js';
import { elementCount } from '../onnx/tensor.js';
import { nodeLabel } from '../onnx/validate.js';
import { constValueOf, deferredConstValue } from './constants.js';
import { type ConstValue, type TensorFacts, unknown, type ValueFacts } from './facts.js';
import { findRule, type InferContext } from './registry.js';
import './ops/index.js';

export interface InferOptions {
  /** Replaces the declared shape of graph inputs, by input name. */
  inputShapes?: Record<string, Dim[]>;
  /** Gives symbolic dimensions a size everywhere they appear in input shapes (`batch` -> 1). */
  dims?: Record<string, number>;
  /**
   * Fill values no rule could compute from the model's own value_info and graph outputs (default true). Off, every
   * shape reported is one this engine computed: what the conformance tests measure.
   */
  useDeclared?: boolean;
}

export interface InferWarning {
  code: 'unsupported-op' | 'rule-failed' | 'declared-mismatch' | 'function-recursion';
  message: string;
  /** Node label (name, or OpType#index). */
  node?: string;
  opType?: string;
  /** Subgraph path; '' for the main graph. */
  where: string;
}

export interface ShapeInference {
  /** Facts for every value of each graph (main graph and subgraphs), by graph object. */
  graphs: Map<Graph, Map<string, ValueFacts>>;
  /** Facts of the main graph's values. */
  values: Map<string, ValueFacts>;
  warnings: InferWarning[];
  /** Operators without a shape rule: `domain.op` -> node count. */
  unsupported: Record<string, number>;
}

/**
 * Shapes of more rank than this are corrupt or hostile declarations: kept as "rank unknown". Every node's output
 * holds its own shape, so a rank of 16,384 carried through a few thousand nodes would need gigabytes.
 */
export const MAX_RANK = 64;
/**
 * Elements of constants folded by the rules of one model. Beyond it, new folds of more than MAX_RANK elements are
 * not made (shape arithmetic, which folds small vectors, goes on): thousands of nodes each folding a 4096-element
 * weight would otherwise keep a copy each.
 */
export const MAX_FOLDED_ELEMENTS = 1 << 18;

/** The facts without a shape (nor the value and symbolic value that go with it). */
function rankUnknown(f: TensorFacts): TensorFacts {
  return f.dtype === undefined
    ? { kind: 'tensor', origin: f.origin }
    : { kind: 'tensor', dtype: f.dtype, origin: f.origin };
}

class Scope {
  readonly local = new Map<string, ValueFacts>();
  constructor(private readonly parent?: Scope) {}
  get(name: string): ValueFacts | undefined {
    const f = this.local.get(name);
    return f !== undefined || !this.parent ? f : this.parent.get(name);
  }
}

function factsFromType(type: TypeInfo | undefined, origin: ValueFacts['origin']): ValueFacts {
  if (!type) return unknown(origin);
  switch (type.kind) {
    case 'tensor':
    case 'sparse_tensor': {
      const f: TensorFacts = { kind: 'tensor', origin };
      if (type.elemType) f.dtype = type.elemType;
      if (type.shape) f.shape = [...type.shape];
      return f;
    }
    case 'sequence':
    case 'optional':
      return { kind: type.kind, origin, ...(type.elem ? { elem: factsFromType(type.elem, origin) } : {}) };
    case 'map':
      return { kind: 'map', origin, ...(type.value ? { elem: factsFromType(type.value, origin) } : {}) };
    default:
      return unknown(origin);
  }
}

/**
 * Elements of initializer values above MAX_RANK elements that one inference decodes and keeps. Values are kept once
 * read (rules read them more than once), as numbers (8 bytes an element): without a budget, a model of many
 * mid-sized weights would hold every weight a second time, at twice its size. Past it, such a value reads as
 * absent, as for a tensor too large to fold; shape-sized values (≤ MAX_RANK elements) are always kept.
 */
export const MAX_KEPT_CONSTANT_ELEMENTS = 1 << 20;

interface ValueBudget {
  left: number;
}

function tensorFacts(t: Tensor, budget: ValueBudget): TensorFacts {
  const f: TensorFacts = { kind: 'tensor', dtype: t.dataType, shape: [...t.dims], origin: 'constant' };
  const v = deferredConstValue(t);
  if (v === 'deferred') lazyValue(f, t, budget);
  else if (v) f.value = v;
  return f;
}

/** The tensor whose value a lazy `value` (below) decodes; non-enumerable, so invisible to comparisons. */
const PENDING_TENSOR = Symbol('pending constant value');
/** The inference's ValueBudget, next to PENDING_TENSOR. */
const VALUE_BUDGET = Symbol('constant value budget');

/** Turns `value` into the plain data property it would have been. */
function settleValue(f: TensorFacts, value: ConstValue | undefined): void {
  Object.defineProperty(f, 'value', { value, writable: true, enumerable: true, configurable: true });
}

/** Accessors shared by every lazy value (no closures per tensor: a model may have tens of thousands). */
const lazyValueDescriptor: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: TensorFacts & { [PENDING_TENSOR]: Tensor; [VALUE_BUDGET]: ValueBudget }) {
    const t = this[PENDING_TENSOR];
    const n = elementCount(t.dims);
    if (n > MAX_RANK) {
      const budget = this[VALUE_BUDGET];
      if (budget.left < n) {
        settleValue(this, undefined);
        return undefined;
      }
      budget.left -= n;
    }
    const value = constValueOf(t);
    settleValue(this, value);
    return value;
  },
  set(this: TensorFacts, value: ConstValue | undefined) {
    settleValue(this, value);
  },
};

/**
 * Gives `f` a `value` decoded from `t` on first read (initializers are many and their values seldom read: decoding
 * every small weight up front cost more than the rest of their inference). Reading or assigning it turns it into a
 * plain data property, so the facts look and behave like ones built with the value in place.
 */
function lazyValue(f: TensorFacts, t: Tensor, budget: ValueBudget): void {
  Object.defineProperty(f, PENDING_TENSOR, { value: t });
  Object.defineProperty(f, VALUE_BUDGET, { value: budget });
  Object.defineProperty(f, 'value', lazyValueDescriptor);
}

function isKnownTensor(f: ValueFacts | undefined): boolean {
  return f?.kind === 'tensor' && f.shape !== undefined && f.dtype !== undefined;
}

function attrToNumber(a: Attribute | undefined): number | undefined {
  if (!a) return undefined;
  if (a.type === 'int') return Number(a.value);
  if (a.type === 'float') return a.value;
  return undefined;
}

const toNumbers = (list: readonly bigint[]): number[] => {
  const out = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = Number(list[i]);
  return out;
};

/** What a shape rule sees of one node: one object per node, its methods on the prototype. */
class NodeContext implements InferContext {
  constructor(
    readonly node: Node,
    readonly opset: number,
    readonly inputs: readonly (ValueFacts | undefined)[],
    private readonly attrs: readonly Attribute[],
    private readonly engine: Inference,
    private readonly scope: Scope,
    private readonly where: string,
    private readonly label: string,
    private readonly nodeOpsets: Map<string, number>,
  ) {}
  tensor(i: number): TensorFacts | undefined {
    const f = this.inputs[i];
    return f?.kind === 'tensor' ? f : undefined;
  }
  shape(i: number): Dim[] | undefined {
    return this.tensor(i)?.shape;
  }
  dtype(i: number): number | undefined {
    return this.tensor(i)?.dtype;
  }
  value(i: number): ConstValue | undefined {
    return this.tensor(i)?.value;
  }
  has(i: number): boolean {
    return i < this.node.inputs.length && this.node.inputs[i] !== '';
  }
  attr(name: string): Attribute | undefined {
    const attrs = this.attrs;
    for (let i = 0; i < attrs.length; i++) if (attrs[i].name === name) return attrs[i];
    return undefined;
  }
  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    return attrToNumber(this.attr(name)) ?? fallback;
  }
  ints(name: string): number[] | undefined {
    const a = this.attr(name);
    return a?.type === 'ints' ? toNumbers(a.value) : a?.type === 'int' ? [Number(a.value)] : undefined;
  }
  float(name: string, fallback: number): number {
    return attrToNumber(this.attr(name)) ?? fallback;
  }
  floats(name: string): number[] | undefined {
    const a = this.attr(name);
    return a?.type === 'floats' ? a.value : a?.type === 'ints' ? toNumbers(a.value) : undefined;
  }
  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    const a = this.attr(name);
    return a?.type === 'string' ? a.value : fallback;
  }
  graph(name: string): Graph | undefined {
    const a = this.attr(name);
    return a?.type === 'graph' ? a.value : undefined;
  }
  inferGraph(g: Graph, graphInputs: (ValueFacts | undefined)[]): ValueFacts[] {
    return this.engine.inferGraph(g, this.scope, `${this.where}${this.label}/`, this.nodeOpsets, graphInputs);
  }
  warn(message: string): void {
    this.engine.result.warnings.push({
      code: 'rule-failed',
      message: `'${this.label}': ${message}`,
      node: this.label,
      where: this.where,
    });
  }
}

/** One inference run over a model: its options, the model's functions and opsets, and the result so far. */
class Inference {
  readonly result: ShapeInference = { graphs: new Map(), values: new Map(), warnings: [], unsupported: {} };
  readonly opsets: Map<string, number>;
  private readonly functions: Map<string, FunctionDef>;
  private readonly activeFunctions = new Set<FunctionDef>();
  /** Elements of the values folded so far (see MAX_FOLDED_ELEMENTS). */
  private folded = 0;
  /** Initializer values still to be kept (see MAX_KEPT_CONSTANT_ELEMENTS). */
  private readonly valueBudget: ValueBudget = { left: MAX_KEPT_CONSTANT_ELEMENTS };
  /** Inputs so far that no value in scope had, at any depth (see inferGraph's optimistic walk). */
  private missingInputs = 0;
  /** The input facts inferNode gathered for the node it last inferred. */
  private lastInputs: (ValueFacts | undefined)[] = [];

  constructor(
    model: Model,
    private readonly options: InferOptions,
    private readonly orders?: Map<Graph, number[]>,
    /**
     * Walk the main graph in file order without sorting it first, and give up (throwing NotInOrder) on the first
     * sign that the order is not a topological one; then a new Inference does the sorted walk. ONNX requires
     * graphs to be sorted, and sorting costs a lookup per input of every node.
     */
    private readonly optimistic = false,
    /** Receives, for the main graph, the facts of each node's inputs and outputs (see InferenceWalk.mainNodes). */
    private readonly mainNodes?: NodeFacts[],
  ) {
    this.opsets = new Map(model.opsetImports.map((o) => [normalizeDomain(o.domain), o.version]));
    this.functions = new Map(model.functions.map((f) => [`${f.domain}\u0000${f.name}\u0000${f.overload ?? ''}`, f]));
  }

  private get foldingSpent(): boolean {
    return this.folded > MAX_FOLDED_ELEMENTS;
  }

  /** An input as rules see it once the folding budget is spent: without a value of more than MAX_RANK elements. */
  private unfolded(f: ValueFacts | undefined): ValueFacts | undefined {
    if (f?.kind !== 'tensor' || f.value === undefined || f.value.data.length <= MAX_RANK) return f;
    const { value: _dropped, ...rest } = f;
    return rest;
  }

  /**
   * Facts as they are kept: no shape above MAX_RANK; for a node's output (`produced`), its folded value counted
   * against MAX_FOLDED_ELEMENTS, and dropped (if large) once that is spent.
   */
  private bounded(f: ValueFacts, produced: boolean): ValueFacts {
    if (f.kind !== 'tensor') return f;
    if (f.shape !== undefined && f.shape.length > MAX_RANK) return rankUnknown(f);
    if (produced && f.value !== undefined) {
      const n = f.value.data.length;
      if (n > MAX_RANK && this.foldingSpent) {
        const { value: _dropped, ...rest } = f;
        return rest;
      }
      this.folded += n;
    }
    return f;
  }

  private applyDims(shape: Dim[]): Dim[] {
    const dims = this.options.dims;
    return shape.map((d) => (typeof d === 'string' && dims && d in dims ? dims[d] : d));
  }

  inferNode(
    node: Node,
    index: number,
    scope: Scope,
    where: string,
    nodeOpsets: Map<string, number>,
    callerAttrs?: Attribute[],
  ): (ValueFacts | undefined)[] {
    const result = this.result;
    const label = nodeLabel(node, index);
    const names = node.inputs;
    const inputs = new Array<ValueFacts | undefined>(names.length);
    for (let i = 0; i < names.length; i++) {
      const f = names[i] === '' ? undefined : scope.get(names[i]);
      if (f === undefined && names[i] !== '') this.missingInputs++;
      inputs[i] = f;
    }
    if (this.foldingSpent) for (let i = 0; i < inputs.length; i++) inputs[i] = this.unfolded(inputs[i]);
    this.lastInputs = inputs;
    // Inside a function body, attributes may refer to the calling node's attributes.
    const attrs = callerAttrs
      ? node.attributes.map((a) =>
          a.refAttrName ? { ...(callerAttrs.find((c) => c.name === a.refAttrName) ?? a), name: a.name } : a,
        )
      : node.attributes;
    if (this.functions.size) {
      const fn = this.functions.get(`${node.domain}\u0000${node.opType}\u0000${node.overload ?? ''}`);
      if (fn) return this.inferFunctionCall(fn, node, inputs, where, label);
    }

    const domain = normalizeDomain(node.domain);
    const opset = nodeOpsets.get(domain) ?? 0;
    const rule = findRule(domain, node.opType, opset);
    if (!rule) {
      const k = domain ? `${domain}.${node.opType}` : node.opType;
      if (!result.unsupported[k]) {
        result.warnings.push({
          code: 'unsupported-op',
          message: `no shape rule for operator ${k}: outputs of '${label}' are unknown`,
          node: label,
          opType: k,
          where,
        });
      }
      result.unsupported[k] = (result.unsupported[k] ?? 0) + 1;
      return [];
    }
    const ctx = new NodeContext(node, opset, inputs, attrs, this, scope, where, label, nodeOpsets);
    try {
      return rule.infer(ctx);
    } catch (err) {
      result.warnings.push({
        code: 'rule-failed',
        message: `cannot infer outputs of '${label}' (${node.opType}): ${err instanceof Error ? err.message : String(err)}`,
        node: label,
        opType: node.opType,
        where,
      });
      return [];
    }
  }

  private inferFunctionCall(
    fn: FunctionDef,
    node: Node,
    inputs: (ValueFacts | undefined)[],
    where: string,
    label: string,
  ): (ValueFacts | undefined)[] {
    if (this.activeFunctions.has(fn)) {
      this.result.warnings.push({
        code: 'function-recursion',
        message: `function ${fn.domain}.${fn.name} calls itself (through '${label}'); its outputs are unknown`,
        node: label,
        where,
      });
      return [];
    }
    this.activeFunctions.add(fn);
    try {
      const scope = new Scope();
      fn.inputs.forEach((name, i) => {
        const f = inputs[i];
        if (name && f) scope.local.set(name, f);
      });
      const fnOpsets = new Map(this.opsets);
      for (const o of fn.opsetImports) fnOpsets.set(normalizeDomain(o.domain), o.version);
      const attrs = [
        ...fn.attributeDefaults.filter((d) => !node.attributes.some((a) => a.name === d.name)),
        ...node.attributes,
      ];
      const fnWhere = `${where}${label}/${fn.name}/`;
      fn.nodes.forEach((n, i) => {
        const outs = this.inferNode(n, i, scope, fnWhere, fnOpsets, attrs);
        n.outputs.forEach((o, k) => {
          if (o) scope.local.set(o, this.bounded(outs[k] ?? unknown(), true));
        });
      });
      return fn.outputs.map((o) => scope.get(o));
    } finally {
      this.activeFunctions.delete(fn);
    }
  }

  inferGraph(
    g: Graph,
    parent: Scope | undefined,
    where: string,
    graphOpsets: Map<string, number>,
    formalInputs?: (ValueFacts | undefined)[],
  ): ValueFacts[] {
    const options = this.options;
    const scope = new Scope(parent);
    const local = scope.local;
    const top = parent === undefined;
    const initNames = initializedInputs(g);
    g.inputs.forEach((v, i) => {
      if (initNames.has(v.name)) return;
      let f: ValueFacts;
      const given = formalInputs?.[i];
      if (given && (given.kind !== 'tensor' || !v.type || isKnownTensor(given))) f = given;
      else f = factsFromType(v.type, 'input');
      if (top && f.kind === 'tensor') {
        const override = options.inputShapes?.[v.name];
        if (override) f = { ...f, shape: [...override] };
        if (f.shape) f = { ...f, shape: this.applyDims(f.shape) };
      }
      local.set(v.name, this.bounded(f, false));
    });
    for (const t of g.initializers) local.set(t.name, this.bounded(tensorFacts(t, this.valueBudget), false));
    for (const s of g.sparseInitializers) {
      const f: TensorFacts = { kind: 'tensor', dtype: s.values.dataType, shape: [...s.dims], origin: 'constant' };
      local.set(s.values.name, this.bounded(f, false));
    }
    const declared = new Map<string, TypeInfo | undefined>();
    if (options.useDeclared !== false) {
      for (const v of g.valueInfo) declared.set(v.name, v.type);
      for (const v of g.outputs) declared.set(v.name, v.type);
    }

    const nodes = g.nodes;
    const optimistic = this.optimistic && top;
    const order = optimistic ? undefined : topologicalOrder(nodes);
    this.orders?.set(g, order ?? identityOrder(nodes.length));
    let producers: Map<string, number> | undefined;
    const record = top ? this.mainNodes : undefined;
    if (record) record.length = nodes.length;
    for (let j = 0; j < nodes.length; j++) {
      const i = order ? order[j] : j;
      const node = nodes[i];
      const missingBefore = this.missingInputs;
      const outs = this.inferNode(node, i, scope, where, graphOpsets);
      const stored: (ValueFacts | undefined)[] | undefined = record ? new Array(node.outputs.length) : undefined;
      if (record) record[i] = { inputs: this.lastInputs, outputs: stored as (ValueFacts | undefined)[] };
      if (optimistic && this.missingInputs !== missingBefore) {
        // An input nothing defines yet: fine when no node produces it (dangling) or only this one does, but a
        // later producer means the file order is not topological.
        producers ??= producerIndex(nodes);
        for (const name of node.inputs) {
          const p = name === '' || local.has(name) ? undefined : producers.get(name);
          if (p !== undefined && p > i) throw new NotInOrder();
        }
      }
      const outNames = node.outputs;
      for (let k = 0; k < outNames.length; k++) {
        const name = outNames[k];
        if (!name) continue;
        let f = outs[k];
        const decl = declared.size ? declared.get(name) : undefined;
        if (decl) f = withDeclared(f, factsFromType(decl, 'declared'));
        const before = local.size;
        const kept = this.bounded(f ?? unknown(), true);
        local.set(name, kept);
        if (stored) stored[k] = kept;
        // A value defined twice (or a node output named like an input or initializer): sort as usual.
        if (optimistic && local.size === before) throw new NotInOrder();
      }
    }
    this.result.graphs.set(g, local);
    return g.outputs.map((o) => scope.get(o.name) ?? unknown());
  }
}

/** What a caller that walks the same graphs afterwards (cost.ts) can reuse of the inference's own walk. */
export interface InferenceWalk {
  /** Receives the order in which the nodes of each graph inferred were visited (producers first). */
  orders: Map<Graph, number[]>;
  /**
   * Set to true when the main graph's nodes were already in topological order and every value of the main graph
   * (inputs, initializers, node outputs) is defined once.
   */
  mainGraphInOrder?: boolean;
  /**
   * When given, receives by node index the facts of each main-graph node's inputs and outputs as the inference saw
   * and kept them (undefined for an omitted one); they equal the facts looked up by name afterwards when
   * `mainGraphInOrder` is set, except that an input's folded `value` may be left out once the folding budget is spent.
   */
  mainNodes?: NodeFacts[];
}

export interface NodeFacts {
  inputs: (ValueFacts | undefined)[];
  outputs: (ValueFacts | undefined)[];
}

/** `walk`, when given, receives what the inference learnt of the graphs' order (see InferenceWalk). */
export function inferShapes(model: Model, options: InferOptions = {}, walk?: InferenceWalk): ShapeInference {
  const orders = walk?.orders;
  let run = new Inference(model, options, orders, true, walk?.mainNodes);
  try {
    run.inferGraph(model.graph, undefined, '', run.opsets);
    if (walk) walk.mainGraphInOrder = true;
  } catch (err) {
    if (!(err instanceof NotInOrder)) throw err;
    orders?.clear();
    run = new Inference(model, options, orders, false, walk?.mainNodes);
    run.inferGraph(model.graph, undefined, '', run.opsets);
  }
  const result = run.result;
  result.values = result.graphs.get(model.graph) ?? new Map();
  return result;
}

/**
 * Completes inferred facts with what the model declares: an unknown value takes the declared facts; a tensor with
 * an unknown type, rank or dimension takes those from the declaration (same rank only). Inferred knowledge wins where
 * both have it; the origin says 'declared' when anything was taken from the declaration.
 */
function withDeclared(f: ValueFacts | undefined, d: ValueFacts): ValueFacts | undefined {
  if (d.kind === 'unknown') return f;
  if (!f || f.kind === 'unknown') return d;
  if (f.kind !== 'tensor' || d.kind !== 'tensor') return f;
  let shape = f.shape;
  let filled = false;
  if (!shape && d.shape) {
    shape = d.shape;
    filled = true;
  } else if (shape && d.shape && shape.length === d.shape.length && shape.some((x) => x === null)) {
    const ds = d.shape;
    shape = shape.map((x, i) => (x === null ? ds[i] : x));
    filled = shape.some((x, i) => x !== f.shape?.[i]);
  }
  if (f.dtype === undefined && d.dtype !== undefined) filled = true;
  if (!filled) return f;
  return { ...f, dtype: f.dtype ?? d.dtype, ...(shape ? { shape } : {}), origin: 'declared' };
}

/** Thrown by an optimistic walk of the main graph that finds it not in topological order. */
class NotInOrder extends Error {}

function identityOrder(n: number): number[] {
  // A plain loop: Array.from with a callback is several times slower on graphs of tens of thousands of nodes.
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** The node producing each value (the last one, when several do). */
function producerIndex(nodes: Node[]): Map<string, number> {
  const producer = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) {
    for (const o of nodes[i].outputs) if (o) producer.set(o, i);
  }
  return producer;
}

/** Node indices with producers first; the given order when it already is one or when there is a cycle. */
function topologicalOrder(nodes: Node[]): number[] {
  const producer = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) {
    for (const o of nodes[i].outputs) if (o) producer.set(o, i);
  }
  let sorted = true;
  for (let i = 0; i < nodes.length && sorted; i++) {
    for (const input of nodes[i].inputs) {
      const p = producer.get(input);
      if (p !== undefined && p > i) sorted = false;
    }
  }
  const identity = () => identityOrder(nodes.length);
  if (sorted) return identity();
  const indegree = new Int32Array(nodes.length);
  const users: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const input of n.inputs) {
      const p = producer.get(input);
      if (p !== undefined && p !== i) {
        indegree[i]++;
        users[p].push(i);
      }
    }
  });
  const queue: number[] = [];
  indegree.forEach((d, i) => {
    if (d === 0) queue.push(i);
  });
  for (let q = 0; q < queue.length; q++) {
    for (const u of users[queue[q]]) if (--indegree[u] === 0) queue.push(u);
  }
  return queue.length === nodes.length ? queue : identity();
}
