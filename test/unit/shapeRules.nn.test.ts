/**
 * Shape rules of the NN family (ops/nn.ts), quantization (ops/quantized.ts), recurrent layers (ops/rnn.ts) and ONNX
 * Runtime's contrib/NCHWc operators (ops/contrib.ts).
 *
 * Expected shapes come from ONNX's operator documentation and its node test cases (named `test_*` below, with the
 * shapes of their model.onnx / output_0.pb), from ONNX Runtime's docs/ContribOperators.md, and for the NCHWc
 * operators from what ONNX Runtime 1.30 produced when running models its optimizer had rewritten (x86, AVX-512).
 *
 * Shapes are written as strings: '1,3,H,W' (sizes, symbols, '?' for unknown), '' for a scalar.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Dim } from '../../src/core/analysis/facts.js';
import { inferShapes, type ShapeInference } from '../../src/core/analysis/infer.js';
import { type AttrInput, attr, GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType, type OpsetImport } from '../../src/core/onnx/index.js';

const F = DataType.FLOAT;
const F16 = DataType.FLOAT16;
const U8 = DataType.UINT8;
const I8 = DataType.INT8;
const I32 = DataType.INT32;
const I64 = DataType.INT64;

/** '1,3,H,?' -> [1, 3, 'H', null]; '' -> []. */
function sh(s: string): Dim[] {
  if (s === '') return [];
  return s.split(',').map((d) => (/^\d+$/.test(d) ? Number(d) : d === '?' ? null : d));
}

/** Builds a graph, infers it with declared shapes off, and returns the result. */
function run(build: (g: GraphBuilder) => void, opset = 17, opsetImports: OpsetImport[] = []): ShapeInference {
  const g = new GraphBuilder({ opset, opsetImports });
  build(g);
  return inferShapes(g.build(), { useDeclared: false });
}

/** Checks a value's element type and shape (`shape` undefined: rank unknown). */
function expectTensor(
  r: ShapeInference,
  name: string,
  dtype: number | undefined,
  shape: string | undefined,
  what = name,
) {
  const f = r.values.get(name);
  assert.ok(f?.kind === 'tensor', `${what}: '${name}' should be a tensor, got ${JSON.stringify(f)}`);
  if (f?.kind !== 'tensor') return;
  assert.equal(f.dtype, dtype, `${what}: element type of '${name}'`);
  assert.deepEqual(f.shape, shape === undefined ? undefined : sh(shape), `${what}: shape of '${name}'`);
}

function expectWarning(r: ShapeInference, pattern: RegExp, what: string): void {
  const messages = r.warnings.filter((w) => w.code === 'rule-failed').map((w) => w.message);
  assert.ok(
    messages.some((m) => pattern.test(m)),
    `${what}: expected a rule-failed warning matching ${pattern}, got ${JSON.stringify(messages)}`,
  );
}

interface SingleOptions {
  opset?: number;
  outputs?: number;
  /** Element type per input (default float32; int64 for constants). */
  dtypes?: number[];
  domain?: string;
  /** Inputs given as 1-D constant initializers instead of graph inputs. */
  consts?: Record<number, number[]>;
}

/** One node over inputs x0, x1, … of the given shapes (undefined: unknown rank); outputs y0, y1, … */
function single(
  op: string,
  shapes: (string | undefined)[],
  attrs: Record<string, AttrInput> = {},
  options: SingleOptions = {},
): ShapeInference {
  const domain = options.domain;
  return run(
    (g) => {
      const inputs = shapes.map((s, i) => {
        const c = options.consts?.[i];
        if (c) return g.initializer(`x${i}`, options.dtypes?.[i] ?? I64, [c.length], c);
        return g.input(`x${i}`, options.dtypes?.[i] ?? F, s === undefined ? undefined : sh(s));
      });
      const outs = Array.from({ length: options.outputs ?? 1 }, (_, i) => `y${i}`);
      g.nodeOutputs(op, inputs, outs, attrs, domain ? { domain } : {});
    },
    options.opset ?? 17,
    domain ? [{ domain, version: 1 }] : [],
  );
}

describe('Conv family', () => {
  test('Conv output sizes follow pads, strides, dilations and auto_pad', () => {
    // test_conv_with_strides_padding / _no_padding / _and_asymmetric_padding: x [1,1,7,5], W [1,1,3,3], strides 2
    const x = '1,1,7,5';
    const w = '1,1,3,3';
    expectTensor(single('Conv', [x, w], { strides: [2, 2], pads: [1, 1, 1, 1] }), 'y0', F, '1,1,4,3');
    expectTensor(single('Conv', [x, w], { strides: [2, 2] }), 'y0', F, '1,1,3,2');
    expectTensor(single('Conv', [x, w], { strides: [2, 2], pads: [1, 0, 1, 0] }), 'y0', F, '1,1,4,2');
    // test_conv_with_autopad_same: x [1,1,5,5], strides 2, SAME_LOWER -> ceil(5/2)
    const same = single('Conv', ['1,1,5,5', w], { strides: [2, 2], auto_pad: 'SAME_LOWER' });
    expectTensor(same, 'y0', F, '1,1,3,3');
    // Dilation 2 widens a 3-tap kernel to 5: 7 - 5 + 1 = 3; VALID ignores pads.
    expectTensor(single('Conv', ['1,2,7,7', '4,2,3,3'], { dilations: [2, 2] }), 'y0', F, '1,4,3,3');
    const valid = single('Conv', ['1,2,7,7', '4,2,3,3'], { auto_pad: 'VALID', strides: [2, 2], pads: [1, 1, 1, 1] });
    expectTensor(valid, 'y0', F, '1,4,3,3');
    // 1-D and 3-D convolutions, grouped (depthwise) weights, kernel_shape attribute.
    expectTensor(single('Conv', ['2,3,10', '6,3,3']), 'y0', F, '2,6,8');
    const conv3d = single('Conv', ['1,1,4,5,6', '2,1,3,3,3'], { pads: [1, 1, 1, 1, 1, 1] });
    expectTensor(conv3d, 'y0', F, '1,2,4,5,6');
    const depthwise = single('Conv', ['1,8,9,9', '8,1,3,3'], { group: 8, kernel_shape: [3, 3] });
    expectTensor(depthwise, 'y0', F, '1,8,7,7');
  });

  test('Conv keeps symbolic sizes only where the output provably equals them', () => {
    const x = 'N,3,H,W';
    const w = '16,3,3,3';
    expectTensor(single('Conv', [x, w], { pads: [1, 1, 1, 1] }), 'y0', F, 'N,16,H,W');
    expectTensor(single('Conv', [x, w], { auto_pad: 'SAME_UPPER' }), 'y0', F, 'N,16,H,W');
    expectTensor(single('Conv', [x, w], { pads: [1, 1, 1, 1], strides: [2, 2] }), 'y0', F, 'N,16,?,?');
    expectTensor(single('Conv', [x, w]), 'y0', F, 'N,16,?,?');
  });

  test('Conv with an unknown input or invalid attributes does not throw', () => {
    expectTensor(single('Conv', [undefined, '16,3,3,3']), 'y0', F, undefined);
    const bad = single('Conv', ['1,3,8,8', '16,3,3,3'], { pads: [1, 1] });
    expectWarning(bad, /pads has 2 values, expected 4/, 'pads of the wrong length');
    const small = single('Conv', ['1,3,2,2', '16,3,3,3']);
    expectWarning(small, /does not fit/, 'kernel larger than the input');
  });

  test('DeformConv has a Conv output', () => {
    // test_deform_conv_with_padding: X [1,1,3,3], W [1,1,2,2], offset [1,8,4,4], pads 1 -> [1,1,4,4]
    const r = single('DeformConv', ['1,1,3,3', '1,1,2,2', '1,8,4,4'], { pads: [1, 1, 1, 1] }, { opset: 19 });
    expectTensor(r, 'y0', F, '1,1,4,4');
  });

  test('ConvTranspose: pads, strides, output_padding, output_shape, auto_pad, dilations, group', () => {
    const x = '1,1,3,3';
    const w = '1,2,3,3';
    // test_convtranspose, _1d, _3d
    expectTensor(single('ConvTranspose', [x, w]), 'y0', F, '1,2,5,5');
    expectTensor(single('ConvTranspose', ['1,1,3', '1,2,3']), 'y0', F, '1,2,5');
    expectTensor(single('ConvTranspose', ['1,1,3,4,5', '1,2,3,3,3']), 'y0', F, '1,2,5,6,7');
    // test_convtranspose_pads: strides [3,2], pads [1,2,1,2] -> [1,2,7,3]
    expectTensor(single('ConvTranspose', [x, w], { strides: [3, 2], pads: [1, 2, 1, 2] }), 'y0', F, '1,2,7,3');
    // test_convtranspose_output_shape / _kernel_shape: output_shape [10, 8]
    expectTensor(single('ConvTranspose', [x, w], { strides: [3, 2], output_shape: [10, 8] }), 'y0', F, '1,2,10,8');
    const withKernel = single('ConvTranspose', [x, w], {
      strides: [3, 2],
      output_shape: [10, 8],
      kernel_shape: [3, 3],
      output_padding: [1, 1],
    });
    expectTensor(withKernel, 'y0', F, '1,2,10,8');
    // output_padding adds at the end: 3*(3-1)+1+3 = 10, 2*(3-1)+1+3 = 8
    const outPad = single('ConvTranspose', [x, w], { strides: [3, 2], output_padding: [1, 1] });
    expectTensor(outPad, 'y0', F, '1,2,10,8');
    // test_convtranspose_autopad_same: SAME_UPPER, strides 2 -> input * stride
    const same = single('ConvTranspose', [x, w], { strides: [2, 2], auto_pad: 'SAME_UPPER' });
    expectTensor(same, 'y0', F, '1,2,6,6');
    // test_convtranspose_dilations: W [1,1,2,2], dilations 2 -> [1,1,5,5]
    expectTensor(single('ConvTranspose', [x, '1,1,2,2'], { dilations: [2, 2] }), 'y0', F, '1,1,5,5');
    // W is [C, M/group, k…]: 2 groups of 3 output channels.
    expectTensor(single('ConvTranspose', ['1,4,3,3', '4,3,3,3'], { group: 2 }), 'y0', F, '1,6,5,5');
    const symbolic = single('ConvTranspose', ['N,4,H,W', '4,3,3,3'], { pads: [1, 1, 1, 1] });
    expectTensor(symbolic, 'y0', F, 'N,3,H,W');
  });
});

describe('pooling', () => {
  test('MaxPool: ceil_mode, auto_pad, dilations, 3-D, and the Indices output', () => {
    // test_maxpool_2d_ceil: x [1,1,4,4], k3, s2, ceil -> [1,1,2,2]
    const ceil = single(
      'MaxPool',
      ['1,1,4,4'],
      { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
      { outputs: 2 },
    );
    expectTensor(ceil, 'y0', F, '1,1,2,2');
    expectTensor(ceil, 'y1', I64, '1,1,2,2', 'Indices');
    // test_maxpool_2d_ceil_output_size_reduce_by_one (ONNX 1.16+): a window that would start in the end padding is
    // dropped: [1,1,2,2], k1, s2, ceil -> [1,1,1,1]
    const reduce = single('MaxPool', ['1,1,2,2'], { kernel_shape: [1, 1], strides: [2, 2], ceil_mode: 1 });
    expectTensor(reduce, 'y0', F, '1,1,1,1');
    // The same rule with padding (PyTorch, ONNX Runtime): 5 + 2 pads, k2, s2: ceil(5/2)+1 = 4, last dropped -> 3
    const padded = single('MaxPool', ['1,1,5,5'], {
      kernel_shape: [2, 2],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      ceil_mode: 1,
    });
    expectTensor(padded, 'y0', F, '1,1,3,3');
    // test_maxpool_2d_same_upper, _precomputed_same_upper, _dilations, _3d_default
    expectTensor(
      single('MaxPool', ['1,3,32,32'], { kernel_shape: [2, 2], auto_pad: 'SAME_UPPER' }),
      'y0',
      F,
      '1,3,32,32',
    );
    const sameStrided = single('MaxPool', ['1,1,5,5'], {
      kernel_shape: [3, 3],
      strides: [2, 2],
      auto_pad: 'SAME_UPPER',
    });
    expectTensor(sameStrided, 'y0', F, '1,1,3,3');
    expectTensor(single('MaxPool', ['1,1,4,4'], { kernel_shape: [2, 2], dilations: [2, 2] }), 'y0', F, '1,1,2,2');
    expectTensor(single('MaxPool', ['1,3,32,32,32'], { kernel_shape: [2, 2, 2] }), 'y0', F, '1,3,31,31,31');
    // test_maxpool_with_argmax_2d_precomputed_pads: k5, pads 2 -> same size
    const argmax = single('MaxPool', ['1,1,5,5'], { kernel_shape: [5, 5], pads: [2, 2, 2, 2] }, { outputs: 2 });
    expectTensor(argmax, 'y1', I64, '1,1,5,5', 'Indices');
    expectWarning(single('MaxPool', ['1,1,5,5']), /kernel_shape is required/, 'MaxPool without kernel_shape');
  });

  test('AveragePool and LpPool', () => {
    // test_averagepool_2d_pads: [1,3,28,28], k3, pads 2 -> [1,3,30,30]
    const pads = single('AveragePool', ['1,3,28,28'], { kernel_shape: [3, 3], pads: [2, 2, 2, 2] });
    expectTensor(pads, 'y0', F, '1,3,30,30');
    // test_averagepool_2d_dilations (opset 19): [1,1,4,4], k2, dilations 2, ceil -> [1,1,2,2]
    const dilated = single(
      'AveragePool',
      ['1,1,4,4'],
      { kernel_shape: [2, 2], dilations: [2, 2], ceil_mode: 1 },
      { opset: 19 },
    );
    expectTensor(dilated, 'y0', F, '1,1,2,2');
    // test_lppool_2d_strides: [1,3,32,32], k5, s3 -> [1,3,10,10]
    expectTensor(single('LpPool', ['1,3,32,32'], { kernel_shape: [5, 5], strides: [3, 3] }), 'y0', F, '1,3,10,10');
  });

  test('global pooling keeps batch and channels', () => {
    for (const op of ['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']) {
      expectTensor(single(op, ['N,3,7,9']), 'y0', F, 'N,3,1,1', op);
    }
  });

  test('MaxUnpool with and without output_shape', () => {
    const attrs = { kernel_shape: [2, 2], strides: [2, 2] };
    // test_maxunpool_export_without_output_shape: [1,1,2,2], k2, s2 -> [1,1,4,4]
    expectTensor(single('MaxUnpool', ['1,1,2,2', '1,1,2,2'], attrs, { dtypes: [F, I64] }), 'y0', F, '1,1,4,4');
    // test_maxunpool_export_with_output_shape, with the output shape as a constant …
    const r = single('MaxUnpool', ['1,1,2,2', '1,1,2,2', undefined], attrs, {
      dtypes: [F, I64, I64],
      consts: { 2: [1, 1, 5, 5] },
    });
    expectTensor(r, 'y0', F, '1,1,5,5');
    // … and as a graph input: the sizes are data, only the rank is known.
    const dynamic = single('MaxUnpool', ['1,1,2,2', '1,1,2,2', '4'], attrs, { dtypes: [F, I64, I64] });
    expectTensor(dynamic, 'y0', F, '?,?,?,?');
  });

  test('RoiAlign and MaxRoiPool', () => {
    // test_roialign_aligned_false: X [1,1,10,10], rois [3,4], batch_indices [3], 5x5 -> [3,1,5,5]
    const attrs = { output_height: 5, output_width: 5 };
    expectTensor(single('RoiAlign', ['1,1,10,10', '3,4', '3'], attrs, { dtypes: [F, F, I64] }), 'y0', F, '3,1,5,5');
    expectTensor(single('RoiAlign', ['1,4,10,10', 'R,4', 'R'], {}, { dtypes: [F, F, I64] }), 'y0', F, 'R,4,1,1');
    expectTensor(single('MaxRoiPool', ['1,3,8,8', '2,5'], { pooled_shape: [2, 2] }), 'y0', F, '2,3,2,2');
  });
});

describe('normalization', () => {
  test('BatchNormalization: Y like X; statistics like the mean input', () => {
    // test_batchnorm_example_training_mode (opset 15): running_mean/var [3]
    const r = single('BatchNormalization', ['2,3,4,5', '3', '3', '3', '3'], { training_mode: 1 }, { outputs: 3 });
    expectTensor(r, 'y0', F, '2,3,4,5');
    expectTensor(r, 'y1', F, '3', 'running_mean');
    expectTensor(r, 'y2', F, '3', 'running_var');
    // opset 9: Y, mean, var, saved_mean, saved_var
    const old = single('BatchNormalization', ['N,3,4', '3', '3', '3', '3'], {}, { outputs: 5, opset: 9 });
    expectTensor(old, 'y0', F, 'N,3,4');
    expectTensor(old, 'y4', F, '3', 'saved_var');
  });

  test('LayerNormalization: Mean and InvStdDev keep the axes before `axis`, typed by stash_type', () => {
    // test_layer_normalization_4d_axis1: X [2,3,4,5], axis 1 -> Mean [2,1,1,1]
    const r = single('LayerNormalization', ['2,3,4,5', '3,4,5', '3,4,5'], { axis: 1 }, { outputs: 3 });
    expectTensor(r, 'y0', F, '2,3,4,5');
    expectTensor(r, 'y1', F, '2,1,1,1', 'Mean');
    expectTensor(r, 'y2', F, '2,1,1,1', 'InvStdDev');
    // default axis -1, float16 data with float statistics
    const half = single('LayerNormalization', ['B,S,8', '8'], {}, { outputs: 2, dtypes: [F16, F16] });
    expectTensor(half, 'y0', F16, 'B,S,8');
    expectTensor(half, 'y1', F, 'B,S,1', 'Mean');
    const double = single('LayerNormalization', ['2,8', '8'], { stash_type: DataType.DOUBLE }, { outputs: 2 });
    expectTensor(double, 'y1', DataType.DOUBLE, '2,1', 'Mean with stash_type double');
  });

  test('InstanceNormalization, GroupNormalization, MeanVarianceNormalization, LRN keep the shape', () => {
    expectTensor(single('InstanceNormalization', ['1,2,3,4', '2', '2']), 'y0', F, '1,2,3,4');
    const group = single('GroupNormalization', ['N,4,2,2', '2', '2'], { num_groups: 2 }, { opset: 18 });
    expectTensor(group, 'y0', F, 'N,4,2,2');
    expectTensor(single('MeanVarianceNormalization', ['3,3,3,1']), 'y0', F, '3,3,3,1');
    expectTensor(single('LRN', ['5,5,5,5'], { size: 3 }), 'y0', F, '5,5,5,5');
  });
});

describe('matrix products', () => {
  test('Gemm with transA / transB', () => {
    // test_gemm_transposeA: A [6,3] transA, B [6,4] -> [3,4]; test_gemm_transposeB: A [3,6], B [4,6] -> [3,4]
    expectTensor(single('Gemm', ['6,3', '6,4', '1,4'], { transA: 1 }), 'y0', F, '3,4');
    expectTensor(single('Gemm', ['3,6', '4,6'], { transB: 1 }), 'y0', F, '3,4');
    expectTensor(single('Gemm', ['N,6', '6,10']), 'y0', F, 'N,10');
    expectWarning(single('Gemm', ['3,6', '5,4']), /inner dimensions 6 and 5 differ/, 'Gemm K mismatch');
  });

  test('MatMul follows numpy.matmul (1-D operands, batch broadcasting)', () => {
    // test_matmul_2d, _3d, _4d
    expectTensor(single('MatMul', ['3,4', '4,3']), 'y0', F, '3,3');
    expectTensor(single('MatMul', ['2,3,4', '2,4,3']), 'y0', F, '2,3,3');
    expectTensor(single('MatMul', ['1,2,3,4', '1,2,4,3']), 'y0', F, '1,2,3,3');
    expectTensor(single('MatMul', ['4', '4,5']), 'y0', F, '5', 'vector @ matrix');
    expectTensor(single('MatMul', ['2,3,4', '4']), 'y0', F, '2,3', 'batch @ vector');
    expectTensor(single('MatMul', ['4', '4']), 'y0', F, '', 'vector @ vector');
    expectTensor(single('MatMul', ['2,1,3,4', '5,4,6']), 'y0', F, '2,5,3,6', 'batch broadcast');
    expectTensor(single('MatMul', ['B,S,64', '64,128']), 'y0', F, 'B,S,128');
    expectWarning(single('MatMul', ['2,3', '4,5']), /inner dimensions 3 and 4 differ/, 'MatMul K mismatch');
  });

  test('Einsum parses explicit and implicit equations', () => {
    // test_einsum_batch_matmul, _transpose, _sum, _inner_prod, _batch_diagonal
    expectTensor(single('Einsum', ['5,2,3', '5,3,4'], { equation: 'bij, bjk -> bik' }), 'y0', F, '5,2,4');
    expectTensor(single('Einsum', ['3,4'], { equation: 'ij->ji' }), 'y0', F, '4,3');
    expectTensor(single('Einsum', ['3,4'], { equation: 'ij->i' }), 'y0', F, '3');
    expectTensor(single('Einsum', ['5', '5'], { equation: 'i,i' }), 'y0', F, '');
    expectTensor(single('Einsum', ['3,5,5'], { equation: '...ii ->...i' }), 'y0', F, '3,5');
    // Implicit output: labels seen once, sorted ('ba' -> 'ab'), broadcast axes first.
    expectTensor(single('Einsum', ['2,3'], { equation: 'ba' }), 'y0', F, '3,2');
    expectTensor(single('Einsum', ['2,3', '3,4'], { equation: 'ij,jk' }), 'y0', F, '2,4');
    expectTensor(single('Einsum', ['7,1,2,3', '4,3,5'], { equation: '...ij,...jk' }), 'y0', F, '7,4,2,5');
    const bad = single('Einsum', ['2,3', '4,5'], { equation: 'ij,jk->ik' });
    expectWarning(bad, /must be equal/, 'label sizes that differ');
  });
});

describe('softmax, Flatten, sampling, losses', () => {
  test('Softmax, LogSoftmax, Hardmax keep the input', () => {
    for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) expectTensor(single(op, ['N,10']), 'y0', F, 'N,10', op);
  });

  test('Flatten', () => {
    // test_flatten_axis0..3, _negative_axis1
    const x = '2,3,4,5';
    expectTensor(single('Flatten', [x], { axis: 0 }), 'y0', F, '1,120');
    expectTensor(single('Flatten', [x], { axis: 1 }), 'y0', F, '2,60');
    expectTensor(single('Flatten', [x], { axis: 3 }), 'y0', F, '24,5');
    expectTensor(single('Flatten', [x], { axis: 4 }), 'y0', F, '120,1');
    expectTensor(single('Flatten', [x], { axis: -1 }), 'y0', F, '24,5');
    expectTensor(single('Flatten', ['N,3,4']), 'y0', F, 'N,12');
    // A constant passes through with its new dims.
    const r = run((g) => {
      g.initializer('c', I64, [2, 3], [1, 2, 3, 4, 5, 6]);
      g.node('Flatten', ['c'], { axis: 0 }, { outputs: ['y'] });
    });
    const f = r.values.get('y');
    assert.ok(f?.kind === 'tensor' && f.value, 'Flatten of a constant keeps its value');
    if (f?.kind === 'tensor') assert.deepEqual(f.value, { dims: [1, 6], data: [1, 2, 3, 4, 5, 6] }, 'folded value');
  });

  test('GridSample, AffineGrid, Col2Im', () => {
    // test_gridsample: X [1,1,4,4], grid [1,6,6,2] -> [1,1,6,6]
    expectTensor(single('GridSample', ['1,1,4,4', '1,6,6,2'], {}, { opset: 16 }), 'y0', F, '1,1,6,6');
    // AffineGrid (opset 20): theta [2,2,3], size [2,3,5,6] -> [2,5,6,2]; 3-D: [N,C,D,H,W] -> [N,D,H,W,3]
    const grid2d = single('AffineGrid', ['2,2,3', undefined], {}, { opset: 20, consts: { 1: [2, 3, 5, 6] } });
    expectTensor(grid2d, 'y0', F, '2,5,6,2');
    const grid3d = single('AffineGrid', ['2,3,4', undefined], {}, { opset: 20, consts: { 1: [2, 3, 4, 5, 6] } });
    expectTensor(grid3d, 'y0', F, '2,4,5,6,3');
    // test_col2im: input [1,5,5], image_shape [5,5], block_shape [1,5] -> [1,1,5,5]
    const col = single('Col2Im', ['1,5,5', undefined, undefined], {}, { opset: 18, consts: { 1: [5, 5], 2: [1, 5] } });
    expectTensor(col, 'y0', F, '1,1,5,5');
  });

  test('NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss by reduction', () => {
    // test_nllloss_NCd1d2_reduction_none: input [3,5,6,6], target [3,6,6] -> [3,6,6]; mean -> scalar
    const dtypes = [F, I64];
    const nll = ['3,5,6,6', '3,6,6'];
    expectTensor(single('NegativeLogLikelihoodLoss', nll, { reduction: 'none' }, { dtypes }), 'y0', F, '3,6,6');
    expectTensor(single('NegativeLogLikelihoodLoss', nll, {}, { dtypes }), 'y0', F, '');
    // test_sce_NCd1d2d3_none_no_weight_log_prob: scores [3,5,6,6,5], labels [3,6,6,5]
    const sce = single(
      'SoftmaxCrossEntropyLoss',
      ['3,5,6,6,5', '3,6,6,5'],
      { reduction: 'none' },
      { dtypes, outputs: 2 },
    );
    expectTensor(sce, 'y0', F, '3,6,6,5');
    expectTensor(sce, 'y1', F, '3,5,6,6,5', 'log_prob');
    expectTensor(single('SoftmaxCrossEntropyLoss', ['3,5', '3'], { reduction: 'sum' }, { dtypes }), 'y0', F, '');
  });
});

describe('quantization', () => {
  test('QuantizeLinear output type: output_dtype, zero point, uint8', () => {
    const r = run((g) => {
      g.input('x', F, [6]);
      g.initializer('s', F, [], [1]);
      g.initializer('zu', U8, [], [0]);
      g.initializer('zi', I8, [], [0]);
      g.node('QuantizeLinear', ['x', 's', 'zu'], {}, { outputs: ['u'] });
      g.node('QuantizeLinear', ['x', 's', 'zi'], {}, { outputs: ['i'] });
      g.node('QuantizeLinear', ['x', 's'], {}, { outputs: ['d'] });
      g.node('QuantizeLinear', ['x', 's'], { output_dtype: DataType.INT4 }, { outputs: ['o'] });
    }, 21);
    expectTensor(r, 'u', U8, '6', 'uint8 zero point (test_quantizelinear)');
    expectTensor(r, 'i', I8, '6', 'int8 zero point');
    expectTensor(r, 'd', U8, '6', 'no zero point');
    expectTensor(r, 'o', DataType.INT4, '6', 'output_dtype (opset 21)');
  });

  test('DequantizeLinear output: float32 before opset 19, the scale type from 19', () => {
    const build = (scaleType: number) => (g: GraphBuilder) => {
      g.input('x', I8, ['N', 4]);
      g.initializer('s', scaleType, [], [1]);
      g.node('DequantizeLinear', ['x', 's'], {}, { outputs: ['y'] });
    };
    expectTensor(run(build(F), 13), 'y', F, 'N,4');
    expectTensor(run(build(F16), 19), 'y', F16, 'N,4', 'float16 scale');
    expectTensor(run(build(DataType.BFLOAT16), 21), 'y', DataType.BFLOAT16, 'N,4', 'bfloat16 scale');
    // DequantizeLinear-25: "The output type is determined by the attribute output_dtype"
    const typed = run((g) => {
      g.input('x', I8, [4]);
      g.initializer('s', F, [], [1]);
      g.node('DequantizeLinear', ['x', 's'], { output_dtype: F16 }, { outputs: ['y'] });
    }, 25);
    expectTensor(typed, 'y', F16, '4', 'output_dtype');
  });

  test('DynamicQuantizeLinear, ConvInteger, MatMulInteger, QLinearConv, QLinearMatMul', () => {
    const dq = single('DynamicQuantizeLinear', ['3,4'], {}, { outputs: 3 });
    expectTensor(dq, 'y0', U8, '3,4');
    expectTensor(dq, 'y1', F, '', 'y_scale');
    expectTensor(dq, 'y2', U8, '', 'y_zero_point');
    // test_convinteger_with_padding: x [1,1,3,3], w [1,1,2,2], pads 1 -> int32 [1,1,4,4]
    const convInt = single('ConvInteger', ['1,1,3,3', '1,1,2,2'], { pads: [1, 1, 1, 1] }, { dtypes: [U8, U8] });
    expectTensor(convInt, 'y0', I32, '1,1,4,4');
    // test_matmulinteger: [4,3] x [3,2] -> int32 [4,2]
    expectTensor(single('MatMulInteger', ['4,3', '3,2'], {}, { dtypes: [U8, U8] }), 'y0', I32, '4,2');
    // test_qlinearconv: x [1,1,7,7], w [1,1,1,1] -> y_zero_point's type
    const qconv = single(
      'QLinearConv',
      ['1,1,7,7', '', '', '1,1,1,1', '', '', '', ''],
      {},
      {
        dtypes: [U8, F, U8, I8, F, I8, F, I8],
      },
    );
    expectTensor(qconv, 'y0', I8, '1,1,7,7');
    // test_qlinearmatmul_2D: [2,4] x [4,3] -> [2,3]
    const qmm = single(
      'QLinearMatMul',
      ['2,4', '', '', '4,3', '', '', '', ''],
      {},
      {
        dtypes: [U8, F, U8, U8, F, U8, F, U8],
      },
    );
    expectTensor(qmm, 'y0', U8, '2,3');
  });
});

describe('recurrent layers', () => {
  test('LSTM: Y, Y_h, Y_c with layout 0 and 1, bidirectional', () => {
    // test_lstm_defaults: X [1,3,2], W [1,12,2], R [1,12,3], hidden 3
    const r = single('LSTM', ['1,3,2', '1,12,2', '1,12,3'], { hidden_size: 3 }, { outputs: 3 });
    expectTensor(r, 'y0', F, '1,1,3,3', 'Y');
    expectTensor(r, 'y1', F, '1,3,3', 'Y_h');
    expectTensor(r, 'y2', F, '1,3,3', 'Y_c');
    // test_lstm_batchwise (opset 14, layout 1): X [3,1,2], hidden 7 -> Y [3,1,1,7], Y_h [3,1,7]
    const b = single('LSTM', ['3,1,2', '1,28,2', '1,28,7'], { hidden_size: 7, layout: 1 }, { outputs: 3, opset: 14 });
    expectTensor(b, 'y0', F, '3,1,1,7', 'Y batchwise');
    expectTensor(b, 'y1', F, '3,1,7', 'Y_h batchwise');
    const attrs = { hidden_size: 5, direction: 'bidirectional' };
    const bi = single('LSTM', ['T,B,4', '2,20,4', '2,20,5'], attrs, { outputs: 2 });
    expectTensor(bi, 'y0', F, 'T,2,B,5', 'bidirectional Y');
    expectTensor(bi, 'y1', F, '2,B,5', 'bidirectional Y_h');
  });

  test('RNN and GRU: hidden_size from the attribute or R', () => {
    // test_gru_defaults: X [1,3,2], hidden 5 -> Y [1,1,3,5], Y_h [1,3,5]
    const gru = single('GRU', ['1,3,2', '1,15,2', '1,15,5'], {}, { outputs: 2 });
    expectTensor(gru, 'y0', F, '1,1,3,5');
    expectTensor(gru, 'y1', F, '1,3,5');
    // test_simple_rnn_batchwise: X [3,1,2], hidden 4, layout 1 -> Y [3,1,1,4], Y_h [3,1,4]
    const rnn = single('RNN', ['3,1,2', '1,4,2', '1,4,4'], { hidden_size: 4, layout: 1 }, { outputs: 2, opset: 14 });
    expectTensor(rnn, 'y0', F, '3,1,1,4');
    expectTensor(rnn, 'y1', F, '3,1,4');
    const sideways = single('RNN', ['3,1,2', '1,4,2', '1,4,4'], { direction: 'sideways' });
    expectWarning(sideways, /direction/, 'unknown direction');
  });
});

describe('ONNX Runtime contrib operators (com.microsoft)', () => {
  const ms = { domain: 'com.microsoft' };
  const q8 = { ...ms, dtypes: [U8, F, U8, U8, F, U8, F, U8] };

  test('fused Conv and Gemm', () => {
    const conv = single('FusedConv', ['2,8,10,12', '6,8,3,3', '6'], { activation: 'Relu', strides: [2, 2] }, ms);
    expectTensor(conv, 'y0', F, '2,6,4,5');
    expectTensor(single('FusedGemm', ['7,16', '9,16'], { transB: 1, activation: 'Relu' }, ms), 'y0', F, '7,9');
  });

  test('QLinear element-wise ops, pooling and Concat', () => {
    expectTensor(single('QLinearAdd', ['2,8,10,12', '', '', '8,1,12', '', '', '', ''], {}, q8), 'y0', U8, '2,8,10,12');
    expectTensor(single('QLinearMul', ['8,1,12', '', '', '2,8,10,12', '', '', '', ''], {}, q8), 'y0', U8, '2,8,10,12');
    expectTensor(single('QLinearSigmoid', ['N,8', '', '', '', ''], {}, q8), 'y0', U8, 'N,8');
    expectTensor(single('QLinearLeakyRelu', ['N,8', '', '', '', ''], { alpha: 0.1 }, q8), 'y0', U8, 'N,8');
    // QLinearGlobalAveragePool: NCHW -> [N,C,1,1]; channels_last NHWC -> [N,1,1,C]
    const gap = ['2,8,10,12', '', '', '', ''];
    expectTensor(single('QLinearGlobalAveragePool', gap, {}, q8), 'y0', U8, '2,8,1,1');
    expectTensor(single('QLinearGlobalAveragePool', gap, { channels_last: 1 }, q8), 'y0', U8, '2,1,1,12');
    const pool = { kernel_shape: [3, 3], strides: [2, 2] };
    expectTensor(single('QLinearAveragePool', gap, pool, q8), 'y0', U8, '2,8,4,5');
    expectTensor(single('QLinearAveragePool', gap, { ...pool, channels_last: 1 }, q8), 'y0', U8, '2,3,4,12');
    // QLinearConcat: Y_scale, Y_zero_point, then (X, scale, zero point) per input.
    const concat = single(
      'QLinearConcat',
      ['', '', '2,8', '', '', '2,5', '', ''],
      { axis: 1 },
      {
        ...ms,
        dtypes: [F, U8, U8, F, U8, U8, F, U8],
      },
    );
    expectTensor(concat, 'y0', U8, '2,13');
    const nhwc = single('NhwcMaxPool', ['1,9,9,4'], pool, { ...ms, dtypes: [U8] });
    expectTensor(nhwc, 'y0', U8, '1,4,4,4');
  });

  test('QGemm is float32 without y_scale, else y_zero_point typed', () => {
    const dtypes = [U8, F, U8, I8, F, I8, I32, F, I8];
    expectTensor(single('QGemm', ['7,16', '', '', '16,9', '', ''], {}, { ...ms, dtypes }), 'y0', F, '7,9');
    const quantized = single('QGemm', ['7,16', '', '', '9,16', '', '', '9', '', ''], { transB: 1 }, { ...ms, dtypes });
    expectTensor(quantized, 'y0', I8, '7,9');
  });

  test('Gelu family, SkipLayerNormalization, DynamicQuantizeMatMul, MatMulIntegerToFloat', () => {
    for (const op of ['Gelu', 'FastGelu', 'QuickGelu'])
      expectTensor(single(op, ['B,S,16'], {}, ms), 'y0', F, 'B,S,16', op);
    expectTensor(single('BiasGelu', ['B,S,16', '16'], {}, ms), 'y0', F, 'B,S,16');
    const sln = single('SkipLayerNormalization', ['3,5,16', '3,5,16', '16'], {}, { ...ms, outputs: 4 });
    expectTensor(sln, 'y0', F, '3,5,16', 'output');
    expectTensor(sln, 'y1', F, undefined, 'mean: float32, shape not documented');
    expectTensor(sln, 'y3', F, '3,5,16', 'input_skip_bias_sum');
    const dqmm = single('DynamicQuantizeMatMul', ['3,5,16', '16,4', ''], {}, { ...ms, dtypes: [F, I8, F] });
    expectTensor(dqmm, 'y0', F, '3,5,4');
    const mmf = single('MatMulIntegerToFloat', ['3,5,16', '16,4', '', ''], {}, { ...ms, dtypes: [U8, U8, F16, F16] });
    expectTensor(mmf, 'y0', F16, '3,5,4');
  });
});

describe('ONNX Runtime NCHWc operators (com.microsoft.nchwc)', () => {
  const nchwc = { domain: 'com.microsoft.nchwc' };

  test('ReorderInput pads channels to the block size only when that is certain', () => {
    // ONNX Runtime (AVX-512, block 16): 32 channels stay 32; 24 became 32 (but would stay 24 with AVX2's block 8).
    expectTensor(single('ReorderInput', ['1,32,29,31'], {}, nchwc), 'y0', F, '1,32,29,31');
    expectTensor(single('ReorderInput', ['1,24,16,16'], {}, nchwc), 'y0', F, '1,?,16,16');
    expectTensor(single('ReorderInput', ['1,15,15,32'], { channels_last: 1 }, nchwc), 'y0', F, '1,32,15,15');
  });

  test('ReorderOutput restores the channel count, optionally channels-last', () => {
    expectTensor(single('ReorderOutput', ['1,48,8,10'], { channels: 40 }, nchwc), 'y0', F, '1,40,8,10');
    const last = single('ReorderOutput', ['1,32,30,40'], { channels: 6, channels_last: 1 }, nchwc);
    expectTensor(last, 'y0', F, '1,30,40,6');
    expectWarning(single('ReorderOutput', ['1,32,30,40'], {}, nchwc), /channels is required/, 'no channels');
  });

  test('Conv, pooling and Upsample', () => {
    // Ultraface, optimized: input [1,3,240,320], W [16,3,3,3], strides 2, pads 1 -> [1,16,120,160]
    const conv = single(
      'Conv',
      ['1,3,240,320', '16,3,3,3'],
      { strides: [2, 2], pads: [1, 1, 1, 1], activation: 'Relu' },
      nchwc,
    );
    expectTensor(conv, 'y0', F, '1,16,120,160');
    const max = single('MaxPool', ['1,48,29,31'], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, nchwc);
    expectTensor(max, 'y0', F, '1,48,14,15');
    const avg = single('AveragePool', ['1,32,15,15'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, nchwc);
    expectTensor(avg, 'y0', F, '1,32,8,8');
    expectTensor(single('GlobalAveragePool', ['1,64,7,7'], {}, nchwc), 'y0', F, '1,64,1,1');
    const up = single('Upsample', ['1,32,8,8'], { scales: attr.ints([1, 1, 2, 2]), mode: 'linear' }, nchwc);
    expectTensor(up, 'y0', F, '1,32,16,16');
  });
});
