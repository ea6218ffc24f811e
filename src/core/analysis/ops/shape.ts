/**
 * Shape manipulation operators (Constant, Shape, Reshape, Concat, Slice, Squeeze, Resize, …): output shapes per
 * opset (attributes that became inputs: Split's split at 13, Squeeze/Unsqueeze axes at 13, Slice's starts/ends at
 * 10, Pad's pads at 11, TopK's k at 10, Resize's axes at 18…), with constant folding of the small integer tensors
 * that shape arithmetic computes, and symbolic dims carried through that arithmetic (`symbolicValue`) so that
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains of exported PyTorch graphs give ['batch', N].
 */

import { DataType } from '../../onnx/dtype.js';
import type { Tensor } from '../../onnx/ir.js';
import { constValueOf } from '../constants.js';
import {
  type ConstValue,
  type Dim,
  dimAdd,
  dimDiv,
  dimMul,
  dimsTensor,
  knownSize,
  MAX_FOLD_ELEMENTS,
  normalizeAxis,
  type TensorFacts,
  tensor,
  valueDims,
} from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';
import { dimPlus, dimQuotient, isIntegerType } from './elementwise.js';

// ---------------------------------------------------------------------------------------------------------------
// Helpers shared by the shape, gather and reduce families

/** Slices at or beyond this (PyTorch's INT64_MAX, TF's INT32_MAX) mean "to the end" even of a symbolic dim. */
const TO_THE_END = 2147483647;

/**
 * An integer list given as an attribute before opset `inputSince` and as a constant input from it on: `given` says
 * whether the node gives it at all, `values` holds it when it is known.
 */
export function intsArg(
  ctx: InferContext,
  attrName: string,
  inputIndex: number,
  inputSince: number,
): { given: boolean; values?: number[]; count?: number } {
  if (ctx.opset >= inputSince) {
    if (!ctx.has(inputIndex)) return { given: false };
    const v = ctx.value(inputIndex);
    if (v) return { given: true, values: v.data, count: v.data.length };
    const n = ctx.shape(inputIndex);
    const count = n?.length === 1 ? declaredLength(n[0]) : n?.length === 0 ? 1 : undefined;
    return count === undefined ? { given: true } : { given: true, count };
  }
  const a = ctx.ints(attrName);
  return a === undefined ? { given: false } : { given: true, values: a, count: a.length };
}

/**
 * The length a 1-D input declares, when it can be the length of a list of dims or axes: a corrupt declaration
 * ([2^31], [-1]) would otherwise become a rank, and an array of that many dims.
 */
export function declaredLength(d: Dim | undefined): number | undefined {
  return typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= MAX_FOLD_ELEMENTS ? d : undefined;
}

/** The single element of a constant scalar (or one-element) input, if known. */
export function scalarValue(ctx: InferContext, i: number): number | undefined {
  const v = ctx.value(i);
  return v && v.data.length === 1 ? v.data[0] : undefined;
}

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/**
 * A tensor of `outDims` whose element at each multi-index is `src.data[offset(index)]`; undefined when it would be
 * larger than MAX_FOLD_ELEMENTS.
 */
export function remap(src: ConstValue, outDims: number[], offset: (idx: number[]) => number): ConstValue | undefined {
  const n = outDims.reduce((a, b) => a * b, 1);
  if (n > MAX_FOLD_ELEMENTS) return undefined;
  const data = new Array<number>(n);
  const idx = new Array<number>(outDims.length).fill(0);
  for (let k = 0; k < n; k++) {
    data[k] = src.data[offset(idx)];
    for (let a = outDims.length - 1; a >= 0; a--) {
      if (++idx[a] < outDims[a]) break;
      idx[a] = 0;
    }
  }
  return { dims: outDims, data };
}

/** The same elements under new dims (Reshape, Squeeze, Unsqueeze, Flatten-like ops). */
function withDims(t: TensorFacts | undefined, dtype: number | undefined, shape: Dim[] | undefined): TensorFacts {
  const out = tensor(dtype, shape);
  if (!t || !shape) return out;
  if (t.value && shape.every((d) => typeof d === 'number')) out.value = { dims: shape as number[], data: t.value.data };
  else if (t.symbolicValue && shape.length <= 1 && (shape.length === 0 || shape[0] === t.symbolicValue.length)) {
    out.symbolicValue = t.symbolicValue;
  }
  return out;
}

/** Element types by their TensorProto.DataType names, for Cast-1's string `to`. */
function dataTypeFromName(name: string): number | undefined {
  const id = (DataType as unknown as Record<string, number | undefined>)[name.toUpperCase()];
  return typeof id === 'number' && id !== 0 ? id : undefined;
}

const intRanges: Partial<Record<number, [number, number]>> = {
  [DataType.INT8]: [-128, 127],
  [DataType.UINT8]: [0, 255],
  [DataType.INT16]: [-32768, 32767],
  [DataType.UINT16]: [0, 65535],
  [DataType.INT32]: [-(2 ** 31), 2 ** 31 - 1],
  [DataType.UINT32]: [0, 2 ** 32 - 1],
  [DataType.INT64]: [-(2 ** 63), 2 ** 63],
  [DataType.UINT64]: [0, 2 ** 64],
};

/** Elements cast to `to` (float32 rounding, truncation toward zero); undefined where the result is not exact. */
export function castValue(v: ConstValue | undefined, to: number): ConstValue | undefined {
  if (!v) return undefined;
  if (to === DataType.DOUBLE) return v;
  if (to === DataType.FLOAT) return { dims: v.dims, data: v.data.map((x) => Math.fround(x)) };
  if (to === DataType.BOOL) return { dims: v.dims, data: v.data.map((x) => (x !== 0 ? 1 : 0)) };
  const range = intRanges[to];
  if (!range) return undefined;
  const data: number[] = [];
  for (const x of v.data) {
    if (!Number.isFinite(x)) return undefined;
    const t = Math.trunc(x);
    if (t < range[0] || t > range[1]) return undefined;
    data.push(t === 0 ? 0 : t);
  }
  return { dims: v.dims, data };
}

/** Facts of a Cast/CastLike output: the new element type, the same shape, and the value when it casts exactly. */
function castFacts(x: TensorFacts | undefined, to: number | undefined): TensorFacts {
  const out = tensor(to, x?.shape);
  if (!x || to === undefined) return out;
  const v = castValue(x.value, to);
  if (v) out.value = v;
  if (x.symbolicValue && isIntegerType(to) && isIntegerType(x.dtype)) out.symbolicValue = x.symbolicValue;
  return out;
}

/** The dim of a slice along one axis (ONNX Slice semantics), or null when it is not exactly known. */
function slicedDim(d: Dim, start: Dim, end: Dim, step: number): Dim {
  if (step === 0) throw new Error('slice step cannot be 0');
  if (typeof start !== 'number' || typeof end !== 'number') {
    // Bounds computed from symbolic dims: x[:, :seq] of an axis of size seq is the whole axis.
    return step === 1 && start === 0 && end !== null && end === d ? d : null;
  }
  if (typeof d === 'number') return sliceRange(d, start, end, step).len;
  if (step === 1 && (start === 0 || start <= -TO_THE_END) && end >= TO_THE_END) return d;
  if (step === -1 && (start === -1 || start >= TO_THE_END) && end <= -TO_THE_END) return d;
  return null;
}

/** Effective start and length of a slice of a known dim. */
export function sliceRange(d: number, start: number, end: number, step: number): { start: number; len: number } {
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
    return { start: s, len: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, 0), d - 1);
  e = Math.min(Math.max(e, -1), d - 1);
  return { start: s, len: Math.max(0, Math.ceil((s - e) / -step)) };
}

/** The dims of shape input `i` (Reshape, Expand, ConstantOfShape, Tile): its value, or its length with unknowns. */
function shapeArg(ctx: InferContext, i: number): Dim[] | undefined {
  const dims = valueDims(ctx.tensor(i));
  if (dims) return dims;
  const s = ctx.shape(i);
  const n = s?.length === 1 ? declaredLength(s[0]) : undefined;
  return n === undefined ? undefined : new Array<Dim>(n).fill(null);
}

/** Merges dims that must be equal at run time: a number beats a symbol, a symbol beats null. */
export function mergeDim(a: Dim, b: Dim): Dim {
  if (typeof a === 'number') {
    if (typeof b === 'number' && a !== b) throw new Error(`dimensions ${a} and ${b} must be equal`);
    return a;
  }
  if (typeof b === 'number') return b;
  return a ?? b;
}

function factsOfConstantTensor(t: Tensor): TensorFacts {
  const f: TensorFacts = { kind: 'tensor', dtype: t.dataType, shape: [...t.dims], origin: 'constant' };
  const v = constValueOf(t);
  if (v) f.value = v;
  return f;
}

function constant(dtype: number, dims: number[], data?: number[]): TensorFacts {
  const f: TensorFacts = { kind: 'tensor', dtype, shape: dims, origin: 'constant' };
  if (data) f.value = { dims, data };
  return f;
}

function resizeDim(d: Dim, scale: number): Dim {
  if (typeof d === 'number') return Math.floor(Math.fround(d * scale));
  if (scale === 1) return d;
  if (Number.isInteger(scale) && scale > 0) return dimMul(d, scale);
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules

defineRules([
  {
    ops: 'Constant',
    infer: (ctx) => {
      const a = ctx.node.attributes.find((x) => x.type !== 'undefined') ?? ctx.node.attributes[0];
      if (!a) throw new Error('Constant has no value attribute');
      const at = ctx.attr(a.name) ?? a;
      switch (at.type) {
        case 'tensor':
          return [factsOfConstantTensor(at.value)];
        case 'sparse_tensor':
          return [{ kind: 'tensor', dtype: at.value.values.dataType, shape: [...at.value.dims], origin: 'constant' }];
        case 'float':
          return [constant(DataType.FLOAT, [], [at.value])];
        case 'floats':
          return [constant(DataType.FLOAT, [at.value.length], [...at.value])];
        case 'int':
          return [constant(DataType.INT64, [], [Number(at.value)])];
        case 'ints':
          return [constant(DataType.INT64, [at.value.length], at.value.map(Number))];
        case 'string':
          return [constant(DataType.STRING, [])];
        case 'strings':
          return [constant(DataType.STRING, [at.value.length])];
        default:
          throw new Error(`Constant attribute '${a.name}' of type ${at.type} is not a value`);
      }
    },
  },
  {
    ops: 'ConstantOfShape',
    since: 9,
    infer: (ctx) => {
      const a = ctx.attr('value');
      let dtype: number = DataType.FLOAT;
      let fill: number | undefined = 0;
      if (a?.type === 'tensor') {
        dtype = a.value.dataType;
        const v = constValueOf(a.value);
        fill = v && v.data.length === 1 ? v.data[0] : undefined;
      }
      const dims = shapeArg(ctx, 0);
      if (!dims) return [tensor(dtype, undefined)];
      for (const d of dims) if (typeof d === 'number' && d < 0) throw new Error(`negative dimension ${d}`);
      const out = tensor(dtype, dims);
      const n = knownSize(dims);
      if (fill !== undefined && n !== undefined && n <= MAX_FOLD_ELEMENTS && dtype !== DataType.STRING) {
        out.value = { dims: dims as number[], data: new Array<number>(n).fill(fill) };
      }
      return [out];
    },
  },
  {
    ops: 'Shape',
    infer: (ctx) => {
      const shape = ctx.shape(0);
      if (!shape) {
        // The rank is unknown, so is the output's length.
        return [tensor(DataType.INT64, [null])];
      }
      const r = shape.length;
      const clamp = (x: number) => Math.min(Math.max(x < 0 ? x + r : x, 0), r);
      const start = ctx.opset >= 15 ? clamp(ctx.int('start', 0)) : 0;
      const end = ctx.opset >= 15 ? clamp(ctx.int('end', r)) : r;
      return [dimsTensor(DataType.INT64, shape.slice(start, Math.max(start, end)))];
    },
  },
  {
    ops: 'Size',
    infer: (ctx) => {
      const shape = ctx.shape(0);
      if (!shape) return [tensor(DataType.INT64, [])];
      return [dimsTensor(DataType.INT64, [shape.reduce<Dim>((a, d) => dimMul(a, d), 1)], true)];
    },
  },
  {
    ops: 'Reshape',
    infer: (ctx) => {
      const x = ctx.tensor(0);
      const inShape = ctx.shape(0);
      const target = ctx.opset >= 5 ? shapeArg(ctx, 1) : ctx.ints('shape');
      if (!target) return [tensor(ctx.dtype(0), undefined)];
      const allowzero = ctx.opset >= 14 && ctx.int('allowzero', 0) !== 0;
      let minusOne = -1;
      const out: Dim[] = target.map((d, i) => {
        if (d === 0 && !allowzero) {
          if (!inShape) return null;
          if (i >= inShape.length) throw new Error(`shape[${i}] is 0 but the input has rank ${inShape.length}`);
          return inShape[i];
        }
        if (d === -1) {
          if (minusOne >= 0) throw new Error('more than one -1 in the shape');
          minusOne = i;
          return null;
        }
        if (typeof d === 'number' && d < 0) throw new Error(`invalid dimension ${d} in the shape`);
        return d;
      });
      if (minusOne >= 0 && inShape) {
        out[minusOne] = dimQuotient(
          inShape,
          out.filter((_, i) => i !== minusOne),
        );
      } else if (minusOne < 0 && inShape) {
        const a = knownSize(inShape);
        const b = knownSize(out);
        if (a !== undefined && b !== undefined && a !== b) {
          throw new Error(`cannot reshape ${a} elements into [${out.join(', ')}]`);
        }
      }
      return [withDims(x, ctx.dtype(0), out)];
    },
  },
  {
    ops: 'Cast',
    infer: (ctx) => {
      const a = ctx.attr('to');
      const to = a?.type === 'string' ? dataTypeFromName(a.value) : a?.type === 'int' ? Number(a.value) : undefined;
      if (to === undefined) throw new Error("Cast needs a valid 'to' attribute");
      return [castFacts(ctx.tensor(0), to)];
    },
  },
  {
    ops: 'CastLike',
    since: 15,
    infer: (ctx) => [castFacts(ctx.tensor(0), ctx.dtype(1))],
  },
  {
    ops: 'Transpose',
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const r = shape?.length;
      const perm = ctx.ints('perm') ?? (r === undefined ? undefined : [...Array(r).keys()].reverse());
      if (!perm) return [tensor(ctx.dtype(0), undefined)];
      if (r !== undefined && perm.length !== r) throw new Error(`perm has ${perm.length} axes, the input rank ${r}`);
      const seen = new Set<number>();
      for (const p of perm) {
        if (p < 0 || p >= perm.length || seen.has(p)) throw new Error(`invalid perm [${perm.join(', ')}]`);
        seen.add(p);
      }
      const out = tensor(ctx.dtype(0), shape ? perm.map((p) => shape[p]) : new Array<Dim>(perm.length).fill(null));
      const v = ctx.value(0);
      if (v) {
        const st = stridesOf(v.dims);
        const folded = remap(
          v,
          perm.map((p) => v.dims[p]),
          (idx) => idx.reduce((off, k, a) => off + k * st[perm[a]], 0),
        );
        if (folded) out.value = folded;
      }
      return [out];
    },
  },
  {
    ops: 'Concat',
    infer: (ctx) => {
      const shapes = ctx.inputs.map((_, i) => ctx.shape(i));
      const dtype = ctx.inputs.map((_, i) => ctx.dtype(i)).find((d) => d !== undefined);
      const known = shapes.find((s) => s !== undefined);
      const axisAttr = ctx.int('axis', ctx.opset < 4 ? 1 : Number.NaN);
      if (Number.isNaN(axisAttr)) throw new Error("Concat needs an 'axis' attribute");
      if (!known) return [tensor(dtype, undefined)];
      const r = known.length;
      const axis = normalizeAxis(axisAttr, r);
      const out: Dim[] = new Array<Dim>(r).fill(null);
      let sum: Dim = 0;
      let first = true;
      for (const s of shapes) {
        if (s && s.length !== r) throw new Error(`inputs have ranks ${r} and ${s.length}`);
        for (let k = 0; k < r; k++) if (k !== axis && s) out[k] = first ? s[k] : mergeDim(out[k], s[k]);
        if (s) first = false;
        sum = s ? dimAdd(sum, s[axis]) : null;
      }
      out[axis] = sum;
      const result = tensor(dtype, out);
      const values = ctx.inputs.map((_, i) => ctx.value(i));
      if (values.every((v) => v !== undefined) && values.length > 0) {
        const vs = values as ConstValue[];
        const dims = [...vs[0].dims];
        dims[axis] = vs.reduce((a, v) => a + v.dims[axis], 0);
        if (knownSize(dims) !== undefined && (knownSize(dims) as number) <= MAX_FOLD_ELEMENTS) {
          const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
          const data: number[] = [];
          for (let o = 0; o < outer; o++) {
            for (const v of vs) {
              const chunk = v.dims.slice(axis).reduce((a, b) => a * b, 1);
              for (let k = 0; k < chunk; k++) data.push(v.data[o * chunk + k]);
            }
          }
          result.value = { dims, data };
        }
      } else if (r === 1) {
        const parts = ctx.inputs.map((f) => valueDims(f));
        if (parts.every((p) => p !== undefined)) return [dimsTensor(dtype, (parts as Dim[][]).flat())];
      }
      return [result];
    },
  },
  {
    ops: 'Split',
    infer: (ctx) => {
      const n = ctx.node.outputs.length;
      const shape = ctx.shape(0);
      const dtype = ctx.dtype(0);
      if (!shape) return ctx.node.outputs.map(() => tensor(dtype, undefined));
      const axis = normalizeAxis(ctx.int('axis', 0), shape.length);
      const d = shape[axis];
      let sizes: Dim[] | undefined;
      // Split-1 takes `split` as an attribute or as a second input; 2-12 as an attribute; 13+ as an input.
      const attrSplit = ctx.opset < 13 && ctx.ints('split')?.length ? ctx.ints('split') : undefined;
      const inputSplit = (ctx.opset < 2 || ctx.opset >= 13) && ctx.has(1);
      if (attrSplit) sizes = attrSplit;
      else if (inputSplit) sizes = ctx.value(1)?.data ?? new Array<Dim>(n).fill(null);
      else {
        const numOutputs = ctx.opset >= 18 ? ctx.int('num_outputs') : undefined;
        if (numOutputs !== undefined && numOutputs !== n) {
          throw new Error(`num_outputs is ${numOutputs} but the node has ${n} outputs`);
        }
        if (typeof d === 'number') {
          if (ctx.opset >= 18) {
            // Opset 18: ceil(d / n) per output, the last one smaller when d does not divide.
            const chunk = Math.ceil(d / n);
            sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, d - chunk * i)));
          } else {
            if (d % n !== 0) throw new Error(`dimension ${d} cannot be split into ${n} equal parts`);
            sizes = new Array<Dim>(n).fill(d / n);
          }
        } else {
          sizes = new Array<Dim>(n).fill(n === 1 ? d : ctx.opset >= 18 ? null : dimDiv(d, n));
        }
      }
      if (sizes.length !== n) throw new Error(`split has ${sizes.length} parts but the node has ${n} outputs`);
      if (typeof d === 'number' && sizes.every((s) => typeof s === 'number')) {
        const total = (sizes as number[]).reduce((a, b) => a + b, 0);
        if (total !== d) throw new Error(`split sizes sum to ${total}, the dimension is ${d}`);
      }
      const v = ctx.value(0);
      const sym = shape.length === 1 ? valueDims(ctx.tensor(0)) : undefined;
      let offset = 0;
      return sizes.map((s) => {
        const out = [...shape];
        out[axis] = s;
        const f = tensor(dtype, out);
        if (typeof s === 'number' && offset >= 0) {
          if (v) {
            const st = stridesOf(v.dims);
            const dims = [...v.dims];
            dims[axis] = s;
            const off = offset;
            const folded = remap(v, dims, (idx) => idx.reduce((o, k, a) => o + (a === axis ? k + off : k) * st[a], 0));
            if (folded) f.value = folded;
          } else if (sym) {
            const part = dimsTensor(dtype, sym.slice(offset, offset + s));
            if (part.symbolicValue) f.symbolicValue = part.symbolicValue;
          }
          offset += s;
        } else offset = -1;
        return f;
      });
    },
  },
  {
    ops: 'Squeeze',
    infer: (ctx) => {
      const x = ctx.tensor(0);
      const shape = ctx.shape(0);
      const axesArg = intsArg(ctx, 'axes', 1, 13);
      if (!shape) return [tensor(ctx.dtype(0), undefined)];
      if (axesArg.given && !axesArg.values) {
        const k = axesArg.count;
        return [tensor(ctx.dtype(0), k === undefined ? undefined : new Array<Dim>(shape.length - k).fill(null))];
      }
      let out: Dim[];
      if (axesArg.values && axesArg.values.length > 0) {
        const axes = new Set(axesArg.values.map((a) => normalizeAxis(a, shape.length)));
        for (const a of axes) {
          const d = shape[a];
          if (typeof d === 'number' && d !== 1) throw new Error(`cannot squeeze axis ${a} of size ${d}`);
        }
        out = shape.filter((_, i) => !axes.has(i));
      } else {
        // No axes: every dimension of size 1 goes; unknowable when some dimension is not a known number.
        if (shape.some((d) => typeof d !== 'number')) return [tensor(ctx.dtype(0), undefined)];
        out = shape.filter((d) => d !== 1);
      }
      return [withDims(x, ctx.dtype(0), out)];
    },
  },
  {
    ops: 'Unsqueeze',
    infer: (ctx) => {
      const x = ctx.tensor(0);
      const shape = ctx.shape(0);
      const axesArg = intsArg(ctx, 'axes', 1, 13);
      if (!axesArg.given) throw new Error('Unsqueeze needs axes');
      if (!shape) return [tensor(ctx.dtype(0), undefined)];
      if (!axesArg.values) {
        const k = axesArg.count;
        return [tensor(ctx.dtype(0), k === undefined ? undefined : new Array<Dim>(shape.length + k).fill(null))];
      }
      const r = shape.length + axesArg.values.length;
      const axes = new Set(axesArg.values.map((a) => normalizeAxis(a, r)));
      if (axes.size !== axesArg.values.length) throw new Error(`repeated axes [${axesArg.values.join(', ')}]`);
      const out: Dim[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) out.push(axes.has(i) ? 1 : shape[k++]);
      const f = withDims(x, ctx.dtype(0), out);
      // A scalar's symbolic value becomes a one-element vector.
      if (x?.symbolicValue && shape.length === 0 && out.length === 1) f.symbolicValue = x.symbolicValue;
      return [f];
    },
  },
  {
    ops: 'Slice',
    infer: (ctx) => {
      const x = ctx.tensor(0);
      const shape = ctx.shape(0);
      const dtype = ctx.dtype(0);
      if (!shape) return [tensor(dtype, undefined)];
      const r = shape.length;
      let starts: Dim[] | undefined;
      let ends: Dim[] | undefined;
      let axes: number[] | undefined;
      let steps: number[] | undefined;
      let count: number | undefined;
      if (ctx.opset < 10) {
        starts = ctx.ints('starts');
        ends = ctx.ints('ends');
        axes = ctx.ints('axes');
        if (!starts || !ends) throw new Error('Slice needs starts and ends');
        count = starts.length;
      } else {
        starts = valueDims(ctx.tensor(1));
        ends = valueDims(ctx.tensor(2));
        const sShape = ctx.shape(1) ?? ctx.shape(2);
        count = starts?.length ?? ends?.length ?? (typeof sShape?.[0] === 'number' ? sShape[0] : undefined);
        if (ctx.has(3)) {
          axes = ctx.value(3)?.data;
          if (!axes) return [tensor(dtype, new Array<Dim>(r).fill(null))];
        }
        if (ctx.has(4)) steps = ctx.value(4)?.data;
      }
      const axisList = (axes ?? (count === undefined ? undefined : [...Array(count).keys()]))?.map((a) =>
        normalizeAxis(a, r),
      );
      if (!axisList) return [tensor(dtype, new Array<Dim>(r).fill(null))];
      if (new Set(axisList).size !== axisList.length) throw new Error(`repeated axes [${axisList.join(', ')}]`);
      const out = [...shape];
      const known = starts && ends && (ctx.opset < 10 || !ctx.has(4) || steps);
      if (!known) {
        for (const a of axisList) out[a] = null;
        return [tensor(dtype, out)];
      }
      const st = starts as Dim[];
      const en = ends as Dim[];
      if (st.length !== axisList.length || en.length !== axisList.length || (steps && steps.length !== st.length)) {
        throw new Error('starts, ends, axes and steps must have the same length');
      }
      const plan = shape.map(() => ({ start: 0, step: 1 }));
      axisList.forEach((a, i) => {
        const step = steps?.[i] ?? 1;
        out[a] = slicedDim(shape[a], st[i], en[i], step);
        const [d, s, e] = [shape[a], st[i], en[i]];
        if (typeof d === 'number' && typeof s === 'number' && typeof e === 'number') {
          plan[a] = { start: sliceRange(d, s, e, step).start, step };
        }
      });
      const f = tensor(dtype, out);
      const v = x?.value;
      if (v && out.every((d) => typeof d === 'number')) {
        const strides = stridesOf(v.dims);
        const folded = remap(v, out as number[], (idx) =>
          idx.reduce((o, k, a) => o + (plan[a].start + k * plan[a].step) * strides[a], 0),
        );
        if (folded) f.value = folded;
      } else if (x?.symbolicValue && r === 1 && typeof out[0] === 'number') {
        const len = out[0];
        const dims = Array.from({ length: len }, (_, k) => x.symbolicValue?.[plan[0].start + k * plan[0].step] ?? null);
        const part = dimsTensor(dtype, dims);
        if (part.value) f.value = part.value;
        if (part.symbolicValue) f.symbolicValue = part.symbolicValue;
      }
      return [f];
    },
  },
  {
    ops: 'Expand',
    since: 8,
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const target = shapeArg(ctx, 1);
      if (!shape || !target) return [tensor(ctx.dtype(0), undefined)];
      const r = Math.max(shape.length, target.length);
      const out: Dim[] = [];
      for (let i = 0; i < r; i++) {
        const a = i - (r - shape.length) >= 0 ? shape[i - (r - shape.length)] : 1;
        const b = i - (r - target.length) >= 0 ? target[i - (r - target.length)] : 1;
        if (a === 1) out.push(b);
        else if (b === 1) out.push(a);
        else if (typeof a === 'number' && typeof b === 'number') {
          if (a !== b) throw new Error(`dimension ${a} cannot expand to ${b}`);
          out.push(a);
        } else if (typeof a === 'number') out.push(a);
        else if (typeof b === 'number') out.push(b);
        else out.push(a === b ? a : null);
      }
      const f = tensor(ctx.dtype(0), out);
      const v = ctx.value(0);
      const n = knownSize(out);
      if (v && n !== undefined && n <= MAX_FOLD_ELEMENTS) {
        const dims = out as number[];
        const offset = dims.length - v.dims.length;
        const st = stridesOf(v.dims);
        const folded = remap(v, dims, (idx) =>
          v.dims.reduce((o, d, a) => o + (d === 1 ? 0 : idx[a + offset] * st[a]), 0),
        );
        if (folded) f.value = folded;
      }
      return [f];
    },
  },
  {
    ops: 'Tile',
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const dtype = ctx.dtype(0);
      if (!shape) return [tensor(dtype, undefined)];
      if (ctx.opset < 6) {
        // Tile-1: a number of copies (`tiles`) along one axis (`axis`), both scalar inputs.
        const tiles = scalarValue(ctx, 1);
        const axisV = scalarValue(ctx, 2);
        const out = [...shape];
        if (axisV === undefined)
          return [
            tensor(
              dtype,
              out.map(() => null),
            ),
          ];
        const a = normalizeAxis(axisV, shape.length);
        out[a] = tiles === undefined ? null : dimMul(shape[a], tiles);
        return [tensor(dtype, out)];
      }
      // Repeats may hold symbolic dims (TF exports tile anchors by a batch size read with Shape).
      const repeats = valueDims(ctx.tensor(1));
      if (!repeats)
        return [
          tensor(
            dtype,
            shape.map((d) => (d === 0 ? 0 : null)),
          ),
        ];
      if (repeats.length !== shape.length) {
        throw new Error(`repeats has ${repeats.length} elements, the input rank is ${shape.length}`);
      }
      const out = shape.map((d, i) => dimMul(d, repeats[i]));
      const f = tensor(dtype, out);
      const v = ctx.value(0);
      if (v && out.every((d) => typeof d === 'number')) {
        const st = stridesOf(v.dims);
        const folded = remap(v, out as number[], (idx) => idx.reduce((o, k, a) => o + (k % v.dims[a]) * st[a], 0));
        if (folded) f.value = folded;
      }
      return [f];
    },
  },
  {
    ops: 'Pad',
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const dtype = ctx.dtype(0);
      if (!shape) return [tensor(dtype, undefined)];
      const r = shape.length;
      // Pad-1: `paddings` attribute; 2-10: `pads` attribute; 11+: `pads` input; 18+: `axes` input.
      const pads = ctx.opset >= 11 ? ctx.value(1)?.data : ctx.opset >= 2 ? ctx.ints('pads') : ctx.ints('paddings');
      let axes: number[] | undefined = [...Array(r).keys()];
      if (ctx.opset >= 18 && ctx.has(3)) {
        const a = ctx.value(3)?.data;
        axes = a?.map((x) => normalizeAxis(x, r));
      }
      if (!axes)
        return [
          tensor(
            dtype,
            shape.map(() => null),
          ),
        ];
      if (!pads) {
        const out = [...shape];
        for (const a of axes) out[a] = null;
        return [tensor(dtype, out)];
      }
      if (pads.length !== 2 * axes.length) {
        throw new Error(`pads has ${pads.length} elements, expected ${2 * axes.length}`);
      }
      const out = [...shape];
      axes.forEach((a, i) => {
        const d = dimPlus(shape[a], pads[i] + pads[i + axes.length]);
        if (typeof d === 'number' && d < 0) throw new Error(`padding makes dimension ${a} negative`);
        out[a] = d;
      });
      return [tensor(dtype, out)];
    },
  },
  {
    ops: 'Range',
    since: 11,
    infer: (ctx) => {
      const dtype = ctx.dtype(0) ?? ctx.dtype(1) ?? ctx.dtype(2);
      const start = scalarValue(ctx, 0);
      const delta = scalarValue(ctx, 2);
      const limit = scalarValue(ctx, 1);
      if (start !== undefined && delta !== undefined && limit !== undefined) {
        if (delta === 0) throw new Error('Range delta is 0');
        // limit - start in the element type (float32 rounds), the division in double.
        const span = dtype === DataType.FLOAT ? Math.fround(limit - start) : limit - start;
        const n = Math.max(Math.ceil(span / delta), 0);
        const f = tensor(dtype, [n]);
        if (n <= MAX_FOLD_ELEMENTS) {
          const data = Array.from({ length: n }, (_, i) => start + i * delta);
          f.value = { dims: [n], data: dtype === DataType.FLOAT ? data.map((x) => Math.fround(x)) : data };
        }
        return [f];
      }
      // Range(0, d, 1) over a symbolic dim d (position ids) has d elements.
      const lim = valueDims(ctx.tensor(1));
      if (start === 0 && delta === 1 && lim?.length === 1 && typeof lim[0] === 'string') {
        return [tensor(dtype, [lim[0]])];
      }
      return [tensor(dtype, [null])];
    },
  },
  {
    ops: 'OneHot',
    since: 9,
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const dtype = ctx.dtype(2);
      if (!shape) return [tensor(dtype, undefined)];
      const depth = scalarValue(ctx, 1);
      const r = shape.length + 1;
      const axis = normalizeAxis(ctx.int('axis', -1), r);
      const out = [...shape];
      out.splice(axis, 0, depth === undefined ? null : Math.trunc(depth));
      return [tensor(dtype, out)];
    },
  },
  {
    ops: 'TopK',
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const dtype = ctx.dtype(0);
      if (!shape) return [tensor(dtype, undefined), tensor(DataType.INT64, undefined)];
      const axis = normalizeAxis(ctx.int('axis', -1), shape.length);
      const k = ctx.opset >= 10 ? scalarValue(ctx, 1) : ctx.int('k');
      if (k !== undefined && k < 0) throw new Error(`k is ${k}`);
      const d = shape[axis];
      if (k !== undefined && typeof d === 'number' && k > d) throw new Error(`k (${k}) exceeds the axis size ${d}`);
      const out = [...shape];
      out[axis] = k ?? null;
      return [tensor(dtype, out), tensor(DataType.INT64, [...out])];
    },
  },
  {
    ops: 'NonZero',
    since: 9,
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const v = ctx.value(0);
      if (v) {
        // Known input: the indices of its non-zero elements, one row per axis.
        const st = stridesOf(v.dims);
        const rows: number[][] = v.dims.map(() => []);
        v.data.forEach((x, k) => {
          if (x === 0) return;
          for (let a = 0; a < v.dims.length; a++) rows[a].push(Math.floor(k / st[a]) % v.dims[a]);
        });
        const count = v.data.filter((x) => x !== 0).length;
        const dims = [v.dims.length, count];
        return [tensor(DataType.INT64, dims, { dims, data: rows.flat() })];
      }
      return [tensor(DataType.INT64, [shape ? shape.length : null, null])];
    },
  },
  {
    ops: 'Unique',
    since: 11,
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const dtype = ctx.dtype(0);
      const axisAttr = ctx.int('axis');
      let y: Dim[] | undefined;
      let inverse: Dim[] | undefined;
      if (axisAttr === undefined) {
        y = [null];
        inverse = shape ? [shape.reduce<Dim>((a, d) => dimMul(a, d), 1)] : [null];
      } else if (shape) {
        const axis = normalizeAxis(axisAttr, shape.length);
        y = shape.map((d, i) => (i === axis ? null : d));
        inverse = [shape[axis]];
      }
      // How many unique elements there are depends on the data.
      return [
        tensor(dtype, y),
        tensor(DataType.INT64, [null]),
        tensor(DataType.INT64, inverse),
        tensor(DataType.INT64, [null]),
      ];
    },
  },
  {
    ops: 'Compress',
    since: 9,
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const dtype = ctx.dtype(0);
      const cond = ctx.value(1);
      const axisAttr = ctx.int('axis');
      // A known condition selects as many slices as it has true elements (a shorter condition drops the rest).
      const selected = (limit: Dim): Dim => {
        if (!cond) return null;
        if (typeof limit === 'number' && cond.data.length > limit) {
          throw new Error(`condition has ${cond.data.length} elements, more than the ${limit} selectable`);
        }
        return cond.data.filter((c) => c !== 0).length;
      };
      if (axisAttr === undefined) {
        return [tensor(dtype, [selected(shape ? shape.reduce<Dim>((a, d) => dimMul(a, d), 1) : null)])];
      }
      if (!shape) return [tensor(dtype, undefined)];
      const axis = normalizeAxis(axisAttr, shape.length);
      const out = [...shape];
      out[axis] = selected(shape[axis]);
      return [tensor(dtype, out)];
    },
  },
  {
    ops: ['Trilu', 'CumSum', 'ReverseSequence'],
    infer: (ctx) => [tensor(ctx.dtype(0), ctx.shape(0))],
  },
  {
    ops: 'DepthToSpace',
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const b = ctx.int('blocksize');
      if (b === undefined || b <= 0) throw new Error('DepthToSpace needs a positive blocksize');
      if (!shape) return [tensor(ctx.dtype(0), undefined)];
      if (shape.length !== 4) throw new Error(`the input must have rank 4, not ${shape.length}`);
      const [n, c, h, w] = shape;
      if (typeof c === 'number' && c % (b * b) !== 0) throw new Error(`channels ${c} not divisible by ${b * b}`);
      return [tensor(ctx.dtype(0), [n, dimDiv(c, b * b), dimMul(h, b), dimMul(w, b)])];
    },
  },
  {
    ops: 'SpaceToDepth',
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const b = ctx.int('blocksize');
      if (b === undefined || b <= 0) throw new Error('SpaceToDepth needs a positive blocksize');
      if (!shape) return [tensor(ctx.dtype(0), undefined)];
      if (shape.length !== 4) throw new Error(`the input must have rank 4, not ${shape.length}`);
      const [n, c, h, w] = shape;
      for (const d of [h, w]) {
        if (typeof d === 'number' && d % b !== 0) throw new Error(`spatial size ${d} not divisible by ${b}`);
      }
      return [tensor(ctx.dtype(0), [n, dimMul(c, b * b), dimDiv(h, b), dimDiv(w, b)])];
    },
  },
  {
    ops: 'Resize',
    since: 10,
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const dtype = ctx.dtype(0);
      if (!shape) return [tensor(dtype, undefined)];
      const r = shape.length;
      const axes = (ctx.opset >= 18 ? ctx.ints('axes') : undefined)?.map((a) => normalizeAxis(a, r)) ?? [
        ...Array(r).keys(),
      ];
      const out = [...shape];
      const unknownAxes = () => {
        for (const a of axes) out[a] = null;
        return [tensor(dtype, out)];
      };
      const scalesIndex = ctx.opset >= 11 ? 2 : 1;
      const sizesGiven = ctx.opset >= 11 && ctx.has(3);
      const scales = ctx.has(scalesIndex) ? ctx.value(scalesIndex)?.data : undefined;
      // Opset 11-12 name an empty scales tensor when sizes are given.
      const useSizes = sizesGiven && (!scales || scales.length === 0);
      if (useSizes) {
        const sizes = valueDims(ctx.tensor(3));
        if (!sizes) return unknownAxes();
        if (sizes.length !== axes.length)
          throw new Error(`sizes has ${sizes.length} elements, expected ${axes.length}`);
        const policy = ctx.opset >= 18 ? ctx.string('keep_aspect_ratio_policy', 'stretch') : 'stretch';
        if (policy === 'stretch') {
          axes.forEach((a, i) => {
            out[a] = sizes[i];
          });
          return [tensor(dtype, out)];
        }
        if (policy !== 'not_larger' && policy !== 'not_smaller') throw new Error(`unknown policy '${policy}'`);
        const ins = axes.map((a) => shape[a]);
        if (!ins.every((d) => typeof d === 'number') || !sizes.every((d) => typeof d === 'number')) {
          return unknownAxes();
        }
        const ratios = axes.map((_, i) => (sizes[i] as number) / (ins[i] as number));
        const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
        axes.forEach((a, i) => {
          // round_int: nearest integer, halfway cases up.
          out[a] = Math.floor(scale * (ins[i] as number) + 0.5);
        });
        return [tensor(dtype, out)];
      }
      if (!ctx.has(scalesIndex) || !scales) {
        if (!ctx.has(scalesIndex) && !sizesGiven) throw new Error('Resize needs scales or sizes');
        return unknownAxes();
      }
      if (scales.length !== axes.length)
        throw new Error(`scales has ${scales.length} elements, expected ${axes.length}`);
      if (ctx.opset >= 11 && ctx.string('coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize') {
        // The output also scales by the roi's extent; known only when the roi is the whole axis.
        const roi = ctx.value(1)?.data;
        const whole =
          roi?.length === 2 * axes.length && axes.every((_, i) => roi[i] === 0 && roi[i + axes.length] === 1);
        if (!whole) return unknownAxes();
      }
      axes.forEach((a, i) => {
        out[a] = resizeDim(shape[a], scales[i]);
      });
      return [tensor(dtype, out)];
    },
  },
  {
    ops: 'Upsample',
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const dtype = ctx.dtype(0);
      if (!shape) return [tensor(dtype, undefined)];
      let scales: number[] | undefined;
      if (ctx.opset >= 9) scales = ctx.value(1)?.data;
      else if (ctx.opset >= 7) scales = ctx.floats('scales');
      else {
        // Upsample-1: 4-D input, height_scale and width_scale.
        if (shape.length !== 4) throw new Error(`Upsample-1 takes a 4-D input, not rank ${shape.length}`);
        scales = [1, 1, ctx.float('height_scale', 1), ctx.float('width_scale', 1)];
      }
      if (!scales)
        return [
          tensor(
            dtype,
            shape.map(() => null),
          ),
        ];
      if (scales.length !== shape.length) {
        throw new Error(`scales has ${scales.length} elements, the input rank is ${shape.length}`);
      }
      return [
        tensor(
          dtype,
          shape.map((d, i) => resizeDim(d, scales[i])),
        ),
      ];
    },
  },
  {
    ops: 'EyeLike',
    since: 9,
    infer: (ctx) => {
      const a = ctx.int('dtype');
      return [tensor(a ?? ctx.dtype(0), ctx.shape(0))];
    },
  },
]);
