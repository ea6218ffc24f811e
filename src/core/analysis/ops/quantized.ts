/**
 * Quantization operators of the standard domain: (De)QuantizeLinear keep the input's shape and change the element
 * type; the integer and QLinear variants of Conv and MatMul have the shapes of their float counterparts.
 */

import { DataType } from '../../onnx/dtype.js';
import { tensor } from '../facts.js';
import { defineRules } from '../registry.js';
import { convShape, matmulShape } from './nn.js';

defineRules([
  {
    ops: 'QuantizeLinear',
    infer: (ctx) => {
      // y's type: the output_dtype attribute (opset 21+, 0 = unset), else y_zero_point's type, else uint8.
      const outputDtype = ctx.int('output_dtype', 0);
      const zp = ctx.has(2) ? ctx.dtype(2) : DataType.UINT8;
      if (outputDtype !== 0 && zp !== undefined && ctx.has(2) && zp !== outputDtype) {
        throw new Error(`output_dtype ${outputDtype} differs from y_zero_point's type ${zp}`);
      }
      return [tensor(outputDtype !== 0 ? outputDtype : zp, ctx.shape(0))];
    },
  },
  {
    ops: 'DequantizeLinear',
    // Opsets 10 and 13: the output is float32.
    infer: (ctx) => [tensor(DataType.FLOAT, ctx.shape(0))],
  },
  {
    ops: 'DequantizeLinear',
    since: 19,
    // From opset 19 the output has x_scale's type (float, float16, bfloat16), unless the output_dtype attribute of
    // newer versions (DequantizeLinear-25 documents it; 0 = unset) says otherwise.
    infer: (ctx) => {
      const outputDtype = ctx.int('output_dtype', 0);
      return [tensor(outputDtype !== 0 ? outputDtype : ctx.dtype(1), ctx.shape(0))];
    },
  },
  {
    ops: 'DynamicQuantizeLinear',
    // y (uint8, x's shape), y_scale (float scalar), y_zero_point (uint8 scalar).
    infer: (ctx) => [tensor(DataType.UINT8, ctx.shape(0)), tensor(DataType.FLOAT, []), tensor(DataType.UINT8, [])],
  },
  {
    ops: 'QLinearConv',
    // x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B: y has y_zero_point's type.
    infer: (ctx) => [tensor(ctx.dtype(7), convShape(ctx, ctx.shape(0), ctx.shape(3)))],
  },
  {
    ops: 'QLinearMatMul',
    // a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point
    infer: (ctx) => [tensor(ctx.dtype(7), matmulShape(ctx.shape(0), ctx.shape(3)))],
  },
  {
    ops: 'ConvInteger',
    infer: (ctx) => [tensor(DataType.INT32, convShape(ctx, ctx.shape(0), ctx.shape(1)))],
  },
  {
    ops: 'MatMulInteger',
    infer: (ctx) => [tensor(DataType.INT32, matmulShape(ctx.shape(0), ctx.shape(1)))],
  },
]);
