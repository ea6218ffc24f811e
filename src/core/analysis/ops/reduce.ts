/**
 * Reductions: Reduce* (axes as an attribute, or as an input from opset 13 for ReduceSum and 18 for the others, with
 * noop_with_empty_axes), ArgMax/ArgMin. ReduceSum/ReduceProd/ReduceMax/ReduceMin fold on small constants, and
 * ReduceProd/ReduceSum over a symbolic shape vector give the product/sum as a dim (Shape -> ReduceProd: numel).
 */

import { DataType } from '../../onnx/dtype.js';
import {
  type ConstValue,
  type Dim,
  dimAdd,
  dimMul,
  dimsTensor,
  normalizeAxis,
  type TensorFacts,
  tensor,
} from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';
import { isIntegerType } from './elementwise.js';
import { intsArg, stridesOf } from './shape.js';

const REDUCE_OPS = [
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
];

const folds: Partial<Record<string, { init: number; f: (acc: number, x: number) => number }>> = {
  ReduceSum: { init: 0, f: (a, x) => a + x },
  ReduceProd: { init: 1, f: (a, x) => a * x },
  ReduceMax: { init: Number.NEGATIVE_INFINITY, f: (a, x) => Math.max(a, x) },
  ReduceMin: { init: Number.POSITIVE_INFINITY, f: (a, x) => Math.min(a, x) },
};

const dimFolds: Partial<Record<string, { init: Dim; f: (acc: Dim, x: Dim) => Dim }>> = {
  ReduceSum: { init: 0, f: dimAdd },
  ReduceProd: { init: 1, f: dimMul },
};

function reduceValue(v: ConstValue, axes: Set<number>, keepdims: boolean, op: string): ConstValue | undefined {
  const fold = folds[op];
  if (!fold) return undefined;
  const outDims = v.dims.map((d, a) => (axes.has(a) ? 1 : d));
  const n = outDims.reduce((a, b) => a * b, 1);
  const acc = new Array<number>(n).fill(fold.init);
  const inSt = stridesOf(v.dims);
  const outSt = stridesOf(outDims);
  v.data.forEach((x, k) => {
    let o = 0;
    for (let a = 0; a < v.dims.length; a++) if (!axes.has(a)) o += (Math.floor(k / inSt[a]) % v.dims[a]) * outSt[a];
    acc[o] = fold.f(acc[o], x);
  });
  return { dims: keepdims ? outDims : v.dims.filter((_, a) => !axes.has(a)), data: acc };
}

function reduceRule(ctx: InferContext): (TensorFacts | undefined)[] {
  const op = ctx.node.opType;
  const x = ctx.tensor(0);
  const shape = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const keepdims = ctx.int('keepdims', 1) !== 0;
  const inputSince = op === 'ReduceSum' ? 13 : 18;
  const axesArg = intsArg(ctx, 'axes', 1, inputSince);
  const noop = ctx.opset >= inputSince && ctx.int('noop_with_empty_axes', 0) !== 0;
  if (!shape) return [tensor(dtype, undefined)];
  const r = shape.length;
  if (axesArg.given && !axesArg.values && axesArg.count !== 0) {
    // Axes computed at run time: which dims go is unknown.
    if (keepdims)
      return [
        tensor(
          dtype,
          shape.map(() => null),
        ),
      ];
    return [tensor(dtype, axesArg.count === undefined ? undefined : new Array<Dim>(r - axesArg.count).fill(null))];
  }
  const list = axesArg.values ?? [];
  if (list.length === 0 && noop) return [tensor(dtype, shape, x?.value)];
  const axes = new Set(list.length === 0 ? [...Array(r).keys()] : list.map((a) => normalizeAxis(a, r)));
  const out = keepdims ? shape.map((d, a) => (axes.has(a) ? 1 : d)) : shape.filter((_, a) => !axes.has(a));
  const f = tensor(dtype, out);
  if (x?.value) {
    const v = reduceValue(x.value, axes, keepdims, op);
    if (v) f.value = v;
  } else if (x?.symbolicValue && r === 1 && dimFolds[op] && isIntegerType(dtype)) {
    const df = dimFolds[op];
    const total = x.symbolicValue.reduce<Dim>((a, d) => df.f(a, d), df.init);
    return [dimsTensor(dtype, [total], !keepdims)];
  }
  return [f];
}

function argRule(ctx: InferContext): (TensorFacts | undefined)[] {
  const shape = ctx.shape(0);
  if (!shape) return [tensor(DataType.INT64, undefined)];
  const axis = normalizeAxis(ctx.int('axis', 0), shape.length);
  const keepdims = ctx.int('keepdims', 1) !== 0;
  const out = keepdims ? shape.map((d, a) => (a === axis ? 1 : d)) : shape.filter((_, a) => a !== axis);
  return [tensor(DataType.INT64, out)];
}

defineRules([
  { ops: REDUCE_OPS, infer: reduceRule },
  { ops: ['ArgMax', 'ArgMin'], infer: argRule },
]);
