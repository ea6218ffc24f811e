/**
 * Pruning.
 *
 * **Unstructured magnitude pruning** sets the smallest-magnitude weights of Conv, ConvTranspose, Gemm and MatMul
 * to zero until the target sparsity is reached, over all layers together (`scope: 'global'`) or layer by layer
 * (`scope: 'layer'`). The tensors keep their shapes: a dense runtime runs the model exactly as fast as before and
 * stores it at the same size. What shrinks is a sparse or compressed encoding of the weights, on targets and
 * toolchains that use one; the report gives an estimate of a bitmask encoding, and validate.ts measures a deflate
 * proxy.
 *
 * **Structured channel pruning** removes whole output channels of Conv (group 1) and Gemm / MatMul layers, ranked
 * by the L1 or L2 norm of their filters, and rewrites every consumer so that weights and MACs really drop. Channels
 * are tracked as "atoms" from the layer that makes them through everything that carries them:
 * - element-wise operators, activations, pooling, BatchNormalization / InstanceNormalization (their parameters are
 *   sliced), depthwise Conv (weights, bias and `group` sliced), Transpose, Squeeze/Unsqueeze, Pad and Resize that
 *   leave the channel axis alone, reductions over other axes;
 * - residual Add / Mul / Sum… tie the channels of their operands: tied channels are one unit, kept or removed
 *   together in every layer that makes them; constant operands broadcast along the channels are sliced;
 * - Concat along the channel axis lays the operands' channels side by side (operands that are not tracked, such as
 *   graph inputs, keep theirs);
 * - Flatten and Reshape that merge the channel axis with static trailing dims (e.g. [N, C, 7, 7] → [N, C·49])
 *   repeat each channel over the merged positions, and the Gemm / MatMul reading them loses the matching rows; a
 *   constant Reshape shape is rewritten;
 * - the next Conv / Gemm / MatMul loses the matching input channels of its weights.
 * Channels that reach a graph output, or a node that cannot be followed (a Reshape that splits the channel axis, a
 * grouped Conv, Slice/Gather/Split on channels, an operator in another domain…), are kept, and a warning names the
 * node (with `strict: true` the transform refuses instead). Nothing prunable left is an error that lists why.
 */

import type { ValueFacts } from '../analysis/facts.js';
import { inferShapes } from '../analysis/infer.js';
import { makeTensor } from '../onnx/builder.js';
import type { ExternalDataSource } from '../onnx/externalData.js';
import type { Graph, Model, Node, Tensor } from '../onnx/ir.js';
import { normalizeDomain, opsetVersion } from '../onnx/ir.js';
import { readTensorValues } from '../onnx/tensor.js';
import {
  detachWeightInputs,
  editableCopy,
  elementBytes,
  emptyReport,
  FLOAT_TYPES,
  floatValues,
  freshName,
  GraphIndex,
  intAttr,
  intsAttr,
  namesInUse,
  setAttr,
  sliceBytes,
  tensorBytes,
} from './graphEdit.js';
import { pruneValueInfo, removeDead } from './preprocess.js';
import { TransformError, type TransformResult } from './types.js';

export interface PruneOptions {
  /** Fraction to remove, 0 ≤ sparsity < 1: of the weights (unstructured) or of each layer's channels (structured). */
  sparsity: number;
  /** Remove whole channels (default false: zero individual weights). */
  structured?: boolean;
  /** Structured: filter norm that ranks channels (default 'l1'). */
  norm?: 'l1' | 'l2';
  /** Unstructured: one threshold over all pruned layers ('global', default) or the same sparsity in each ('layer'). */
  scope?: 'global' | 'layer';
  /** Only these layers (node names); default all that qualify. */
  nodes?: string[];
  /** Never these layers (node names). */
  exclude?: string[];
  /** Structured: channels each layer keeps at least (default 1). */
  minChannels?: number;
  /** Structured: refuse (throw) where a dependency cannot be followed, instead of keeping those channels. */
  strict?: boolean;
}

export interface UnstructuredLayerStats {
  node: string;
  weight: string;
  params: number;
  zeros: number;
  sparsity: number;
}

export interface StructuredLayerStats {
  node: string;
  opType: string;
  channelsBefore: number;
  channelsAfter: number;
  /** Indices (in the original layer) of the output channels removed. */
  removedChannels: number[];
}

export interface PruneStats {
  kind: 'unstructured' | 'structured';
  /** Unstructured: per pruned weight. */
  layers?: UnstructuredLayerStats[];
  /** Structured: per layer whose output channels were considered. */
  channels?: StructuredLayerStats[];
  /** Elements of the weights considered. */
  params: number;
  /** Unstructured: zeros among them after pruning. Structured: elements removed from the model's weights. */
  prunedParams: number;
  /** Achieved sparsity over the weights considered. */
  sparsity: number;
  /** Unstructured: bytes of the considered weights stored densely (unchanged by pruning). */
  denseBytes?: number;
  /** Unstructured: bytes as non-zero values plus a one-bit-per-weight mask (an estimate of sparse storage). */
  bitmaskBytes?: number;
}

export interface PruneResult extends TransformResult {
  stats: PruneStats;
}

export async function pruneModel(
  model: Model,
  options: PruneOptions,
  source?: ExternalDataSource,
): Promise<PruneResult> {
  if (!(options.sparsity >= 0 && options.sparsity < 1)) {
    throw new TransformError(`sparsity must be at least 0 and below 1 (got ${options.sparsity})`, 'bad-option');
  }
  return options.structured ? pruneStructured(model, options, source) : pruneUnstructured(model, options, source);
}

const isStd = (n: Node) => normalizeDomain(n.domain) === '';
const label = (n: Node, i: number) => n.name || `${n.opType}#${i}`;

function selected(n: Node, i: number, options: PruneOptions): boolean {
  const name = label(n, i);
  if (options.exclude?.includes(name)) return false;
  return !options.nodes || options.nodes.includes(name);
}

// ---------------------------------------------------------------------------------------------------------------
// Unstructured

/** Indices of the `k` smallest |values| (ties broken by position). */
function smallestMagnitudes(values: ArrayLike<number>, k: number): Uint8Array {
  const n = values.length;
  const mask = new Uint8Array(n);
  if (k <= 0) return mask;
  const abs = Float64Array.from(values, Math.abs).sort();
  const t = abs[Math.min(k, n) - 1];
  let left = k;
  for (let i = 0; i < n && left > 0; i++) {
    if (Math.abs(values[i]) < t) {
      mask[i] = 1;
      left--;
    }
  }
  for (let i = 0; i < n && left > 0; i++) {
    if (!mask[i] && Math.abs(values[i]) === t) {
      mask[i] = 1;
      left--;
    }
  }
  return mask;
}

export async function pruneUnstructured(
  model: Model,
  options: PruneOptions,
  source?: ExternalDataSource,
): Promise<PruneResult> {
  const report = emptyReport('prune-unstructured');
  const out = editableCopy(model);
  const restoreInputs = detachWeightInputs(out);
  const g = out.graph;
  const idx = new GraphIndex(g);
  const targets = new Map<string, { tensor: Tensor; node: string }>();
  g.nodes.forEach((n, i) => {
    if (!isStd(n) || !selected(n, i, options)) return;
    let weight: string | undefined;
    if (n.opType === 'Conv' || n.opType === 'ConvTranspose' || n.opType === 'Gemm') weight = n.inputs[1];
    else if (n.opType === 'MatMul') {
      weight = [n.inputs[1], n.inputs[0]].find((x) => {
        const t = x ? idx.constantTensor(x) : undefined;
        return t !== undefined && t.dims.length >= 2;
      });
    }
    const t = weight ? idx.constantTensor(weight) : undefined;
    if (!t || !FLOAT_TYPES.has(t.dataType) || targets.has(t.name)) return;
    targets.set(t.name, { tensor: t, node: label(n, i) });
  });
  if (!targets.size) {
    throw new TransformError(
      'no Conv, ConvTranspose, Gemm or MatMul with a floating-point constant weight to prune (weights that are graph inputs or computed at run time are not pruned)',
      'nothing-to-prune',
    );
  }
  const values = new Map<string, Float32Array | Float64Array>();
  for (const [name, { tensor }] of targets) values.set(name, await floatValues(tensor, source));
  const masks = new Map<string, Uint8Array>();
  if ((options.scope ?? 'global') === 'global') {
    const total = [...values.values()].reduce((s, v) => s + v.length, 0);
    const all = new Float64Array(total);
    let at = 0;
    for (const v of values.values()) {
      all.set(v, at);
      at += v.length;
    }
    const mask = smallestMagnitudes(all, Math.floor(options.sparsity * total));
    at = 0;
    for (const [name, v] of values) {
      masks.set(name, mask.subarray(at, at + v.length));
      at += v.length;
    }
  } else {
    for (const [name, v] of values) masks.set(name, smallestMagnitudes(v, Math.floor(options.sparsity * v.length)));
  }
  const layers: UnstructuredLayerStats[] = [];
  let params = 0;
  let zeros = 0;
  let denseBytes = 0;
  let bitmaskBytes = 0;
  for (const [name, { tensor, node }] of targets) {
    const v = values.get(name) as Float32Array | Float64Array;
    const mask = masks.get(name) as Uint8Array;
    const pruned = Float64Array.from(v, (x, i) => (mask[i] ? 0 : x));
    const z = pruned.reduce((s, x) => s + (x === 0 ? 1 : 0), 0);
    const replacement = makeTensor(name, tensor.dataType, tensor.dims, pruned);
    g.initializers = g.initializers.map((t) => (t.name === name ? replacement : t));
    const eb = elementBytes(tensor.dataType) ?? 4;
    layers.push({ node, weight: name, params: v.length, zeros: z, sparsity: v.length ? z / v.length : 0 });
    params += v.length;
    zeros += z;
    denseBytes += v.length * eb;
    bitmaskBytes += (v.length - z) * eb + Math.ceil(v.length / 8);
  }
  restoreInputs();
  report.changedNodes = layers.map((l) => l.node);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  report.notes.push(
    `zeroed the smallest-magnitude weights of ${layers.length} layer${layers.length === 1 ? '' : 's'} (${options.scope ?? 'global'} threshold): ${zeros.toLocaleString('en-US')} of ${params.toLocaleString('en-US')} weights are zero (${pct(params ? zeros / params : 0)})`,
  );
  report.warnings.push(
    'unstructured sparsity does not make a dense runtime faster, and the file stores the zeros at full size; it ' +
      'pays off only where a sparse or compressed weight format is used (the bitmask and deflate sizes are estimates of that)',
  );
  report.notes.push(
    `as non-zero values plus a one-bit mask these weights would take ${bitmaskBytes.toLocaleString('en-US')} bytes instead of ${denseBytes.toLocaleString('en-US')}`,
  );
  return {
    model: out,
    report,
    stats: {
      kind: 'unstructured',
      layers,
      params,
      prunedParams: zeros,
      sparsity: params ? zeros / params : 0,
      denseBytes,
      bitmaskBytes,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Structured

/** Channels of a value along one axis: one atom id per position. */
interface ChannelMap {
  axis: number;
  atoms: number[];
}

interface SliceEdit {
  node: number;
  input: number;
  slices: { axis: number; atoms: number[] }[];
}

interface SourceLayer {
  node: number;
  /** Atoms of its output channels. */
  atoms: number[];
  /** Weight input and the axis of its output channels. */
  weightAxis: number;
  weightInput: number;
}

class Atoms {
  private parent: number[] = [];
  private pinned: boolean[] = [];
  /** For atoms made by a source layer: [source index, channel]. */
  readonly origin: ([number, number] | undefined)[] = [];

  fresh(count: number, origin?: number, pinned = false): number[] {
    const ids: number[] = [];
    for (let c = 0; c < count; c++) {
      const id = this.parent.length;
      this.parent.push(id);
      this.pinned.push(pinned);
      this.origin.push(origin === undefined ? undefined : [origin, c]);
      ids.push(id);
    }
    return ids;
  }

  find(a: number): number {
    let r = a;
    while (this.parent[r] !== r) r = this.parent[r];
    while (this.parent[a] !== r) {
      const next = this.parent[a];
      this.parent[a] = r;
      a = next;
    }
    return r;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    this.parent[rb] = ra;
    this.pinned[ra] = this.pinned[ra] || this.pinned[rb];
  }

  pin(a: number): void {
    this.pinned[this.find(a)] = true;
  }

  isPinned(a: number): boolean {
    return this.pinned[this.find(a)];
  }

  get size(): number {
    return this.parent.length;
  }
}

const unaryOps = new Set([
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'HardSigmoid',
  'HardSwish',
  'Elu',
  'Selu',
  'Celu',
  'Softplus',
  'Softsign',
  'Mish',
  'Gelu',
  'ThresholdedRelu',
  'Identity',
  'Dropout',
  'Neg',
  'Abs',
  'Exp',
  'Log',
  'Sqrt',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Erf',
  'Sin',
  'Cos',
  'Not',
  'Cast',
  'Clip',
  'Softmax',
  'LogSoftmax',
  'Hardmax',
  'LRN',
]);

const elementwiseOps = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'PRelu',
  'Where',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'And',
  'Or',
  'Xor',
  'Mod',
]);

const poolOps = new Set(['MaxPool', 'AveragePool', 'LpPool', 'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']);

const reduceOps = new Set([
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]);

export async function pruneStructured(
  model: Model,
  options: PruneOptions,
  source?: ExternalDataSource,
): Promise<PruneResult> {
  const report = emptyReport('prune-structured');
  const out = editableCopy(model);
  const restoreInputs = detachWeightInputs(out);
  const g = out.graph;
  const idx = new GraphIndex(g);
  const facts = inferShapes(model).values;
  const opset = opsetVersion(model, '') ?? 1;
  const atoms = new Atoms();
  const maps = new Map<string, ChannelMap>();
  const sources: SourceLayer[] = [];
  const edits = new Map<string, SliceEdit>();
  const groupEdits: { node: number; atoms: number[] }[] = [];
  const reshapeEdits: { node: number; position: number; atoms: number[] }[] = [];
  const pinReasons: string[] = [];
  const strictReasons: string[] = [];
  const expectedReasons: string[] = [];

  const shapeOf = (name: string): (number | string | null)[] | undefined => {
    const t = idx.initializers.get(name);
    if (t) return t.dims;
    const f = facts.get(name);
    return f?.kind === 'tensor' ? f.shape : undefined;
  };
  const rankOf = (name: string) => shapeOf(name)?.length;
  const constInts = (name: string | undefined): number[] | undefined => {
    if (!name) return undefined;
    const f: ValueFacts | undefined = facts.get(name);
    return f?.kind === 'tensor' && f.value ? f.value.data : undefined;
  };
  const addSlice = (node: number, input: number, axis: number, list: number[]) => {
    const key = `${node}:${input}`;
    const e = edits.get(key) ?? { node, input, slices: [] };
    e.slices.push({ axis, atoms: list });
    edits.set(key, e);
  };
  const pin = (value: string, reason: string, expected = false) => {
    const m = maps.get(value);
    if (!m) return;
    const before = m.atoms.some((a) => !atoms.isPinned(a) && atoms.origin[a] !== undefined);
    for (const a of m.atoms) atoms.pin(a);
    if (before) {
      if (expected) expectedReasons.push(reason);
      else {
        pinReasons.push(reason);
        strictReasons.push(reason);
      }
    }
  };
  const pinInputs = (n: Node, i: number, why: string) => {
    for (const x of n.inputs) {
      if (x && maps.has(x)) {
        pin(x, `kept the channels of '${x}': '${label(n, i)}' (${n.opType}) ${why}`);
      }
    }
  };
  const constWeight = (name: string | undefined, rank?: number): Tensor | undefined => {
    const t = name ? idx.constantTensor(name) : undefined;
    if (!t || !FLOAT_TYPES.has(t.dataType) || (rank !== undefined && t.dims.length !== rank)) return undefined;
    return t;
  };

  for (const i of idx.order) {
    const n = g.nodes[i];
    const tracked = n.inputs.map((x) => (x ? maps.get(x) : undefined));
    const anyTracked = tracked.some((m) => m !== undefined);
    if (!isStd(n)) {
      if (anyTracked) pinInputs(n, i, `is an operator of domain '${n.domain}', which pruning does not follow`);
      continue;
    }
    const m0 = tracked[0];
    const y = n.outputs[0];
    const setOut = (m: ChannelMap | undefined) => {
      if (m && y) maps.set(y, m);
    };
    switch (n.opType) {
      case 'Conv': {
        const group = intAttr(n, 'group', 1);
        const w = constWeight(n.inputs[1]);
        if (tracked[1] || tracked[2]) pinInputs(n, i, 'reads the channels as weights');
        if (m0) {
          const depthwise =
            w !== undefined && group > 1 && group === m0.atoms.length && w.dims[0] === group && w.dims[1] === 1;
          if (m0.axis !== 1 || !w) pinInputs(n, i, 'has no constant weight to slice');
          else if (depthwise) {
            addSlice(i, 1, 0, m0.atoms);
            if (n.inputs[2]) {
              if (constWeight(n.inputs[2])) addSlice(i, 2, 0, m0.atoms);
              else pinInputs(n, i, 'has a bias that is not constant');
            }
            groupEdits.push({ node: i, atoms: m0.atoms });
            setOut(m0);
            break;
          } else if (group !== 1)
            pinInputs(n, i, `is a grouped convolution (group ${group}), which pruning does not follow`);
          else addSlice(i, 1, 1, m0.atoms);
        }
        const bias = n.inputs[2] ? constWeight(n.inputs[2], 1) : undefined;
        if (w && group === 1 && (!n.inputs[2] || bias) && selected(n, i, options) && y) {
          const s = sources.length;
          const list = atoms.fresh(w.dims[0], s);
          sources.push({ node: i, atoms: list, weightAxis: 0, weightInput: 1 });
          addSlice(i, 1, 0, list);
          if (bias) addSlice(i, 2, 0, list);
          setOut({ axis: 1, atoms: list });
        }
        break;
      }
      case 'Gemm': {
        const transA = intAttr(n, 'transA', 0) === 1;
        const transB = intAttr(n, 'transB', 0) === 1;
        const b = constWeight(n.inputs[1], 2);
        if (tracked[1] || tracked[2]) pinInputs(n, i, 'reads the channels as weights or bias');
        if (m0) {
          if (!b || m0.axis !== (transA ? 0 : 1)) pinInputs(n, i, 'has no constant weight along the channel axis');
          else addSlice(i, 1, transB ? 1 : 0, m0.atoms);
        }
        if (!b || !selected(n, i, options) || !y) break;
        const cName = n.inputs[2];
        const c = cName ? idx.constantTensor(cName) : undefined;
        if (cName && !c) break;
        const nOut = transB ? b.dims[0] : b.dims[1];
        const s = sources.length;
        const list = atoms.fresh(nOut, s);
        sources.push({ node: i, atoms: list, weightAxis: transB ? 0 : 1, weightInput: 1 });
        addSlice(i, 1, transB ? 0 : 1, list);
        if (c && c.dims.length >= 1 && c.dims[c.dims.length - 1] === nOut) addSlice(i, 2, c.dims.length - 1, list);
        setOut({ axis: 1, atoms: list });
        break;
      }
      case 'MatMul': {
        const b = constWeight(n.inputs[1], 2);
        const rank = rankOf(n.inputs[0]);
        if (tracked[1]) pinInputs(n, i, 'reads the channels as its second operand');
        if (m0) {
          if (!b || rank === undefined || rank < 2 || m0.axis !== rank - 1) {
            pinInputs(n, i, 'does not contract over the channel axis with a constant weight');
          } else addSlice(i, 1, 0, m0.atoms);
        }
        if (!b || rank === undefined || rank < 2 || !selected(n, i, options) || !y) break;
        const s = sources.length;
        const list = atoms.fresh(b.dims[1], s);
        sources.push({ node: i, atoms: list, weightAxis: 1, weightInput: 1 });
        addSlice(i, 1, 1, list);
        setOut({ axis: rank - 1, atoms: list });
        break;
      }
      case 'BatchNormalization':
      case 'InstanceNormalization': {
        if (!m0) {
          if (anyTracked) pinInputs(n, i, 'reads the channels as parameters');
          break;
        }
        const params = n.opType === 'BatchNormalization' ? [1, 2, 3, 4] : [1, 2];
        if (m0.axis !== 1 || params.some((k) => !idx.constantTensor(n.inputs[k]) || tracked[k])) {
          pinInputs(n, i, 'has parameters that are not constant');
          break;
        }
        for (const k of params) addSlice(i, k, 0, m0.atoms);
        if (n.outputs.slice(1).some((o) => o && (idx.usesOf(o).length || idx.graphOutputs.has(o)))) {
          pinInputs(n, i, 'has its running statistics read');
          break;
        }
        setOut(m0);
        break;
      }
      default: {
        if (!anyTracked) break;
        if (unaryOps.has(n.opType)) {
          if (tracked.slice(1).some((m) => m)) pinInputs(n, i, 'reads the channels as a parameter');
          if (!m0) break;
          if (n.opType === 'Dropout' && n.outputs[1] && idx.usesOf(n.outputs[1]).length) {
            pinInputs(n, i, 'has its mask read');
            break;
          }
          setOut(m0);
        } else if (elementwiseOps.has(n.opType)) {
          setOut(elementwise(n, i));
        } else if (poolOps.has(n.opType)) {
          if (m0?.axis !== 1) pinInputs(n, i, 'pools over the channel axis');
          else if (idx.usesOf(n.outputs[1] ?? '').length) pinInputs(n, i, 'has its indices read');
          else setOut(m0);
        } else if (n.opType === 'Concat') {
          setOut(concat(n, i));
        } else if (n.opType === 'Flatten' || n.opType === 'Reshape') {
          setOut(reshape(n, i));
        } else if (n.opType === 'Transpose') {
          const r = rankOf(n.inputs[0]);
          const perm =
            intsAttr(n, 'perm') ?? (r === undefined ? undefined : Array.from({ length: r }, (_, k) => r - 1 - k));
          if (!m0 || !perm) pinInputs(n, i, 'has an unknown permutation');
          else setOut({ axis: perm.indexOf(m0.axis), atoms: m0.atoms });
        } else if (n.opType === 'Squeeze' || n.opType === 'Unsqueeze') {
          setOut(squeeze(n, i));
        } else if (n.opType === 'Pad') {
          const pads = opset >= 11 ? constInts(n.inputs[1]) : intsAttr(n, 'pads');
          const r = rankOf(n.inputs[0]);
          const axes = opset >= 18 ? constInts(n.inputs[3]) : undefined;
          if (!m0 || !pads || r === undefined || tracked.slice(1).some((m) => m)) {
            pinInputs(n, i, 'pads with amounts that are not known');
            break;
          }
          const ax = (axes ?? Array.from({ length: r }, (_, k) => k)).map((a) => (a < 0 ? a + r : a));
          const at = ax.indexOf(m0.axis);
          if (at >= 0 && (pads[at] !== 0 || pads[at + ax.length] !== 0)) pinInputs(n, i, 'pads the channel axis');
          else setOut(m0);
        } else if (n.opType === 'Resize' || n.opType === 'Upsample') {
          const scales =
            n.opType === 'Resize'
              ? constInts(n.inputs[opset === 10 ? 1 : 2])
              : (constInts(n.inputs[1]) ?? floatsAttr(n));
          const sizes = n.opType === 'Resize' ? n.inputs[3] : undefined;
          if (!m0 || sizes || !scales || scales[m0.axis] !== 1 || tracked.slice(1).some((m) => m)) {
            pinInputs(n, i, 'resizes with sizes or scales that touch the channel axis');
          } else setOut(m0);
        } else if (reduceOps.has(n.opType)) {
          setOut(reduce(n, i));
        } else if (n.opType === 'Shape' || n.opType === 'Size') {
          // Run-time shapes follow the pruned tensor by themselves.
        } else {
          pinInputs(n, i, 'is not followed by channel pruning');
        }
      }
    }
  }
  // Values read inside subgraphs cannot be followed.
  for (const [name, uses] of idx.uses) {
    if (maps.has(name) && uses.some((u) => u.input === -1)) {
      const u = uses.find((v) => v.input === -1) as { node: number };
      pin(name, `kept the channels of '${name}': it is read inside a subgraph of '${idx.label(u.node)}'`);
    }
  }
  for (const o of g.outputs) {
    if (maps.has(o.name)) pin(o.name, `kept the channels of graph output '${o.name}'`, true);
  }
  if (options.strict && strictReasons.length) {
    throw new TransformError(
      `structured pruning cannot follow every dependency: ${strictReasons[0]}`,
      'not-followable',
    );
  }

  // ---- choose the channels to remove
  const norm = options.norm ?? 'l1';
  const scores = new Float64Array(atoms.size);
  for (const s of sources) {
    const n = g.nodes[s.node];
    const w = idx.constantTensor(n.inputs[s.weightInput]) as Tensor;
    const v = await floatValues(w, source);
    const outer = w.dims.slice(0, s.weightAxis).reduce((a, b) => a * b, 1);
    const count = w.dims[s.weightAxis];
    const inner = w.dims.slice(s.weightAxis + 1).reduce((a, b) => a * b, 1);
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < count; c++) {
        let acc = 0;
        const base = (o * count + c) * inner;
        for (let k = 0; k < inner; k++) acc += norm === 'l1' ? Math.abs(v[base + k]) : v[base + k] * v[base + k];
        scores[s.atoms[c]] += acc;
      }
    }
  }
  // Classes: atoms tied together. Groups: classes made by the same set of layers, ranked together.
  const classScore = new Map<number, number>();
  const classSources = new Map<number, Set<number>>();
  for (let a = 0; a < atoms.size; a++) {
    const r = atoms.find(a);
    classScore.set(r, (classScore.get(r) ?? 0) + scores[a]);
    const o = atoms.origin[a];
    if (o) {
      const set = classSources.get(r) ?? new Set<number>();
      set.add(o[0]);
      classSources.set(r, set);
    }
  }
  const groups = new Map<string, number[]>();
  for (const [r, set] of classSources) {
    const key = [...set].sort((x, y) => x - y).join(',');
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const removed = new Set<number>();
  const minChannels = Math.max(1, options.minChannels ?? 1);
  for (const list of groups.values()) {
    const free = list.filter((r) => !atoms.isPinned(r));
    const target = Math.floor(options.sparsity * list.length);
    const count = Math.min(target, free.length, list.length - minChannels);
    if (count <= 0) continue;
    free.sort((x, y) => (classScore.get(x) ?? 0) - (classScore.get(y) ?? 0) || x - y);
    for (const r of free.slice(0, count)) removed.add(r);
  }
  const dedupe = (xs: string[]) => [...new Set(xs)];
  if (!removed.size) {
    const why = dedupe([...pinReasons, ...expectedReasons]);
    const anyFree = [...groups.values()].some((list) => list.some((r) => !atoms.isPinned(r)));
    const detail = anyFree
      ? ` (at this sparsity no layer loses a whole channel: ${groups.size} layer group${groups.size === 1 ? '' : 's'}, the largest with ${Math.max(...[...groups.values()].map((l) => l.length))} channels)`
      : why.length
        ? `: ${why.slice(0, 5).join('; ')}`
        : ' (no Conv with group 1, Gemm or MatMul with a constant floating-point weight)';
    throw new TransformError(
      `structured pruning found no channel it can remove at sparsity ${options.sparsity}${detail}`,
      'nothing-to-prune',
    );
  }
  const kept = (list: number[]) => list.flatMap((a, k) => (removed.has(atoms.find(a)) ? [] : [k]));

  // ---- rewrite
  const taken = namesInUse(g);
  const paramsBefore = countParams(g);
  for (const e of edits.values()) {
    const n = g.nodes[e.node];
    const name = n.inputs[e.input];
    const t = idx.initializers.get(name) as Tensor;
    const eb = elementBytes(t.dataType);
    if (eb === undefined) {
      throw new TransformError(`'${label(n, e.node)}': tensor '${name}' has an element type that cannot be sliced`);
    }
    let bytes = await tensorBytes(t, source);
    const dims = [...t.dims];
    let changed = false;
    for (const s of e.slices) {
      const keep = kept(s.atoms);
      if (dims[s.axis] !== s.atoms.length) {
        throw new TransformError(
          `'${label(n, e.node)}': '${name}' has ${dims[s.axis]} entries on axis ${s.axis}, expected ${s.atoms.length} channels`,
          'not-followable',
        );
      }
      if (keep.length === dims[s.axis]) continue;
      bytes = sliceBytes(bytes, dims, eb, s.axis, keep);
      dims[s.axis] = keep.length;
      changed = true;
    }
    if (!changed) continue;
    const newName = freshName(taken, `${name}_pruned`);
    g.initializers.push({ name: newName, dataType: t.dataType, dims, data: { kind: 'raw', bytes } });
    n.inputs[e.input] = newName;
  }
  for (const ge of groupEdits)
    setAttr(g.nodes[ge.node], { name: 'group', type: 'int', value: BigInt(kept(ge.atoms).length) });
  for (const re of reshapeEdits) {
    const n = g.nodes[re.node];
    const t = idx.constantTensor(n.inputs[1]) as Tensor;
    const shape = Array.from((await readTensorValues(t, source)) as BigInt64Array);
    shape[re.position] = BigInt(kept(re.atoms).length);
    const newName = freshName(taken, `${t.name}_pruned`);
    g.initializers.push(makeTensor(newName, t.dataType, t.dims, shape));
    n.inputs[1] = newName;
  }
  // Declared intermediate shapes follow.
  g.valueInfo = g.valueInfo.map((v) => {
    const m = maps.get(v.name);
    if (!m || v.type?.kind !== 'tensor' || !v.type.shape || typeof v.type.shape[m.axis] !== 'number') return v;
    const shape = [...v.type.shape];
    shape[m.axis] = kept(m.atoms).length;
    return { ...v, type: { ...v.type, shape } };
  });
  const sink = emptyReport('');
  removeDead(g, sink, new Set());
  pruneValueInfo(g);
  restoreInputs();
  const paramsAfter = countParams(g);

  const channels: StructuredLayerStats[] = sources.map((s) => ({
    node: label(model.graph.nodes[s.node], s.node),
    opType: model.graph.nodes[s.node].opType,
    channelsBefore: s.atoms.length,
    channelsAfter: kept(s.atoms).length,
    removedChannels: s.atoms.flatMap((a, k) => (removed.has(atoms.find(a)) ? [k] : [])),
  }));
  const changedLayers = channels.filter((c) => c.channelsAfter < c.channelsBefore);
  report.changedNodes = dedupe([
    ...changedLayers.map((c) => c.node),
    ...[...edits.values()].map((e) => label(model.graph.nodes[e.node], e.node)),
  ]);
  const removedChannels = changedLayers.reduce((s, c) => s + c.channelsBefore - c.channelsAfter, 0);
  const totalChannels = channels.reduce((s, c) => s + c.channelsBefore, 0);
  report.notes.push(
    `removed ${removedChannels} of ${totalChannels} output channels (${norm.toUpperCase()} norm) in ${changedLayers.length} layer${changedLayers.length === 1 ? '' : 's'}; every consumer was rewritten: ${(paramsBefore - paramsAfter).toLocaleString('en-US')} of ${paramsBefore.toLocaleString('en-US')} weights removed`,
  );
  const tiedGroups = [...groups.keys()].filter((k) => k.includes(','));
  if (tiedGroups.length) {
    report.notes.push(
      `${tiedGroups.length} group${tiedGroups.length === 1 ? '' : 's'} of layers whose channels are tied (residual Add, Mul…) pruned identically: ${tiedGroups
        .map(
          (k) =>
            `{${k
              .split(',')
              .map((s) => channels[Number(s)].node)
              .join(', ')}}`,
        )
        .join(', ')}`,
    );
  }
  for (const r of dedupe(expectedReasons)) report.notes.push(r);
  for (const r of dedupe(pinReasons)) report.warnings.push(r);
  report.warnings.push('channel pruning changes what the model computes: fine-tune it afterwards to recover accuracy');
  return {
    model: out,
    report,
    stats: {
      kind: 'structured',
      channels,
      params: paramsBefore,
      prunedParams: paramsBefore - paramsAfter,
      sparsity: paramsBefore ? (paramsBefore - paramsAfter) / paramsBefore : 0,
    },
  };

  // ---- propagation rules (closures over the state above)

  function tie(a: number[], b: number[]): void {
    for (let k = 0; k < a.length; k++) atoms.union(a[k], b[k]);
  }

  function elementwise(n: Node, i: number): ChannelMap | undefined {
    const outRank = rankOf(n.outputs[0]) ?? Math.max(...n.inputs.map((x) => (x ? (rankOf(x) ?? -1) : -1)));
    const ins = n.inputs.map((x, k) => ({ x, k, m: x ? maps.get(x) : undefined, rank: x ? rankOf(x) : undefined }));
    const trackedIns = ins.filter((v) => v.m);
    if (outRank < 0 || trackedIns.some((v) => v.rank === undefined)) {
      pinInputs(n, i, 'has operands of unknown rank');
      return undefined;
    }
    const outAxes = new Set(trackedIns.map((v) => (v.m as ChannelMap).axis + outRank - (v.rank as number)));
    const first = trackedIns[0].m as ChannelMap;
    if (outAxes.size !== 1 || trackedIns.some((v) => (v.m as ChannelMap).atoms.length !== first.atoms.length)) {
      pinInputs(n, i, 'combines channels along different axes');
      return undefined;
    }
    const axis = [...outAxes][0];
    for (const v of trackedIns) tie(first.atoms, (v.m as ChannelMap).atoms);
    for (const v of ins) {
      if (!v.x || v.m) continue;
      const shape = shapeOf(v.x);
      if (!shape) {
        pinInputs(n, i, `has an operand '${v.x}' of unknown shape`);
        return undefined;
      }
      const p = axis - (outRank - shape.length);
      if (p < 0 || shape[p] === 1) continue;
      if (shape[p] === first.atoms.length && idx.constantTensor(v.x)) addSlice(i, v.k, p, first.atoms);
      else {
        pinInputs(n, i, `combines the channels with '${v.x}', which is not pruned with them`);
        return undefined;
      }
    }
    return { axis, atoms: first.atoms };
  }

  function concat(n: Node, i: number): ChannelMap | undefined {
    const r = rankOf(n.outputs[0]) ?? rankOf(n.inputs.find((x) => x) ?? '');
    if (r === undefined) {
      pinInputs(n, i, 'has operands of unknown rank');
      return undefined;
    }
    const axisAttr = intAttr(n, 'axis', 0);
    const axis = axisAttr < 0 ? axisAttr + r : axisAttr;
    const ins = n.inputs.filter((x) => x).map((x) => ({ x, m: maps.get(x) }));
    const trackedIns = ins.filter((v) => v.m) as { x: string; m: ChannelMap }[];
    if (trackedIns.every((v) => v.m.axis === axis)) {
      const list: number[] = [];
      for (const v of ins) {
        if (v.m) list.push(...v.m.atoms);
        else {
          const d = shapeOf(v.x)?.[axis];
          if (typeof d !== 'number') {
            pinInputs(n, i, `concatenates '${v.x}', whose channel count is unknown`);
            return undefined;
          }
          list.push(...atoms.fresh(d, undefined, true));
        }
      }
      return { axis, atoms: list };
    }
    const first = trackedIns[0].m;
    if (
      trackedIns.length === ins.length &&
      trackedIns.every((v) => v.m.axis === first.axis && v.m.atoms.length === first.atoms.length)
    ) {
      for (const v of trackedIns) tie(first.atoms, v.m.atoms);
      return first;
    }
    pinInputs(n, i, 'concatenates tensors whose channels cannot be matched');
    return undefined;
  }

  function reshape(n: Node, i: number): ChannelMap | undefined {
    const m = maps.get(n.inputs[0]);
    if (!m || n.inputs.slice(1).some((x) => x && maps.has(x))) {
      pinInputs(n, i, 'reads the channels as a shape');
      return undefined;
    }
    const inShape = shapeOf(n.inputs[0]);
    const outShape = shapeOf(n.outputs[0]);
    if (!inShape || !outShape) {
      pinInputs(n, i, 'has a shape that is not known statically');
      return undefined;
    }
    // Dims before the channel axis must pass through unchanged; the channel axis and the static dims after it
    // become one output dim.
    const a = m.axis;
    for (let k = 0; k < a; k++) {
      if (outShape[k] !== inShape[k] || outShape[k] === null) {
        pinInputs(n, i, `changes the dims before the channel axis (${fmt(inShape)} → ${fmt(outShape)})`);
        return undefined;
      }
    }
    if (outShape.length <= a || inShape.slice(a).some((d) => typeof d !== 'number')) {
      pinInputs(n, i, `merges the channel axis with dims that are not static (${fmt(inShape)} → ${fmt(outShape)})`);
      return undefined;
    }
    const rest = inShape.slice(a) as number[];
    let end = a;
    let prod = 1;
    const target = outShape[a];
    while (end < inShape.length && prod !== target) prod *= rest[end++ - a];
    while (end < inShape.length && rest[end - a] === 1) end++;
    if (prod !== target) {
      pinInputs(n, i, `splits the channel axis (${fmt(inShape)} → ${fmt(outShape)})`);
      return undefined;
    }
    const inner = rest.slice(1, end - a).reduce((x, y) => x * y, 1);
    const list: number[] = new Array(prod);
    for (let k = 0; k < prod; k++) list[k] = m.atoms[Math.floor(k / inner) % m.atoms.length];
    if (n.opType === 'Reshape') {
      const shapeName = n.inputs[1];
      const lit = constInts(shapeName);
      const allowZero = intAttr(n, 'allowzero', 0) === 1;
      const v = lit?.[a];
      const selfSizing = v === -1 || (v === 0 && !allowZero && end === a + 1);
      if (!selfSizing) {
        if (lit === undefined || !idx.constantTensor(shapeName)) {
          pinInputs(n, i, 'takes its shape from a computed value that would need rewriting');
          return undefined;
        }
        reshapeEdits.push({ node: i, position: a, atoms: list });
      }
    } else {
      const axisAttr = intAttr(n, 'axis', 1);
      const f = axisAttr < 0 ? axisAttr + inShape.length : axisAttr;
      if (f !== a || end !== inShape.length) {
        pinInputs(n, i, `flattens at axis ${f}, not at the channel axis ${a}`);
        return undefined;
      }
    }
    return { axis: a, atoms: list };
  }

  function squeeze(n: Node, i: number): ChannelMap | undefined {
    const m = maps.get(n.inputs[0]);
    const r = rankOf(n.inputs[0]);
    const given = opset >= 13 ? constInts(n.inputs[1]) : intsAttr(n, 'axes');
    if (!m || r === undefined || (n.opType === 'Unsqueeze' && !given)) {
      pinInputs(n, i, 'has axes that are not known');
      return undefined;
    }
    if (n.opType === 'Squeeze') {
      const shape = shapeOf(n.inputs[0]) ?? [];
      const axes = given ? given.map((x) => (x < 0 ? x + r : x)) : shape.flatMap((d, k) => (d === 1 ? [k] : []));
      if (axes.includes(m.axis)) {
        pinInputs(n, i, 'squeezes the channel axis');
        return undefined;
      }
      return { axis: m.axis - axes.filter((x) => x < m.axis).length, atoms: m.atoms };
    }
    const outRank = r + (given as number[]).length;
    const axes = (given as number[]).map((x) => (x < 0 ? x + outRank : x)).sort((x, y) => x - y);
    let axis = m.axis;
    for (const x of axes) if (x <= axis) axis++;
    return { axis, atoms: m.atoms };
  }

  function reduce(n: Node, i: number): ChannelMap | undefined {
    const m = maps.get(n.inputs[0]);
    const r = rankOf(n.inputs[0]);
    if (!m || r === undefined) {
      pinInputs(n, i, 'reduces over axes that are not known');
      return undefined;
    }
    const fromInput = (n.opType === 'ReduceSum' && opset >= 13) || opset >= 18;
    const given = fromInput ? constInts(n.inputs[1]) : intsAttr(n, 'axes');
    if (fromInput && n.inputs[1] && !given) {
      pinInputs(n, i, 'reduces over axes that are not known');
      return undefined;
    }
    const keep = intAttr(n, 'keepdims', 1) === 1;
    const axes = given?.length
      ? given.map((x) => (x < 0 ? x + r : x))
      : intAttr(n, 'noop_with_empty_axes', 0) === 1
        ? []
        : Array.from({ length: r }, (_, k) => k);
    if (axes.includes(m.axis)) return undefined;
    return { axis: keep ? m.axis : m.axis - axes.filter((x) => x < m.axis).length, atoms: m.atoms };
  }
}

function floatsAttr(n: Node): number[] | undefined {
  const a = n.attributes.find((x) => x.name === 'scales');
  return a?.type === 'floats' ? a.value : undefined;
}

function fmt(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

function countParams(g: Graph): number {
  const idx = new GraphIndex(g);
  let n = 0;
  for (const t of g.initializers) if (idx.usesOf(t.name).length) n += t.dims.reduce((a, b) => a * b, 1);
  return n;
}
