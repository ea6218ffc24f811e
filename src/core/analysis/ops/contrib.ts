/**
 * ONNX Runtime's contrib operators (domain com.microsoft) whose shapes ONNX Runtime's docs/ContribOperators.md
 * states, and its NCHWc operators (domain com.microsoft.nchwc), which its graph optimizer writes into models saved
 * at optimization level "all" on x86 CPUs.
 *
 * NCHWc ops are not in ContribOperators.md. Their tensors are NCHW with the channel axis padded up to a multiple of
 * the CPU's NCHWc block size (MLAS: 8 with AVX2, 16 with AVX-512), and the optimizer pads the weights the same way,
 * so a Conv's output channels are its weight's first dimension. What is implemented here was checked against ONNX
 * Runtime 1.30 (shapes of every value of optimized models, run as saved); the block size itself is a property of the
 * machine, so a padded channel count that depends on it is left unknown.
 */

import { DataType } from '../../onnx/dtype.js';
import { broadcastShapes, type Dim, dimMul, normalizeAxis, tensor, type ValueFacts } from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';
import { convShape, gemmShape, globalPoolShape, matmulShape, mergeDim, poolShape } from './nn.js';

const MS = 'com.microsoft';
const NCHWC = 'com.microsoft.nchwc';

const sameAsInput = (ctx: InferContext): (ValueFacts | undefined)[] => [tensor(ctx.dtype(0), ctx.shape(0))];

/** Concatenation of shapes along `axis` (all ranks equal, other axes equal). */
function concatShapes(shapes: (Dim[] | undefined)[], axisAttr: number): Dim[] | undefined {
  if (shapes.length === 0) throw new Error('nothing to concatenate');
  if (shapes.some((s) => s === undefined)) {
    const known = shapes.find((s) => s !== undefined);
    if (!known) return undefined;
    const axis = normalizeAxis(axisAttr, known.length);
    return known.map((d, i) => (i === axis ? null : d));
  }
  const all = shapes as Dim[][];
  const rank = all[0].length;
  const axis = normalizeAxis(axisAttr, rank);
  const out: Dim[] = [...all[0]];
  for (const s of all.slice(1)) {
    if (s.length !== rank) throw new Error(`inputs of ranks ${rank} and ${s.length} cannot be concatenated`);
    for (let i = 0; i < rank; i++) {
      if (i === axis) {
        const a = out[i];
        const b = s[i];
        out[i] = typeof a === 'number' && typeof b === 'number' ? a + b : null;
      } else out[i] = mergeDim(out[i], s[i]);
    }
  }
  return out;
}

defineRules([
  // ----- com.microsoft ------------------------------------------------------------------------------------------
  {
    domain: MS,
    ops: 'FusedConv',
    // Conv with a fused activation (and an optional Z added): X, W, B, Z.
    infer: (ctx) => [tensor(ctx.dtype(0), convShape(ctx, ctx.shape(0), ctx.shape(1)))],
  },
  {
    domain: MS,
    ops: 'FusedGemm',
    infer: (ctx) => [
      tensor(
        ctx.dtype(0),
        gemmShape(ctx.shape(0), ctx.shape(1), ctx.int('transA', 0) !== 0, ctx.int('transB', 0) !== 0),
      ),
    ],
  },
  {
    domain: MS,
    ops: ['QLinearAdd', 'QLinearMul'],
    // A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point: C broadcasts A and B.
    infer: (ctx) => [tensor(ctx.dtype(0), broadcastShapes(ctx.shape(0), ctx.shape(3)))],
  },
  { domain: MS, ops: ['QLinearSigmoid', 'QLinearLeakyRelu'], infer: sameAsInput },
  {
    domain: MS,
    ops: 'QLinearGlobalAveragePool',
    // (N, C, D1…) -> (N, C, 1…), or with channels_last (N, D1…, C) -> (N, 1…, C).
    infer: (ctx) => [tensor(ctx.dtype(0), globalPoolShape(ctx.shape(0), ctx.int('channels_last', 0) !== 0))],
  },
  {
    domain: MS,
    ops: 'QLinearAveragePool',
    infer: (ctx) => [tensor(ctx.dtype(0), poolShape(ctx, ctx.shape(0), ctx.int('channels_last', 0) !== 0))],
  },
  {
    domain: MS,
    ops: 'QLinearConcat',
    // Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input; Y has Y_zero_point's type.
    infer: (ctx) => {
      const axis = ctx.int('axis');
      if (axis === undefined) throw new Error('axis is required');
      if ((ctx.inputs.length - 2) % 3 !== 0) throw new Error(`${ctx.inputs.length} inputs are not 2 + 3 per tensor`);
      const shapes: (Dim[] | undefined)[] = [];
      for (let i = 2; i < ctx.inputs.length; i += 3) shapes.push(ctx.shape(i));
      return [tensor(ctx.dtype(1) ?? ctx.dtype(2), concatShapes(shapes, axis))];
    },
  },
  {
    domain: MS,
    ops: 'QGemm',
    // A, a_scale, a_zero_point, B, b_scale, b_zero_point, C, y_scale, y_zero_point: Y is float32 without y_scale,
    // else quantized with y_zero_point's type.
    infer: (ctx) => {
      const shape = gemmShape(ctx.shape(0), ctx.shape(3), ctx.int('transA', 0) !== 0, ctx.int('transB', 0) !== 0);
      let dtype: number | undefined;
      if (ctx.has(8)) dtype = ctx.dtype(8);
      else if (!ctx.has(7)) dtype = DataType.FLOAT;
      return [tensor(dtype, shape)];
    },
  },
  {
    domain: MS,
    ops: 'NhwcMaxPool',
    // MaxPool on channels-last (N, D1…, C) int8/uint8 data.
    infer: (ctx) => [tensor(ctx.dtype(0), poolShape(ctx, ctx.shape(0), true))],
  },
  { domain: MS, ops: ['Gelu', 'FastGelu', 'QuickGelu'], infer: sameAsInput },
  {
    domain: MS,
    ops: 'BiasGelu',
    // A + B (B a 1-D bias over A's last axis), then Gelu.
    infer: (ctx) => [tensor(ctx.dtype(0), broadcastShapes(ctx.shape(0), ctx.shape(1)))],
  },
  {
    domain: MS,
    ops: 'SkipLayerNormalization',
    // output and input_skip_bias_sum have the input's shape; mean and inv_std_var are float32, but their shape is
    // not documented, so it is left unknown (ONNX Runtime 1.30 gives (batch, sequence, 1) for a 3-D input).
    infer: (ctx) => {
      const out = tensor(ctx.dtype(0), ctx.shape(0));
      return [out, tensor(DataType.FLOAT, undefined), tensor(DataType.FLOAT, undefined), out];
    },
  },
  {
    domain: MS,
    ops: 'DynamicQuantizeMatMul',
    // A (float), B (int8/uint8), b_scale, b_zero_point, bias: Y = A * B in float.
    infer: (ctx) => [tensor(DataType.FLOAT, matmulShape(ctx.shape(0), ctx.shape(1)))],
  },
  {
    domain: MS,
    ops: 'MatMulIntegerToFloat',
    // A, B, a_scale, b_scale, a_zero_point, b_zero_point, bias: Y has a_scale's type (float or float16).
    infer: (ctx) => [tensor(ctx.dtype(2), matmulShape(ctx.shape(0), ctx.shape(1)))],
  },
  {
    domain: MS,
    ops: 'QuantizeLinear',
    // y has y_zero_point's type, uint8 without it.
    infer: (ctx) => [tensor(ctx.has(2) ? ctx.dtype(2) : DataType.UINT8, ctx.shape(0))],
  },
  {
    domain: MS,
    ops: 'DequantizeLinear',
    // y has x_scale's type.
    infer: (ctx) => [tensor(ctx.dtype(1), ctx.shape(0))],
  },

  // ----- com.microsoft.nchwc ------------------------------------------------------------------------------------
  {
    domain: NCHWC,
    ops: 'Conv',
    // X, W, B, Sum: Conv attributes (plus a fused activation); output channels are W's first (padded) dimension.
    infer: (ctx) => [tensor(ctx.dtype(0), convShape(ctx, ctx.shape(0), ctx.shape(1)))],
  },
  {
    domain: NCHWC,
    ops: ['MaxPool', 'AveragePool'],
    infer: (ctx) => [tensor(ctx.dtype(0), poolShape(ctx, ctx.shape(0)))],
  },
  {
    domain: NCHWC,
    ops: ['GlobalMaxPool', 'GlobalAveragePool'],
    infer: (ctx) => [tensor(ctx.dtype(0), globalPoolShape(ctx.shape(0)))],
  },
  {
    domain: NCHWC,
    ops: 'Upsample',
    // Integer `scales` per axis (ONNX Runtime writes all of them, e.g. [1, 1, 2, 2]): each size times its scale.
    infer: (ctx) => {
      const x = ctx.shape(0);
      const scales = ctx.ints('scales');
      if (!scales) throw new Error('scales is required');
      if (!x) return [tensor(ctx.dtype(0), undefined)];
      const offset = x.length - scales.length;
      if (offset !== 0 && offset !== 2) throw new Error(`${scales.length} scales for an input of rank ${x.length}`);
      return [
        tensor(
          ctx.dtype(0),
          x.map((d, i) => (i < offset ? d : dimMul(d, scales[i - offset]))),
        ),
      ];
    },
  },
  {
    domain: NCHWC,
    ops: 'ReorderInput',
    // NCHW (or NHWC with channels_last) -> NCHWc: channels rounded up to the block size. That size (8 or 16) is the
    // machine's, so the padded count is known only when the channels are a multiple of 16 (then unchanged).
    infer: (ctx) => {
      const x = ctx.shape(0);
      if (!x) return [tensor(ctx.dtype(0), undefined)];
      if (x.length < 3) throw new Error(`input of rank ${x.length} has no spatial axes`);
      const channelsLast = ctx.int('channels_last', 0) !== 0;
      const c = x[channelsLast ? x.length - 1 : 1];
      const padded = typeof c === 'number' && c % 16 === 0 ? c : null;
      const spatial = channelsLast ? x.slice(1, -1) : x.slice(2);
      return [tensor(ctx.dtype(0), [x[0], padded, ...spatial])];
    },
  },
  {
    domain: NCHWC,
    ops: 'ReorderOutput',
    // NCHWc -> NCHW (or NHWC with channels_last) with the `channels` attribute's unpadded channel count.
    infer: (ctx) => {
      const x = ctx.shape(0);
      const channels = ctx.int('channels');
      if (channels === undefined) throw new Error('channels is required');
      if (!x) return [tensor(ctx.dtype(0), undefined)];
      if (x.length < 3) throw new Error(`input of rank ${x.length} has no spatial axes`);
      const spatial = x.slice(2);
      const channelsLast = ctx.int('channels_last', 0) !== 0;
      return [tensor(ctx.dtype(0), channelsLast ? [x[0], ...spatial, channels] : [x[0], channels, ...spatial])];
    },
  },
]);
