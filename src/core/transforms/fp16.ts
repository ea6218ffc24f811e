/**
 * FP16 conversion: float32 weights, constants and activations of the main graph become float16, except around
 * operators kept in float32 (a block list of operator types, node names, and operators that cannot take float16 at
 * all), where Cast nodes convert on the way in and out. With `keepIoTypes` (the default) the model's inputs and
 * outputs stay float32: a Cast after each input and before each output.
 *
 * Constants are converted with a clamp: magnitudes above the float16 maximum (65504) become ±65504, non-zero
 * magnitudes below its smallest subnormal (2^-24 ≈ 6e-8) become ±2^-24 rather than 0 (so that an epsilon stays an
 * epsilon); the report counts both. Infinities and NaN are kept.
 *
 * On ONNX Runtime's CPU provider most operators have no float16 kernel: the runtime inserts its own casts and
 * computes them in float32, so the CPU result is close to float32 and the gain is the file size (half). GPUs, NPUs
 * and Arm CPUs with FP16 arithmetic compute in float16.
 */

import { inferShapes } from '../analysis/infer.js';
import { float32ToFloat16Bits } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { ExternalDataSource } from '../onnx/externalData.js';
import type { Attribute, Model, Node, Tensor, ValueInfo } from '../onnx/ir.js';
import { normalizeDomain, opsetVersion } from '../onnx/ir.js';
import { readTensorValues } from '../onnx/tensor.js';
import { nodeLabel } from '../onnx/validate.js';
import { dropIntermediateValueInfo } from './graphEdit.js';
import { getAttr, graphConstants, makeNode, NameAllocator, namesUsedInSubgraphs, refuseQuantized } from './quantize.js';
import type { TransformReport, TransformResult } from './types.js';

/**
 * Operators kept in float32 by default, and why: float16 has an 11-bit significand and a maximum of 65504, and
 * these operators are where that bites (overflow, accumulated rounding, exact integers), or where the float16
 * result changes discrete decisions.
 */
export const FP16_DEFAULT_BLOCKED: Readonly<Record<string, string>> = {
  Range: 'generates sequences: float16 holds integers exactly only up to 2048, so positions and indices drift',
  CumSum: 'running sums lose precision with every step and overflow past 65504',
  ReduceSum: 'sums many elements: overflow past 65504 and accumulated rounding',
  ReduceSumSquare: 'sums squares: overflows float16 as soon as |x| > 256 over a few elements',
  ReduceL2: 'square root of a sum of squares: the sum overflows float16',
  ReduceProd: 'products overflow or underflow float16 quickly',
  ReduceLogSumExp: 'exp() of its inputs overflows float16 for x > 11',
  Exp: 'overflows float16 for x > 11.09',
  Pow: 'overflows float16 for moderate bases (x² > 65504 when |x| > 256)',
  LayerNormalization:
    'mean and variance over a whole axis: the squares overflow and the variance loses precision (ONNX defines stash_type to keep them in float32)',
  InstanceNormalization:
    'mean and variance over a whole feature map: same overflow and precision loss as LayerNormalization',
  GroupNormalization: 'mean and variance over channel groups: same overflow and precision loss as LayerNormalization',
  RoiAlign: 'box coordinates in float16 move sampling points by up to a pixel on large images',
  TopK: 'float16 rounding creates ties and reorders close scores',
};

export const DEFAULT_FP16_BLOCK_LIST: readonly string[] = Object.keys(FP16_DEFAULT_BLOCKED);

/** Operators that always stay float32: float32-only types in ONNX, or an output type fixed by an attribute. */
const alwaysFloat32 = new Set([
  'Range',
  'NonMaxSuppression',
  'Celu',
  'TfIdfVectorizer',
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
  'EyeLike',
  'HannWindow',
  'HammingWindow',
  'BlackmanWindow',
  'MelWeightMatrix',
]);

/** Operators that take float16 only from an opset on (before it, float32 only). */
const olderFloatOnly: Record<string, number> = { CumSum: 14, IsInf: 20 };

/** Float inputs that stay float32 whatever the operator computes in (scales, regions of interest). */
const fixedInputs: Record<string, number[]> = { Resize: [1, 2], Upsample: [1] };
/** Float outputs fixed to float32 (LayerNormalization's mean and inverse deviation, stash_type). */
const fixedOutputs: Record<string, number[]> = { LayerNormalization: [1, 2] };
/** Inputs of any type: reading float16 changes nothing about them. */
const anyTypeInputs: Record<string, number[]> = { Cast: [0], CastLike: [0], Shape: [0], Size: [0] };

export interface Fp16Options {
  /** Keep float32 model inputs and outputs, with Cast nodes inside (default true). */
  keepIoTypes?: boolean;
  /** Operator types kept in float32. Default DEFAULT_FP16_BLOCK_LIST; pass [] to convert everything possible. */
  blockOpTypes?: readonly string[];
  /** Node names kept in float32. */
  blockNodes?: readonly string[];
  /**
   * Keep the value_info (declared types and shapes) of intermediate values. Default false: they are dropped (ONNX
   * Runtime infers them; inputs and outputs stay typed), which saves their bytes.
   */
  keepValueInfo?: boolean;
}

const FP16_MAX = 65504;
const FP16_MIN_SUBNORMAL = 2 ** -24;

interface ClampCount {
  overflow: number;
  underflow: number;
  tensors: Set<string>;
}

function toFloat16Tensor(name: string, dims: readonly number[], values: ArrayLike<number>, clamp: ClampCount): Tensor {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  let hit = false;
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    const a = Math.abs(v);
    if (a > FP16_MAX && Number.isFinite(v)) {
      v = v > 0 ? FP16_MAX : -FP16_MAX;
      clamp.overflow++;
      hit = true;
    } else if (a > 0 && a < FP16_MIN_SUBNORMAL) {
      v = v > 0 ? FP16_MIN_SUBNORMAL : -FP16_MIN_SUBNORMAL;
      clamp.underflow++;
      hit = true;
    }
    view.setUint16(i * 2, float32ToFloat16Bits(v), true);
  }
  if (hit) clamp.tensors.add(name);
  return { name, dataType: DataType.FLOAT16, dims: [...dims], data: { kind: 'raw', bytes } };
}

/**
 * Converts the model to float16. Refuses quantized models (TransformError 'already-quantized'). Only the main
 * graph is converted; nodes with subgraphs stay float32 (and so do the values their subgraphs read).
 */
export async function convertToFloat16(
  model: Model,
  options: Fp16Options = {},
  source?: ExternalDataSource,
): Promise<TransformResult> {
  refuseQuantized(model, 'FP16 conversion');
  const keepIo = options.keepIoTypes ?? true;
  const blockedOps = new Set(options.blockOpTypes ?? DEFAULT_FP16_BLOCK_LIST);
  const blockedNodes = new Set(options.blockNodes ?? []);
  const report: TransformReport = { transform: 'fp16', changedNodes: [], notes: [], warnings: [] };
  const g = model.graph;
  const opset = opsetVersion(model, '') ?? 1;
  const facts = inferShapes(model).values;
  const dtype = (name: string): number | undefined => {
    const f = facts.get(name);
    return f?.kind === 'tensor' ? f.dtype : undefined;
  };
  const known = (name: string) => {
    const f = facts.get(name);
    return f?.kind === 'tensor' && f.dtype !== undefined;
  };
  const consts = graphConstants(g);
  const initNames = new Set(g.initializers.map((t) => t.name));
  const outputNames = new Set(g.outputs.map((v) => v.name));
  const subgraphReads = namesUsedInSubgraphs(g);
  const names = new NameAllocator(model, 0);

  const isFloat = (name: string) => !!name && dtype(name) === DataType.FLOAT;
  const inSlots = (n: Node): number[] =>
    n.inputs
      .map((_v, i) => i)
      .filter(
        (i) => isFloat(n.inputs[i]) && !fixedInputs[n.opType]?.includes(i) && !anyTypeInputs[n.opType]?.includes(i),
      );
  const outSlots = (n: Node): number[] => {
    if (n.opType === 'Cast') return n.outputs[0] && isFloat(n.outputs[0]) ? [0] : [];
    return n.outputs.map((_v, i) => i).filter((i) => isFloat(n.outputs[i]) && !fixedOutputs[n.opType]?.includes(i));
  };

  // 1. Which nodes compute in float16.
  const mode = new Map<Node, 'fp16' | 'fp32'>();
  const keptBy = new Map<string, string[]>();
  const keep = (why: string, label: string) => keptBy.set(why, [...(keptBy.get(why) ?? []), label]);
  g.nodes.forEach((n, i) => {
    const ins = inSlots(n);
    const outs = outSlots(n);
    const relevant =
      ins.length > 0 ||
      outs.length > 0 ||
      (n.opType === 'Constant' && consts.get(n.outputs[0])?.tensor.dataType === DataType.FLOAT);
    if (!relevant) return;
    const label = nodeLabel(n, i);
    let why: string | undefined;
    if (normalizeDomain(n.domain) !== '') why = `operator of domain ${n.domain}`;
    else if (n.attributes.some((a) => a.type === 'graph' || a.type === 'graphs')) why = 'has subgraphs';
    else if (alwaysFloat32.has(n.opType) || (olderFloatOnly[n.opType] ?? 0) > opset) {
      why = 'float32 only, or output type set by an attribute';
    } else if (blockedOps.has(n.opType)) why = `block list: ${n.opType}`;
    else if (blockedNodes.has(n.name)) why = 'blocked by name';
    else if ([...n.inputs, ...n.outputs].some((v) => v && !known(v) && !initNames.has(v)))
      why = 'a value of unknown type';
    else if (
      n.opType === 'Constant' &&
      !getAttr(n, 'value') &&
      !getAttr(n, 'value_float') &&
      !getAttr(n, 'value_floats')
    ) {
      why = 'constant of a kind not converted';
    }
    if (why) {
      mode.set(n, 'fp32');
      keep(why, label);
    } else mode.set(n, 'fp16');
  });

  // 2. Where each float value lives after conversion.
  /** What type input k of node n must be read as: 10/1, or undefined (not float, or any type will do). */
  const wantAt = (n: Node, k: number, slots: Set<number>): 1 | 10 | undefined => {
    const v = n.inputs[k];
    if (!v || !isFloat(v) || anyTypeInputs[n.opType]?.includes(k)) return undefined;
    return mode.get(n) === 'fp16' && slots.has(k) ? DataType.FLOAT16 : DataType.FLOAT;
  };
  const fp16Readers = new Map<string, number>();
  for (const n of g.nodes) {
    const slots = new Set(inSlots(n));
    n.inputs.forEach((v, k) => {
      if (wantAt(n, k, slots) === DataType.FLOAT16) fp16Readers.set(v, (fp16Readers.get(v) ?? 0) + 1);
    });
  }
  const pinned = (v: string) => subgraphReads.has(v) || (keepIo && outputNames.has(v));
  const home = new Map<string, 10 | 1>();
  for (const v of g.inputs) {
    if (initNames.has(v.name) || !isFloat(v.name)) continue;
    home.set(v.name, keepIo || subgraphReads.has(v.name) ? DataType.FLOAT : DataType.FLOAT16);
  }
  for (const t of g.initializers) {
    if (t.dataType !== DataType.FLOAT) continue;
    // An initializer also listed as a graph input (IR < 4) is a constant with a default, not a model input: it
    // is converted like the others, and its input declaration follows.
    const toHalf = fp16Readers.has(t.name) && !pinned(t.name) && !outputNames.has(t.name);
    home.set(t.name, toHalf ? DataType.FLOAT16 : DataType.FLOAT);
  }
  const renamedOutput = new Map<string, string>();
  for (const n of g.nodes) {
    const m = mode.get(n);
    if (n.opType === 'Constant' && m === 'fp16') {
      const v = n.outputs[0];
      home.set(v, fp16Readers.has(v) && !pinned(v) ? DataType.FLOAT16 : DataType.FLOAT);
      continue;
    }
    for (const j of outSlots(n)) {
      const v = n.outputs[j];
      if (m !== 'fp16') {
        home.set(v, DataType.FLOAT);
        continue;
      }
      if (pinned(v)) {
        // Produced in float16 under another name; a Cast restores the float32 value under its own name.
        const r = names.compact('h');
        renamedOutput.set(v, r);
        home.set(r, DataType.FLOAT16);
        home.set(v, DataType.FLOAT);
      } else home.set(v, DataType.FLOAT16);
    }
  }

  // 3. Rewrite.
  const clamp: ClampCount = { overflow: 0, underflow: 0, tensors: new Set() };
  const casts = new Map<string, string>();
  let castCount = 0;
  const nodes: Node[] = [];
  const castTo = (v: string, to: 1 | 10, out: Node[]): string => {
    const key = `${v}\u0000${to}`;
    let name = casts.get(key);
    if (!name) {
      name = names.compact(to === DataType.FLOAT16 ? 'h' : 'f');
      out.push(makeNode('Cast', '', [v], [name], { to }));
      casts.set(key, name);
      castCount++;
    }
    return name;
  };
  /** The float16 name of value v (renamed pinned outputs read directly, others through a Cast when needed). */
  const readAs = (v: string, want: 1 | 10, out: Node[]): string => {
    const renamed = renamedOutput.get(v);
    if (want === DataType.FLOAT16 && renamed) return renamed;
    const h = home.get(v) ?? DataType.FLOAT;
    return h === want ? v : castTo(v, want, out);
  };

  for (const v of g.inputs) {
    if (home.get(v.name) === DataType.FLOAT && fp16Readers.has(v.name)) castTo(v.name, DataType.FLOAT16, nodes);
  }
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i];
    const m = mode.get(n);
    const before: Node[] = [];
    const slots = new Set(inSlots(n));
    const inputs = n.inputs.map((v, k) => {
      const want = wantAt(n, k, slots);
      return want ? readAs(v, want, before) : v;
    });
    let attributes = n.attributes;
    let outputs = n.outputs;
    if (m === 'fp16') {
      outputs = n.outputs.map((v) => renamedOutput.get(v) ?? v);
      if (n.opType === 'Cast' && outSlots(n).length) {
        attributes = attributes.map(
          (a): Attribute => (a.name === 'to' ? { ...a, type: 'int', value: BigInt(DataType.FLOAT16) } : a),
        );
      } else if (n.opType === 'Constant') {
        const v = n.outputs[0];
        if (home.get(v) === DataType.FLOAT16) {
          const c = consts.get(v);
          let t: Tensor | undefined = c?.tensor;
          const vf = getAttr(n, 'value_float');
          const vfs = getAttr(n, 'value_floats');
          if (vf?.type === 'float')
            t = {
              name: v,
              dataType: DataType.FLOAT,
              dims: [],
              data: { kind: 'float', values: Float32Array.of(vf.value) },
            };
          if (vfs?.type === 'floats') {
            t = {
              name: v,
              dataType: DataType.FLOAT,
              dims: [vfs.value.length],
              data: { kind: 'float', values: Float32Array.from(vfs.value) },
            };
          }
          if (t && t.dataType === DataType.FLOAT) {
            const values = (await readTensorValues(t, source)) as Float32Array;
            attributes = [{ name: 'value', type: 'tensor', value: toFloat16Tensor(t.name, t.dims, values, clamp) }];
          }
        }
      } else if (n.opType === 'ConstantOfShape' && outSlots(n).length) {
        const a = getAttr(n, 'value');
        const values =
          a?.type === 'tensor' ? ((await readTensorValues(a.value, source)) as Float32Array) : Float32Array.of(0);
        const t = toFloat16Tensor(a?.type === 'tensor' ? a.value.name : '', [1], values, clamp);
        attributes = [...n.attributes.filter((x) => x.name !== 'value'), { name: 'value', type: 'tensor', value: t }];
      }
    }
    nodes.push(...before);
    const changed =
      inputs.some((v, k) => v !== n.inputs[k]) ||
      outputs.some((v, k) => v !== n.outputs[k]) ||
      attributes !== n.attributes;
    nodes.push(changed ? { ...n, inputs, outputs, attributes } : n);
    if (m === 'fp16' || changed) report.changedNodes.push(nodeLabel(n, i));
    // Pinned outputs: back to float32 under their own name.
    for (const v of n.outputs) {
      const r = renamedOutput.get(v);
      if (r && m === 'fp16') {
        nodes.push(makeNode('Cast', '', [r], [v], { to: DataType.FLOAT }));
        castCount++;
      }
    }
  }

  // Initializers.
  const initializers: Tensor[] = [];
  let converted = 0;
  let halfBytes = 0;
  for (const t of g.initializers) {
    if (t.dataType === DataType.FLOAT && home.get(t.name) === DataType.FLOAT16) {
      const values = (await readTensorValues(t, source)) as Float32Array;
      initializers.push(toFloat16Tensor(t.name, t.dims, values, clamp));
      converted++;
      halfBytes += values.length * 2;
    } else initializers.push(t);
  }
  // Casts of initializers and inputs must see the casts' sources defined: they are, as initializers and inputs
  // are defined before any node.

  const retype = (v: ValueInfo): ValueInfo => {
    if (v.type?.kind !== 'tensor' || v.type.elemType !== DataType.FLOAT || home.get(v.name) !== DataType.FLOAT16)
      return v;
    return { ...v, type: { ...v.type, elemType: DataType.FLOAT16 } };
  };
  const graph = {
    ...g,
    nodes,
    initializers,
    inputs: g.inputs.map(retype),
    outputs: g.outputs.map(retype),
    valueInfo: g.valueInfo.map(retype),
  };

  report.notes.push(
    `${report.changedNodes.length} node${report.changedNodes.length === 1 ? '' : 's'} compute in float16; ${converted} initializer${converted === 1 ? '' : 's'} converted (${(halfBytes / 1024).toFixed(1)} KB as float16); ${castCount} Cast node${castCount === 1 ? '' : 's'} inserted`,
  );
  report.notes.push(
    keepIo
      ? 'model inputs and outputs stay float32 (Cast nodes inside the model)'
      : 'model inputs and outputs were converted to float16 where they are float32 and the nodes around them compute in float16',
  );
  for (const [why, list] of keptBy) {
    const reason = why.startsWith('block list: ') ? FP16_DEFAULT_BLOCKED[why.slice(12)] : undefined;
    report.notes.push(
      `${list.length} node${list.length === 1 ? '' : 's'} kept in float32 (${why}${reason ? ` — ${reason}` : ''}): ${list
        .slice(0, 5)
        .map((l) => `'${l}'`)
        .join(', ')}${list.length > 5 ? ', …' : ''}`,
    );
  }
  if (clamp.overflow || clamp.underflow) {
    report.warnings.push(
      `clamped ${clamp.overflow + clamp.underflow} constant value${clamp.overflow + clamp.underflow === 1 ? '' : 's'} to the float16 range in ${clamp.tensors.size} tensor${clamp.tensors.size === 1 ? '' : 's'}: ${clamp.overflow} above 65504 (set to ±65504), ${clamp.underflow} non-zero below 6e-8 (set to ±2^-24)`,
    );
  } else report.notes.push('no constant was outside the float16 range (nothing clamped)');
  if (report.changedNodes.length === 0) report.warnings.push('nothing was converted: no float32 computation found');
  const out = { ...model, graph };
  return { model: options.keepValueInfo ? out : dropIntermediateValueInfo(out, report.notes), report };
}
