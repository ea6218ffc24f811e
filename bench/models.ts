/**
 * Large synthetic models for the benchmarks, built with GraphBuilder: a full-weight ResNet-50 (torchvision layout),
 * a BERT-base encoder, and a ~50,000-node graph. Weights are seeded uniform random float32 values, written as raw
 * little-endian data straight from a Float32Array (no per-element encoding, no second copy), so that building the
 * 340 MB model stays well under 2 GB of memory.
 */
import { GraphBuilder, Rng } from '../src/core/onnx/builder.js';
import { DataType } from '../src/core/onnx/dtype.js';
import type { Model, Tensor } from '../src/core/onnx/ir.js';

const F = DataType.FLOAT;
const I64 = DataType.INT64;
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Adds an initializer of uniform random float32 values in [-scale, scale) and returns its name. */
function weight(b: GraphBuilder, rng: Rng, name: string, dims: number[], scale: number): string {
  const n = dims.reduce((a, c) => a * c, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = (rng.next() * 2 - 1) * scale;
  if (!littleEndian) return b.initializer(name, F, dims, values);
  const t: Tensor = { name, dataType: F, dims, data: { kind: 'raw', bytes: new Uint8Array(values.buffer) } };
  return b.addInitializer(t);
}

function filled(b: GraphBuilder, name: string, dims: number[], value: number): string {
  const n = dims.reduce((a, c) => a * c, 1);
  return b.initializer(name, F, dims, new Float32Array(n).fill(value));
}

export interface BuiltModel {
  model: Model;
  params: number;
  description: string;
}

function paramCount(model: Model): number {
  return model.graph.initializers
    .filter((t) => t.dataType === F)
    .reduce((s, t) => s + t.dims.reduce((a, c) => a * c, 1), 0);
}

/**
 * ResNet-50 v1.5 as torchvision lays it out (stride on the 3×3 convolution of each bottleneck, a 1×1 downsample
 * convolution on the first block of every stage), BatchNormalization kept as separate nodes with running statistics,
 * input [1, 3, 224, 224], 1000 classes. Names follow PyTorch's exporter: nodes `/layer1/layer1.0/conv1/Conv`,
 * weights `layer1.0.conv1.weight`. 25.6 M parameters (plus 53 k BN running statistics), ~102 MB.
 */
export function resnet50(seed = 1): BuiltModel {
  const rng = new Rng(seed);
  const b = new GraphBuilder({ opset: 17, name: 'torch_jit', producerName: 'pytorch', producerVersion: '2.1.0' });
  const input = b.input('input', F, [1, 3, 224, 224]);
  // PyTorch's scope names: layer1.0.conv1 -> /layer1/layer1.0/conv1, layer1.0.downsample.0 -> …/downsample/downsample.0
  const scope = (path: string) => {
    const segments: string[] = [];
    let prev = '';
    for (const part of path.split('.')) {
      segments.push(/^\d+$/.test(part) ? `${prev}.${part}` : part);
      prev = part;
    }
    return `/${segments.join('/')}`;
  };
  const out = (node: string) => ({ name: node, outputs: [`${node}_output_0`] });

  const conv = (path: string, x: string, cin: number, cout: number, k: number, stride: number, pad: number) => {
    const w = weight(b, rng, `${path}.weight`, [cout, cin, k, k], Math.sqrt(6 / (cin * k * k)));
    const attrs = { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [stride, stride], dilations: [1, 1] };
    return b.node('Conv', [x, w], { ...attrs, group: 1 }, out(`${scope(path)}/Conv`));
  };
  const bn = (path: string, x: string, c: number) => {
    const inputs = [
      x,
      filled(b, `${path}.weight`, [c], 1),
      filled(b, `${path}.bias`, [c], 0),
      weight(b, rng, `${path}.running_mean`, [c], 0.1),
      filled(b, `${path}.running_var`, [c], 1),
    ];
    return b.node(
      'BatchNormalization',
      inputs,
      { epsilon: 1e-5, momentum: 0.9 },
      out(`${scope(path)}/BatchNormalization`),
    );
  };
  const relu = (path: string, x: string, suffix = '') => b.node('Relu', [x], {}, out(`${scope(path)}/Relu${suffix}`));

  let x = relu('relu', bn('bn1', conv('conv1', input, 3, 64, 7, 2, 3), 64));
  x = b.node('MaxPool', [x], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, out('/maxpool/MaxPool'));
  let c = 64;
  const stages: [blocks: number, width: number, stride: number][] = [
    [3, 64, 1],
    [4, 128, 2],
    [6, 256, 2],
    [3, 512, 2],
  ];
  stages.forEach(([blocks, width, firstStride], s) => {
    for (let i = 0; i < blocks; i++) {
      const p = `layer${s + 1}.${i}`;
      const stride = i === 0 ? firstStride : 1;
      const cout = width * 4;
      let y = relu(`${p}.relu`, bn(`${p}.bn1`, conv(`${p}.conv1`, x, c, width, 1, 1, 0), width));
      y = relu(`${p}.relu`, bn(`${p}.bn2`, conv(`${p}.conv2`, y, width, width, 3, stride, 1), width), '_1');
      y = bn(`${p}.bn3`, conv(`${p}.conv3`, y, width, cout, 1, 1, 0), cout);
      let shortcut = x;
      if (i === 0) shortcut = bn(`${p}.downsample.1`, conv(`${p}.downsample.0`, x, c, cout, 1, stride, 0), cout);
      const sum = b.node('Add', [y, shortcut], {}, out(`${scope(p)}/Add`));
      x = relu(`${p}.relu`, sum, '_2');
      c = cout;
    }
  });
  const pooled = b.node('GlobalAveragePool', [x], {}, out('/avgpool/GlobalAveragePool'));
  const flat = b.node('Flatten', [pooled], { axis: 1 }, out('/Flatten'));
  const fcW = weight(b, rng, 'fc.weight', [1000, 2048], Math.sqrt(1 / 2048));
  const fcB = weight(b, rng, 'fc.bias', [1000], Math.sqrt(1 / 2048));
  b.node('Gemm', [flat, fcW, fcB], { alpha: 1, beta: 1, transB: 1 }, { name: '/fc/Gemm', outputs: ['output'] });
  b.output('output', F, [1, 1000]);
  const model = b.build();
  return {
    model,
    params: paramCount(model),
    description: 'ResNet-50 v1.5 (torchvision layout, BN unfused), 1x3x224x224',
  };
}

export interface BertOptions {
  layers?: number;
  hidden?: number;
  heads?: number;
  ffn?: number;
  seq?: number;
  /** Include the 30522×768 word embedding table (a Gather on `input_ids`): +23.4 M parameters, ~436 MB in all. */
  wordEmbeddings?: boolean;
  seed?: number;
}

/**
 * A BERT-base encoder as Hugging Face's exporter lays it out: 12 layers, hidden 768, 12 heads, FFN 3072, sequence
 * 128, batch 1. By default it starts from `inputs_embeds` [1, 128, 768] (what the issue calls the encoder, ~340 MB):
 * position and token-type embeddings (Gather on constant ids), LayerNorm, the extended attention mask from
 * `attention_mask`, then per layer Q/K/V MatMul+Add, Reshape/Transpose into heads, scaled QKᵀ + mask, Softmax, ·V,
 * merge, output dense + residual + LayerNorm, FFN with erf-GELU, residual + LayerNorm. 85.45 M parameters, 342 MB.
 * With `wordEmbeddings`, `input_ids` [1, 128] goes through the 30522×768 word embedding Gather instead
 * (108.9 M parameters, 436 MB).
 */
export function bertBase(options: BertOptions = {}): BuiltModel {
  const layers = options.layers ?? 12;
  const hidden = options.hidden ?? 768;
  const heads = options.heads ?? 12;
  const ffn = options.ffn ?? 3072;
  const seq = options.seq ?? 128;
  const headDim = hidden / heads;
  const rng = new Rng(options.seed ?? 2);
  const std = 0.02 * Math.sqrt(3);
  const b = new GraphBuilder({ opset: 17, name: 'main_graph', producerName: 'pytorch', producerVersion: '2.1.0' });
  const out = (node: string) => ({ name: node, outputs: [`${node}_output_0`] });

  let embeds: string;
  if (options.wordEmbeddings) {
    const ids = b.input('input_ids', I64, [1, seq]);
    const table = weight(b, rng, 'embeddings.word_embeddings.weight', [30522, hidden], std);
    embeds = b.node('Gather', [table, ids], { axis: 0 }, out('/embeddings/word_embeddings/Gather'));
  } else {
    embeds = b.input('inputs_embeds', F, [1, seq, hidden]);
  }
  const mask = b.input('attention_mask', I64, [1, seq]);
  const positionIds = b.initializer(
    'embeddings.position_ids',
    I64,
    [1, seq],
    Array.from({ length: seq }, (_, i) => i),
  );
  const tokenTypeIds = b.initializer('embeddings.token_type_ids', I64, [1, seq], new Array<number>(seq).fill(0));
  const posTable = weight(b, rng, 'embeddings.position_embeddings.weight', [512, hidden], std);
  const typeTable = weight(b, rng, 'embeddings.token_type_embeddings.weight', [2, hidden], std);
  const pos = b.node('Gather', [posTable, positionIds], { axis: 0 }, out('/embeddings/position_embeddings/Gather'));
  const typ = b.node('Gather', [typeTable, tokenTypeIds], { axis: 0 }, out('/embeddings/token_type_embeddings/Gather'));
  const e1 = b.node('Add', [embeds, typ], {}, out('/embeddings/Add'));
  const e2 = b.node('Add', [e1, pos], {}, out('/embeddings/Add_1'));
  const layerNorm = (path: string, scope: string, x: string) =>
    b.node(
      'LayerNormalization',
      [x, filled(b, `${path}.weight`, [hidden], 1), filled(b, `${path}.bias`, [hidden], 0)],
      { axis: -1, epsilon: 1e-12 },
      out(`${scope}/LayerNormalization`),
    );
  let h = layerNorm('embeddings.LayerNorm', '/embeddings/LayerNorm', e2);

  // Extended attention mask: (1 - mask) * -10000, broadcast over heads and query positions.
  const axes = b.initializer('/Constant_axes', I64, [2], [1, 2]);
  const unsq = b.node('Unsqueeze', [mask, axes], {}, out('/Unsqueeze'));
  const maskF = b.node('Cast', [unsq], { to: F }, out('/Cast'));
  const one = b.initializer('/Constant_one', F, [], [1]);
  const inv = b.node('Sub', [one, maskF], {}, out('/Sub'));
  const big = b.initializer('/Constant_min', F, [], [-10000]);
  const extMask = b.node('Mul', [inv, big], {}, out('/Mul'));

  const headsShape = b.initializer('/Constant_heads_shape', I64, [4], [1, seq, heads, headDim]);
  const mergedShape = b.initializer('/Constant_merged_shape', I64, [3], [1, seq, hidden]);
  const scale = b.initializer('/Constant_scale', F, [], [Math.sqrt(headDim)]);
  const sqrt2 = b.initializer('/Constant_sqrt2', F, [], [Math.SQRT2]);
  const half = b.initializer('/Constant_half', F, [], [0.5]);

  for (let l = 0; l < layers; l++) {
    const p = `encoder.layer.${l}`;
    const s = `/encoder/layer.${l}`;
    const dense = (path: string, scope: string, x: string, cin: number, cout: number) => {
      const w = weight(b, rng, `${path}.weight`, [cin, cout], std);
      const bias = weight(b, rng, `${path}.bias`, [cout], std);
      const mm = b.node('MatMul', [x, w], {}, out(`${scope}/MatMul`));
      return b.node('Add', [bias, mm], {}, out(`${scope}/Add`));
    };
    const project = (name: string, perm: number[]) => {
      const scope = `${s}/attention/self/${name}`;
      const y = dense(`${p}.attention.self.${name}`, scope, h, hidden, hidden);
      const r = b.node('Reshape', [y, headsShape], {}, out(`${scope}/Reshape`));
      return b.node('Transpose', [r], { perm }, out(`${scope}/Transpose`));
    };
    const q = project('query', [0, 2, 1, 3]);
    const k = project('key', [0, 2, 3, 1]);
    const v = project('value', [0, 2, 1, 3]);
    const a = `${s}/attention/self`;
    const scores = b.node('MatMul', [q, k], {}, out(`${a}/MatMul`));
    const scaled = b.node('Div', [scores, scale], {}, out(`${a}/Div`));
    const masked = b.node('Add', [scaled, extMask], {}, out(`${a}/Add`));
    const probs = b.node('Softmax', [masked], { axis: -1 }, out(`${a}/Softmax`));
    const ctx = b.node('MatMul', [probs, v], {}, out(`${a}/MatMul_1`));
    const ctxT = b.node('Transpose', [ctx], { perm: [0, 2, 1, 3] }, out(`${a}/Transpose`));
    const merged = b.node('Reshape', [ctxT, mergedShape], {}, out(`${a}/Reshape`));
    const attnOut = dense(`${p}.attention.output.dense`, `${s}/attention/output/dense`, merged, hidden, hidden);
    const res1 = b.node('Add', [attnOut, h], {}, out(`${s}/attention/output/Add`));
    const h1 = layerNorm(`${p}.attention.output.LayerNorm`, `${s}/attention/output/LayerNorm`, res1);
    const up = dense(`${p}.intermediate.dense`, `${s}/intermediate/dense`, h1, hidden, ffn);
    const g = `${s}/intermediate/intermediate_act_fn`;
    const div = b.node('Div', [up, sqrt2], {}, out(`${g}/Div`));
    const erf = b.node('Erf', [div], {}, out(`${g}/Erf`));
    const add = b.node('Add', [erf, one], {}, out(`${g}/Add`));
    const mul = b.node('Mul', [up, add], {}, out(`${g}/Mul`));
    const act = b.node('Mul', [mul, half], {}, out(`${g}/Mul_1`));
    const down = dense(`${p}.output.dense`, `${s}/output/dense`, act, ffn, hidden);
    const res2 = b.node('Add', [down, h1], {}, out(`${s}/output/Add`));
    h = layerNorm(`${p}.output.LayerNorm`, `${s}/output/LayerNorm`, res2);
  }
  b.node('Identity', [h], {}, { name: '/Identity', outputs: ['last_hidden_state'] });
  b.output('last_hidden_state', F, [1, seq, hidden]);
  const model = b.build();
  const what = options.wordEmbeddings ? 'from input_ids, with the 30522x768 word embedding' : 'from inputs_embeds';
  return {
    model,
    params: paramCount(model),
    description: `BERT-base encoder (${layers} layers, hidden ${hidden}, ${heads} heads, FFN ${ffn}, seq ${seq}), ${what}`,
  };
}

/**
 * A graph of `nodes` nodes (rounded to whole blocks, plus a two-node head): a chain of residual blocks
 * `/blocks/blocks.<i>/conv/Conv` (3×3, 4 channels, 8×8 feature map, with bias) -> `/blocks/blocks.<i>/Add`
 * (residual) -> `/blocks/blocks.<i>/Relu`, then GlobalAveragePool and Flatten.
 */
export function deepChain(nodes = 50_000, seed = 3): BuiltModel {
  const channels = 4;
  const size = 8;
  const blocks = Math.max(1, Math.round((nodes - 2) / 3));
  const rng = new Rng(seed);
  const b = new GraphBuilder({ opset: 17, name: 'main_graph', producerName: 'pytorch', producerVersion: '2.1.0' });
  let x = b.input('input', F, [1, channels, size, size]);
  const scale = Math.sqrt(6 / (channels * 9)) / 4;
  for (let i = 0; i < blocks; i++) {
    const p = `blocks.${i}`;
    const s = `/blocks/blocks.${i}`;
    const w = weight(b, rng, `${p}.conv.weight`, [channels, channels, 3, 3], scale);
    const bias = weight(b, rng, `${p}.conv.bias`, [channels], 0.01);
    const y = b.node(
      'Conv',
      [x, w, bias],
      { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [1, 1], group: 1 },
      { name: `${s}/conv/Conv`, outputs: [`${s}/conv/Conv_output_0`] },
    );
    const sum = b.node('Add', [y, x], {}, { name: `${s}/Add`, outputs: [`${s}/Add_output_0`] });
    x = b.node('Relu', [sum], {}, { name: `${s}/Relu`, outputs: [`${s}/Relu_output_0`] });
  }
  const pooled = b.node('GlobalAveragePool', [x], {}, { name: '/pool/GlobalAveragePool', outputs: ['pooled'] });
  b.node('Flatten', [pooled], { axis: 1 }, { name: '/Flatten', outputs: ['output'] });
  b.output('output', F, [1, channels]);
  const model = b.build();
  return {
    model,
    params: paramCount(model),
    description: `${model.graph.nodes.length} nodes: ${blocks} residual blocks Conv3x3(${channels}ch, ${size}x${size})+Add+Relu`,
  };
}
