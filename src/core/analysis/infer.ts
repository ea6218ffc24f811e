/**
 * Static shape and type inference over a whole model, subgraphs and model-local functions included.
 * Never throws for a model's content: an operator without a rule, or a rule that fails, leaves its outputs unknown
 * (or as the model declares them) and adds a warning that names the node and the operator.
 */

import type { Attribute, Dim, FunctionDef, Graph, Model, Node, Tensor, TypeInfo } from '../onnx/ir.js';
import { normalizeDomain } from '../onnx/ir.js';
import { nodeLabel } from '../onnx/validate.js';
import { constValueOf } from './constants.js';
import { type TensorFacts, unknown, type ValueFacts } from './facts.js';
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

class Scope {
  readonly local = new Map<string, ValueFacts>();
  constructor(private readonly parent?: Scope) {}
  get(name: string): ValueFacts | undefined {
    return this.local.get(name) ?? this.parent?.get(name);
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

function tensorFacts(t: Tensor): TensorFacts {
  const f: TensorFacts = { kind: 'tensor', dtype: t.dataType, shape: [...t.dims], origin: 'constant' };
  const v = constValueOf(t);
  if (v) f.value = v;
  return f;
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

export function inferShapes(model: Model, options: InferOptions = {}): ShapeInference {
  const result: ShapeInference = { graphs: new Map(), values: new Map(), warnings: [], unsupported: {} };
  const opsets = new Map(model.opsetImports.map((o) => [normalizeDomain(o.domain), o.version]));
  const functions = new Map(model.functions.map((f) => [`${f.domain}\u0000${f.name}\u0000${f.overload ?? ''}`, f]));
  const activeFunctions = new Set<FunctionDef>();

  const applyDims = (shape: Dim[]): Dim[] =>
    shape.map((d) => (typeof d === 'string' && options.dims && d in options.dims ? options.dims[d] : d));

  const inferNode = (
    node: Node,
    index: number,
    scope: Scope,
    where: string,
    nodeOpsets: Map<string, number>,
    callerAttrs?: Attribute[],
  ): (ValueFacts | undefined)[] => {
    const label = nodeLabel(node, index);
    const inputs = node.inputs.map((n) => (n === '' ? undefined : scope.get(n)));
    // Inside a function body, attributes may refer to the calling node's attributes.
    const attrs = callerAttrs
      ? node.attributes.map((a) =>
          a.refAttrName ? { ...(callerAttrs.find((c) => c.name === a.refAttrName) ?? a), name: a.name } : a,
        )
      : node.attributes;
    const findAttr = (name: string) => attrs.find((a) => a.name === name);
    const fn = functions.get(`${node.domain}\u0000${node.opType}\u0000${node.overload ?? ''}`);
    if (fn) return inferFunctionCall(fn, node, inputs, where, label);

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
    const tensorAt = (i: number): TensorFacts | undefined => {
      const f = inputs[i];
      return f?.kind === 'tensor' ? f : undefined;
    };
    const ctx: InferContext = {
      node,
      opset,
      inputs,
      tensor: tensorAt,
      shape: (i) => tensorAt(i)?.shape,
      dtype: (i) => tensorAt(i)?.dtype,
      value: (i) => tensorAt(i)?.value,
      has: (i) => i < node.inputs.length && node.inputs[i] !== '',
      attr: findAttr,
      int: ((name: string, fallback?: number) => attrToNumber(findAttr(name)) ?? fallback) as InferContext['int'],
      ints: (name) => {
        const a = findAttr(name);
        return a?.type === 'ints' ? a.value.map(Number) : a?.type === 'int' ? [Number(a.value)] : undefined;
      },
      float: (name, fallback) => attrToNumber(findAttr(name)) ?? fallback,
      floats: (name) => {
        const a = findAttr(name);
        return a?.type === 'floats' ? a.value : a?.type === 'ints' ? a.value.map(Number) : undefined;
      },
      string: ((name: string, fallback?: string) => {
        const a = findAttr(name);
        return a?.type === 'string' ? a.value : fallback;
      }) as InferContext['string'],
      graph: (name) => {
        const a = findAttr(name);
        return a?.type === 'graph' ? a.value : undefined;
      },
      inferGraph: (g, graphInputs) => inferGraph(g, scope, `${where}${label}/`, nodeOpsets, graphInputs),
      warn: (message) =>
        result.warnings.push({ code: 'rule-failed', message: `'${label}': ${message}`, node: label, where }),
    };
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
  };

  const inferFunctionCall = (
    fn: FunctionDef,
    node: Node,
    inputs: (ValueFacts | undefined)[],
    where: string,
    label: string,
  ): (ValueFacts | undefined)[] => {
    if (activeFunctions.has(fn)) {
      result.warnings.push({
        code: 'function-recursion',
        message: `function ${fn.domain}.${fn.name} calls itself (through '${label}'); its outputs are unknown`,
        node: label,
        where,
      });
      return [];
    }
    activeFunctions.add(fn);
    try {
      const scope = new Scope();
      fn.inputs.forEach((name, i) => {
        const f = inputs[i];
        if (name && f) scope.local.set(name, f);
      });
      const fnOpsets = new Map(opsets);
      for (const o of fn.opsetImports) fnOpsets.set(normalizeDomain(o.domain), o.version);
      const attrs = [
        ...fn.attributeDefaults.filter((d) => !node.attributes.some((a) => a.name === d.name)),
        ...node.attributes,
      ];
      const fnWhere = `${where}${label}/${fn.name}/`;
      fn.nodes.forEach((n, i) => {
        const outs = inferNode(n, i, scope, fnWhere, fnOpsets, attrs);
        n.outputs.forEach((o, k) => {
          if (o) scope.local.set(o, outs[k] ?? unknown());
        });
      });
      return fn.outputs.map((o) => scope.get(o));
    } finally {
      activeFunctions.delete(fn);
    }
  };

  const inferGraph = (
    g: Graph,
    parent: Scope | undefined,
    where: string,
    graphOpsets: Map<string, number>,
    formalInputs?: (ValueFacts | undefined)[],
  ): ValueFacts[] => {
    const scope = new Scope(parent);
    const top = parent === undefined;
    const initNames = new Set(g.initializers.map((t) => t.name));
    g.inputs.forEach((v, i) => {
      if (initNames.has(v.name)) return;
      let f: ValueFacts;
      const given = formalInputs?.[i];
      if (given && (given.kind !== 'tensor' || !v.type || isKnownTensor(given))) f = given;
      else f = factsFromType(v.type, 'input');
      if (top && f.kind === 'tensor') {
        const override = options.inputShapes?.[v.name];
        if (override) f = { ...f, shape: [...override] };
        if (f.shape) f = { ...f, shape: applyDims(f.shape) };
      }
      scope.local.set(v.name, f);
    });
    for (const t of g.initializers) scope.local.set(t.name, tensorFacts(t));
    for (const s of g.sparseInitializers) {
      scope.local.set(s.values.name, {
        kind: 'tensor',
        dtype: s.values.dataType,
        shape: [...s.dims],
        origin: 'constant',
      });
    }
    const declared = new Map<string, TypeInfo | undefined>();
    for (const v of g.valueInfo) declared.set(v.name, v.type);
    for (const v of g.outputs) declared.set(v.name, v.type);

    for (const i of topologicalOrder(g.nodes)) {
      const node = g.nodes[i];
      const outs = inferNode(node, i, scope, where, graphOpsets);
      node.outputs.forEach((name, k) => {
        if (!name) return;
        let f = outs[k];
        const decl = options.useDeclared === false ? undefined : declared.get(name);
        if (decl) f = withDeclared(f, factsFromType(decl, 'declared'));
        scope.local.set(name, f ?? unknown());
      });
    }
    result.graphs.set(g, scope.local);
    return g.outputs.map((o) => scope.get(o.name) ?? unknown());
  };

  inferGraph(model.graph, undefined, '', opsets);
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

/** Node indices with producers first; the given order when it already is one or when there is a cycle. */
function topologicalOrder(nodes: Node[]): number[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o) producer.set(o, i);
  });
  let sorted = true;
  nodes.forEach((n, i) => {
    for (const input of n.inputs) {
      const p = producer.get(input);
      if (p !== undefined && p > i) sorted = false;
    }
  });
  if (sorted) return nodes.map((_, i) => i);
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
  return queue.length === nodes.length ? queue : nodes.map((_, i) => i);
}
