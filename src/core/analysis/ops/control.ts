/**
 * Control flow: If, Loop, Scan and SequenceMap. Their outputs come from inferring the subgraphs (ctx.inferGraph);
 * values that differ between branches or iterations are merged: equal dims kept, differing dims null, differing
 * ranks unknown (Operators.md: If, Loop, Scan, SequenceMap).
 */

import { DataType } from '../../onnx/dtype.js';
import type { Graph } from '../../onnx/ir.js';
import {
  type ConstValue,
  type Dim,
  normalizeAxis,
  type TensorFacts,
  tensor,
  unknown,
  type ValueFacts,
} from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';

function sameValue(a: ConstValue | undefined, b: ConstValue | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.dims.length === b.dims.length &&
    a.dims.every((d, i) => d === b.dims[i]) &&
    a.data.length === b.data.length &&
    a.data.every((x, i) => Object.is(x, b.data[i]))
  );
}

function sameDims(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Two shapes merged: equal dims kept, differing dims null; undefined when a rank is unknown or the ranks differ. */
export function mergeShapes(a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (!a || !b || a.length !== b.length) return undefined;
  return a.map((d, i) => (d === b[i] ? d : null));
}

/** Facts that hold for a value that is either `a` or `b` (If branches, loop iterations, sequence elements). */
export function mergeFacts(a: ValueFacts | undefined, b: ValueFacts | undefined): ValueFacts | undefined {
  if (!a || a.kind === 'unknown') return b && b.kind !== 'unknown' ? loosen(b) : undefined;
  if (!b || b.kind === 'unknown') return loosen(a);
  if (a.kind === 'tensor' && b.kind === 'tensor') {
    const value = sameValue(a.value, b.value) ? a.value : undefined;
    const merged = tensor(a.dtype ?? b.dtype, mergeShapes(a.shape, b.shape), value);
    if (a.symbolicValue && sameDims(a.symbolicValue, b.symbolicValue)) merged.symbolicValue = [...a.symbolicValue];
    return merged;
  }
  if (a.kind !== b.kind) return undefined;
  if (a.kind === 'tensor' || b.kind === 'tensor') return undefined;
  // An empty sequence says nothing about element shapes: the other side's elements are all there are.
  let elem: ValueFacts | undefined;
  if (a.kind === 'sequence' && a.length === 0 && b.length !== 0) elem = withDtypeOf(b.elem, a.elem);
  else if (b.kind === 'sequence' && b.length === 0 && a.length !== 0) elem = withDtypeOf(a.elem, b.elem);
  else elem = mergeFacts(a.elem, b.elem);
  // Two sequences of the same known composition: element i is either a's or b's.
  const ea = a.elements;
  const eb = b.elements;
  const elements =
    ea && eb && ea.length === eb.length ? ea.map((x, i) => mergeFacts(x, eb[i]) ?? unknown()) : undefined;
  return {
    kind: a.kind,
    origin: 'inferred',
    ...(elem ? { elem } : {}),
    ...(a.length !== undefined && a.length === b.length ? { length: a.length } : {}),
    ...(elements ? { elements } : {}),
  };
}

/** `f`, with the element type of `other` when `f` has none. */
function withDtypeOf(f: ValueFacts | undefined, other: ValueFacts | undefined): ValueFacts | undefined {
  if (f?.kind === 'tensor' && f.dtype === undefined && other?.kind === 'tensor' && other.dtype !== undefined) {
    return tensor(other.dtype, f.shape);
  }
  return f ?? (other ? loosen(other) : undefined);
}

/** What is left of facts when nothing is known about the other alternative: the element type. */
function loosen(f: ValueFacts): ValueFacts | undefined {
  if (f.kind === 'unknown') return undefined;
  if (f.kind === 'tensor') return f.dtype === undefined ? undefined : tensor(f.dtype, undefined);
  const elem = f.elem ? loosen(f.elem) : undefined;
  return { kind: f.kind, origin: 'inferred', ...(elem ? { elem } : {}) };
}

/** Facts without origin, for comparing two rounds of a fixpoint. */
export function sameFacts(a: ValueFacts | undefined, b: ValueFacts | undefined): boolean {
  if (!a || a.kind === 'unknown') return !b || b.kind === 'unknown';
  if (!b || b.kind === 'unknown') return false;
  if (a.kind === 'tensor' || b.kind === 'tensor') {
    if (a.kind !== 'tensor' || b.kind !== 'tensor') return false;
    const sa = a.shape;
    const sb = b.shape;
    return (
      a.dtype === b.dtype &&
      (sa === undefined
        ? sb === undefined
        : sb !== undefined && sa.length === sb.length && sa.every((d, i) => d === sb[i])) &&
      sameValue(a.value, b.value) &&
      (a.symbolicValue === undefined ? b.symbolicValue === undefined : sameDims(a.symbolicValue, b.symbolicValue))
    );
  }
  const ea = a.elements;
  const eb = b.elements;
  const sameElements =
    ea === undefined
      ? eb === undefined
      : eb !== undefined && ea.length === eb.length && ea.every((x, i) => sameFacts(x, eb[i]));
  return a.kind === b.kind && a.length === b.length && sameFacts(a.elem, b.elem) && sameElements;
}

/** Facts of a value that changes from one iteration to the next: only what every round agrees on. */
function widen(f: ValueFacts | undefined): ValueFacts | undefined {
  return f ? loosen(f) : undefined;
}

const MAX_ROUNDS = 3;

/**
 * Infers a loop body whose first `carried.length` formal inputs (after `fixed`) are loop-carried: reruns the body
 * with the merge of the initial facts and the body's outputs until they no longer change (at most a few rounds,
 * then only the element types are kept). Returns the carried facts that hold at the start of every iteration
 * and the body's outputs for them.
 */
function inferLoopBody(
  ctx: InferContext,
  body: Graph,
  before: (ValueFacts | undefined)[],
  carried: (ValueFacts | undefined)[],
  after: (ValueFacts | undefined)[],
  carriedOut: (outs: ValueFacts[]) => (ValueFacts | undefined)[],
): { carried: (ValueFacts | undefined)[]; outs: ValueFacts[] } {
  let state = carried;
  for (let round = 1; ; round++) {
    const outs = ctx.inferGraph(body, [...before, ...state, ...after]);
    const produced = carriedOut(outs);
    const next = state.map((s, i) => mergeFacts(s, produced[i]));
    if (next.every((n, i) => sameFacts(n, state[i]))) return { carried: state, outs };
    if (round >= MAX_ROUNDS) {
      const widened = next.map(widen);
      return { carried: widened, outs: ctx.inferGraph(body, [...before, ...widened, ...after]) };
    }
    state = next;
  }
}

function requireGraph(ctx: InferContext, name: string): Graph {
  const g = ctx.graph(name);
  if (!g) throw new Error(`attribute '${name}' (a graph) is missing`);
  return g;
}

/** A scalar (or one-element) constant's value. */
function scalarValue(ctx: InferContext, i: number): number | undefined {
  const v = ctx.has(i) ? ctx.value(i) : undefined;
  return v && v.data.length === 1 ? v.data[0] : undefined;
}

function withoutValue(f: ValueFacts | undefined): ValueFacts | undefined {
  if (f?.kind !== 'tensor' || !f.value) return f;
  return tensor(f.dtype, f.shape);
}

function ifRule(ctx: InferContext): (ValueFacts | undefined)[] {
  const thenBranch = requireGraph(ctx, 'then_branch');
  const elseBranch = requireGraph(ctx, 'else_branch');
  if (thenBranch.outputs.length !== elseBranch.outputs.length) {
    throw new Error(
      `then_branch has ${thenBranch.outputs.length} outputs but else_branch has ${elseBranch.outputs.length}`,
    );
  }
  const thenOuts = ctx.inferGraph(thenBranch, []);
  const elseOuts = ctx.inferGraph(elseBranch, []);
  // A condition known from constants selects one branch.
  const cond = scalarValue(ctx, 0);
  if (cond !== undefined) return cond ? thenOuts : elseOuts;
  return thenOuts.map((t, i) => mergeFacts(t, elseOuts[i]));
}

function loopRule(ctx: InferContext): (ValueFacts | undefined)[] {
  const body = requireGraph(ctx, 'body');
  const nCarried = Math.max(0, ctx.node.inputs.length - 2);
  const nScan = body.outputs.length - 1 - nCarried;
  if (nScan < 0) {
    throw new Error(`body has ${body.outputs.length} outputs, fewer than 1 + ${nCarried} loop-carried values`);
  }
  const initial = ctx.inputs.slice(2, 2 + nCarried);
  const maxTrips = scalarValue(ctx, 0);
  const initialCond = ctx.has(1) ? ctx.tensor(1) : undefined;
  const condValue = scalarValue(ctx, 1);
  const iteration = tensor(DataType.INT64, []);
  // The condition is loop-carried too (when given); without it, the body's condition output is ignored.
  const condIn: ValueFacts = initialCond ? tensor(DataType.BOOL, [], initialCond.value) : tensor(DataType.BOOL, []);
  const { carried, outs } = inferLoopBody(
    ctx,
    body,
    ctx.has(1) ? [iteration] : [iteration, condIn],
    ctx.has(1) ? [condIn, ...initial] : initial,
    [],
    (o) => (ctx.has(1) ? o.slice(0, 1 + nCarried) : o.slice(1, 1 + nCarried)),
  );
  const carriedState = ctx.has(1) ? carried.slice(1) : carried;
  // The trip count is certain only when M is known and the condition cannot end the loop early.
  let trips: number | null = null;
  if (condValue === 0 || (maxTrips !== undefined && maxTrips <= 0)) trips = 0;
  else if (maxTrips !== undefined) {
    const condFacts = ctx.has(1) ? asTensor(carried[0]) : undefined;
    const condStaysTrue = !ctx.has(1) || condFacts?.value?.data.every((x) => x !== 0) === true;
    if (condStaysTrue) trips = maxTrips;
  }
  const finals = carriedState.map((c, i) => (trips === 0 ? initial[i] : trips !== null ? outs[1 + i] : c));
  const scans = outs.slice(1 + nCarried).map((o): ValueFacts | undefined => {
    if (o?.kind !== 'tensor') return undefined;
    return tensor(o.dtype, o.shape ? [trips, ...o.shape] : undefined);
  });
  return [...finals, ...scans];
}

/** The first known number among dims, else the first symbol, else null. */
function pickDim(cur: Dim, d: Dim | undefined): Dim {
  if (typeof cur === 'number' || d === undefined || d === null) return cur;
  return typeof d === 'number' || cur === null ? d : cur;
}

/** Scan, opset 9 and later: N state variables, then M scan inputs scanned along scan_input_axes. */
function scanRule(ctx: InferContext): (ValueFacts | undefined)[] {
  const body = requireGraph(ctx, 'body');
  const m = ctx.int('num_scan_inputs');
  if (m === undefined || m < 0) throw new Error("attribute 'num_scan_inputs' is missing");
  const n = ctx.node.inputs.length - m;
  if (n < 0) throw new Error(`num_scan_inputs ${m} exceeds the ${ctx.node.inputs.length} inputs`);
  const k = body.outputs.length - n;
  if (k < 0) throw new Error(`body has ${body.outputs.length} outputs, fewer than its ${n} state variables`);
  const inAxes = ctx.ints('scan_input_axes') ?? new Array<number>(m).fill(0);
  const outAxes = ctx.ints('scan_output_axes') ?? new Array<number>(k).fill(0);
  if (inAxes.length !== m) throw new Error(`scan_input_axes has ${inAxes.length} entries for ${m} scan inputs`);
  if (outAxes.length !== k) throw new Error(`scan_output_axes has ${outAxes.length} entries for ${k} scan outputs`);
  let seqLen: Dim = null;
  const elems: (ValueFacts | undefined)[] = [];
  for (let j = 0; j < m; j++) {
    const x = ctx.tensor(n + j);
    if (!x?.shape) {
      elems.push(x ? tensor(x.dtype, undefined) : undefined);
      continue;
    }
    const axis = normalizeAxis(inAxes[j], x.shape.length);
    seqLen = pickDim(seqLen, x.shape[axis]);
    elems.push(
      tensor(
        x.dtype,
        x.shape.filter((_, a) => a !== axis),
      ),
    );
  }
  const initial = ctx.inputs.slice(0, n);
  const { carried, outs } = inferLoopBody(ctx, body, [], initial, elems, (o) => o.slice(0, n));
  const finals = carried.map((c, i) => (seqLen === 0 ? initial[i] : typeof seqLen === 'number' ? outs[i] : c));
  const scans = outs.slice(n).map((o, j): ValueFacts | undefined => {
    if (o?.kind !== 'tensor') return undefined;
    if (!o.shape) return tensor(o.dtype, undefined);
    const axis = normalizeAxis(outAxes[j], o.shape.length + 1);
    const shape = [...o.shape];
    shape.splice(axis, 0, seqLen);
    return tensor(o.dtype, shape);
  });
  return [...finals, ...scans];
}

/**
 * Scan, opset 8: (sequence_lens, initial states..., scan inputs...), batch axis 0 and sequence axis 1 on every
 * scan input; the body sees states and elements without the batch axis.
 */
function scan8Rule(ctx: InferContext): (ValueFacts | undefined)[] {
  const body = requireGraph(ctx, 'body');
  const m = ctx.int('num_scan_inputs');
  if (m === undefined || m < 0) throw new Error("attribute 'num_scan_inputs' is missing");
  const n = ctx.node.inputs.length - 1 - m;
  if (n < 0) throw new Error(`num_scan_inputs ${m} exceeds the ${ctx.node.inputs.length - 1} inputs`);
  const k = body.outputs.length - n;
  if (k < 0) throw new Error(`body has ${body.outputs.length} outputs, fewer than its ${n} state variables`);
  let batch: Dim = null;
  let seqLen: Dim = null;
  const elems: (ValueFacts | undefined)[] = [];
  for (let j = 0; j < m; j++) {
    const x = ctx.tensor(1 + n + j);
    if (!x?.shape) {
      elems.push(x ? tensor(x.dtype, undefined) : undefined);
      continue;
    }
    if (x.shape.length < 2)
      throw new Error(`scan input ${j} has rank ${x.shape.length}, expected [batch, sequence, …]`);
    batch = pickDim(batch, x.shape[0]);
    seqLen = pickDim(seqLen, x.shape[1]);
    elems.push(tensor(x.dtype, x.shape.slice(2)));
  }
  const initial = ctx.inputs.slice(1, 1 + n).map((f): ValueFacts | undefined => {
    if (f?.kind !== 'tensor') return f;
    if (f.shape && f.shape.length > 0) batch = pickDim(batch, f.shape[0]);
    return tensor(f.dtype, f.shape?.slice(1));
  });
  const { carried, outs } = inferLoopBody(ctx, body, [], initial, elems, (o) => o.slice(0, n));
  const finals = carried.map((c, i) => {
    const f = seqLen === 0 ? initial[i] : typeof seqLen === 'number' ? outs[i] : c;
    if (f?.kind !== 'tensor') return undefined;
    return tensor(f.dtype, f.shape ? [batch, ...f.shape] : undefined);
  });
  const scans = outs.slice(n).map((o): ValueFacts | undefined => {
    if (o?.kind !== 'tensor') return undefined;
    return tensor(o.dtype, o.shape ? [batch, seqLen, ...o.shape] : undefined);
  });
  return [...finals, ...scans];
}

function sequenceMapRule(ctx: InferContext): (ValueFacts | undefined)[] {
  const body = requireGraph(ctx, 'body');
  const seq = ctx.inputs[0];
  if (seq && seq.kind !== 'sequence' && seq.kind !== 'unknown') throw new Error('input 0 is not a sequence');
  const length = seq?.kind === 'sequence' ? seq.length : undefined;
  const bodyInputs = ctx.inputs.map((f) => withoutValue(f?.kind === 'sequence' ? f.elem : f));
  // Symbols the body declares for its inputs are its own (they may differ from one element to the next): only
  // symbols that come from outside stay in the output elements.
  const outer = new Set<string>();
  for (const f of bodyInputs)
    if (f?.kind === 'tensor') for (const d of f.shape ?? []) if (typeof d === 'string') outer.add(d);
  const outs = ctx.inferGraph(body, bodyInputs).map((o) => localSymbolsToNull(o, outer));
  return outs.map(
    (o): ValueFacts => ({
      kind: 'sequence',
      origin: 'inferred',
      ...(o && o.kind !== 'unknown' ? { elem: withoutValue(o) } : {}),
      ...(length !== undefined ? { length } : {}),
    }),
  );
}

function localSymbolsToNull(f: ValueFacts | undefined, outer: Set<string>): ValueFacts | undefined {
  if (f?.kind !== 'tensor' || !f.shape) return f;
  const known = (d: string) => outer.has(d) || (d.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []).every((s) => outer.has(s));
  return tensor(
    f.dtype,
    f.shape.map((d) => (typeof d === 'string' && !known(d) ? null : d)),
    f.value,
  );
}

/** Facts of a tensor, or undefined (for callers that only accept tensors). */
export function asTensor(f: ValueFacts | undefined): TensorFacts | undefined {
  return f?.kind === 'tensor' ? f : undefined;
}

defineRules([
  { ops: 'If', infer: ifRule },
  { ops: 'Loop', infer: loopRule },
  { ops: 'Scan', since: 8, infer: scan8Rule },
  { ops: 'Scan', since: 9, infer: scanRule },
  { ops: 'SequenceMap', since: 17, infer: sequenceMapRule },
]);
