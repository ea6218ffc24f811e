/**
 * A small evaluator for the operators constant subgraphs are usually made of (shape arithmetic, weight reshapes
 * and transposes, Constant nodes, element-wise arithmetic on constants), in plain TypeScript so that constant
 * folding works without a runtime. Float32 arithmetic is rounded to float32 after every operation, which for
 * + − × ÷ and √ gives the same bits as a float32 runtime. Anything else is left to an evaluator the caller
 * provides (for example ONNX Runtime, validate.ts `ortConstantEvaluator`) or not folded.
 */

import { makeTensor } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { Node, Tensor } from '../onnx/ir.js';
import { readTensorValues } from '../onnx/tensor.js';
import { getAttr, intAttr, intsAttr } from './graphEdit.js';

export interface ConstValue {
  dtype: number;
  dims: number[];
  /** int64/uint64 as bigint, everything else as number (bool as 0/1). */
  data: (number | bigint)[];
}

export class NotEvaluable extends Error {
  override name = 'NotEvaluable';
}

const isFloat = (dtype: number) =>
  dtype === DataType.FLOAT || dtype === DataType.DOUBLE || dtype === DataType.FLOAT16 || dtype === DataType.BFLOAT16;

export async function valueOfTensor(t: Tensor): Promise<ConstValue> {
  if (t.dataType === DataType.STRING || t.dataType === DataType.COMPLEX64 || t.dataType === DataType.COMPLEX128) {
    throw new NotEvaluable(`tensor '${t.name}' has a type the built-in evaluator does not handle`);
  }
  const values = await readTensorValues(t);
  return { dtype: t.dataType, dims: [...t.dims], data: Array.from(values as ArrayLike<number | bigint>) };
}

export function tensorOfValue(name: string, v: ConstValue): Tensor {
  return makeTensor(name, v.dtype, v.dims, v.data as (number | bigint)[]);
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

const num = (v: number | bigint) => Number(v);

function ints(v: ConstValue | undefined): number[] | undefined {
  return v ? v.data.map(num) : undefined;
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new NotEvaluable(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Rounds to the element type: float32 rounding, integer truncation and wrap-around. */
function coerce(dtype: number, x: number | bigint): number | bigint {
  switch (dtype) {
    case DataType.FLOAT:
      return Math.fround(Number(x));
    case DataType.DOUBLE:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return Number(x);
    case DataType.INT64:
      return typeof x === 'bigint' ? BigInt.asIntN(64, x) : BigInt.asIntN(64, BigInt(Math.trunc(x)));
    case DataType.UINT64:
      return typeof x === 'bigint' ? BigInt.asUintN(64, x) : BigInt.asUintN(64, BigInt(Math.trunc(x)));
    case DataType.BOOL:
      return Number(x) !== 0 ? 1 : 0;
    case DataType.INT32:
      return Number(BigInt.asIntN(32, BigInt(Math.trunc(Number(x)))));
    case DataType.UINT32:
      return Number(BigInt.asUintN(32, BigInt(Math.trunc(Number(x)))));
    case DataType.INT16:
      return Number(BigInt.asIntN(16, BigInt(Math.trunc(Number(x)))));
    case DataType.UINT16:
      return Number(BigInt.asUintN(16, BigInt(Math.trunc(Number(x)))));
    case DataType.INT8:
      return Number(BigInt.asIntN(8, BigInt(Math.trunc(Number(x)))));
    case DataType.UINT8:
      return Number(BigInt.asUintN(8, BigInt(Math.trunc(Number(x)))));
    default:
      throw new NotEvaluable(`element type ${dtype} is not handled`);
  }
}

function broadcastDims(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new NotEvaluable(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Flat index into `dims` (right-aligned, broadcast) for each output position. */
function broadcastIndex(out: number[], dims: number[]): Int32Array {
  const n = size(out);
  const idx = new Int32Array(n);
  const r = out.length;
  const srcStrides = stridesOf(dims);
  const outStrides = stridesOf(out);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let at = 0;
    for (let d = 0; d < r; d++) {
      const c = Math.floor(rem / outStrides[d]);
      rem -= c * outStrides[d];
      const sd = d - (r - dims.length);
      if (sd >= 0 && dims[sd] !== 1) at += c * srcStrides[sd];
    }
    idx[i] = at;
  }
  return idx;
}

type Binary = (a: number | bigint, b: number | bigint, dtype: number) => number | bigint;

const binaryOps: Record<string, Binary> = {
  Add: (a, b) => (typeof a === 'bigint' ? a + (b as bigint) : (a as number) + (b as number)),
  Sub: (a, b) => (typeof a === 'bigint' ? a - (b as bigint) : (a as number) - (b as number)),
  Mul: (a, b) => (typeof a === 'bigint' ? a * (b as bigint) : (a as number) * (b as number)),
  Div: (a, b, dtype) => {
    if (typeof a === 'bigint') {
      if (b === 0n) throw new NotEvaluable('integer division by zero');
      return a / (b as bigint);
    }
    if (!isFloat(dtype)) {
      if (b === 0) throw new NotEvaluable('integer division by zero');
      return Math.trunc((a as number) / (b as number));
    }
    return (a as number) / (b as number);
  },
  Pow: (a, b) => Number(a) ** Number(b),
  // biome-ignore lint/complexity/useMathMinMax: the operands may be bigints
  Min: (a, b) => (b < a ? b : a),
  // biome-ignore lint/complexity/useMathMinMax: the operands may be bigints
  Max: (a, b) => (b > a ? b : a),
};

type Unary = (a: number) => number;
const unaryOps: Record<string, Unary> = {
  Neg: (a) => -a,
  Abs: (a) => Math.abs(a),
  Sqrt: (a) => Math.sqrt(a),
  Reciprocal: (a) => 1 / a,
  Exp: (a) => Math.exp(a),
  Log: (a) => Math.log(a),
  Relu: (a) => Math.max(0, a),
  Floor: (a) => Math.floor(a),
  Ceil: (a) => Math.ceil(a),
};

/** Operators `evaluateNode` knows. */
export const evaluableOps: ReadonlySet<string> = new Set([
  'Constant',
  'Identity',
  'Cast',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Transpose',
  'Concat',
  'Gather',
  'Shape',
  'Size',
  'Slice',
  'ConstantOfShape',
  'Range',
  ...Object.keys(binaryOps),
  ...Object.keys(unaryOps),
]);

/** Evaluates one standard-domain node on constant inputs ('' inputs are undefined). */
export async function evaluateNode(
  node: Node,
  inputs: (ConstValue | undefined)[],
  opset: number,
): Promise<ConstValue[]> {
  const x = inputs[0];
  const need = (v: ConstValue | undefined, what = 'input'): ConstValue => {
    if (!v) throw new NotEvaluable(`${node.opType}: missing ${what}`);
    return v;
  };
  const op = node.opType;
  if (op in binaryOps) {
    const a = need(x);
    const b = need(inputs[1]);
    const dims = broadcastDims(a.dims, b.dims);
    const ia = broadcastIndex(dims, a.dims);
    const ib = broadcastIndex(dims, b.dims);
    const f = binaryOps[op];
    const data = Array.from(ia, (ai, i) => coerce(a.dtype, f(a.data[ai], b.data[ib[i]], a.dtype)));
    return [{ dtype: a.dtype, dims, data }];
  }
  if (op in unaryOps) {
    const a = need(x);
    if (!isFloat(a.dtype) && op !== 'Neg' && op !== 'Abs' && op !== 'Relu') {
      throw new NotEvaluable(`${op} on integers is not handled`);
    }
    const f = unaryOps[op];
    return [{ dtype: a.dtype, dims: a.dims, data: a.data.map((v) => coerce(a.dtype, f(Number(v)))) }];
  }
  switch (op) {
    case 'Constant': {
      const attr = node.attributes[0];
      if (attr?.name === 'value' && attr.type === 'tensor') return [await valueOfTensor(attr.value)];
      return [constantValue(node)];
    }
    case 'Identity':
      return [need(x)];
    case 'Cast': {
      const a = need(x);
      const to = intAttr(node, 'to', 0);
      if (to === DataType.STRING || a.dtype === DataType.STRING) throw new NotEvaluable('Cast to or from string');
      const data = a.data.map((v) => {
        if (to === DataType.BOOL) return Number(v) !== 0 ? 1 : 0;
        if (isFloat(to)) return coerce(to, Number(v));
        if (typeof v === 'number' && !Number.isFinite(v)) throw new NotEvaluable('Cast of a non-finite value');
        return coerce(to, typeof v === 'number' ? Math.trunc(v) : v);
      });
      return [{ dtype: to, dims: a.dims, data }];
    }
    case 'Reshape': {
      const a = need(x);
      const shape = ints(need(inputs[1], 'shape')) ?? [];
      const allowZero = intAttr(node, 'allowzero', 0) === 1;
      const dims = shape.map((d, i) => (d === 0 && !allowZero ? a.dims[i] : d));
      const known = dims.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
      const out = dims.map((d) => (d === -1 ? size(a.dims) / known : d));
      if (size(out) !== size(a.dims) || out.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new NotEvaluable(`Reshape [${a.dims}] to [${shape}] is invalid`);
      }
      return [{ ...a, dims: out }];
    }
    case 'Flatten': {
      const a = need(x);
      const axis = normAxis(intAttr(node, 'axis', 1), a.dims.length + 1);
      return [{ ...a, dims: [size(a.dims.slice(0, axis)), size(a.dims.slice(axis))] }];
    }
    case 'Squeeze': {
      const a = need(x);
      const given = opset >= 13 ? ints(inputs[1]) : intsAttr(node, 'axes');
      const axes = given
        ? given.map((ax) => normAxis(ax, a.dims.length))
        : a.dims.flatMap((d, i) => (d === 1 ? [i] : []));
      return [{ ...a, dims: a.dims.filter((_, i) => !axes.includes(i)) }];
    }
    case 'Unsqueeze': {
      const a = need(x);
      const given = opset >= 13 ? ints(inputs[1]) : intsAttr(node, 'axes');
      if (!given) throw new NotEvaluable('Unsqueeze without axes');
      const rank = a.dims.length + given.length;
      const axes = given.map((ax) => normAxis(ax, rank)).sort((p, q) => p - q);
      const dims = [...a.dims];
      for (const ax of axes) dims.splice(ax, 0, 1);
      return [{ ...a, dims }];
    }
    case 'Transpose': {
      const a = need(x);
      const r = a.dims.length;
      const perm = intsAttr(node, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      const dims = perm.map((p) => a.dims[p]);
      const inStrides = stridesOf(a.dims);
      const outStrides = stridesOf(dims);
      const n = size(dims);
      const data = new Array<number | bigint>(n);
      for (let i = 0; i < n; i++) {
        let rem = i;
        let at = 0;
        for (let d = 0; d < r; d++) {
          const c = Math.floor(rem / outStrides[d]);
          rem -= c * outStrides[d];
          at += c * inStrides[perm[d]];
        }
        data[i] = a.data[at];
      }
      return [{ ...a, dims, data }];
    }
    case 'Concat': {
      const parts = inputs.filter((v): v is ConstValue => v !== undefined);
      if (!parts.length) throw new NotEvaluable('Concat without inputs');
      const rank = parts[0].dims.length;
      const axis = normAxis(intAttr(node, 'axis', 0), rank);
      const outer = size(parts[0].dims.slice(0, axis));
      const dims = [...parts[0].dims];
      dims[axis] = parts.reduce((s, p) => s + p.dims[axis], 0);
      const data: (number | bigint)[] = [];
      for (let o = 0; o < outer; o++) {
        for (const p of parts) {
          const block = size(p.dims.slice(axis));
          for (let k = 0; k < block; k++) data.push(p.data[o * block + k]);
        }
      }
      return [{ dtype: parts[0].dtype, dims, data }];
    }
    case 'Gather': {
      const a = need(x);
      const ind = need(inputs[1], 'indices');
      const axis = normAxis(intAttr(node, 'axis', 0), a.dims.length);
      const outer = size(a.dims.slice(0, axis));
      const inner = size(a.dims.slice(axis + 1));
      const n = a.dims[axis];
      const idx = ind.data.map((v) => {
        const k = Number(v);
        const kk = k < 0 ? k + n : k;
        if (kk < 0 || kk >= n) throw new NotEvaluable(`Gather index ${k} out of range`);
        return kk;
      });
      const data: (number | bigint)[] = [];
      for (let o = 0; o < outer; o++) {
        for (const k of idx) for (let j = 0; j < inner; j++) data.push(a.data[(o * n + k) * inner + j]);
      }
      return [{ dtype: a.dtype, dims: [...a.dims.slice(0, axis), ...ind.dims, ...a.dims.slice(axis + 1)], data }];
    }
    case 'Shape': {
      const a = need(x);
      const r = a.dims.length;
      const clamp = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
      const start = clamp(intAttr(node, 'start', 0));
      const end = getAttr(node, 'end') ? clamp(intAttr(node, 'end', r)) : r;
      const dims = a.dims.slice(start, Math.max(start, end));
      return [{ dtype: DataType.INT64, dims: [dims.length], data: dims.map((d) => BigInt(d)) }];
    }
    case 'Size':
      return [{ dtype: DataType.INT64, dims: [], data: [BigInt(size(need(x).dims))] }];
    case 'Slice':
      return [slice(node, inputs, opset)];
    case 'ConstantOfShape': {
      const dims = ints(need(x, 'shape')) ?? [];
      const attr = getAttr(node, 'value');
      let fill: ConstValue = { dtype: DataType.FLOAT, dims: [1], data: [0] };
      if (attr?.type === 'tensor') fill = await valueOfTensor(attr.value);
      const n = size(dims);
      return [{ dtype: fill.dtype, dims, data: new Array(n).fill(fill.data[0]) }];
    }
    case 'Range': {
      const [s, l, d] = [need(x), need(inputs[1]), need(inputs[2])];
      const start = Number(s.data[0]);
      const limit = Number(l.data[0]);
      const delta = Number(d.data[0]);
      if (delta === 0) throw new NotEvaluable('Range with delta 0');
      const n = Math.max(0, Math.ceil((limit - start) / delta));
      const data = Array.from({ length: n }, (_, i) => coerce(s.dtype, start + i * delta));
      return [{ dtype: s.dtype, dims: [n], data }];
    }
    default:
      throw new NotEvaluable(`${op} is not evaluated by the built-in folder`);
  }
}

function constantValue(node: Node): ConstValue {
  const a = node.attributes[0];
  if (!a) throw new NotEvaluable('Constant without a value');
  switch (a.name) {
    case 'value_float':
      if (a.type === 'float') return { dtype: DataType.FLOAT, dims: [], data: [a.value] };
      break;
    case 'value_floats':
      if (a.type === 'floats') return { dtype: DataType.FLOAT, dims: [a.value.length], data: [...a.value] };
      break;
    case 'value_int':
      if (a.type === 'int') return { dtype: DataType.INT64, dims: [], data: [a.value] };
      break;
    case 'value_ints':
      if (a.type === 'ints') return { dtype: DataType.INT64, dims: [a.value.length], data: [...a.value] };
      break;
  }
  throw new NotEvaluable(`Constant with attribute '${a.name}' is not handled`);
}

/** The tensor a Constant node produces, when it can be had without evaluation (value / value_* attributes). */
export async function constantNodeTensor(node: Node, name: string): Promise<Tensor> {
  const a = node.attributes[0];
  if (a?.name === 'value' && a.type === 'tensor') return { ...a.value, name };
  return tensorOfValue(name, constantValue(node));
}

function slice(node: Node, inputs: (ConstValue | undefined)[], opset: number): ConstValue {
  const a = inputs[0];
  if (!a) throw new NotEvaluable('Slice: missing input');
  const r = a.dims.length;
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (opset >= 10) {
    starts = ints(inputs[1]) ?? [];
    ends = ints(inputs[2]) ?? [];
    axes = ints(inputs[3]);
    steps = ints(inputs[4]);
  } else {
    starts = intsAttr(node, 'starts') ?? [];
    ends = intsAttr(node, 'ends') ?? [];
    axes = intsAttr(node, 'axes');
  }
  const ax = (axes ?? starts.map((_, i) => i)).map((v) => normAxis(v, r));
  const st = steps ?? starts.map(() => 1);
  const lo = a.dims.map(() => 0);
  const step = a.dims.map(() => 1);
  const count = [...a.dims];
  ax.forEach((axis, i) => {
    const dim = a.dims[axis];
    const s = st[i];
    if (s === 0) throw new NotEvaluable('Slice step 0');
    let b = starts[i] < 0 ? starts[i] + dim : starts[i];
    let e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (s > 0) {
      b = Math.min(Math.max(b, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
      count[axis] = Math.max(0, Math.ceil((e - b) / s));
    } else {
      b = Math.min(Math.max(b, -1), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
      count[axis] = Math.max(0, Math.ceil((b - e) / -s));
    }
    lo[axis] = b;
    step[axis] = s;
  });
  const inStrides = stridesOf(a.dims);
  const outStrides = stridesOf(count);
  const n = size(count);
  const data = new Array<number | bigint>(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let at = 0;
    for (let d = 0; d < r; d++) {
      const c = Math.floor(rem / outStrides[d]);
      rem -= c * outStrides[d];
      at += (lo[d] + c * step[d]) * inStrides[d];
    }
    data[i] = a.data[at];
  }
  return { dtype: a.dtype, dims: count, data };
}
