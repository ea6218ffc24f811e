/**
 * Synthetic models with deterministic weights, built with GraphBuilder: small stand-ins for the two families the
 * profiler cares most about (mobile CNNs and transformer blocks). Used as fixtures by tests and benchmarks; both
 * run in ONNX Runtime.
 */

import { GraphBuilder, Rng } from './builder.js';
import { DataType } from './dtype.js';
import type { Model } from './ir.js';

const F = DataType.FLOAT;

export interface MobileNetLikeOptions {
  /** Channels after the stem. Default 8. */
  width?: number;
  /** Input height and width. Default 32. */
  inputSize?: number;
  /** Depthwise-separable blocks. Odd-numbered blocks (1, 3, …) halve the resolution and double the channels; the
   * others keep both and add a residual connection. Default 3. */
  blocks?: number;
  /** Classifier outputs. Default 10. */
  classes?: number;
  batch?: number;
  /** How the pooled features become a matrix for Gemm. Default 'flatten'. */
  head?: 'flatten' | 'reshape';
  seed?: number;
  opset?: number;
}

function convOut(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/**
 * A MobileNet-shaped CNN: input `input` [batch, 3, S, S] float32 -> Conv(3x3, stride 2) + BatchNormalization +
 * Relu, then `blocks` depthwise-separable blocks (depthwise 3x3 Conv with group = channels, BN, Relu, pointwise
 * 1x1 Conv, BN, residual Add where shapes allow, Relu), GlobalAveragePool, Flatten (or Reshape), Gemm, Softmax ->
 * output `probabilities` [batch, classes].
 */
export function mobileNetLike(options: MobileNetLikeOptions = {}): Model {
  const width = options.width ?? 8;
  const size = options.inputSize ?? 32;
  const blocks = options.blocks ?? 3;
  const classes = options.classes ?? 10;
  const batch = options.batch ?? 1;
  const opset = options.opset ?? 17;
  if (opset < 13) throw new RangeError('mobileNetLike needs opset 13 or later');
  if (!(width >= 1 && size >= 4 && blocks >= 0 && classes >= 1 && batch >= 1)) {
    throw new RangeError('mobileNetLike: width, inputSize (>= 4), blocks, classes and batch must be positive');
  }
  const rng = new Rng(options.seed ?? 1);
  const b = new GraphBuilder({ opset, name: 'mobilenet_like' });
  const input = b.input('input', F, [batch, 3, size, size]);

  const conv = (name: string, x: string, cin: number, cout: number, k: number, stride: number, group: number) => {
    const fanIn = (cin / group) * k * k;
    const w = b.initializer(
      `${name}.weight`,
      F,
      [cout, cin / group, k, k],
      rng.normalArray(cout * fanIn, Math.sqrt(2 / fanIn)),
    );
    const pad = (k - 1) / 2;
    return b.node(
      'Conv',
      [x, w],
      { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [stride, stride], group },
      { name },
    );
  };
  const bn = (name: string, x: string, c: number) => {
    const scale = b.initializer(`${name}.scale`, F, [c], rng.uniformArray(c, 0.8, 1.2));
    const bias = b.initializer(`${name}.bias`, F, [c], rng.uniformArray(c, -0.1, 0.1));
    const mean = b.initializer(`${name}.mean`, F, [c], rng.uniformArray(c, -0.1, 0.1));
    const variance = b.initializer(`${name}.var`, F, [c], rng.uniformArray(c, 0.5, 1.5));
    return b.node('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: 1e-5 }, { name });
  };
  const relu = (name: string, x: string) => b.node('Relu', [x], {}, { name });

  let x = relu('stem.relu', bn('stem.bn', conv('stem.conv', input, 3, width, 3, 2, 1), width));
  let c = width;
  let s = convOut(size, 3, 2, 1);
  for (let i = 0; i < blocks; i++) {
    const p = `block${i}`;
    const stride = i % 2 === 1 ? 2 : 1;
    const cout = stride === 2 ? c * 2 : c;
    const dw = relu(`${p}.dw.relu`, bn(`${p}.dw.bn`, conv(`${p}.dw.conv`, x, c, c, 3, stride, c), c));
    let y = bn(`${p}.pw.bn`, conv(`${p}.pw.conv`, dw, c, cout, 1, 1, 1), cout);
    if (stride === 1 && cout === c) y = b.node('Add', [y, x], {}, { name: `${p}.add` });
    x = relu(`${p}.relu`, y);
    c = cout;
    s = convOut(s, 3, stride, 1);
  }
  b.valueInfo(x, F, [batch, c, s, s]);
  const pooled = b.node('GlobalAveragePool', [x], {}, { name: 'pool' });
  let features: string;
  if (options.head === 'reshape') {
    const shape = b.initializer('head.shape', DataType.INT64, [2], [0, c]);
    features = b.node('Reshape', [pooled, shape], {}, { name: 'head.reshape' });
  } else {
    features = b.node('Flatten', [pooled], { axis: 1 }, { name: 'head.flatten' });
  }
  const fcW = b.initializer('fc.weight', F, [classes, c], rng.normalArray(classes * c, Math.sqrt(1 / c)));
  const fcB = b.initializer('fc.bias', F, [classes], rng.uniformArray(classes, -0.1, 0.1));
  const logits = b.node('Gemm', [features, fcW, fcB], { alpha: 1, beta: 1, transB: 1 }, { name: 'fc' });
  b.node('Softmax', [logits], { axis: -1 }, { name: 'softmax', outputs: ['probabilities'] });
  b.output('probabilities', F, [batch, classes]);
  return b.build();
}

export interface TransformerBlockOptions {
  /** Model width. Default 32. */
  hidden?: number;
  /** Attention heads; must divide `hidden`. Default 4. */
  heads?: number;
  seqLen?: number;
  batch?: number;
  /** MLP width as a multiple of `hidden`. Default 4. */
  mlpRatio?: number;
  /**
   * MLP activation: 'gelu' is the Gelu operator (opset 20 and later), 'erf' the same function built from Erf,
   * 'relu' Relu. Default: 'gelu' from opset 20, 'erf' before.
   */
  activation?: 'gelu' | 'erf' | 'relu';
  /** Also output the attention probabilities as `attention_probs` [batch, heads, seq, seq]. Default true. */
  attentionOutput?: boolean;
  seed?: number;
  /** Default 17 (LayerNormalization needs 17 or later). */
  opset?: number;
}

/**
 * A pre-norm transformer encoder block: input `x` [batch, seq, hidden] -> LayerNormalization -> Q/K/V MatMul + Add
 * -> Reshape/Transpose into heads -> scaled Q·Kᵀ -> Softmax -> ·V -> merge heads -> output projection -> residual
 * Add -> LayerNormalization -> MLP (MatMul, activation, MatMul) -> residual Add -> output `y`. Weights depend only
 * on the seed and the sizes, not on the activation, so variants can be compared numerically.
 */
export function transformerBlock(options: TransformerBlockOptions = {}): Model {
  const hidden = options.hidden ?? 32;
  const heads = options.heads ?? 4;
  const seq = options.seqLen ?? 8;
  const batch = options.batch ?? 1;
  const ffn = hidden * (options.mlpRatio ?? 4);
  const opset = options.opset ?? 17;
  const activation = options.activation ?? (opset >= 20 ? 'gelu' : 'erf');
  if (opset < 17) throw new RangeError('transformerBlock needs opset 17 or later (LayerNormalization)');
  if (activation === 'gelu' && opset < 20) throw new RangeError("activation 'gelu' needs opset 20 or later");
  if (!(heads >= 1 && hidden % heads === 0)) throw new RangeError(`heads (${heads}) must divide hidden (${hidden})`);
  if (!(seq >= 1 && batch >= 1 && ffn >= 1)) throw new RangeError('seqLen, batch and mlpRatio must be positive');
  const headDim = hidden / heads;
  const rng = new Rng(options.seed ?? 1);
  const b = new GraphBuilder({ opset, name: 'transformer_block' });
  const x = b.input('x', F, [batch, seq, hidden]);

  const layerNorm = (name: string, v: string) => {
    const g = b.initializer(`${name}.weight`, F, [hidden], rng.uniformArray(hidden, 0.9, 1.1));
    const beta = b.initializer(`${name}.bias`, F, [hidden], rng.uniformArray(hidden, -0.05, 0.05));
    return b.node('LayerNormalization', [v, g, beta], { axis: -1, epsilon: 1e-5 }, { name });
  };
  const linear = (name: string, v: string, cin: number, cout: number) => {
    const w = b.initializer(`${name}.weight`, F, [cin, cout], rng.normalArray(cin * cout, Math.sqrt(1 / cin)));
    const bias = b.initializer(`${name}.bias`, F, [cout], rng.uniformArray(cout, -0.02, 0.02));
    const mm = b.node('MatMul', [v, w], {}, { name: `${name}.matmul` });
    return b.node('Add', [mm, bias], {}, { name: `${name}.add` });
  };

  const headsShape = b.initializer('attn.heads_shape', DataType.INT64, [4], [0, 0, heads, headDim]);
  const mergedShape = b.initializer('attn.merged_shape', DataType.INT64, [3], [0, 0, hidden]);
  const scale = b.initializer('attn.scale', F, [], [1 / Math.sqrt(headDim)]);

  const h = layerNorm('ln1', x);
  const split = (name: string, perm: number[]) => {
    const proj = linear(`attn.${name}`, h, hidden, hidden);
    const r = b.node('Reshape', [proj, headsShape], {}, { name: `attn.${name}.reshape` });
    return b.node('Transpose', [r], { perm }, { name: `attn.${name}.transpose` });
  };
  const q = split('q', [0, 2, 1, 3]); // [B, H, T, D]
  const k = split('k', [0, 2, 3, 1]); // [B, H, D, T]
  const v = split('v', [0, 2, 1, 3]); // [B, H, T, D]
  const scores = b.node('MatMul', [q, k], {}, { name: 'attn.scores' });
  const scaled = b.node('Mul', [scores, scale], {}, { name: 'attn.scale_mul' });
  const probs = b.node('Softmax', [scaled], { axis: -1 }, { name: 'attn.softmax', outputs: ['attention_probs'] });
  const ctx = b.node('MatMul', [probs, v], {}, { name: 'attn.context' });
  const ctxT = b.node('Transpose', [ctx], { perm: [0, 2, 1, 3] }, { name: 'attn.merge.transpose' });
  const merged = b.node('Reshape', [ctxT, mergedShape], {}, { name: 'attn.merge.reshape' });
  const attnOut = linear('attn.out', merged, hidden, hidden);
  const res1 = b.node('Add', [x, attnOut], {}, { name: 'residual1' });

  const h2 = layerNorm('ln2', res1);
  const up = linear('mlp.fc1', h2, hidden, ffn);
  let act: string;
  if (activation === 'gelu') {
    act = b.node('Gelu', [up], { approximate: 'none' }, { name: 'mlp.gelu' });
  } else if (activation === 'erf') {
    // gelu(u) = u * 0.5 * (1 + erf(u / sqrt(2)))
    const sqrt2 = b.initializer('mlp.sqrt2', F, [], [Math.SQRT2]);
    const one = b.initializer('mlp.one', F, [], [1]);
    const half = b.initializer('mlp.half', F, [], [0.5]);
    const div = b.node('Div', [up, sqrt2], {}, { name: 'mlp.gelu.div' });
    const erf = b.node('Erf', [div], {}, { name: 'mlp.gelu.erf' });
    const add = b.node('Add', [erf, one], {}, { name: 'mlp.gelu.add' });
    const mul = b.node('Mul', [up, add], {}, { name: 'mlp.gelu.mul' });
    act = b.node('Mul', [mul, half], {}, { name: 'mlp.gelu.half' });
  } else {
    act = b.node('Relu', [up], {}, { name: 'mlp.relu' });
  }
  const down = linear('mlp.fc2', act, ffn, hidden);
  b.node('Add', [res1, down], {}, { name: 'residual2', outputs: ['y'] });

  b.output('y', F, [batch, seq, hidden]);
  if (options.attentionOutput ?? true) b.output('attention_probs', F, [batch, heads, seq, seq]);
  return b.build();
}
