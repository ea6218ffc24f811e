/**
 * Synthetic models with deterministic weights, built with GraphBuilder: small stand-ins for the two families the
 * profiler cares most about (mobile CNNs and transformer blocks), and full-size ResNet-50, MobileNetV1 and
 * MobileNetV2 for checking cost counts against published figures. Used as fixtures by tests and benchmarks; all
 * run in ONNX Runtime.
 */

import { GraphBuilder, makeTensor, Rng } from './builder.js';
import { DataType } from './dtype.js';
import type { Model, Tensor } from './ir.js';

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

// ---------------------------------------------------------------------------------------------------------------
// Full-size classic CNNs (ResNet-50, MobileNetV1, MobileNetV2), for checking cost counts against published figures

export interface ClassicCnnOptions {
  /** Batch dimension: a size, or a symbol such as 'batch'. Default 1. */
  batch?: number | string;
  /** Input height and width. Default 224. */
  inputSize?: number;
  /** Classifier outputs. Default 1000 (MobileNetV1: 1001, as TF-slim). */
  classes?: number;
  /**
   * 'random' (default): deterministic He-initialised float32 weights. 'zeros': every weight is a view on one shared
   * zero-filled buffer (memory stays about the size of the largest tensor, not the model's), still loadable by
   * ONNX Runtime.
   */
  weights?: 'random' | 'zeros';
  /**
   * 'separate' (default): a BatchNormalization node (scale, bias, mean, variance) after each convolution, as the
   * torchvision/TF-slim modules are. 'folded': no BatchNormalization; each convolution has a bias instead, as
   * `torch.onnx.export` writes an eval-mode model with constant folding.
   */
  batchNorm?: 'separate' | 'folded';
  /** Width multiplier of MobileNetV1/V2 (channels scaled and rounded as the reference code does). Default 1. */
  widthMultiplier?: number;
  seed?: number;
  opset?: number;
}

/** Weight tensors for the classic CNNs: random, or views on one shared zero buffer. */
class WeightMaker {
  private readonly rng: Rng;
  private zeros = new Uint8Array(0);
  constructor(
    private readonly mode: 'random' | 'zeros',
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  make(name: string, dims: number[], init: 'he' | 'one' | 'zero' | 'small', fanIn = 1): Tensor {
    const n = dims.reduce((a, b) => a * b, 1);
    if (this.mode === 'zeros') {
      if (this.zeros.length < 4 * n) this.zeros = new Uint8Array(Math.max(4 * n, 2 * this.zeros.length));
      return { name, dataType: F, dims: [...dims], data: { kind: 'raw', bytes: this.zeros.subarray(0, 4 * n) } };
    }
    let values: Float32Array;
    if (init === 'he') values = this.rng.normalArray(n, Math.sqrt(2 / fanIn));
    else if (init === 'one') values = this.rng.uniformArray(n, 0.9, 1.1);
    else if (init === 'small') values = this.rng.uniformArray(n, -0.05, 0.05);
    else values = new Float32Array(n);
    return makeTensor(name, F, dims, values);
  }
}

/** Conv / BatchNorm / activation helpers shared by the classic CNN builders, with torch-export style names. */
class CnnBuilder {
  readonly b: GraphBuilder;
  private readonly w: WeightMaker;
  private readonly folded: boolean;
  private relu6Bounds?: [string, string];

  constructor(name: string, options: ClassicCnnOptions) {
    const opset = options.opset ?? 17;
    if (opset < 11) throw new RangeError(`${name} needs opset 11 or later`);
    this.b = new GraphBuilder({ opset, name });
    this.w = new WeightMaker(options.weights ?? 'random', options.seed ?? 1);
    this.folded = options.batchNorm === 'folded';
  }

  /** Conv (+ BatchNormalization, or a bias when folded); `scope` like '/layer1/layer1.0', `param` like 'layer1.0'. */
  convBn(
    x: string,
    cin: number,
    cout: number,
    k: number,
    stride: number,
    group: number,
    scope: string,
    conv: string,
    bn: string,
    param: string,
  ): string {
    const dot = param ? `${param}.` : '';
    const fanIn = (cin / group) * k * k;
    const w = this.b.addInitializer(this.w.make(`${dot}${conv}.weight`, [cout, cin / group, k, k], 'he', fanIn));
    const pad = Math.floor((k - 1) / 2);
    const attrs = { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [stride, stride], group };
    if (this.folded) {
      const bias = this.b.addInitializer(this.w.make(`${dot}${conv}.bias`, [cout], 'small'));
      return this.b.node('Conv', [x, w, bias], attrs, { name: `${scope}/${conv}/Conv` });
    }
    const y = this.b.node('Conv', [x, w], attrs, { name: `${scope}/${conv}/Conv` });
    const init = (what: string, kind: 'one' | 'small') =>
      this.b.addInitializer(this.w.make(`${dot}${bn}.${what}`, [cout], kind));
    const inputs = [
      y,
      init('weight', 'one'),
      init('bias', 'small'),
      init('running_mean', 'small'),
      init('running_var', 'one'),
    ];
    return this.b.node('BatchNormalization', inputs, { epsilon: 1e-5 }, { name: `${scope}/${bn}/BatchNormalization` });
  }

  relu(x: string, name: string): string {
    return this.b.node('Relu', [x], {}, { name });
  }

  /** ReLU6 as Clip(x, 0, 6) with two shared scalar bounds. */
  relu6(x: string, name: string): string {
    if (!this.relu6Bounds) {
      this.relu6Bounds = [this.b.initializer('relu6.min', F, [], [0]), this.b.initializer('relu6.max', F, [], [6])];
    }
    return this.b.node('Clip', [x, ...this.relu6Bounds], {}, { name });
  }

  /** GlobalAveragePool -> Flatten -> Gemm (transB) with bias -> output `logits` [batch, classes]. */
  head(x: string, channels: number, classes: number, fc: string, batch: number | string): Model {
    const pooled = this.b.node('GlobalAveragePool', [x], {}, { name: '/avgpool/GlobalAveragePool' });
    const flat = this.b.node('Flatten', [pooled], { axis: 1 }, { name: '/Flatten' });
    const w = this.b.addInitializer(this.w.make(`${fc}.weight`, [classes, channels], 'he', channels));
    const bias = this.b.addInitializer(this.w.make(`${fc}.bias`, [classes], 'small'));
    this.b.node(
      'Gemm',
      [flat, w, bias],
      { alpha: 1, beta: 1, transB: 1 },
      { name: `/${fc}/Gemm`, outputs: ['logits'] },
    );
    this.b.output('logits', F, [batch, classes]);
    return this.b.build();
  }
}

function classicInput(cnn: CnnBuilder, options: ClassicCnnOptions): { x: string; batch: number | string } {
  const batch = options.batch ?? 1;
  const size = options.inputSize ?? 224;
  if (!(size >= 32)) throw new RangeError('inputSize must be at least 32');
  return { x: cnn.b.input('input', F, [batch, 3, size, size]), batch };
}

/**
 * ResNet-50 in torchvision's layout (v1.5: the stride is on the 3x3 convolution of a bottleneck): conv1 7x7/2 64,
 * max pool 3x3/2, bottleneck stages of [3, 4, 6, 3] blocks with widths 64, 128, 256, 512 (expansion 4, a 1x1
 * downsample on each stage's first block), global average pool, fc 2048 -> classes. Node names follow
 * torch.onnx.export (`/layer1/layer1.0/conv1/Conv`). Reference: 4.089 G MACs, 25.557 M parameters (torchvision,
 * BatchNorm counted as weight and bias).
 */
export function resNet50(options: ClassicCnnOptions = {}): Model {
  const cnn = new CnnBuilder('resnet50', options);
  const { x: input, batch } = classicInput(cnn, options);
  let x = cnn.convBn(input, 3, 64, 7, 2, 1, '', 'conv1', 'bn1', '');
  x = cnn.relu(x, '/relu/Relu');
  x = cnn.b.node(
    'MaxPool',
    [x],
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] },
    { name: '/maxpool/MaxPool' },
  );
  let cin = 64;
  const stages: [width: number, blocks: number, stride: number][] = [
    [64, 3, 1],
    [128, 4, 2],
    [256, 6, 2],
    [512, 3, 2],
  ];
  stages.forEach(([width, blocks, stride], s) => {
    const layer = `layer${s + 1}`;
    for (let i = 0; i < blocks; i++) {
      const scope = `/${layer}/${layer}.${i}`;
      const param = `${layer}.${i}`;
      const st = i === 0 ? stride : 1;
      const cout = width * 4;
      let y = cnn.relu(cnn.convBn(x, cin, width, 1, 1, 1, scope, 'conv1', 'bn1', param), `${scope}/relu/Relu`);
      y = cnn.relu(cnn.convBn(y, width, width, 3, st, 1, scope, 'conv2', 'bn2', param), `${scope}/relu_1/Relu`);
      y = cnn.convBn(y, width, cout, 1, 1, 1, scope, 'conv3', 'bn3', param);
      const shortcut =
        i === 0 ? cnn.convBn(x, cin, cout, 1, st, 1, `${scope}/downsample`, 'downsample.0', 'downsample.1', param) : x;
      x = cnn.relu(cnn.b.node('Add', [y, shortcut], {}, { name: `${scope}/Add` }), `${scope}/relu_2/Relu`);
      cin = cout;
    }
  });
  return cnn.head(x, cin, options.classes ?? 1000, 'fc', batch);
}

/** Channels scaled by a width multiplier and rounded to a multiple of 8, never down by more than 10%. */
function makeDivisible(v: number, divisor = 8): number {
  const r = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return r < 0.9 * v ? r + divisor : r;
}

/**
 * MobileNetV1 (TF-slim mobilenet_v1, 1.0-224 by default): conv 3x3/2 32, then 13 depthwise-separable blocks
 * (depthwise 3x3 + BN + ReLU6, pointwise 1x1 + BN + ReLU6) up to 1024 channels, global average pool, fully
 * connected to 1001 classes. Reference: 569 M MACs, 4.24 M parameters (TF-slim mobilenet_v1.md).
 */
export function mobileNetV1(options: ClassicCnnOptions = {}): Model {
  const cnn = new CnnBuilder('mobilenet_v1', options);
  const { x: input, batch } = classicInput(cnn, options);
  const alpha = options.widthMultiplier ?? 1;
  const ch = (c: number) => Math.max(8, Math.floor(c * alpha));
  let x = cnn.relu6(cnn.convBn(input, 3, ch(32), 3, 2, 1, '/features/0', '0', '1', 'features.0'), '/features/0/2/Clip');
  let cin = ch(32);
  const blocks: [cout: number, stride: number][] = [
    [64, 1],
    [128, 2],
    [128, 1],
    [256, 2],
    [256, 1],
    [512, 2],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [1024, 2],
    [1024, 1],
  ];
  blocks.forEach(([c, stride], i) => {
    const scope = `/features/${i + 1}`;
    const param = `features.${i + 1}`;
    const cout = ch(c);
    x = cnn.relu6(cnn.convBn(x, cin, cin, 3, stride, cin, scope, 'dw', 'dw_bn', param), `${scope}/dw_relu/Clip`);
    x = cnn.relu6(cnn.convBn(x, cin, cout, 1, 1, 1, scope, 'pw', 'pw_bn', param), `${scope}/pw_relu/Clip`);
    cin = cout;
  });
  return cnn.head(x, cin, options.classes ?? 1001, 'classifier', batch);
}

/**
 * MobileNetV2 in torchvision's layout (1.0-224 by default): conv 3x3/2 32, inverted residual blocks (expand 1x1,
 * depthwise 3x3, linear project 1x1; residual Add when stride 1 and channels match) with the paper's
 * (t, c, n, s) table, conv 1x1 to 1280, global average pool, fc to classes; ReLU6 as Clip. Reference: 300 M MACs,
 * 3.5 M parameters (torchvision).
 */
export function mobileNetV2(options: ClassicCnnOptions = {}): Model {
  const cnn = new CnnBuilder('mobilenet_v2', options);
  const { x: input, batch } = classicInput(cnn, options);
  const alpha = options.widthMultiplier ?? 1;
  let cin = makeDivisible(32 * alpha);
  let x = cnn.relu6(
    cnn.convBn(input, 3, cin, 3, 2, 1, '/features/features.0', '0', '1', 'features.0'),
    '/features/features.0/features.0.2/Clip',
  );
  const settings: [t: number, c: number, n: number, s: number][] = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  let index = 1;
  for (const [t, c, n, s] of settings) {
    const cout = makeDivisible(c * alpha);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = Math.round(cin * t);
      const scope = `/features/features.${index}/conv`;
      const param = `features.${index}.conv`;
      let y = x;
      let k = 0;
      if (t !== 1) {
        y = cnn.convBn(y, cin, hidden, 1, 1, 1, scope, `${k}.0`, `${k}.1`, param);
        y = cnn.relu6(y, `${scope}/${k}.2/Clip`);
        k++;
      }
      y = cnn.relu6(
        cnn.convBn(y, hidden, hidden, 3, stride, hidden, scope, `${k}.0`, `${k}.1`, param),
        `${scope}/${k}.2/Clip`,
      );
      y = cnn.convBn(y, hidden, cout, 1, 1, 1, scope, `${k + 1}`, `${k + 2}`, param);
      if (stride === 1 && cin === cout) y = cnn.b.node('Add', [x, y], {}, { name: `/features/features.${index}/Add` });
      x = y;
      cin = cout;
      index++;
    }
  }
  const last = makeDivisible(1280 * Math.max(1, alpha));
  const scope = `/features/features.${index}`;
  x = cnn.relu6(cnn.convBn(x, cin, last, 1, 1, 1, scope, '0', '1', `features.${index}`), `${scope}/2/Clip`);
  return cnn.head(x, last, options.classes ?? 1000, 'classifier.1', batch);
}
