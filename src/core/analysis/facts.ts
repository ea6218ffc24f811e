/**
 * What shape inference knows about a value: element type, shape (with symbolic dimensions), and — for small
 * integer/float tensors computed from constants (shape arithmetic) — the value itself.
 */

import type { Dim } from '../onnx/ir.js';

export type { Dim };

/** Where a value's type and shape came from. */
export type FactOrigin =
  /** A graph input (possibly with user overrides applied). */
  | 'input'
  /** An initializer or Constant: exact. */
  | 'constant'
  /** Computed by this engine's shape rules. */
  | 'inferred'
  /** Taken from the model's value_info / graph outputs because no rule could compute it. */
  | 'declared'
  /** Observed by running the model in ONNX Runtime (exact mode). */
  | 'measured';

/** A constant value small enough to fold (int64 values as JS numbers; INT64_MAX stays ~9.22e18). */
export interface ConstValue {
  dims: number[];
  data: number[];
}

export interface TensorFacts {
  kind: 'tensor';
  /** ONNX element type id; undefined when unknown. */
  dtype?: number;
  /** undefined: rank unknown. */
  shape?: Dim[];
  value?: ConstValue;
  /**
   * Shape arithmetic with symbolic dimensions: the elements of a small integer tensor of rank 0 or 1 as dims, set when
   * some element is a symbol or unknown (null) — e.g. the output of Shape on a ['batch', 3] input. When every element
   * is a known number, `value` holds them instead. Read both through `valueDims`.
   */
  symbolicValue?: Dim[];
  origin: FactOrigin;
}

/** Sequences, optionals and maps keep their element facts (for SequenceAt, OptionalGetElement, …). */
export interface ContainerFacts {
  kind: 'sequence' | 'optional' | 'map';
  /** For a sequence: what holds for every element (dims that differ between elements are null). */
  elem?: ValueFacts;
  /** A sequence's number of elements when it is known (SequenceConstruct, SplitToSequence, …). */
  length?: number;
  /** A sequence's elements one by one, when its composition is known (then `length` is their count). */
  elements?: ValueFacts[];
  origin: FactOrigin;
}

export interface UnknownFacts {
  kind: 'unknown';
  origin: FactOrigin;
}

export type ValueFacts = TensorFacts | ContainerFacts | UnknownFacts;

/** The largest constant (in elements) kept for folding; bigger tensors are treated as opaque data. */
export const MAX_FOLD_ELEMENTS = 4096;

export function unknown(origin: FactOrigin = 'inferred'): UnknownFacts {
  return { kind: 'unknown', origin };
}

export function tensor(dtype: number | undefined, shape: Dim[] | undefined, value?: ConstValue): TensorFacts {
  // The common case as one literal: adding fields to a smaller one gives every value a second, out-of-object
  // property store (two allocations where one does, on ~100k values of a large model).
  if (dtype !== undefined && shape !== undefined && value === undefined) {
    return { kind: 'tensor', origin: 'inferred', dtype, shape };
  }
  const t: TensorFacts = { kind: 'tensor', origin: 'inferred' };
  if (dtype !== undefined) t.dtype = dtype;
  if (shape !== undefined) t.shape = shape;
  if (value !== undefined) t.value = value;
  return t;
}

/** The elements of a rank-0 or rank-1 tensor as dims, from its `value` or its `symbolicValue`; else undefined. */
export function valueDims(f: ValueFacts | undefined): Dim[] | undefined {
  if (f?.kind !== 'tensor') return undefined;
  if (f.value && f.value.dims.length <= 1) return f.value.data;
  return f.symbolicValue;
}

/**
 * Facts for a rank-0 or rank-1 integer tensor whose elements are `dims`: `value` when all are numbers, else
 * `symbolicValue` (`scalar`: shape [] instead of [dims.length]).
 */
export function dimsTensor(dtype: number | undefined, dims: Dim[], scalar = false): TensorFacts {
  const shape: Dim[] = scalar ? [] : [dims.length];
  if (dims.every((d) => typeof d === 'number')) {
    return tensor(dtype, shape, { dims: scalar ? [] : [dims.length], data: dims as number[] });
  }
  const t = tensor(dtype, shape);
  t.symbolicValue = [...dims];
  return t;
}

/** A dimension's size if it is a known number. */
export function dimValue(d: Dim | undefined): number | undefined {
  return typeof d === 'number' ? d : undefined;
}

/** Number of elements when every dimension is known, else undefined. */
export function knownSize(shape: Dim[] | undefined): number | undefined {
  if (!shape) return undefined;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

function isSymbol(d: Dim): d is string {
  return typeof d === 'string';
}

/** a*b on dimensions: numbers multiply; a symbol times 1 stays itself; otherwise a product expression. */
export function dimMul(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === 0 || b === 0) return 0;
  if (a === null || b === null) return null;
  return `${wrap(a)}*${wrap(b)}`;
}

export function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  if (a === null || b === null) return null;
  return `${a}+${b}`;
}

/** floor(a / b) when both are known; a symbol divided by 1 stays itself. */
export function dimDiv(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return b === 0 ? null : Math.floor(a / b);
  if (b === 1) return a;
  if (a === null || b === null) return null;
  return `${wrap(a)}/${wrap(b)}`;
}

function wrap(d: string | number): string {
  return typeof d === 'string' && /[+\-*/]/.test(d) ? `(${d})` : String(d);
}

/**
 * Numpy-style broadcast of two shapes (ONNX multidirectional broadcasting). Returns undefined when a rank is
 * unknown, and throws when two known dimensions cannot broadcast.
 */
export function broadcastShapes(a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return undefined;
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1;
    const y = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
    out.push(broadcastDim(x, y));
  }
  return out;
}

function broadcastDim(x: Dim, y: Dim): Dim {
  if (x === y) return x;
  if (x === 1) return y;
  if (y === 1) return x;
  if (typeof x === 'number' && typeof y === 'number') {
    throw new Error(`dimensions ${x} and ${y} cannot broadcast`);
  }
  // One known size > 1 and a symbol: the symbol must equal it at run time.
  if (typeof x === 'number') return x;
  if (typeof y === 'number') return y;
  if (isSymbol(x) && isSymbol(y)) return null;
  return null;
}

/** Normalizes a possibly negative axis against a rank; throws when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}
