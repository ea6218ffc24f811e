/**
 * Element-wise operators: unary ops keep shape and type; binary/variadic ops broadcast (ONNX multidirectional
 * broadcasting, Operators.md "Broadcasting in ONNX"). Small constant inputs are folded so that shape arithmetic
 * (Shape -> Gather -> Mul -> Concat -> Reshape) yields concrete shapes, and integer vectors of symbolic dims
 * (`symbolicValue`) go through Add/Sub/Mul/Div/Equal/Where so that ['batch', 3] * 2 stays known.
 */

import { DataType } from '../../onnx/dtype.js';
import {
  broadcastShapes,
  type ConstValue,
  type Dim,
  dimAdd,
  dimMul,
  dimsTensor,
  MAX_FOLD_ELEMENTS,
  type TensorFacts,
  tensor,
  type ValueFacts,
  valueDims,
} from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';

/**
 * Element-wise map of one or more constant inputs broadcast to `shape` (all inputs must be constant); undefined when
 * the result would have more than MAX_FOLD_ELEMENTS (two small vectors [n, 1] and [1, n] broadcast to n² elements).
 */
export function foldBroadcast(
  values: (ConstValue | undefined)[],
  f: (...xs: number[]) => number,
): ConstValue | undefined {
  if (values.some((v) => v === undefined)) return undefined;
  const vs = values as ConstValue[];
  let dims: number[] = [];
  for (const v of vs) dims = broadcastShapes(dims, v.dims) as number[];
  const n = dims.reduce((a, b) => a * b, 1);
  if (!(n <= MAX_FOLD_ELEMENTS)) return undefined;
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

const integerTypes: ReadonlySet<number> = new Set([
  DataType.INT8,
  DataType.INT16,
  DataType.INT32,
  DataType.INT64,
  DataType.UINT8,
  DataType.UINT16,
  DataType.UINT32,
  DataType.UINT64,
]);

export function isIntegerType(dtype: number | undefined): boolean {
  return dtype !== undefined && integerTypes.has(dtype);
}

/** Values as the element type stores them: integers truncated, float32 rounded. */
function toElementType(v: ConstValue | undefined, dtype: number | undefined): ConstValue | undefined {
  if (!v) return undefined;
  if (isIntegerType(dtype)) {
    if (v.data.some((x) => !Number.isFinite(x))) return undefined;
    return { dims: v.dims, data: v.data.map((x) => Math.trunc(x) || 0) };
  }
  if (dtype === DataType.FLOAT) return { dims: v.dims, data: v.data.map((x) => Math.fround(x)) };
  if (dtype === DataType.DOUBLE || dtype === DataType.BOOL) return v;
  // float16, bfloat16, float8…: values are not kept exactly.
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Dim arithmetic for symbolic shape vectors

/** a + n for a dim and a known number: exact, and symbolic as `a+n` / `a-n`. */
export function dimPlus(a: Dim, n: number): Dim {
  if (n === 0) return a;
  if (typeof a === 'number') return a + n;
  if (a === null) return null;
  return n > 0 ? dimAdd(a, n) : `${/[+\-*/]/.test(a) ? `(${a})` : a}-${-n}`;
}

/** The factors of a dimension: a numeric coefficient times symbols (`2*batch*seq` -> 2, [batch, seq]). */
function factorsOf(d: Dim): { coef: number; syms: string[] } | undefined {
  if (d === null) return undefined;
  if (typeof d === 'number') return { coef: d, syms: [] };
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < d.length; i++) {
    const c = d[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '*' && depth === 0) {
      parts.push(d.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(d.slice(start));
  let coef = 1;
  const syms: string[] = [];
  for (const p of parts) {
    if (/^\d+$/.test(p)) coef *= Number(p);
    else syms.push(isWrapped(p) ? p.slice(1, -1) : p);
  }
  return { coef, syms };
}

/** True when the whole string is one parenthesized group: `(a+b)` but not `(a)+(b)`. */
function isWrapped(s: string): boolean {
  if (!s.startsWith('(') || !s.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0 && i < s.length - 1) return false;
  }
  return true;
}

/**
 * product(total) / product(known) for dims that may be symbolic: symbols cancel (['batch', 3, 4] over ['batch'] is
 * 12). Null when the quotient is not an exact product of known factors; throws when known sizes cannot divide.
 */
export function dimQuotient(total: Dim[], known: Dim[]): Dim {
  let coefIn = 1;
  const symsIn: string[] = [];
  for (const d of total) {
    const f = factorsOf(d);
    if (!f) return null;
    coefIn *= f.coef;
    symsIn.push(...f.syms);
  }
  let coefOut = 1;
  for (const d of known) {
    const f = factorsOf(d);
    if (!f) return null;
    coefOut *= f.coef;
    for (const s of f.syms) {
      const k = symsIn.indexOf(s);
      if (k < 0) return null;
      symsIn.splice(k, 1);
    }
  }
  if (coefOut === 0) return null;
  if (coefIn % coefOut !== 0) {
    if (symsIn.length === 0 && known.every((d) => typeof d === 'number') && total.every((d) => typeof d === 'number')) {
      throw new Error(`${coefIn} elements do not divide into [${known.join(', ')}]`);
    }
    return null;
  }
  let out: Dim = coefIn / coefOut;
  for (const s of symsIn) out = dimMul(out, s);
  return out;
}

/** Integer division of dims: truncation for numbers, cancellation of factors for symbols (`2*b` / 2 = `b`). */
function divDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return b === 0 ? null : Math.trunc(a / b) || 0;
  if (typeof b === 'number') return b > 0 ? dimQuotient([a], [b]) : null;
  return a !== null && a === b ? 1 : null;
}

function allNumbers(xs: Dim[]): xs is number[] {
  return xs.every((x) => typeof x === 'number');
}

/** Symbolic versions of the integer folds; null where the result is not exactly known. */
const dimFolds: Partial<Record<string, (...xs: Dim[]) => Dim>> = {
  Add: (a, b) => (typeof b === 'number' ? dimPlus(a, b) : typeof a === 'number' ? dimPlus(b, a) : dimAdd(a, b)),
  Sub: (a, b) => (typeof b === 'number' ? dimPlus(a, -b) : a !== null && a === b ? 0 : null),
  Mul: (a, b) => dimMul(a, b),
  Div: divDims,
  Max: (...xs) => (allNumbers(xs) ? Math.max(...xs) : xs.every((x) => x !== null && x === xs[0]) ? xs[0] : null),
  Min: (...xs) => (allNumbers(xs) ? Math.min(...xs) : xs.every((x) => x !== null && x === xs[0]) ? xs[0] : null),
  Equal: (a, b) => (a !== null && a === b ? 1 : typeof a === 'number' && typeof b === 'number' ? 0 : null),
  Where: (c, a, b) => (typeof c === 'number' ? (c ? a : b) : a !== null && a === b ? a : null),
};

/**
 * Folds integer inputs of rank 0 or 1 element by element when some hold symbolic dims (`symbolicValue`); the
 * result is a tensor of rank max(ranks). Undefined when an input is not such a vector.
 */
function foldSymbolic(ctx: InferContext, dtype: number | undefined, f: (...xs: Dim[]) => Dim): TensorFacts | undefined {
  const ins = ctx.inputs.map((x) => (x?.kind === 'tensor' ? x : undefined));
  if (!ins.some((x) => x?.symbolicValue)) return undefined;
  const lists = ins.map((x) => valueDims(x));
  const ranks = ins.map((x) => x?.shape?.length);
  if (lists.some((l) => l === undefined) || ranks.some((r) => r === undefined || r > 1)) return undefined;
  const ls = lists as Dim[][];
  const n = Math.max(...ls.map((l) => l.length));
  if (ls.some((l) => l.length !== n && l.length !== 1)) return undefined;
  const out = Array.from({ length: n }, (_, k) => f(...ls.map((l) => l[l.length === 1 ? 0 : k])));
  return dimsTensor(dtype, out, Math.max(...(ranks as number[])) === 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Rules

/** The element type shared by all inputs: the first one known. */
function commonType(ctx: InferContext): number | undefined {
  for (let i = 0; i < ctx.inputs.length; i++) {
    const d = ctx.dtype(i);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** Binary ops that broadcast the old way before opset 7: B to A's shape (`broadcast`, `axis` attributes). */
const LEGACY_BROADCAST: ReadonlySet<string> = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'And',
  'Or',
  'Xor',
  'Equal',
  'Less',
  'Greater',
]);

/** Output of an element-wise op over all inputs: broadcast shape, the given element type, constants folded. */
function broadcastOutput(
  ctx: InferContext,
  dtype: number | undefined,
  fold?: (...xs: number[]) => number,
  dimFold?: (...xs: Dim[]) => Dim,
): ValueFacts {
  let values = ctx.inputs.map((_, i) => ctx.value(i));
  let shape: Dim[] | undefined;
  if (ctx.opset < 7 && LEGACY_BROADCAST.has(ctx.node.opType)) {
    // Opset 1-6: without `broadcast` both shapes are equal; with it, B (size 1, or a contiguous part of A's shape
    // starting at `axis`) is broadcast to A. Either way the output has A's shape.
    const legacy = ctx.int('broadcast', 0) !== 0;
    shape = ctx.shape(0) ?? (legacy ? undefined : ctx.shape(1));
    const a = values[0];
    const b = values[1];
    const axis = ctx.int('axis');
    const trailing = !a || !b || axis === undefined || axis === a.dims.length - b.dims.length;
    if (!trailing || (a && b && b.dims.length > a.dims.length)) values = [undefined];
  } else {
    shape = ctx.shape(0);
    for (let i = 1; i < ctx.inputs.length; i++) shape = broadcastShapes(shape, ctx.shape(i));
  }
  const value = fold ? toElementType(foldBroadcast(values, fold), dtype) : undefined;
  if (!value && dimFold && isIntegerType(dtype)) {
    const sym = foldSymbolic(ctx, dtype, dimFold);
    if (sym) return sym;
  }
  return tensor(dtype, shape, value);
}

/** Round half to even (ONNX Round). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const unaryFolds: Partial<Record<string, (x: number) => number>> = {
  Neg: (x) => -x,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: roundHalfEven,
  Sqrt: Math.sqrt,
  Relu: (x) => Math.max(0, x),
  Sign: Math.sign,
  Reciprocal: (x) => 1 / x,
  Exp: Math.exp,
  Log: Math.log,
  Not: (x) => (x ? 0 : 1),
};

defineRules([
  {
    // Identity passes anything through: tensors (with their folded values), sequences (opset 14), optionals (16).
    ops: 'Identity',
    infer: (ctx) => {
      const x = ctx.inputs[0];
      return [x && x.kind !== 'unknown' ? { ...x, origin: 'inferred' } : undefined];
    },
  },
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
        fold && x.value ? toElementType({ dims: x.value.dims, data: x.value.data.map(fold) }, dtype) : undefined;
      return [tensor(dtype, x.shape, value)];
    },
  },
  {
    // Clip: bounds are attributes before opset 11 (opset 6: defaulting to the float range), optional inputs from 11.
    ops: 'Clip',
    infer: (ctx) => {
      const x = ctx.tensor(0);
      if (!x) return [];
      let lo: number | undefined = Number.NEGATIVE_INFINITY;
      let hi: number | undefined = Number.POSITIVE_INFINITY;
      if (ctx.opset >= 11) {
        if (ctx.has(1)) lo = scalarOf(ctx.value(1));
        if (ctx.has(2)) hi = scalarOf(ctx.value(2));
      } else {
        lo = ctx.float('min', lo);
        hi = ctx.float('max', hi);
      }
      const out = tensor(x.dtype, x.shape);
      if (x.value && lo !== undefined && hi !== undefined) {
        const l = lo;
        const h = hi;
        const v = toElementType(
          { dims: x.value.dims, data: x.value.data.map((e) => Math.min(Math.max(e, l), h)) },
          x.dtype,
        );
        if (v) out.value = v;
      }
      return [out];
    },
  },
  {
    // Dropout: the mask has the data's type before opset 10, bool from 10 on.
    ops: 'Dropout',
    infer: (ctx) => {
      const x = ctx.tensor(0);
      if (!x) return [];
      // In inference mode the output is the input: Dropout-7+ without a training_mode input (Dropout-1/6 train
      // unless is_test is set).
      const inference = ctx.opset >= 7 ? !ctx.has(2) || scalarOf(ctx.value(2)) === 0 : ctx.int('is_test', 0) !== 0;
      const mask = tensor(ctx.opset >= 10 ? DataType.BOOL : x.dtype, x.shape);
      return [tensor(x.dtype, x.shape, inference ? x.value : undefined), mask];
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
      'BitShift',
      'BitwiseAnd',
      'BitwiseOr',
      'BitwiseXor',
    ],
    infer: (ctx) => {
      const op = ctx.node.opType;
      // Pow's exponent may have another type (opset 12+): the output has the base's.
      const dtype = op === 'Pow' ? ctx.dtype(0) : commonType(ctx);
      const integer = isIntegerType(dtype);
      const folds: Record<string, (...xs: number[]) => number> = {
        Add: (a, b) => a + b,
        Sub: (a, b) => a - b,
        Mul: (a, b) => a * b,
        Div: (a, b) => (integer ? (b === 0 ? Number.NaN : Math.trunc(a / b)) : a / b),
        Pow: (a, b) => a ** b,
        Max: (...xs) => Math.max(...xs),
        Min: (...xs) => Math.min(...xs),
        Sum: (...xs) => xs.reduce((s, x) => s + x, 0),
        Mean: (...xs) => xs.reduce((s, x) => s + x, 0) / xs.length,
        Mod: (a, b) => (b === 0 ? Number.NaN : ctx.int('fmod', 0) || !integer ? a % b : a - b * Math.floor(a / b)),
      };
      return [broadcastOutput(ctx, dtype, folds[op], dimFolds[op])];
    },
  },
  {
    // PRelu: the slope broadcasts to X (unidirectionally from opset 7, per channel before): the output is X's shape.
    ops: 'PRelu',
    infer: (ctx) => [tensor(ctx.dtype(0) ?? ctx.dtype(1), ctx.shape(0))],
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
      const op = ctx.node.opType;
      const out = broadcastOutput(ctx, DataType.BOOL, folds[op]);
      if (op === 'Equal' && out.kind === 'tensor' && !out.value && isIntegerType(commonType(ctx))) {
        const sym = foldSymbolic(ctx, DataType.BOOL, dimFolds.Equal as (...xs: Dim[]) => Dim);
        if (sym && !sym.symbolicValue) return [sym];
      }
      return [out];
    },
  },
  {
    ops: 'Where',
    infer: (ctx) => {
      const dtype = ctx.dtype(1) ?? ctx.dtype(2);
      const shape = broadcastShapes(broadcastShapes(ctx.shape(0), ctx.shape(1)), ctx.shape(2));
      const value = foldBroadcast([ctx.value(0), ctx.value(1), ctx.value(2)], (c, a, b) => (c ? a : b));
      if (!value && isIntegerType(dtype)) {
        const sym = foldSymbolic(ctx, dtype, dimFolds.Where as (...xs: Dim[]) => Dim);
        if (sym) return [sym];
      }
      return [tensor(dtype, shape, value)];
    },
  },
]);

function scalarOf(v: ConstValue | undefined): number | undefined {
  return v && v.data.length === 1 ? v.data[0] : undefined;
}
