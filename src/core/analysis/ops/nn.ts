/**
 * Neural-network operators: convolution and pooling (sliding windows), normalization, Gemm/MatMul/Einsum, softmax
 * family, losses, and sampling ops. Output sizes follow the formulas of ONNX's operator documentation
 * (Operators.md) for each opset; a spatial size that depends on a symbolic input size stays symbolic only when it
 * provably equals it (stride 1 and "same" padding), and is unknown (null) otherwise.
 *
 * The window and matrix helpers are exported for the quantized, contrib and NCHWc variants of these operators.
 */

import { DataType } from '../../onnx/dtype.js';
import {
  broadcastShapes,
  type ConstValue,
  type Dim,
  dimDiv,
  dimMul,
  normalizeAxis,
  tensor,
  type ValueFacts,
} from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';
import { declaredLength } from './shape.js';

// ---------------------------------------------------------------------------------------------------------------
// Dimension helpers

/** The better-known of two dimensions that must be equal: a size over a symbol, a symbol over null. */
export function mergeDim(a: Dim | undefined, b: Dim | undefined): Dim {
  if (typeof a === 'number') {
    if (typeof b === 'number' && a !== b) throw new Error(`dimensions ${a} and ${b} must be equal`);
    return a;
  }
  if (typeof b === 'number') return b;
  return a ?? b ?? null;
}

/** Product of dimensions (1 for none), symbolic when some are symbols, null when some are unknown. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let p: Dim = 1;
  for (const d of dims) p = dimMul(p, d);
  return p;
}

/** Same shape with the constant value reinterpreted (Flatten and similar layout-only ops). */
function reshapeValue(v: ConstValue | undefined, shape: Dim[]): ConstValue | undefined {
  if (!v || !shape.every((d) => typeof d === 'number')) return undefined;
  return { dims: shape as number[], data: v.data };
}

// ---------------------------------------------------------------------------------------------------------------
// Sliding windows (Conv, pooling)

export interface WindowAttrs {
  /** Kernel size per spatial axis (null where unknown). */
  kernel: (number | null)[];
  strides: number[];
  dilations: number[];
  /** [x1_begin, x2_begin, …, x1_end, x2_end, …] */
  pads: number[];
  autoPad: string;
  ceilMode: boolean;
}

/** Reads strides/dilations/pads/auto_pad/ceil_mode for `n` spatial axes; `kernel` from kernel_shape or `fallback`. */
export function readWindow(ctx: InferContext, n: number, fallbackKernel?: Dim[]): WindowAttrs {
  const kernelAttr = ctx.ints('kernel_shape');
  const kernel: (number | null)[] =
    kernelAttr ??
    (fallbackKernel ? fallbackKernel.map((d) => (typeof d === 'number' ? d : null)) : new Array(n).fill(null));
  const strides = ctx.ints('strides') ?? new Array<number>(n).fill(1);
  const dilations = ctx.ints('dilations') ?? new Array<number>(n).fill(1);
  const pads = ctx.ints('pads') ?? new Array<number>(2 * n).fill(0);
  const check = (what: string, list: unknown[], len: number) => {
    if (list.length !== len) throw new Error(`${what} has ${list.length} values, expected ${len}`);
  };
  check('kernel_shape', kernel, n);
  check('strides', strides, n);
  check('dilations', dilations, n);
  check('pads', pads, 2 * n);
  if (strides.some((s) => s <= 0)) throw new Error('strides must be positive');
  if (dilations.some((d) => d <= 0)) throw new Error('dilations must be positive');
  return {
    kernel,
    strides,
    dilations,
    pads,
    autoPad: ctx.string('auto_pad', 'NOTSET') || 'NOTSET',
    ceilMode: ctx.int('ceil_mode', 0) !== 0,
  };
}

/** Output size of one spatial axis of a convolution or a pooling window (per axis). */
export function windowOutDim(input: Dim, w: WindowAttrs, i: number): Dim {
  const n = w.strides.length;
  const s = w.strides[i];
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
    // output = ceil(input / stride)
    if (typeof input === 'number') return Math.ceil(input / s);
    return s === 1 ? input : null;
  }
  if (w.autoPad !== 'NOTSET' && w.autoPad !== 'VALID') throw new Error(`unknown auto_pad '${w.autoPad}'`);
  const k = w.kernel[i];
  if (k === null) return null;
  const effKernel = (k - 1) * w.dilations[i] + 1;
  const padBegin = w.autoPad === 'VALID' ? 0 : w.pads[i];
  const padTotal = w.autoPad === 'VALID' ? 0 : w.pads[i] + w.pads[i + n];
  if (typeof input !== 'number') return s === 1 && padTotal === effKernel - 1 ? input : null;
  const span = input + padTotal - effKernel;
  if (span < 0) throw new Error(`window of size ${effKernel} does not fit in input size ${input} (padded ${padTotal})`);
  if (!w.ceilMode) return Math.floor(span / s) + 1;
  let out = Math.ceil(span / s) + 1;
  // A last window that would start in the end padding is dropped (ONNX MaxPool/AveragePool spec, PyTorch, ORT).
  if ((out - 1) * s >= input + padBegin) out--;
  return out;
}

/**
 * Output shape of a convolution/pooling window over `x`: batch and channel axes first (or channel last with
 * `channelsLast`), spatial axes through `windowOutDim`. `channels` replaces the channel size (Conv's M).
 */
export function windowShape(
  x: Dim[],
  w: WindowAttrs,
  channels: Dim | undefined,
  channelsLast = false,
): Dim[] | undefined {
  const n = x.length - 2;
  if (n < 0) throw new Error(`input of rank ${x.length} has no spatial axes`);
  const first = channelsLast ? 1 : 2;
  const spatial = x.slice(first, first + n).map((d, i) => windowOutDim(d, w, i));
  const c = channels === undefined ? x[channelsLast ? x.length - 1 : 1] : channels;
  return channelsLast ? [x[0], ...spatial, c] : [x[0], c, ...spatial];
}

/** Conv output: X [N, C, D1…], W [M, C/group, k1…] -> [N, M, O1…]. */
export function convShape(ctx: InferContext, x: Dim[] | undefined, wShape: Dim[] | undefined): Dim[] | undefined {
  if (!x) return undefined;
  const n = x.length - 2;
  if (wShape && wShape.length !== x.length) {
    throw new Error(`weight rank ${wShape.length} differs from input rank ${x.length}`);
  }
  const w = readWindow(ctx, n, wShape?.slice(2));
  return windowShape(x, w, wShape ? wShape[0] : null);
}

/** Pooling output (channels kept): kernel_shape is required. */
export function poolShape(ctx: InferContext, x: Dim[] | undefined, channelsLast = false): Dim[] | undefined {
  if (!x) return undefined;
  if (!ctx.ints('kernel_shape')) throw new Error('kernel_shape is required');
  const w = readWindow(ctx, x.length - 2);
  return windowShape(x, w, undefined, channelsLast);
}

/** Global pooling: spatial axes become 1. */
export function globalPoolShape(x: Dim[] | undefined, channelsLast = false): Dim[] | undefined {
  if (!x) return undefined;
  if (x.length < 2) throw new Error(`input of rank ${x.length} has no channel axis`);
  return x.map((d, i) => (i === 0 || i === (channelsLast ? x.length - 1 : 1) ? d : 1));
}

function convTransposeShape(ctx: InferContext): Dim[] | undefined {
  const x = ctx.shape(0);
  const wShape = ctx.shape(1);
  if (!x) return undefined;
  const n = x.length - 2;
  if (n < 0) throw new Error(`input of rank ${x.length} has no spatial axes`);
  const group = ctx.int('group', 1);
  const channels = wShape ? dimMul(wShape[1], group) : null;
  const outputShape = ctx.ints('output_shape');
  if (outputShape) {
    // Spatial sizes only (ONNX); some exporters write the whole shape.
    const spatial = outputShape.length === x.length ? outputShape.slice(2) : outputShape;
    if (spatial.length !== n) throw new Error(`output_shape has ${outputShape.length} values for ${n} spatial axes`);
    return [x[0], channels, ...spatial];
  }
  const w = readWindow(ctx, n, wShape?.slice(2));
  const outputPadding = ctx.ints('output_padding') ?? new Array<number>(n).fill(0);
  if (outputPadding.length !== n) throw new Error(`output_padding has ${outputPadding.length} values, expected ${n}`);
  const spatial = x.slice(2).map((d, i): Dim => {
    const s = w.strides[i];
    // SAME_UPPER / SAME_LOWER: output = input * stride.
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return dimMul(d, s);
    const k = w.kernel[i];
    if (k === null) return null;
    const effKernel = (k - 1) * w.dilations[i] + 1;
    const pads = w.autoPad === 'VALID' ? 0 : w.pads[i] + w.pads[i + n];
    // stride * (input - 1) + output_padding + effective kernel - pads
    const extra = outputPadding[i] + effKernel - pads;
    if (typeof d === 'number') return s * (d - 1) + extra;
    return s === 1 && extra === 1 ? d : null;
  });
  return [x[0], channels, ...spatial];
}

// ---------------------------------------------------------------------------------------------------------------
// Matrix products

/** numpy.matmul shapes: 1-D operands get a dimension prepended/appended and removed again; batch axes broadcast. */
export function matmulShape(a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return undefined;
  if (a.length === 0 || b.length === 0) throw new Error('MatMul operands must have rank 1 or more');
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const k1 = a2[a2.length - 1];
  const k2 = b2[b2.length - 2];
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new Error(`inner dimensions ${k1} and ${k2} differ`);
  }
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2)) ?? [];
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

/** Gemm: A (M, K) or (K, M) with transA, B (K, N) or (N, K) with transB -> (M, N). */
export function gemmShape(
  a: Dim[] | undefined,
  b: Dim[] | undefined,
  transA: boolean,
  transB: boolean,
): Dim[] | undefined {
  if (!a || !b) return undefined;
  if (a.length !== 2 || b.length !== 2) throw new Error(`Gemm needs 2-D inputs, got ranks ${a.length} and ${b.length}`);
  const [m, ka] = transA ? [a[1], a[0]] : [a[0], a[1]];
  const [kb, n] = transB ? [b[1], b[0]] : [b[0], b[1]];
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) {
    throw new Error(`inner dimensions ${ka} and ${kb} differ`);
  }
  return [m, n];
}

/** Einsum output shape from its equation (explicit `->` or implicit: labels seen once, alphabetically). */
export function einsumShape(equation: string, shapes: (Dim[] | undefined)[]): Dim[] | undefined {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const terms = (arrow >= 0 ? eq.slice(0, arrow) : eq).split(',');
  if (terms.length !== shapes.length) {
    throw new Error(`equation '${equation}' has ${terms.length} operands, the node has ${shapes.length} inputs`);
  }
  const inputs = terms.map(parseSubscripts);
  const counts = new Map<string, number>();
  for (const t of inputs) for (const l of t.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const output =
    arrow >= 0
      ? parseSubscripts(eq.slice(arrow + 2))
      : {
          // Implicit output: the labels that appear once, in alphabetical order, after the broadcast axes.
          labels: [...counts.entries()]
            .filter(([, c]) => c === 1)
            .map(([l]) => l)
            .sort(),
          ellipsis: inputs.some((t) => t.ellipsis >= 0) ? 0 : -1,
        };
  for (const l of output.labels) if (!counts.has(l)) throw new Error(`output label '${l}' is in no input`);
  if (shapes.some((s) => s === undefined)) return undefined;
  const sizes = new Map<string, Dim>();
  let broadcast: Dim[] = [];
  inputs.forEach((t, i) => {
    const shape = shapes[i] as Dim[];
    const ellRank = shape.length - t.labels.length;
    if (t.ellipsis < 0 ? ellRank !== 0 : ellRank < 0) {
      throw new Error(`operand ${i} has rank ${shape.length}, subscripts '${terms[i]}' do not match`);
    }
    t.labels.forEach((l, k) => {
      const d = shape[t.ellipsis >= 0 && k >= t.ellipsis ? k + ellRank : k];
      const prev = sizes.get(l);
      // A label's sizes must agree; a size 1 broadcasts (as numpy.einsum allows).
      if (prev === undefined || prev === 1) sizes.set(l, d);
      else if (d !== 1) sizes.set(l, mergeDim(prev, d));
    });
    if (t.ellipsis >= 0) {
      broadcast = broadcastShapes(broadcast, shape.slice(t.ellipsis, t.ellipsis + ellRank)) as Dim[];
    }
  });
  const dims = output.labels.map((l) => sizes.get(l) ?? null);
  if (output.ellipsis < 0) return dims;
  return [...dims.slice(0, output.ellipsis), ...broadcast, ...dims.slice(output.ellipsis)];
}

/** One operand's subscripts: its labels, and how many labels precede the ellipsis (-1: none). */
function parseSubscripts(term: string): { labels: string[]; ellipsis: number } {
  const e = term.indexOf('...');
  if (e >= 0 && term.indexOf('...', e + 3) >= 0) throw new Error(`more than one ellipsis in '${term}'`);
  const letters = term.replace('...', '');
  if (!/^[A-Za-z]*$/.test(letters)) throw new Error(`invalid subscripts '${term}'`);
  return { labels: [...letters], ellipsis: e < 0 ? -1 : e };
}

// ---------------------------------------------------------------------------------------------------------------
// Rules

const sameAsInput = (ctx: InferContext): (ValueFacts | undefined)[] => [tensor(ctx.dtype(0), ctx.shape(0))];

defineRules([
  {
    ops: 'Conv',
    infer: (ctx) => [tensor(ctx.dtype(0), convShape(ctx, ctx.shape(0), ctx.shape(1)))],
  },
  {
    ops: 'DeformConv',
    infer: (ctx) => {
      // X, W, offset [N, offset_group*2*k…, O1…], B, mask: output is a Conv's; its spatial size is also the offset's.
      const shape = convShape(ctx, ctx.shape(0), ctx.shape(1));
      const offset = ctx.shape(2);
      if (shape && offset && offset.length === shape.length) {
        for (let i = 2; i < shape.length; i++) shape[i] = mergeDim(shape[i], offset[i]);
      }
      return [tensor(ctx.dtype(0), shape)];
    },
  },
  { ops: 'ConvTranspose', infer: (ctx) => [tensor(ctx.dtype(0), convTransposeShape(ctx))] },
  {
    ops: 'MaxPool',
    infer: (ctx) => {
      const shape = poolShape(ctx, ctx.shape(0));
      return [tensor(ctx.dtype(0), shape), tensor(DataType.INT64, shape)];
    },
  },
  { ops: ['AveragePool', 'LpPool'], infer: (ctx) => [tensor(ctx.dtype(0), poolShape(ctx, ctx.shape(0)))] },
  {
    ops: ['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool'],
    infer: (ctx) => [tensor(ctx.dtype(0), globalPoolShape(ctx.shape(0)))],
  },
  {
    ops: 'MaxUnpool',
    infer: (ctx) => {
      const x = ctx.shape(0);
      const dtype = ctx.dtype(0);
      if (ctx.has(2)) {
        // output_shape input: the whole output shape (of X's rank), known only when it is a constant.
        const v = ctx.value(2);
        if (v) return [tensor(dtype, v.data)];
        const s = ctx.shape(2);
        const rank = declaredLength(s?.[0]) ?? x?.length;
        return [tensor(dtype, rank === undefined ? undefined : new Array<Dim>(rank).fill(null))];
      }
      if (!x) return [tensor(dtype, undefined)];
      const n = x.length - 2;
      if (!ctx.ints('kernel_shape')) throw new Error('kernel_shape is required');
      const w = readWindow(ctx, n);
      // (input - 1) * stride + kernel - pads
      const spatial = x.slice(2).map((d, i): Dim => {
        const k = w.kernel[i] as number;
        const extra = k - w.pads[i] - w.pads[i + n];
        if (typeof d === 'number') return (d - 1) * w.strides[i] + extra;
        return w.strides[i] === 1 && extra === 1 ? d : null;
      });
      return [tensor(dtype, [x[0], x[1], ...spatial])];
    },
  },
  {
    ops: 'MaxRoiPool',
    infer: (ctx) => {
      const x = ctx.shape(0);
      const rois = ctx.shape(1);
      const pooled = ctx.ints('pooled_shape');
      if (pooled?.length !== 2) throw new Error('pooled_shape must hold 2 values');
      if (!x || !rois) return [tensor(ctx.dtype(0), undefined)];
      return [tensor(ctx.dtype(0), [rois[0], x[1], pooled[0], pooled[1]])];
    },
  },
  {
    ops: 'RoiAlign',
    infer: (ctx) => {
      const x = ctx.shape(0);
      const rois = ctx.shape(1);
      const idx = ctx.shape(2);
      if (!x || (!rois && !idx)) return [tensor(ctx.dtype(0), undefined)];
      const num = mergeDim(rois?.[0], idx?.[0]);
      return [tensor(ctx.dtype(0), [num, x[1], ctx.int('output_height', 1), ctx.int('output_width', 1)])];
    },
  },
  {
    ops: 'BatchNormalization',
    infer: (ctx) => {
      // Y like X. Further outputs (mean/var, saved mean/var before opset 14, running mean/var in training mode
      // from 14 on) have the shape and type of the mean input ([C], or [C, D1…] with spatial=0 before opset 9).
      const x = ctx.shape(0);
      const stat = ctx.shape(3) ?? (x && x.length >= 2 ? [x[1]] : undefined);
      const statType = ctx.dtype(3) ?? ctx.dtype(0);
      const outs: ValueFacts[] = [tensor(ctx.dtype(0), x)];
      for (let i = 1; i < ctx.node.outputs.length; i++) outs.push(tensor(statType, stat));
      return outs;
    },
  },
  {
    ops: ['InstanceNormalization', 'GroupNormalization', 'MeanVarianceNormalization', 'LRN'],
    infer: sameAsInput,
  },
  {
    // Standard from opset 17; ONNX Runtime also registers it in the standard domain at version 1 (same contract).
    ops: 'LayerNormalization',
    infer: (ctx) => {
      const x = ctx.shape(0);
      const stash = ctx.int('stash_type', DataType.FLOAT);
      let stat: Dim[] | undefined;
      if (x) {
        const axis = normalizeAxis(ctx.int('axis', -1), x.length);
        stat = x.map((d, i) => (i < axis ? d : 1));
      }
      return [tensor(ctx.dtype(0), x), tensor(stash, stat), tensor(stash, stat)];
    },
  },
  {
    ops: 'Gemm',
    infer: (ctx) => [
      tensor(
        ctx.dtype(0),
        gemmShape(ctx.shape(0), ctx.shape(1), ctx.int('transA', 0) !== 0, ctx.int('transB', 0) !== 0),
      ),
    ],
  },
  { ops: 'MatMul', infer: (ctx) => [tensor(ctx.dtype(0), matmulShape(ctx.shape(0), ctx.shape(1)))] },
  { ops: ['Softmax', 'LogSoftmax', 'Hardmax'], infer: sameAsInput },
  {
    ops: 'Flatten',
    infer: (ctx) => {
      const x = ctx.tensor(0);
      if (!x?.shape) return [tensor(x?.dtype, undefined)];
      const rank = x.shape.length;
      let axis = ctx.int('axis', 1);
      if (axis < 0) axis += rank;
      if (axis < 0 || axis > rank) throw new Error(`axis ${ctx.int('axis', 1)} is out of range for rank ${rank}`);
      const shape = [dimProduct(x.shape.slice(0, axis)), dimProduct(x.shape.slice(axis))];
      return [tensor(x.dtype, shape, reshapeValue(x.value, shape))];
    },
  },
  {
    ops: 'Einsum',
    infer: (ctx) => {
      const equation = ctx.string('equation');
      if (equation === undefined) throw new Error('equation is required');
      const shapes = ctx.inputs.map((_, i) => ctx.shape(i));
      return [tensor(ctx.dtype(0), einsumShape(equation, shapes))];
    },
  },
  {
    ops: 'GridSample',
    infer: (ctx) => {
      // X [N, C, D1…Dr], grid [N, O1…Or, r] -> [N, C, O1…Or]
      const x = ctx.shape(0);
      const grid = ctx.shape(1);
      if (!x || !grid) return [tensor(ctx.dtype(0), undefined)];
      if (grid.length !== x.length) throw new Error(`grid rank ${grid.length} differs from input rank ${x.length}`);
      return [tensor(ctx.dtype(0), [mergeDim(x[0], grid[0]), x[1], ...grid.slice(1, -1)])];
    },
  },
  {
    ops: 'AffineGrid',
    infer: (ctx) => {
      // theta [N, 2, 3] or [N, 3, 4]; size [N, C, H, W] or [N, C, D, H, W] -> [N, H, W, 2] or [N, D, H, W, 3]
      const theta = ctx.shape(0);
      const size = ctx.value(1);
      const sizeShape = ctx.shape(1);
      const len = size ? size.data.length : typeof sizeShape?.[0] === 'number' ? sizeShape[0] : undefined;
      if (len === undefined) return [tensor(ctx.dtype(0), undefined)];
      if (len !== 4 && len !== 5) throw new Error(`size has ${len} values, expected 4 or 5`);
      const spatial: Dim[] = size ? size.data.slice(2) : new Array<Dim>(len - 2).fill(null);
      const n = mergeDim(theta?.[0], size?.data[0]);
      return [tensor(ctx.dtype(0), [n, ...spatial, len - 2])];
    },
  },
  {
    ops: 'Col2Im',
    infer: (ctx) => {
      // input [N, C*prod(block_shape), L], image_shape [H, W…], block_shape -> [N, C, H, W…]
      const x = ctx.shape(0);
      const image = ctx.value(1);
      const block = ctx.value(2);
      const imageShape = ctx.shape(1);
      if (!x) return [tensor(ctx.dtype(0), undefined)];
      const n = image ? image.data.length : declaredLength(imageShape?.[0]);
      if (n === undefined) return [tensor(ctx.dtype(0), undefined)];
      const c = block
        ? dimDiv(
            x[1],
            block.data.reduce((a, b) => a * b, 1),
          )
        : null;
      if (typeof c === 'number' && block && c * block.data.reduce((a, b) => a * b, 1) !== x[1]) {
        throw new Error(`input channels ${x[1]} are not a multiple of the block size`);
      }
      return [tensor(ctx.dtype(0), [x[0], c, ...(image ? image.data : new Array<Dim>(n).fill(null))])];
    },
  },
  {
    ops: 'NegativeLogLikelihoodLoss',
    infer: (ctx) => {
      // input [N, C, d1…], target [N, d1…]: reduction 'none' -> [N, d1…], 'mean'/'sum' -> scalar.
      const reduction = ctx.string('reduction', 'mean');
      if (reduction !== 'none') return [tensor(ctx.dtype(0), [])];
      return [tensor(ctx.dtype(0), lossShape(ctx.shape(0), ctx.shape(1)))];
    },
  },
  {
    ops: 'SoftmaxCrossEntropyLoss',
    infer: (ctx) => {
      const reduction = ctx.string('reduction', 'mean');
      const loss = reduction === 'none' ? lossShape(ctx.shape(0), ctx.shape(1)) : [];
      return [tensor(ctx.dtype(0), loss), tensor(ctx.dtype(0), ctx.shape(0))];
    },
  },
]);

/** Per-element loss shape: scores/input [N, C, d1…] and labels/target [N, d1…] -> [N, d1…]. */
function lossShape(input: Dim[] | undefined, target: Dim[] | undefined): Dim[] | undefined {
  if (input && input.length < 2) throw new Error(`input of rank ${input.length} has no class axis`);
  const fromInput = input ? [input[0], ...input.slice(2)] : undefined;
  if (!target) return fromInput;
  if (!fromInput) return target;
  if (target.length !== fromInput.length) {
    throw new Error(`target rank ${target.length} does not match input rank ${input?.length}`);
  }
  return target.map((d, i) => mergeDim(d, fromInput[i]));
}
