/**
 * Random generators, signal processing (DFT, STFT, windows, MelWeightMatrix), text (TfIdfVectorizer, String*,
 * RegexFullMatch), ImageDecoder, and the training operators of 'ai.onnx.preview.training' (Operators.md and
 * Changelog.md for the opset differences, e.g. DFT-20's axis input).
 */

import { DataType } from '../../onnx/dtype.js';
import { broadcastShapes, type Dim, tensor, type ValueFacts } from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';

const TRAINING = 'ai.onnx.preview.training';

/** A scalar (or one-element) constant input, as a number. */
function scalarInput(ctx: InferContext, i: number): number | undefined {
  const v = ctx.has(i) ? ctx.value(i) : undefined;
  return v && v.data.length === 1 ? v.data[0] : undefined;
}

/** A size taken from a scalar input: the folded value, else unknown. */
function sizeInput(ctx: InferContext, i: number): Dim {
  const v = scalarInput(ctx, i);
  if (v === undefined) return null;
  if (!Number.isInteger(v) || v < 0) throw new Error(`input ${i} must be a non-negative integer, got ${v}`);
  return v;
}

/** floor(n/2)+1: the bins of a one-sided (real-to-complex) transform of length n. */
function onesidedBins(n: Dim): Dim {
  return typeof n === 'number' ? Math.floor(n / 2) + 1 : null;
}

/**
 * DFT: input [batch, signal dims…, 1 (real) or 2 (complex)]; the output has the same shape with the last dim 2 and
 * the transformed axis of length dft_length (when given), halved plus one when onesided.
 */
function dftRule(ctx: InferContext, axisFromInput: boolean): (ValueFacts | undefined)[] {
  const x = ctx.tensor(0);
  if (!x?.shape) return [tensor(x?.dtype, undefined)];
  const r = x.shape.length;
  if (r < 2) throw new Error(`input has rank ${r}; expected [batch, signal…, 1 or 2]`);
  const last = x.shape[r - 1];
  if (typeof last === 'number' && last !== 1 && last !== 2) {
    throw new Error(`the last dim is ${last}; it must be 1 (real) or 2 (complex)`);
  }
  const onesided = ctx.int('onesided', 0) !== 0;
  if (onesided && ctx.int('inverse', 0) !== 0) throw new Error('onesided and inverse cannot both be set');
  let axis: number | undefined;
  if (axisFromInput) axis = ctx.has(2) ? scalarInput(ctx, 2) : -2;
  else axis = ctx.int('axis', 1);
  if (axis === undefined) {
    // An axis known only at run time: the rank stays, the signal dims may change.
    return [tensor(x.dtype, [...x.shape.slice(0, r - 1).map(() => null), 2])];
  }
  const a = axis < 0 ? axis + r : axis;
  if (a < 0 || a > r - 2) throw new Error(`axis ${axis} is out of range for rank ${r} (the last dim is not an axis)`);
  let n: Dim = x.shape[a];
  if (ctx.has(1)) n = sizeInput(ctx, 1);
  const shape = [...x.shape];
  shape[a] = onesided ? onesidedBins(n) : n;
  shape[r - 1] = 2;
  return [tensor(x.dtype, shape)];
}

/** STFT: signal [batch, length, 1 or 2] -> [batch, frames, bins, 2]. */
function stftRule(ctx: InferContext): (ValueFacts | undefined)[] {
  const signal = ctx.tensor(0);
  const dtype = signal?.dtype;
  const shape = signal?.shape;
  if (shape && shape.length !== 3) throw new Error(`signal has rank ${shape.length}; expected [batch, length, 1 or 2]`);
  const step = sizeInput(ctx, 1);
  if (step === 0) throw new Error('frame_step is 0');
  const windowShape = ctx.has(2) ? ctx.shape(2) : undefined;
  if (windowShape && windowShape.length !== 1) throw new Error(`window has rank ${windowShape.length}, not 1`);
  let frameLength: Dim = null;
  if (ctx.has(3)) frameLength = sizeInput(ctx, 3);
  const windowLength = windowShape ? windowShape[0] : null;
  if (typeof frameLength === 'number' && typeof windowLength === 'number' && frameLength !== windowLength) {
    throw new Error(`frame_length ${frameLength} differs from the window's length ${windowLength}`);
  }
  if (frameLength === null && ctx.has(2)) frameLength = windowLength;
  const length = shape?.[1] ?? null;
  let frames: Dim = null;
  if (typeof length === 'number' && typeof frameLength === 'number' && typeof step === 'number') {
    if (frameLength > length) throw new Error(`frame length ${frameLength} exceeds the signal length ${length}`);
    frames = Math.floor((length - frameLength) / step) + 1;
  }
  const onesided = ctx.int('onesided', 1) !== 0;
  const bins = onesided ? onesidedBins(frameLength) : frameLength;
  return [tensor(dtype, [shape?.[0] ?? null, frames, bins, 2])];
}

function windowRule(ctx: InferContext): (ValueFacts | undefined)[] {
  return [tensor(ctx.int('output_datatype', DataType.FLOAT), [sizeInput(ctx, 0)])];
}

function tfIdfRule(ctx: InferContext): (ValueFacts | undefined)[] {
  const indexes = ctx.ints('ngram_indexes');
  if (!indexes || indexes.length === 0) throw new Error("attribute 'ngram_indexes' is missing");
  const width = indexes.reduce((m, x) => Math.max(m, x), Number.NEGATIVE_INFINITY) + 1;
  const shape = ctx.shape(0);
  if (!shape) return [tensor(DataType.FLOAT, undefined)];
  if (shape.length === 1) return [tensor(DataType.FLOAT, [width])];
  if (shape.length === 2) return [tensor(DataType.FLOAT, [shape[0], width])];
  throw new Error(`input has rank ${shape.length}; expected [C] or [N, C]`);
}

function stringNormalizerRule(ctx: InferContext): (ValueFacts | undefined)[] {
  const shape = ctx.shape(0);
  if (!shape) return [tensor(DataType.STRING, undefined)];
  if (shape.length !== 1 && !(shape.length === 2 && (shape[0] === 1 || typeof shape[0] !== 'number'))) {
    throw new Error(`input shape [${shape.join(',')}]; expected [C] or [1, C]`);
  }
  // Stop words removed leave a number of strings known only at run time (at least 1).
  const stopwords = ctx.attr('stopwords');
  if (stopwords?.type !== 'strings' || stopwords.value.length === 0) return [tensor(DataType.STRING, shape)];
  return [tensor(DataType.STRING, shape.length === 1 ? [null] : [1, null])];
}

/**
 * Optimizers: inputs R, T, then `groups` groups of n tensors (X, G, …); the outputs are the new values of the
 * groups named by `outGroups` (indices of input groups), in order.
 */
function optimizerRule(groups: number, outGroups: number[]) {
  return (ctx: InferContext): (ValueFacts | undefined)[] => {
    const rest = ctx.inputs.length - 2;
    if (rest < 0 || rest % groups !== 0) {
      throw new Error(`expected R, T and ${groups} groups of tensors, got ${ctx.inputs.length} inputs`);
    }
    const n = rest / groups;
    const outs: (ValueFacts | undefined)[] = [];
    for (const g of outGroups) {
      for (let j = 0; j < n; j++) {
        const f = ctx.tensor(2 + g * n + j);
        outs.push(f ? tensor(f.dtype, f.shape) : undefined);
      }
    }
    return outs;
  };
}

const FLOATS = [DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16];

defineRules([
  {
    ops: 'Bernoulli',
    since: 15,
    infer: (ctx) => {
      const x = ctx.tensor(0);
      return [tensor(ctx.int('dtype') ?? x?.dtype, x?.shape)];
    },
  },
  {
    ops: ['RandomUniform', 'RandomNormal'],
    infer: (ctx) => {
      const shape = ctx.ints('shape');
      if (!shape) throw new Error("attribute 'shape' is missing");
      return [tensor(ctx.int('dtype', DataType.FLOAT), shape)];
    },
  },
  {
    ops: ['RandomUniformLike', 'RandomNormalLike'],
    infer: (ctx) => {
      const x = ctx.tensor(0);
      return [tensor(ctx.int('dtype') ?? x?.dtype, x?.shape)];
    },
  },
  {
    ops: 'Multinomial',
    since: 7,
    infer: (ctx) => {
      const shape = ctx.shape(0);
      if (shape && shape.length !== 2) throw new Error(`input has rank ${shape.length}; expected [batch, classes]`);
      return [tensor(ctx.int('dtype', DataType.INT32), [shape?.[0] ?? null, ctx.int('sample_size', 1)])];
    },
  },
  { ops: 'DFT', since: 17, infer: (ctx) => dftRule(ctx, false) },
  { ops: 'DFT', since: 20, infer: (ctx) => dftRule(ctx, true) },
  { ops: 'STFT', since: 17, infer: stftRule },
  { ops: ['HannWindow', 'HammingWindow', 'BlackmanWindow'], since: 17, infer: windowRule },
  {
    ops: 'MelWeightMatrix',
    since: 17,
    infer: (ctx) => {
      const dftLength = sizeInput(ctx, 1);
      const bins = typeof dftLength === 'number' ? Math.floor(dftLength / 2) + 1 : null;
      return [tensor(ctx.int('output_datatype', DataType.FLOAT), [bins, sizeInput(ctx, 0)])];
    },
  },
  { ops: 'TfIdfVectorizer', since: 9, infer: tfIdfRule },
  { ops: 'StringNormalizer', since: 10, infer: stringNormalizerRule },
  {
    ops: 'StringConcat',
    since: 20,
    infer: (ctx) => [tensor(DataType.STRING, broadcastShapes(ctx.shape(0), ctx.shape(1)))],
  },
  {
    ops: 'StringSplit',
    since: 20,
    infer: (ctx) => {
      const shape = ctx.shape(0);
      // The number of substrings is known only at run time.
      return [tensor(DataType.STRING, shape ? [...shape, null] : undefined), tensor(DataType.INT64, shape)];
    },
  },
  { ops: 'RegexFullMatch', since: 20, infer: (ctx) => [tensor(DataType.BOOL, ctx.shape(0))] },
  {
    ops: 'ImageDecoder',
    since: 20,
    infer: (ctx) => {
      const format = ctx.string('pixel_format', 'RGB');
      if (!['RGB', 'BGR', 'Grayscale'].includes(format)) throw new Error(`unknown pixel_format '${format}'`);
      // [height, width, channels]: the image size is in the encoded data.
      return [tensor(DataType.UINT8, [null, null, format === 'Grayscale' ? 1 : 3])];
    },
  },
  { domain: TRAINING, ops: 'Momentum', infer: optimizerRule(3, [0, 2]) },
  { domain: TRAINING, ops: 'Adagrad', infer: optimizerRule(3, [0, 2]) },
  { domain: TRAINING, ops: 'Adam', infer: optimizerRule(4, [0, 2, 3]) },
  {
    domain: TRAINING,
    ops: 'Gradient',
    infer: (ctx) => {
      // The i-th output is d y / d xs[i]: shaped like the i-th input (the value fed for xs[i]).
      const xs = ctx.attr('xs');
      const n = xs?.type === 'strings' ? xs.value.length : 0;
      return ctx.node.outputs.map((_, i) => {
        const f = i < n ? ctx.tensor(i) : undefined;
        if (!f) return undefined;
        return tensor(f.dtype !== undefined && FLOATS.includes(f.dtype) ? f.dtype : undefined, f.shape);
      });
    },
  },
]);
