/**
 * Element-wise operators: unary ops keep shape and type; binary/variadic ops broadcast (ONNX multidirectional
 * broadcasting, Operators.md "Broadcasting in ONNX"). Small constant inputs are folded so that shape arithmetic
 * (Shape -> Gather -> Mul -> Concat -> Reshape) yields concrete shapes.
 */

import { DataType } from '../../onnx/dtype.js';
import { broadcastShapes, type ConstValue, tensor, type ValueFacts } from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';

/** Element-wise map of one or more constant inputs broadcast to `shape` (all inputs must be constant). */
export function foldBroadcast(
  values: (ConstValue | undefined)[],
  f: (...xs: number[]) => number,
): ConstValue | undefined {
  if (values.some((v) => v === undefined)) return undefined;
  const vs = values as ConstValue[];
  let dims: number[] = [];
  for (const v of vs) dims = broadcastShapes(dims, v.dims) as number[];
  const n = dims.reduce((a, b) => a * b, 1);
  const strides = vs.map((v) => {
    // Stride of each output axis into this input (0 where the input broadcasts).
    const offset = dims.length - v.dims.length;
    const s = new Array<number>(dims.length).fill(0);
    let acc = 1;
    for (let i = v.dims.length - 1; i >= 0; i--) {
      s[i + offset] = v.dims[i] === 1 ? 0 : acc;
      acc *= v.dims[i];
    }
    return s;
  });
  const data = new Array<number>(n);
  const idx = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < n; k++) {
    const args = vs.map((v, j) => {
      let off = 0;
      for (let a = 0; a < dims.length; a++) off += idx[a] * strides[j][a];
      return v.data[off];
    });
    data[k] = f(...args);
    for (let a = dims.length - 1; a >= 0; a--) {
      if (++idx[a] < dims[a]) break;
      idx[a] = 0;
    }
  }
  return { dims, data };
}

const isInteger = (dtype: number | undefined) =>
  dtype !== undefined &&
  [
    DataType.INT8,
    DataType.INT16,
    DataType.INT32,
    DataType.INT64,
    DataType.UINT8,
    DataType.UINT16,
    DataType.UINT32,
    DataType.UINT64,
  ].includes(dtype);

/** Output of an element-wise op over all inputs: broadcast shape, dtype of the first input (or `dtype`). */
function broadcastOutput(ctx: InferContext, dtype?: number, fold?: (...xs: number[]) => number): ValueFacts {
  let shape = ctx.shape(0);
  for (let i = 1; i < ctx.inputs.length; i++) shape = broadcastShapes(shape, ctx.shape(i));
  const outType = dtype ?? ctx.dtype(0);
  const value = fold
    ? foldBroadcast(
        ctx.inputs.map((_, i) => ctx.value(i)),
        fold,
      )
    : undefined;
  return tensor(outType, shape, value);
}

const unaryFolds: Partial<Record<string, (x: number) => number>> = {
  Neg: (x) => -x,
  Abs: Math.abs,
  Identity: (x) => x,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Sqrt: Math.sqrt,
  Relu: (x) => Math.max(0, x),
  Sign: Math.sign,
  Reciprocal: (x) => 1 / x,
  Exp: Math.exp,
  Log: Math.log,
};

defineRules([
  {
    ops: [
      'Abs',
      'Acos',
      'Acosh',
      'Asin',
      'Asinh',
      'Atan',
      'Atanh',
      'BitwiseNot',
      'Ceil',
      'Celu',
      'Cos',
      'Cosh',
      'Elu',
      'Erf',
      'Exp',
      'Floor',
      'Gelu',
      'HardSigmoid',
      'HardSwish',
      'Identity',
      'LeakyRelu',
      'Log',
      'Mish',
      'Neg',
      'Reciprocal',
      'Relu',
      'Round',
      'Selu',
      'Shrink',
      'Sigmoid',
      'Sign',
      'Sin',
      'Sinh',
      'Softplus',
      'Softsign',
      'Sqrt',
      'Tan',
      'Tanh',
      'ThresholdedRelu',
      'Clip',
      'Dropout',
      'Erf',
      'IsNaN',
      'IsInf',
      'Not',
    ],
    infer: (ctx) => {
      const op = ctx.node.opType;
      const x = ctx.tensor(0);
      if (!x) return [];
      const dtype = op === 'IsNaN' || op === 'IsInf' ? DataType.BOOL : x.dtype;
      const fold = unaryFolds[op];
      const value =
        fold && x.value && isInteger(x.dtype) === isInteger(dtype) ? foldUnary(x.value, fold, dtype) : undefined;
      const out = tensor(dtype, x.shape, op === 'Identity' ? x.value : value);
      if (op === 'Dropout') return [out, tensor(DataType.BOOL, x.shape)];
      return [out];
    },
  },
  {
    ops: [
      'Add',
      'Sub',
      'Mul',
      'Div',
      'Pow',
      'Mod',
      'Max',
      'Min',
      'Sum',
      'Mean',
      'PRelu',
      'BitShift',
      'BitwiseAnd',
      'BitwiseOr',
      'BitwiseXor',
    ],
    infer: (ctx) => {
      const integer = isInteger(ctx.dtype(0));
      const folds: Record<string, (...xs: number[]) => number> = {
        Add: (a, b) => a + b,
        Sub: (a, b) => a - b,
        Mul: (a, b) => a * b,
        Div: (a, b) => (integer ? Math.trunc(a / b) : a / b),
        Max: (...xs) => Math.max(...xs),
        Min: (...xs) => Math.min(...xs),
        Sum: (...xs) => xs.reduce((s, x) => s + x, 0),
        Mod: (a, b) => (ctx.int('fmod', 0) ? a % b : ((a % b) + b) % b),
      };
      return [broadcastOutput(ctx, undefined, folds[ctx.node.opType])];
    },
  },
  {
    ops: ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor'],
    infer: (ctx) => {
      const folds: Record<string, (a: number, b: number) => number> = {
        Equal: (a, b) => Number(a === b),
        Less: (a, b) => Number(a < b),
        Greater: (a, b) => Number(a > b),
        LessOrEqual: (a, b) => Number(a <= b),
        GreaterOrEqual: (a, b) => Number(a >= b),
        And: (a, b) => Number(Boolean(a) && Boolean(b)),
        Or: (a, b) => Number(Boolean(a) || Boolean(b)),
        Xor: (a, b) => Number(Boolean(a) !== Boolean(b)),
      };
      return [broadcastOutput(ctx, DataType.BOOL, folds[ctx.node.opType])];
    },
  },
  {
    ops: 'Where',
    infer: (ctx) => {
      const shape = broadcastShapes(broadcastShapes(ctx.shape(0), ctx.shape(1)), ctx.shape(2));
      const value = foldBroadcast([ctx.value(0), ctx.value(1), ctx.value(2)], (c, a, b) => (c ? a : b));
      return [tensor(ctx.dtype(1) ?? ctx.dtype(2), shape, value)];
    },
  },
]);

function foldUnary(v: ConstValue, f: (x: number) => number, dtype: number | undefined): ConstValue {
  const data = v.data.map(f);
  return { dims: v.dims, data: isInteger(dtype) ? data.map(Math.trunc) : data };
}
