/**
 * Cost rules per operator: multiply-accumulates (MACs) and floating-point operations (FLOPs) of one node, from the
 * shapes of its inputs and outputs. A table keyed by `domain.OpType` ('' domain: the bare op type), each entry with
 * a one-line statement of what it counts; the conventions as a whole are in cost.ts.
 *
 * A rule reads shapes through the context, which throws `MissingShape` when a shape it needs is unknown or has a
 * symbolic dimension: the node's MACs/FLOPs are then n/a, never guessed. Rules that do not read a shape (data
 * movement) give their cost for any shapes.
 */

import type { Attribute, Dim, Node } from '../onnx/ir.js';

export interface OpCost {
  macs: number;
  flops: number;
}

/** Thrown by the context when a shape a rule needs is not a list of known numbers. */
export class MissingShape extends Error {
  override name = 'MissingShape';
  constructor(
    /** The value whose shape is missing. */
    readonly value: string,
    /** 'symbolic': known rank, some dimension a symbol; 'unknown': rank or some dimension unknown. */
    readonly reason: 'symbolic' | 'unknown',
    /** Symbols the shape depends on (for 'symbolic'). */
    readonly symbols: string[] = [],
  ) {
    super(
      reason === 'symbolic'
        ? `shape of '${value}' depends on ${symbols.map((s) => `'${s}'`).join(', ')}`
        : `shape of '${value}' is unknown`,
    );
  }
}

/** Thrown by a rule for a variant of its operator it does not count (an attribute combination, a layout). */
export class UnsupportedVariant extends Error {
  override name = 'UnsupportedVariant';
}

export interface CostContext {
  readonly node: Node;
  /** True when input `i` is present (not omitted). */
  has(i: number): boolean;
  /** Number of inputs present. */
  readonly inputCount: number;
  /** Known shape of input `i`; throws MissingShape otherwise. */
  inShape(i: number): number[];
  outShape(i: number): number[];
  inElems(i: number): number;
  outElems(i: number): number;
  attr(name: string): Attribute | undefined;
  int(name: string, fallback: number): number;
  ints(name: string): number[] | undefined;
  string(name: string, fallback: string): string;
}

export type CostRule = (ctx: CostContext) => OpCost;

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Symbols a dimension expression (`batch`, `batch*seq`, `(n+1)/2`) names. */
export function dimSymbols(d: Dim): string[] {
  if (typeof d !== 'string') return [];
  return d
    .split(/[+\-*/()\s]+/)
    .filter((t) => t !== '' && !/^\d+$/.test(t))
    .filter((t, i, all) => all.indexOf(t) === i);
}

/** The shape as numbers, or a MissingShape describing why not. */
export function knownShape(value: string, shape: readonly Dim[] | undefined): number[] | MissingShape {
  if (!shape) return new MissingShape(value, 'unknown');
  let numeric = true;
  for (let i = 0; i < shape.length && numeric; i++) numeric = typeof shape[i] === 'number';
  if (numeric) return shape as number[];
  if (shape.some((d) => d === null)) return new MissingShape(value, 'unknown');
  const symbols = shape.flatMap(dimSymbols).filter((s, i, all) => all.indexOf(s) === i);
  if (symbols.length) return new MissingShape(value, 'symbolic', symbols);
  return shape as number[];
}

// ---------------------------------------------------------------------------------------------------------------
// Rule builders

/** No arithmetic: data movement, shape queries, conversions. */
const free: CostRule = () => ({ macs: 0, flops: 0 });

/** `k` FLOPs per element of output 0. */
const perOutput =
  (k: number): CostRule =>
  (ctx) => ({ macs: 0, flops: k * ctx.outElems(0) });

/** `k` FLOPs per element of input 0. */
const perInput =
  (k: number): CostRule =>
  (ctx) => ({ macs: 0, flops: k * ctx.inElems(0) });

/** Variadic element-wise ops (Sum, Max, Min): one FLOP per output element per input after the first. */
const variadic =
  (extra: number): CostRule =>
  (ctx) => ({ macs: 0, flops: (Math.max(1, ctx.inputCount - 1) + extra) * ctx.outElems(0) });

/**
 * Convolution: each output element is a dot product over (C/group)·kernel inputs, which is the product of the
 * weight's dims after the first ([M, C/group, k1, k2, …]). Padding positions count like any other (as torchvision,
 * fvcore and TFLite counters do). FLOPs: 2 per MAC, plus one per output element for a bias, plus `perOutput` more.
 */
const conv =
  (w: number, bias: number, perOutputExtra = 0, sumInput = -1): CostRule =>
  (ctx) => {
    const out = ctx.outElems(0);
    const macs = out * product(ctx.inShape(w).slice(1));
    let flops = 2 * macs + perOutputExtra * out;
    if (bias >= 0 && ctx.has(bias)) flops += out;
    if (sumInput >= 0 && ctx.has(sumInput)) flops += out;
    return { macs, flops };
  };

/** ConvTranspose: every input element is scattered into (M/group)·kernel outputs; W is [C, M/group, k1, …]. */
const convTranspose: CostRule = (ctx) => {
  const macs = ctx.inElems(0) * product(ctx.inShape(1).slice(1));
  return { macs, flops: 2 * macs + (ctx.has(2) ? ctx.outElems(0) : 0) };
};

/** Gemm: M·N·K with K from A (transA aware); alpha/beta scaling is not counted, C adds one per output. */
const gemm =
  (c: number, perOutputExtra = 0): CostRule =>
  (ctx) => {
    const a = ctx.inShape(0);
    if (a.length !== 2) throw new UnsupportedVariant(`Gemm input A has rank ${a.length}, expected 2`);
    const k = ctx.int('transA', 0) ? a[0] : a[1];
    const out = ctx.outElems(0);
    const macs = out * k;
    return { macs, flops: 2 * macs + (c >= 0 && ctx.has(c) ? out : 0) + perOutputExtra * out };
  };

/**
 * MatMul and its quantized forms: every output element (batch dims broadcast) is a dot product of length K, the
 * last dim of A (its only dim when A is 1-D; the one before last with `transA`).
 */
const matmul =
  (a: number, transAttr = false, bias = -1): CostRule =>
  (ctx) => {
    const s = ctx.inShape(a);
    const k = s.length === 1 ? s[0] : transAttr && ctx.int('transA', 0) ? s[s.length - 2] : s[s.length - 1];
    const out = ctx.outElems(0);
    const macs = out * k;
    return { macs, flops: 2 * macs + (bias >= 0 && ctx.has(bias) ? out : 0) };
  };

/** Pooling with a window: one FLOP per window element per output (compare for Max, add for Average). */
const pool: CostRule = (ctx) => {
  const kernel = ctx.ints('kernel_shape');
  if (!kernel) throw new UnsupportedVariant('no kernel_shape attribute');
  return { macs: 0, flops: ctx.outElems(0) * product(kernel) };
};

/**
 * Recurrent layers: per step, direction and batch item, `gates`·H dot products of length (input + H). FLOPs: 2 per
 * MAC, the two biases when B is given (2·gates·H), and `pointwise`·H for gate non-linearities and state updates.
 */
const recurrent =
  (gates: number, pointwise: number): CostRule =>
  (ctx) => {
    const x = ctx.inShape(0);
    const w = ctx.inShape(1);
    if (x.length !== 3 || w.length !== 3) throw new UnsupportedVariant('X and W must have rank 3');
    const [seq, batch] = ctx.int('layout', 0) ? [x[1], x[0]] : [x[0], x[1]];
    const dirs = w[0];
    const hidden = w[1] / gates;
    const input = w[2];
    const steps = dirs * seq * batch;
    const macs = steps * gates * hidden * (input + hidden);
    const bias = ctx.has(3) ? 2 * gates * hidden : 0;
    return { macs, flops: 2 * macs + steps * (bias + pointwise * hidden) };
  };

/** Einsum: the product of the sizes of all distinct labels, once per operand after the first (0 MACs for one). */
const einsum: CostRule = (ctx) => {
  const eq = ctx.string('equation', '').replace(/\s+/g, '');
  const lhs = eq.split('->')[0];
  const terms = lhs.split(',');
  if (terms.length !== ctx.inputCount) throw new UnsupportedVariant(`equation '${eq}' does not match the inputs`);
  const sizes = new Map<string, number>();
  let ellipsis: number[] = [];
  terms.forEach((term, i) => {
    const shape = ctx.inShape(i);
    const [before, after] = term.includes('...') ? term.split('...') : [term, undefined];
    const labels = [...before, ...(after ?? '')];
    const ellRank = shape.length - labels.length;
    if (ellRank < 0 || (after === undefined && ellRank !== 0)) {
      throw new UnsupportedVariant(`term '${term}' does not match the rank of input ${i}`);
    }
    const see = (label: string, size: number) => {
      sizes.set(label, Math.max(sizes.get(label) ?? 1, size));
    };
    [...before].forEach((l, j) => {
      see(l, shape[j]);
    });
    if (after !== undefined) {
      const ell = shape.slice(before.length, before.length + ellRank);
      // Broadcast the ellipsis dims of all operands (right-aligned).
      const rank = Math.max(ellipsis.length, ell.length);
      const merged: number[] = [];
      for (let k = 0; k < rank; k++) {
        const a = ellipsis[k - (rank - ellipsis.length)] ?? 1;
        const b = ell[k - (rank - ell.length)] ?? 1;
        merged.push(Math.max(a, b));
      }
      ellipsis = merged;
      [...after].forEach((l, j) => {
        see(l, shape[before.length + ellRank + j]);
      });
    }
  });
  const space = product([...sizes.values()]) * product(ellipsis);
  if (terms.length === 1) return { macs: 0, flops: space };
  const macs = (terms.length - 1) * space;
  return { macs, flops: 2 * macs };
};

/**
 * Attention (ONNX opset 23): Q·Kᵀ and P·V per head, B·heads·Sq·Skv·(head_qk + head_v) MACs; FLOPs add the scale
 * (1) and softmax (SOFTMAX) per score. 3-D inputs need q_num_heads/kv_num_heads; a past key lengthens Skv.
 */
const attention: CostRule = (ctx) => {
  const q = ctx.inShape(0);
  const k = ctx.inShape(1);
  const v = ctx.inShape(2);
  let batch: number;
  let heads: number;
  let sq: number;
  let skv: number;
  let dqk: number;
  let dv: number;
  if (q.length === 4) {
    [batch, heads, sq, dqk] = q;
    skv = k[2];
    dv = v[3];
  } else if (q.length === 3) {
    heads = ctx.int('q_num_heads', 0);
    const kvHeads = ctx.int('kv_num_heads', 0);
    if (!heads || !kvHeads) throw new UnsupportedVariant('3-D inputs without q_num_heads/kv_num_heads');
    [batch, sq] = q;
    dqk = q[2] / heads;
    skv = k[1];
    dv = v[2] / kvHeads;
  } else throw new UnsupportedVariant(`Q has rank ${q.length}`);
  if (ctx.has(4)) skv += ctx.inShape(4)[2];
  const scores = batch * heads * sq * skv;
  const macs = scores * (dqk + dv);
  return { macs, flops: 2 * macs + (1 + SOFTMAX) * scores };
};

/**
 * com.microsoft Attention: the packed QKV projection (B·S·Din·(Hq+Hk+Hv), bias one per projected element) plus
 * Q·Kᵀ and P·V (B·S·S·(Hq+Hv)); softmax SOFTMAX per score. Past state and relative bias are not counted.
 */
const msAttention: CostRule = (ctx) => {
  const x = ctx.inShape(0);
  const w = ctx.inShape(1);
  if (x.length !== 3 || w.length !== 2) throw new UnsupportedVariant('input must be [B, S, D] and weights 2-D');
  const [batch, seq, din] = x;
  const sizes = ctx.ints('qkv_hidden_sizes') ?? [w[1] / 3, w[1] / 3, w[1] / 3];
  const heads = ctx.int('num_heads', 1);
  const proj = batch * seq * din * w[1];
  const scores = batch * heads * seq * seq;
  const macs = proj + batch * seq * seq * (sizes[0] + sizes[2]);
  return { macs, flops: 2 * macs + (ctx.has(2) ? batch * seq * w[1] : 0) + (1 + SOFTMAX) * scores };
};

/** com.microsoft MultiHeadAttention with separate 3-D Q, K, V: B·S·L·(Hq+Hv) MACs, softmax per score. */
const msMultiHeadAttention: CostRule = (ctx) => {
  const q = ctx.inShape(0);
  const k = ctx.inShape(1);
  const v = ctx.inShape(2);
  if (q.length !== 3 || k.length !== 3 || v.length !== 3) throw new UnsupportedVariant('only 3-D Q, K, V');
  const heads = ctx.int('num_heads', 1);
  const scores = q[0] * heads * q[1] * k[1];
  const macs = q[0] * q[1] * k[1] * (q[2] + v[2]);
  return { macs, flops: 2 * macs + (1 + SOFTMAX) * scores };
};

/** Resize: nearest is data movement; linear/cubic take 2^d / 4^d taps (d resized axes), 2 FLOPs per tap. */
const resize: CostRule = (ctx) => {
  const mode = ctx.string('mode', 'nearest');
  if (mode === 'nearest') return { macs: 0, flops: 0 };
  const input = ctx.inShape(0);
  const output = ctx.outShape(0);
  const axes = input.filter((d, i) => d !== output[i]).length;
  const taps = (mode === 'cubic' ? 4 : 2) ** axes;
  return { macs: 0, flops: 2 * taps * ctx.outElems(0) };
};

// ---------------------------------------------------------------------------------------------------------------
// Per-element constants (stated here, used below)

/** Softmax per element: max, subtract, exp, sum, divide. */
export const SOFTMAX = 5;
/** Mean/variance normalizations per element: mean, subtract, variance, normalize, scale-and-shift. */
export const NORMALIZE = 5;
/** Inference BatchNormalization per element: one multiply and one add (statistics folded into scale and shift). */
export const BATCHNORM = 2;

const MS = 'com.microsoft';
const ms = (op: string) => `${MS}.${op}`;

const elementwise = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Mod',
  'PRelu',
  'BitShift',
  'BitwiseAnd',
  'BitwiseOr',
  'BitwiseXor',
  'BitwiseNot',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
  'Not',
  'Where',
  'IsNaN',
  'IsInf',
  'Abs',
  'Neg',
  'Sign',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sqrt',
  'Exp',
  'Log',
  'Sin',
  'Cos',
  'Tan',
  'Asin',
  'Acos',
  'Atan',
  'Sinh',
  'Cosh',
  'Asinh',
  'Acosh',
  'Atanh',
  'Erf',
];

const activations = [
  'Relu',
  'LeakyRelu',
  'Elu',
  'Selu',
  'Celu',
  'Gelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Softplus',
  'Softsign',
  'Mish',
  'Swish',
  'ThresholdedRelu',
  'Shrink',
  'Clip',
];

const dataMovement = [
  'Identity',
  'Dropout',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Transpose',
  'Concat',
  'Split',
  'Slice',
  'Gather',
  'GatherElements',
  'GatherND',
  'Scatter',
  'ScatterElements',
  'ScatterND',
  'Expand',
  'Tile',
  'Pad',
  'DepthToSpace',
  'SpaceToDepth',
  'Compress',
  'ReverseSequence',
  'Trilu',
  'Shape',
  'Size',
  'Constant',
  'ConstantOfShape',
  'EyeLike',
  'Range',
  'OneHot',
  'NonZero',
  'Cast',
  'CastLike',
  'MaxUnpool',
  'CenterCropPad',
  'SequenceConstruct',
  'SequenceEmpty',
  'SequenceInsert',
  'SequenceAt',
  'SequenceErase',
  'SequenceLength',
  'SplitToSequence',
  'ConcatFromSequence',
  'Optional',
  'OptionalGetElement',
  'OptionalHasElement',
  'If',
  'Loop',
  'Scan',
];

const ML = 'ai.onnx.ml';
const ml = (op: string) => `${ML}.${op}`;

/** Length of a list attribute (floats, ints or strings), 0 when absent. */
function listAttrLength(ctx: CostContext, name: string): number {
  const a = ctx.attr(name);
  return a && (a.type === 'floats' || a.type === 'ints' || a.type === 'strings') ? a.value.length : 0;
}

/**
 * FLOPs of one SVM kernel evaluation beyond its F multiply-adds: LINEAR 0; POLY 3 (scale, offset, power); RBF
 * F + 2 (a subtraction per feature for the squared distance, then scale and exp); SIGMOID 3 (scale, offset, tanh).
 */
function svmKernelExtraFlops(kernel: string, features: number): number {
  switch (kernel.toUpperCase()) {
    case 'LINEAR':
      return 0;
    case 'RBF':
      return features + 2;
    default:
      return 3;
  }
}

/** Examples N and features F of an ai.onnx.ml input: [N, F], or [F] for one example. */
function mlExamples(ctx: CostContext): { n: number; f: number } {
  const shape = ctx.inShape(0);
  if (shape.length === 0) throw new UnsupportedVariant('a scalar input has no features');
  return { n: shape.length === 1 ? 1 : shape[0], f: shape[shape.length - 1] };
}

/**
 * SVMClassifier. With support vectors (S of them, `vectors_per_class`): the kernel of each example against every
 * support vector, N·S·F MACs (+ the kernel's extra FLOPs per vector, see svmKernelExtraFlops); then the decision
 * values: with C > 2 classes one-vs-one, each vector's coefficient enters the C − 1 pairs of its class, N·(C−1)·S
 * MACs, and one FLOP per pair for rho and one for the vote; with 2 classes N·S MACs and one FLOP for rho. Without
 * support vectors (linear SVM): `coefficients` holds K rows of F weights, N·K·F MACs and one FLOP per row for rho.
 * Probability estimates (`prob_a`): 4 FLOPs per pair (Platt scaling: multiply, add, exp, divide); the pairwise
 * coupling that follows is not counted. `post_transform` not counted.
 */
const svmClassifier: CostRule = (ctx) => {
  const { n, f } = mlExamples(ctx);
  const perClass = ctx.ints('vectors_per_class') ?? [];
  const vectors = perClass.reduce((a, b) => a + b, 0);
  const classes = Math.max(listAttrLength(ctx, 'classlabels_ints'), listAttrLength(ctx, 'classlabels_strings'));
  const pairs = (classes * (classes - 1)) / 2;
  const probability = listAttrLength(ctx, 'prob_a') > 0 ? 4 * pairs * n : 0;
  if (vectors > 0) {
    const kernelMacs = n * vectors * f;
    const kernelFlops = 2 * kernelMacs + n * vectors * svmKernelExtraFlops(ctx.string('kernel_type', 'LINEAR'), f);
    const decisionMacs = classes > 2 ? n * (classes - 1) * vectors : n * vectors;
    const decisionFlops = 2 * decisionMacs + (classes > 2 ? 2 * pairs * n : n);
    return { macs: kernelMacs + decisionMacs, flops: kernelFlops + decisionFlops + probability };
  }
  const rows = f > 0 ? Math.floor(listAttrLength(ctx, 'coefficients') / f) : 0;
  const macs = n * rows * f;
  return { macs, flops: 2 * macs + n * rows + probability };
};

/**
 * SVMRegressor. With support vectors (`n_supports` S > 0): N·S·F kernel MACs (+ the kernel's extra FLOPs per
 * vector) and N·S MACs for the coefficients, one FLOP for rho; without (linear): N·F MACs and one FLOP for rho.
 * `post_transform` not counted.
 */
const svmRegressor: CostRule = (ctx) => {
  const { n, f } = mlExamples(ctx);
  const vectors = ctx.int('n_supports', 0);
  if (vectors > 0) {
    const kernelMacs = n * vectors * f;
    const macs = kernelMacs + n * vectors;
    const extra = n * vectors * svmKernelExtraFlops(ctx.string('kernel_type', 'LINEAR'), f);
    return { macs, flops: 2 * macs + extra + n };
  }
  const macs = n * f;
  return { macs, flops: 2 * macs + n };
};

const reductions1 = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceLogSum'];
const reductions2 = ['ReduceSumSquare', 'ReduceL2', 'ReduceLogSumExp'];

/** The cost rules, by `opKey` (`Conv`, `com.microsoft.FusedConv`). */
export const opCosts: Readonly<Record<string, CostRule>> = {
  // Contractions (MACs)
  /** Conv (incl. grouped and depthwise): out · (C/group) · kernel MACs; bias one FLOP per output. */
  Conv: conv(1, 2),
  /** ConvTranspose: in · (M/group) · kernel MACs; bias one FLOP per output. */
  ConvTranspose: convTranspose,
  /** ConvInteger: as Conv; zero-point subtraction not counted. */
  ConvInteger: conv(1, -1),
  /** QLinearConv: as Conv (W is input 3, bias input 8); requantization not counted. */
  QLinearConv: conv(3, 8),
  /** Gemm: M·N·K MACs; C one FLOP per output. */
  Gemm: gemm(2),
  /** MatMul: out · K MACs (batch dims broadcast). */
  MatMul: matmul(0),
  /** MatMulInteger: as MatMul; zero points not counted. */
  MatMulInteger: matmul(0),
  /** QLinearMatMul: as MatMul; requantization not counted. */
  QLinearMatMul: matmul(0),
  /** Einsum: product of all label sizes per extra operand. */
  Einsum: einsum,
  /** LSTM: 4 gates; 9·H pointwise FLOPs per step (3 sigmoid, 2 tanh, cell and hidden updates). */
  LSTM: recurrent(4, 9),
  /** GRU: 3 gates; 7·H pointwise FLOPs per step. */
  GRU: recurrent(3, 7),
  /** RNN: 1 gate; one activation per hidden unit per step. */
  RNN: recurrent(1, 1),
  /** Attention (opset 23): Q·Kᵀ and P·V MACs; scale and softmax per score. */
  Attention: attention,
  /** com.microsoft FusedConv: Conv + activation (1 per output) + optional Sum input (1 per output). */
  [ms('FusedConv')]: conv(1, 2, 1, 3),
  /** com.microsoft FusedGemm: Gemm + activation (1 per output). */
  [ms('FusedGemm')]: gemm(2, 1),
  /** com.microsoft FusedMatMul: MatMul with transA/transB; alpha scaling not counted. */
  [ms('FusedMatMul')]: matmul(0, true),
  /** com.microsoft QGemm: Gemm on quantized inputs (C is input 6). */
  [ms('QGemm')]: gemm(6),
  /** com.microsoft MatMulIntegerToFloat: as MatMul; scales not counted, bias input 6 one per output. */
  [ms('MatMulIntegerToFloat')]: matmul(0, false, 6),
  /** com.microsoft DynamicQuantizeMatMul: as MatMul; input quantization not counted, bias input 4. */
  [ms('DynamicQuantizeMatMul')]: matmul(0, false, 4),
  /** com.microsoft MatMulNBits (int4/int8 blocked weights): as MatMul; dequantization not counted. */
  [ms('MatMulNBits')]: matmul(0, false, 5),
  /** com.microsoft Attention: QKV projection + Q·Kᵀ + P·V MACs. */
  [ms('Attention')]: msAttention,
  /** com.microsoft MultiHeadAttention: Q·Kᵀ + P·V MACs (3-D Q, K, V). */
  [ms('MultiHeadAttention')]: msMultiHeadAttention,
  /** com.microsoft.nchwc Conv: Conv in blocked layout + activation (1 per output) + optional Sum input. */
  'com.microsoft.nchwc.Conv': conv(1, 2, 1, 3),

  // Pooling: window size per output
  /** MaxPool: one compare per window element per output. */
  MaxPool: pool,
  /** AveragePool: one add per window element per output. */
  AveragePool: pool,
  /** LpPool: one FLOP per window element per output. */
  LpPool: pool,
  /** GlobalAveragePool: the window is the whole spatial extent: one FLOP per input element. */
  GlobalAveragePool: perInput(1),
  /** GlobalMaxPool: one compare per input element. */
  GlobalMaxPool: perInput(1),
  /** GlobalLpPool: one FLOP per input element. */
  GlobalLpPool: perInput(1),
  /** com.microsoft QLinearAveragePool: as AveragePool. */
  [ms('QLinearAveragePool')]: pool,
  /** com.microsoft QLinearGlobalAveragePool: one add per input element. */
  [ms('QLinearGlobalAveragePool')]: perInput(1),
  /** com.microsoft NhwcMaxPool: as MaxPool. */
  [ms('NhwcMaxPool')]: pool,
  /** com.microsoft.nchwc MaxPool / AveragePool: as the standard ones. */
  'com.microsoft.nchwc.MaxPool': pool,
  'com.microsoft.nchwc.AveragePool': pool,
  'com.microsoft.nchwc.GlobalMaxPool': perInput(1),
  'com.microsoft.nchwc.GlobalAveragePool': perInput(1),

  // Normalization and softmax: a stated constant per element
  /** BatchNormalization (inference): BATCHNORM (2) per element. */
  BatchNormalization: perOutput(BATCHNORM),
  /** InstanceNormalization: NORMALIZE (5) per element. */
  InstanceNormalization: perOutput(NORMALIZE),
  /** LayerNormalization: NORMALIZE (5) per element. */
  LayerNormalization: perOutput(NORMALIZE),
  /** GroupNormalization: NORMALIZE (5) per element. */
  GroupNormalization: perOutput(NORMALIZE),
  /** MeanVarianceNormalization: NORMALIZE (5) per element. */
  MeanVarianceNormalization: perOutput(NORMALIZE),
  /** RMSNormalization: 4 per element (square, mean, normalize, scale). */
  RMSNormalization: perOutput(4),
  /** LpNormalization: 3 per element (power, sum, divide). */
  LpNormalization: perOutput(3),
  /** LRN: size + 3 per element (window sum of squares, scale, power, divide). */
  LRN: (ctx) => ({ macs: 0, flops: (ctx.int('size', 1) + 3) * ctx.outElems(0) }),
  /** Softmax: SOFTMAX (5) per element. */
  Softmax: perOutput(SOFTMAX),
  /** LogSoftmax: SOFTMAX (5) per element. */
  LogSoftmax: perOutput(SOFTMAX),
  /** Hardmax: one compare per element. */
  Hardmax: perOutput(1),
  /** com.microsoft SkipLayerNormalization: residual add + NORMALIZE per element. */
  [ms('SkipLayerNormalization')]: perOutput(NORMALIZE + 1),
  /** com.microsoft SimplifiedLayerNormalization (RMS): 4 per element. */
  [ms('SimplifiedLayerNormalization')]: perOutput(4),
  /** com.microsoft SkipSimplifiedLayerNormalization: residual add + 4 per element. */
  [ms('SkipSimplifiedLayerNormalization')]: perOutput(5),

  // Reductions: per input element
  ...Object.fromEntries(reductions1.map((op) => [op, perInput(1)])),
  ...Object.fromEntries(reductions2.map((op) => [op, perInput(2)])),
  /** ArgMax: one compare per input element. */
  ArgMax: perInput(1),
  /** ArgMin: one compare per input element. */
  ArgMin: perInput(1),
  /** TopK: one compare per input element (a lower bound for the selection). */
  TopK: perInput(1),
  /** CumSum: one add per element. */
  CumSum: perOutput(1),

  // Element-wise arithmetic and activations: one FLOP per output element
  ...Object.fromEntries(elementwise.map((op) => [op, perOutput(1)])),
  ...Object.fromEntries(activations.map((op) => [op, perOutput(1)])),
  /** Sum, Max, Min: one FLOP per output element per input after the first. */
  Sum: variadic(0),
  Max: variadic(0),
  Min: variadic(0),
  /** Mean: the sum plus one divide per output element. */
  Mean: variadic(1),
  /** QuantizeLinear: divide and add zero point per element (rounding and clamping not counted). */
  QuantizeLinear: perOutput(2),
  /** DequantizeLinear: subtract zero point and multiply per element. */
  DequantizeLinear: perOutput(2),
  /** DynamicQuantizeLinear: min/max scan (2) and quantize (2) per input element. */
  DynamicQuantizeLinear: perInput(4),
  /** Resize/Upsample: nearest 0; linear/cubic 2 FLOPs per tap. */
  Resize: resize,
  Upsample: resize,
  [ms('Upsample')]: resize,
  'com.microsoft.nchwc.Upsample': resize,
  [ms('QuantizeLinear')]: perOutput(2),
  [ms('DequantizeLinear')]: perOutput(2),
  [ms('QLinearAdd')]: perOutput(1),
  [ms('QLinearMul')]: perOutput(1),
  [ms('QLinearSigmoid')]: perOutput(1),
  [ms('QLinearLeakyRelu')]: perOutput(1),
  [ms('Gelu')]: perOutput(1),
  [ms('FastGelu')]: (ctx) => ({ macs: 0, flops: (ctx.has(1) ? 2 : 1) * ctx.outElems(0) }),
  [ms('QuickGelu')]: perOutput(1),
  /** com.microsoft BiasGelu: bias add + activation. */
  [ms('BiasGelu')]: perOutput(2),
  [ms('BiasAdd')]: perOutput(1),

  // Traditional ML (ai.onnx.ml)
  /** SVMClassifier: kernel against every support vector + one-vs-one decision values (see svmClassifier). */
  [ml('SVMClassifier')]: svmClassifier,
  /** SVMRegressor: kernel against every support vector + weighted sum (see svmRegressor). */
  [ml('SVMRegressor')]: svmRegressor,

  // Data movement, shape queries, conversions, control flow (their bodies are counted separately): 0
  ...Object.fromEntries(dataMovement.map((op) => [op, free])),
  [ms('QLinearConcat')]: free,
  'com.microsoft.nchwc.ReorderInput': free,
  'com.microsoft.nchwc.ReorderOutput': free,
};

/** True when the table has a cost rule for an operator (`opKey` form). */
export function hasCostRule(key: string): boolean {
  return Object.hasOwn(opCosts, key);
}
