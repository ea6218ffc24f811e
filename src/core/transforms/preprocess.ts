/**
 * Pre-processing the other transforms need, each step optional:
 *
 * - **Remove no-op nodes**: Identity, Dropout in inference (no training_mode, or a constant false one, and its
 *   mask unused), Cast to the type its input already has. Graph outputs keep their names: when a removed node
 *   writes a graph output, the value feeding it is renamed instead (or, when that value is a graph input or an
 *   initializer, the node is kept and a note says so).
 * - **Fold constants**: nodes whose inputs are all constant (initializers no feed can override, Constant nodes,
 *   outputs of other such nodes) are computed once and replaced by initializers, by the built-in evaluator
 *   (constantEval.ts) or by the `evaluate` function given (e.g. ONNX Runtime). Never folded: Quantize/Dequantize
 *   nodes (they are what keeps a quantized model's weights quantized), random generators, nodes with subgraphs,
 *   other domains, graph outputs, and nodes that would store a larger tensor than they read (beyond 4096 elements).
 * - **Fold BatchNormalization** (inference mode) into the Conv or Gemm before it, when that node's output feeds
 *   nothing else: W' = W·s, b' = (b − mean)·s + β with s = γ / √(var + ε), computed in float64 and stored at the
 *   weight's type.
 * - **Remove dead nodes** (whose outputs nothing reads) and initializers nothing reads.
 */

import { inferShapes } from '../analysis/infer.js';
import { DataType } from '../onnx/dtype.js';
import type { ExternalDataSource } from '../onnx/externalData.js';
import type { Graph, Model, Node, Tensor } from '../onnx/ir.js';
import { normalizeDomain, opsetVersion } from '../onnx/ir.js';
import { elementCount } from '../onnx/tensor.js';
import {
  type ConstValue,
  constantNodeTensor,
  evaluableOps,
  evaluateNode,
  NotEvaluable,
  tensorOfValue,
  valueOfTensor,
} from './constantEval.js';
import {
  detachWeightInputs,
  editableCopy,
  emptyReport,
  FLOAT_TYPES,
  floatAttr,
  floatValues,
  freshName,
  GraphIndex,
  intAttr,
  namesInUse,
  replaceUses,
  setAttr,
  subgraphsOf,
  tensorBytes,
} from './graphEdit.js';
import type { TransformReport, TransformResult } from './types.js';

/**
 * Computes the values of a constant subgraph: `model` has no inputs, its nodes read only its initializers, and
 * the result must hold a tensor for each of its graph outputs (by name).
 */
export type ConstantEvaluator = (model: Model) => Promise<Map<string, Tensor>>;

export interface PreprocessOptions {
  /** Remove Identity, inference Dropout and same-type Cast (default true). */
  removeIdentities?: boolean;
  /** Fold nodes whose inputs are all constant (default true). */
  foldConstants?: boolean;
  /** Fold BatchNormalization into a preceding Conv or Gemm (default true). */
  foldBatchNorm?: boolean;
  /** Remove nodes and initializers nothing reads (default true). */
  removeDeadNodes?: boolean;
  /** Evaluates constant subgraphs the built-in evaluator cannot (for example in ONNX Runtime). */
  evaluate?: ConstantEvaluator;
  /**
   * A folded value larger than the constants it is computed from (ConstantOfShape, Expand, Tile…) is stored only up
   * to this many elements (default 4096): a model that generates its weights at run time stays small.
   */
  maxFoldedElements?: number;
}

/** Ops never folded even when their inputs are constant. */
const neverFold = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
  'If',
  'Loop',
  'Scan',
]);

export async function preprocessModel(
  model: Model,
  options: PreprocessOptions = {},
  source?: ExternalDataSource,
): Promise<TransformResult> {
  const report = emptyReport('preprocess');
  const out = editableCopy(model);
  const restoreInputs = detachWeightInputs(out);
  const g = out.graph;
  const changed = new Set<string>();
  if (options.removeIdentities ?? true) removeNoOps(out, report, changed);
  if (options.foldConstants ?? true) await foldConstants(out, options, report, changed, source);
  if (options.foldBatchNorm ?? true) await foldBatchNorms(g, report, changed, source);
  if (options.removeDeadNodes ?? true) removeDead(g, report, changed);
  pruneValueInfo(g);
  restoreInputs();
  report.changedNodes = [...changed];
  if (!report.notes.length) report.notes.push('nothing to pre-process: the model is unchanged');
  return { model: out, report };
}

const label = (n: Node, i: number) => n.name || `${n.opType}#${i}`;

// ---------------------------------------------------------------------------------------------------------------
// No-op nodes

function isStd(n: Node): boolean {
  return normalizeDomain(n.domain) === '';
}

function removeNoOps(model: Model, report: TransformReport, changed: Set<string>): void {
  const g = model.graph;
  const idx = new GraphIndex(g);
  const facts = inferShapes(model).values;
  const outputs = new Set(g.outputs.map((o) => o.name));
  const producer = new Map(idx.producer);
  const removed = new Set<Node>();
  const counts: Record<string, number> = {};
  const isConstFalse = (name: string) => {
    const t = idx.constantTensor(name);
    if (!t) return false;
    const v = t.data.kind === 'raw' ? t.data.bytes : undefined;
    return v !== undefined && v.length === 1 && v[0] === 0;
  };
  for (const i of idx.order) {
    const n = g.nodes[i];
    if (!isStd(n) || !n.inputs[0] || !n.outputs[0]) continue;
    let noop = false;
    if (n.opType === 'Identity') noop = true;
    else if (n.opType === 'Dropout') {
      const training = n.inputs[2];
      const maskUsed = !!n.outputs[1] && (idx.usesOf(n.outputs[1]).length > 0 || outputs.has(n.outputs[1]));
      noop = (!training || isConstFalse(training)) && !maskUsed;
    } else if (n.opType === 'Cast') {
      const f = facts.get(n.inputs[0]);
      noop = f?.kind === 'tensor' && f.dtype !== undefined && f.dtype === intAttr(n, 'to', -1);
    }
    if (!noop) continue;
    const x = n.inputs[0];
    const y = n.outputs[0];
    const lbl = label(n, i);
    if (!outputs.has(y)) {
      replaceUses(g, y, x);
      producer.delete(y);
    } else {
      const p = producer.get(x);
      if (p === undefined || outputs.has(x)) {
        report.notes.push(
          `kept ${n.opType} '${lbl}': it connects '${x}' (a graph input or initializer) to the graph output '${y}'`,
        );
        continue;
      }
      // The graph output keeps its name: the value feeding the removed node takes it.
      const pn = g.nodes[p];
      pn.outputs = pn.outputs.map((o) => (o === x ? y : o));
      replaceUses(g, x, y);
      producer.set(y, p);
      producer.delete(x);
    }
    removed.add(n);
    changed.add(lbl);
    counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  }
  if (removed.size) {
    g.nodes = g.nodes.filter((n) => !removed.has(n));
    const what = Object.entries(counts).map(([op, c]) => `${c} ${op}`);
    report.notes.push(`removed ${removed.size} no-op node${removed.size === 1 ? '' : 's'} (${what.join(', ')})`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Constant folding

async function foldConstants(
  model: Model,
  options: PreprocessOptions,
  report: TransformReport,
  changed: Set<string>,
  source?: ExternalDataSource,
): Promise<void> {
  const g = model.graph;
  const idx = new GraphIndex(g);
  const facts = inferShapes(model).values;
  const opset = opsetVersion(model, '') ?? 1;
  const maxElements = options.maxFoldedElements ?? 4096;
  const constOut = new Set<string>();
  const isConst = (name: string) => name === '' || constOut.has(name) || idx.constantTensor(name) !== undefined;
  const elements = (name: string): number | undefined => {
    const t = idx.constantTensor(name);
    if (t) return elementCount(t.dims);
    const f = facts.get(name);
    if (f?.kind !== 'tensor' || !f.shape || f.shape.some((d) => typeof d !== 'number')) return undefined;
    return elementCount(f.shape as number[]);
  };
  const foldable: number[] = [];
  for (const i of idx.order) {
    const n = g.nodes[i];
    if (!isStd(n) || neverFold.has(n.opType) || subgraphsOf(n).length) continue;
    if (!n.inputs.every(isConst)) continue;
    if (n.outputs.some((o) => idx.graphOutputs.has(o))) continue;
    if (n.opType !== 'Constant') {
      const inElems = n.inputs.reduce((s, x) => s + (x ? (elements(x) ?? 0) : 0), 0);
      const outElems = n.outputs.map((o) => (o ? elements(o) : 0));
      if (outElems.some((e) => e === undefined || (e > maxElements && e > inElems))) continue;
    }
    foldable.push(i);
    for (const o of n.outputs) if (o) constOut.add(o);
  }
  if (!foldable.length) return;
  const foldSet = new Set(foldable);
  // Values of folded nodes that something else still reads: these become initializers.
  const frontier = (folded: Set<number>) => {
    const names: string[] = [];
    for (const i of folded) {
      for (const o of g.nodes[i].outputs) {
        if (o && idx.usesOf(o).some((u) => !folded.has(u.node))) names.push(o);
      }
    }
    return names;
  };

  let values = new Map<string, Tensor>();
  let folded = new Set<number>();
  if (options.evaluate) {
    const wanted = frontier(foldSet);
    try {
      values = await options.evaluate(await constantSubgraph(model, idx, foldable, wanted, source));
      const missing = wanted.filter((name) => !values.has(name));
      if (missing.length) throw new Error(`no value for ${missing.join(', ')}`);
      folded = foldSet;
    } catch (err) {
      values = new Map();
      report.warnings.push(
        `the constant evaluator failed (${err instanceof Error ? err.message : String(err)}); using the built-in one`,
      );
    }
  }
  if (!folded.size) {
    const computed = new Map<string, ConstValue>();
    const skipped = new Map<string, number>();
    for (const i of foldable) {
      const n = g.nodes[i];
      try {
        if (n.opType === 'Constant') {
          const t = await constantNodeTensor(n, n.outputs[0]);
          values.set(n.outputs[0], t);
          folded.add(i);
          continue;
        }
        if (!evaluableOps.has(n.opType)) throw new NotEvaluable(n.opType);
        const ins: (ConstValue | undefined)[] = [];
        for (const x of n.inputs) {
          if (!x) {
            ins.push(undefined);
            continue;
          }
          let v = computed.get(x);
          if (!v) {
            const t = idx.constantTensor(x) ?? values.get(x);
            if (!t) throw new NotEvaluable(`input '${x}' was not computed`);
            const stored =
              t.data.kind === 'external'
                ? { ...t, data: { kind: 'raw' as const, bytes: await tensorBytes(t, source) } }
                : t;
            v = await valueOfTensor(stored);
            computed.set(x, v);
          }
          ins.push(v);
        }
        const outs = await evaluateNode(n, ins, opset);
        n.outputs.forEach((o, k) => {
          if (o && outs[k]) computed.set(o, outs[k]);
        });
        folded.add(i);
      } catch (err) {
        if (!(err instanceof NotEvaluable)) throw err;
        skipped.set(n.opType, (skipped.get(n.opType) ?? 0) + 1);
      }
    }
    for (const name of frontier(folded)) {
      if (values.has(name)) continue;
      const v = computed.get(name);
      if (v) values.set(name, tensorOfValue(name, v));
    }
    if (skipped.size) {
      const list = [...skipped].map(([op, c]) => `${c} ${op}`).join(', ');
      report.notes.push(
        `not folded (the built-in evaluator does not compute them; give an evaluator such as ONNX Runtime): ${list}`,
      );
    }
  }
  const needed = frontier(folded);
  const missing = needed.filter((name) => !values.has(name));
  if (missing.length) {
    report.warnings.push(`constant folding produced no value for ${missing.join(', ')}; nothing was folded`);
    return;
  }
  if (!folded.size) return;
  for (const name of needed) {
    const t = values.get(name) as Tensor;
    g.initializers.push({ ...t, name });
  }
  for (const i of folded) changed.add(label(g.nodes[i], i));
  g.nodes = g.nodes.filter((_, i) => !folded.has(i));
  report.notes.push(
    `folded ${folded.size} constant node${folded.size === 1 ? '' : 's'} into ${needed.length} initializer${needed.length === 1 ? '' : 's'}`,
  );
}

/** A model holding the constant nodes and the initializers they read, whose outputs are `outputs`. */
async function constantSubgraph(
  model: Model,
  idx: GraphIndex,
  nodes: number[],
  outputs: string[],
  source?: ExternalDataSource,
): Promise<Model> {
  const g = model.graph;
  const inits = new Map<string, Tensor>();
  for (const i of nodes) {
    for (const x of g.nodes[i].inputs) {
      const t = x ? idx.constantTensor(x) : undefined;
      if (t && !inits.has(x)) {
        inits.set(
          x,
          t.data.kind === 'external' ? { ...t, data: { kind: 'raw', bytes: await tensorBytes(t, source) } } : t,
        );
      }
    }
  }
  const graph: Graph = {
    name: 'constants',
    nodes: nodes.map((i) => g.nodes[i]),
    inputs: [],
    outputs: outputs.map((name) => ({ name })),
    valueInfo: [],
    initializers: [...inits.values()],
    sparseInitializers: [],
    quantizationAnnotation: [],
  };
  return { ...model, graph, functions: model.functions, trainingInfo: [] };
}

// ---------------------------------------------------------------------------------------------------------------
// BatchNormalization folding

async function foldBatchNorms(
  g: Graph,
  report: TransformReport,
  changed: Set<string>,
  source?: ExternalDataSource,
): Promise<void> {
  const idx = new GraphIndex(g);
  const taken = namesInUse(g);
  const removed = new Set<number>();
  let count = 0;
  for (const bi of idx.order) {
    const bn = g.nodes[bi];
    if (!isStd(bn) || bn.opType !== 'BatchNormalization') continue;
    if (intAttr(bn, 'training_mode', 0) !== 0) continue;
    if (bn.outputs.slice(1).some((o) => o && (idx.usesOf(o).length || idx.graphOutputs.has(o)))) continue;
    const x = bn.inputs[0];
    const pi = idx.producer.get(x);
    if (pi === undefined || removed.has(pi)) continue;
    const p = g.nodes[pi];
    if (!isStd(p) || (p.opType !== 'Conv' && p.opType !== 'Gemm')) continue;
    if (idx.usesOf(x).length !== 1 || idx.graphOutputs.has(x) || p.outputs.length !== 1) continue;
    const params = bn.inputs.slice(1, 5).map((name) => idx.constantTensor(name));
    const w = idx.constantTensor(p.inputs[1]);
    if (!w || params.some((t) => !t) || !FLOAT_TYPES.has(w.dataType)) continue;
    if ((params as Tensor[]).some((t) => !FLOAT_TYPES.has(t.dataType))) continue;
    const [gamma, beta, mean, variance] = await Promise.all((params as Tensor[]).map((t) => floatValues(t, source)));
    const c = gamma.length;
    if ([beta, mean, variance].some((v) => v.length !== c)) continue;
    const eps = floatAttr(bn, 'epsilon', 1e-5);
    const s = Float64Array.from(gamma, (gm, k) => gm / Math.sqrt(variance[k] + eps));
    const wv = await floatValues(w, source);
    let newW: Float64Array;
    let newBias: Float64Array;
    const lbl = label(p, pi);
    if (p.opType === 'Conv') {
      if (w.dims[0] !== c) continue;
      const per = wv.length / c;
      newW = Float64Array.from(wv, (v, k) => v * s[Math.floor(k / per)]);
      const bT = p.inputs[2] ? idx.constantTensor(p.inputs[2]) : undefined;
      if (p.inputs[2] && !bT) continue;
      const b = bT ? await floatValues(bT, source) : new Float64Array(c);
      if (b.length !== c) continue;
      newBias = Float64Array.from(s, (sk, k) => (b[k] - mean[k]) * sk + beta[k]);
    } else {
      // Gemm: Y = alpha·A·B' + beta·C, channels along B's N axis.
      const transB = intAttr(p, 'transB', 0) === 1;
      if (w.dims.length !== 2 || (transB ? w.dims[0] : w.dims[1]) !== c) continue;
      const cols = w.dims[1];
      newW = Float64Array.from(wv, (v, k) => v * s[transB ? Math.floor(k / cols) : k % cols]);
      const gemmBeta = floatAttr(p, 'beta', 1);
      let cv: Float64Array = new Float64Array(c);
      if (p.inputs[2]) {
        const cT = idx.constantTensor(p.inputs[2]);
        if (!cT || !FLOAT_TYPES.has(cT.dataType)) continue;
        const n = elementCount(cT.dims);
        const vals = await floatValues(cT, source);
        if (n === 1) cv.fill(vals[0]);
        else if (n === c && cT.dims[cT.dims.length - 1] === c) cv = Float64Array.from(vals);
        else continue;
      }
      newBias = Float64Array.from(s, (sk, k) => (gemmBeta * cv[k] - mean[k]) * sk + beta[k]);
      setAttr(p, { name: 'beta', type: 'float', value: 1 });
    }
    // A weight (bias) that only this node reads is replaced under its own name: the layer keeps the tensor names
    // users know, and no longer names repeat in every later transform of the model.
    const own = (name: string | undefined) =>
      !!name && idx.usesOf(name).length === 1 && !idx.graphOutputs.has(name) && !idx.overridable.has(name);
    const oldBias = p.inputs[2] ? idx.constantTensor(p.inputs[2]) : undefined;
    const reuse = new Set<Tensor>();
    if (own(w.name)) reuse.add(w);
    if (oldBias && own(oldBias.name)) reuse.add(oldBias);
    if (reuse.size) g.initializers = g.initializers.filter((t) => !reuse.has(t));
    const wName = reuse.has(w) ? w.name : freshName(taken, `${w.name}_bnfold`);
    // A bias the layer did not have gets a short name (it is written once per reference, in every later transform).
    const bName =
      oldBias && reuse.has(oldBias) ? oldBias.name : freshName(taken, oldBias ? `${oldBias.name}_bnfold` : 'b');
    g.initializers.push(floatTensorOf(wName, w.dataType, w.dims, newW));
    g.initializers.push(floatTensorOf(bName, w.dataType, [c], newBias));
    p.inputs[1] = wName;
    if (p.inputs.length < 3) p.inputs.push(bName);
    else p.inputs[2] = bName;
    p.outputs[0] = bn.outputs[0];
    removed.add(bi);
    changed.add(lbl);
    changed.add(label(bn, bi));
    count++;
  }
  if (!removed.size) return;
  g.nodes = g.nodes.filter((_, i) => !removed.has(i));
  report.notes.push(`folded ${count} BatchNormalization node${count === 1 ? '' : 's'} into the Conv/Gemm before it`);
}

function floatTensorOf(name: string, dataType: number, dims: number[], values: Float64Array): Tensor {
  return tensorOfValue(name, {
    dtype: dataType === DataType.DOUBLE ? DataType.DOUBLE : dataType,
    dims: [...dims],
    data: Array.from(values),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Dead code

/** Removes nodes whose outputs nothing reads and initializers nothing reads (not those listed as graph inputs). */
export function removeDead(g: Graph, report: TransformReport, changed: Set<string>): void {
  const idx = new GraphIndex(g);
  const readers = new Map<string, number>();
  const reads: string[][] = g.nodes.map(() => []);
  for (const [name, uses] of idx.uses) {
    readers.set(name, uses.length);
    for (const u of uses) reads[u.node].push(name);
  }
  const dead = new Set<number>();
  for (const i of [...idx.order].reverse()) {
    const n = g.nodes[i];
    const live = n.outputs.some((o) => o && ((readers.get(o) ?? 0) > 0 || idx.graphOutputs.has(o)));
    if (live) continue;
    dead.add(i);
    for (const x of reads[i]) readers.set(x, (readers.get(x) ?? 1) - 1);
  }
  if (dead.size) {
    for (const i of dead) changed.add(label(g.nodes[i], i));
    g.nodes = g.nodes.filter((_, i) => !dead.has(i));
    report.notes.push(`removed ${dead.size} node${dead.size === 1 ? '' : 's'} whose outputs nothing reads`);
  }
  const after = new GraphIndex(g);
  const before = g.initializers.length;
  g.initializers = g.initializers.filter(
    (t) => after.usesOf(t.name).length > 0 || after.graphOutputs.has(t.name) || after.overridable.has(t.name),
  );
  const dropped = before - g.initializers.length;
  if (dropped) report.notes.push(`removed ${dropped} initializer${dropped === 1 ? '' : 's'} nothing reads`);
}

/** Drops value_info entries of values that no longer exist or are now initializers. */
export function pruneValueInfo(g: Graph): void {
  const produced = new Set<string>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) produced.add(o);
  g.valueInfo = g.valueInfo.filter((v) => produced.has(v.name));
}
