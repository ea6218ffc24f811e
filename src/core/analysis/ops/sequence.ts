/**
 * Sequences and optionals (Operators.md: Sequence*, SplitToSequence, ConcatFromSequence, Optional*). A sequence's
 * facts are what holds for every element (element shapes merged like If's branches) and, when known, its length.
 */

import { DataType } from '../../onnx/dtype.js';
import type { TypeInfo } from '../../onnx/ir.js';
import {
  type ContainerFacts,
  type Dim,
  dimAdd,
  dimMul,
  normalizeAxis,
  type TensorFacts,
  tensor,
  unknown,
  type ValueFacts,
} from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';
import { mergeFacts } from './control.js';

function sequence(elem: ValueFacts | undefined, length?: number): ContainerFacts {
  return {
    kind: 'sequence',
    origin: 'inferred',
    ...(elem && elem.kind !== 'unknown' ? { elem } : {}),
    ...(length !== undefined ? { length } : {}),
  };
}

/** Element facts: tensors lose their constant value (an element's value is not tracked). */
function element(f: ValueFacts | undefined): ValueFacts | undefined {
  if (f?.kind === 'tensor') return tensor(f.dtype, f.shape);
  return f?.kind === 'unknown' ? undefined : f;
}

function inputSequence(ctx: InferContext, i: number): ContainerFacts | undefined {
  const f = ctx.inputs[i];
  if (!f || f.kind === 'unknown') return undefined;
  if (f.kind !== 'sequence') throw new Error(`input ${i} is a ${f.kind}, not a sequence`);
  return f;
}

function elemTensor(seq: ContainerFacts | undefined): TensorFacts | undefined {
  return seq?.elem?.kind === 'tensor' ? seq.elem : undefined;
}

/** A scalar (or one-element) constant input. */
function scalarInput(ctx: InferContext, i: number): number | undefined {
  const v = ctx.has(i) ? ctx.value(i) : undefined;
  return v && v.data.length === 1 ? v.data[0] : undefined;
}

/** Facts for a TypeProto (the `type` attribute of Optional). */
export function factsOfType(t: TypeInfo | undefined): ValueFacts | undefined {
  if (!t) return undefined;
  switch (t.kind) {
    case 'tensor':
    case 'sparse_tensor':
      return tensor(t.elemType || undefined, t.shape ? [...t.shape] : undefined);
    case 'sequence':
    case 'optional': {
      const elem = factsOfType(t.elem);
      return { kind: t.kind, origin: 'inferred', ...(elem ? { elem } : {}) };
    }
    case 'map': {
      const elem = factsOfType(t.value);
      return { kind: 'map', origin: 'inferred', ...(elem ? { elem } : {}) };
    }
    default:
      return undefined;
  }
}

/** Sequences longer than this keep only their merged element facts. */
const MAX_ELEMENTS = 256;

/** A sequence of known composition; `dtype` for the element type of an empty one. */
function sequenceOf(elements: (ValueFacts | undefined)[], dtype?: number): ContainerFacts {
  const elems = elements.map((e) => element(e) ?? unknown());
  let elem: ValueFacts | undefined = elems.length === 0 ? tensor(dtype, undefined) : elems[0];
  for (let i = 1; i < elems.length; i++) elem = mergeFacts(elem, elems[i]);
  if (elem?.kind === 'tensor' && elem.dtype === undefined && dtype !== undefined) elem = tensor(dtype, elem.shape);
  return { ...sequence(elem, elems.length), elements: elems };
}

/** A position in [-n, n - 1] (or [-n, n] with `end`) as an index; throws when out of range. */
function position(pos: number, n: number, end = false): number {
  if (pos < -n || pos > (end ? n : n - 1)) throw new Error(`position ${pos} is out of range for a sequence of ${n}`);
  return pos < 0 ? pos + n : pos;
}

function splitToSequence(ctx: InferContext): ValueFacts[] {
  const x = ctx.tensor(0);
  if (!x) return [sequence(undefined)];
  const dtype = x.dtype;
  if (!x.shape) return [sequence(tensor(dtype, undefined))];
  const shape = x.shape;
  const axis = normalizeAxis(ctx.int('axis', 0), shape.length);
  const d = shape[axis];
  const withDim = (dim: Dim) =>
    tensor(
      dtype,
      shape.map((s, a) => (a === axis ? dim : s)),
    );
  const chunks = (sizes: number[]) => [sequenceOf(sizes.map(withDim), dtype)];
  if (!ctx.has(1)) {
    // Chunks of 1 along the axis; keepdims=0 drops the axis.
    const length = typeof d === 'number' ? d : undefined;
    const one = ctx.int('keepdims', 1)
      ? withDim(1)
      : tensor(
          dtype,
          shape.filter((_, a) => a !== axis),
        );
    if (length !== undefined && length <= MAX_ELEMENTS) return [sequenceOf(new Array(length).fill(one), dtype)];
    return [sequence(one, length)];
  }
  const split = ctx.value(1);
  const splitShape = ctx.shape(1);
  if (!split) {
    const count = splitShape?.length === 1 && typeof splitShape[0] === 'number' ? splitShape[0] : undefined;
    return [sequence(withDim(count === 1 ? d : null), count)];
  }
  if (split.data.some((s) => s < 0)) throw new Error(`split has a negative entry: [${split.data.join(',')}]`);
  if (split.dims.length === 0) {
    const s = split.data[0];
    if (s === 0) throw new Error('split is 0');
    if (typeof d !== 'number') return [sequence(withDim(null))];
    const count = Math.max(1, Math.ceil(d / s));
    const last = d - (count - 1) * s;
    if (count <= MAX_ELEMENTS) return chunks([...new Array<number>(count - 1).fill(s), last]);
    return [sequence(withDim(last === s || count === 1 ? last : null), count)];
  }
  const sum = split.data.reduce((a, b) => a + b, 0);
  if (typeof d === 'number' && sum !== d) {
    throw new Error(`split sizes add up to ${sum}, but axis ${axis} has ${d}`);
  }
  if (split.data.length <= MAX_ELEMENTS) return chunks(split.data);
  const same = split.data.every((s) => s === split.data[0]);
  return [sequence(withDim(same && split.data.length > 0 ? split.data[0] : null), split.data.length)];
}

function concatFromSequence(ctx: InferContext): ValueFacts[] {
  const seq = inputSequence(ctx, 0);
  const elem = elemTensor(seq);
  const axisAttr = ctx.int('axis');
  if (axisAttr === undefined) throw new Error("attribute 'axis' is missing");
  if (!elem?.shape) return [tensor(elem?.dtype, undefined)];
  const shape = elem.shape;
  const n = seq?.length;
  if (ctx.int('new_axis', 0)) {
    const axis = normalizeAxis(axisAttr, shape.length + 1);
    const out = [...shape];
    out.splice(axis, 0, n ?? null);
    return [tensor(elem.dtype, out)];
  }
  const axis = normalizeAxis(axisAttr, shape.length);
  // Elements known one by one: the axis is the sum of theirs.
  const shapes = seq?.elements?.map((e) => (e.kind === 'tensor' ? e.shape : undefined));
  let total: Dim = n !== undefined ? dimMul(n, shape[axis]) : null;
  if (shapes && shapes.length > 0 && shapes.every((sh) => sh?.length === shape.length)) {
    total = shapes.reduce<Dim>((acc, sh) => dimAdd(acc, sh?.[axis] ?? null), 0);
  }
  return [
    tensor(
      elem.dtype,
      shape.map((s, a) => (a === axis ? total : s)),
    ),
  ];
}

defineRules([
  {
    ops: 'SequenceEmpty',
    since: 11,
    infer: (ctx) => [sequenceOf([], ctx.int('dtype', DataType.FLOAT))],
  },
  {
    ops: 'SequenceConstruct',
    since: 11,
    infer: (ctx) => {
      if (ctx.inputs.length === 0) throw new Error('SequenceConstruct needs at least one input');
      return [sequenceOf([...ctx.inputs])];
    },
  },
  {
    ops: 'SequenceInsert',
    since: 11,
    infer: (ctx) => {
      const seq = inputSequence(ctx, 0);
      const t = element(ctx.inputs[1]);
      const pos = ctx.has(2) ? scalarInput(ctx, 2) : seq?.length;
      if (pos !== undefined && seq?.length !== undefined) {
        const at = position(pos, seq.length, true);
        if (seq.elements) {
          const elems: (ValueFacts | undefined)[] = [...seq.elements];
          elems.splice(at, 0, t);
          return [sequenceOf(elems, elemTensor(seq)?.dtype)];
        }
      }
      // Inserting into an empty sequence: the result holds just the new tensor.
      const elem = seq?.length === 0 ? t : mergeFacts(seq?.elem, t);
      return [sequence(elem, seq?.length !== undefined ? seq.length + 1 : undefined)];
    },
  },
  {
    ops: 'SequenceAt',
    since: 11,
    infer: (ctx) => {
      const seq = inputSequence(ctx, 0);
      const pos = scalarInput(ctx, 1);
      if (pos !== undefined && seq?.length !== undefined) {
        const at = position(pos, seq.length);
        if (seq.elements) return [element(seq.elements[at])];
      }
      return [element(seq?.elem)];
    },
  },
  {
    ops: 'SequenceErase',
    since: 11,
    infer: (ctx) => {
      const seq = inputSequence(ctx, 0);
      if (seq?.length === 0) throw new Error('cannot erase from an empty sequence');
      const pos = ctx.has(1) ? scalarInput(ctx, 1) : -1;
      if (seq?.elements && pos !== undefined) {
        const elems = [...seq.elements];
        elems.splice(position(pos, elems.length), 1);
        return [sequenceOf(elems, elemTensor(seq)?.dtype)];
      }
      return [sequence(seq?.elem, seq?.length !== undefined ? seq.length - 1 : undefined)];
    },
  },
  {
    ops: 'SequenceLength',
    since: 11,
    infer: (ctx) => {
      const seq = inputSequence(ctx, 0);
      const n = seq?.length;
      return [tensor(DataType.INT64, [], n !== undefined ? { dims: [], data: [n] } : undefined)];
    },
  },
  { ops: 'SplitToSequence', since: 11, infer: splitToSequence },
  { ops: 'ConcatFromSequence', since: 11, infer: concatFromSequence },
  {
    ops: 'Optional',
    since: 15,
    infer: (ctx) => {
      const type = ctx.attr('type');
      if (!ctx.has(0) && type?.type !== 'type_proto') {
        throw new Error("an Optional without input needs the 'type' attribute");
      }
      const elem = ctx.has(0)
        ? element(ctx.inputs[0])
        : factsOfType(type?.type === 'type_proto' ? type.value : undefined);
      return [{ kind: 'optional', origin: 'inferred', ...(elem ? { elem } : {}) }];
    },
  },
  {
    ops: 'OptionalGetElement',
    since: 15,
    infer: (ctx) => {
      const f = ctx.inputs[0];
      if (!f || f.kind === 'unknown') return [];
      if (f.kind === 'optional') return [f.elem];
      // Opset 18: a tensor or sequence input is returned as it is.
      if (ctx.opset >= 18) return [f];
      throw new Error(`input is a ${f.kind}, not an optional`);
    },
  },
  {
    ops: 'OptionalHasElement',
    since: 15,
    infer: (ctx) => {
      const f = ctx.inputs[0];
      // Opset 18: an omitted input is an empty optional, a tensor or sequence input is present.
      let value: number | undefined;
      if (ctx.opset >= 18 && !ctx.has(0)) value = 0;
      else if (ctx.opset >= 18 && (f?.kind === 'tensor' || f?.kind === 'sequence')) value = 1;
      return [tensor(DataType.BOOL, [], value !== undefined ? { dims: [], data: [value] } : undefined)];
    },
  },
]);
