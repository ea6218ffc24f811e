/**
 * Traditional ML operators (domain 'ai.onnx.ml', ONNX-ML operator docs). Where the docs leave a shape open, the
 * rules follow what ONNX Runtime produces (checked by running it): an input of rank 1 is one example (N = 1), and
 * an SVMClassifier with support vectors and no probability coefficients scores class pairs (C·(C-1)/2 columns).
 * Outputs whose layout the docs and runtimes disagree on (DictVectorizer, CastMap) keep only their element type.
 */

import { DataType } from '../../onnx/dtype.js';
import { type Dim, dimMul, type TensorFacts, tensor, type ValueFacts } from '../facts.js';
import { defineRules, type InferContext } from '../registry.js';

const ML = 'ai.onnx.ml';

/** The number of examples: [N, F] -> N, [F] -> 1. */
function examples(x: TensorFacts | undefined): Dim {
  const shape = x?.shape;
  if (!shape || shape.length === 0) return null;
  return shape.length === 1 ? 1 : shape[0];
}

function listLength(ctx: InferContext, ...names: string[]): number | undefined {
  for (const name of names) {
    const a = ctx.attr(name);
    if (a && (a.type === 'ints' || a.type === 'floats' || a.type === 'strings') && a.value.length > 0) {
      return a.value.length;
    }
  }
  return undefined;
}

/** Class labels: their count and the label type (string or int64). */
function classLabels(ctx: InferContext, intsName: string): { count?: number; dtype: number } {
  const strings = listLength(ctx, 'classlabels_strings');
  if (strings !== undefined) return { count: strings, dtype: DataType.STRING };
  return { count: listLength(ctx, intsName), dtype: DataType.INT64 };
}

function classifier(ctx: InferContext, intsName: string, scores?: (count: number) => number): ValueFacts[] {
  const x = ctx.tensor(0);
  const n = examples(x);
  const labels = classLabels(ctx, intsName);
  const e = labels.count === undefined ? null : scores ? scores(labels.count) : labels.count;
  return [tensor(labels.dtype, [n]), tensor(DataType.FLOAT, [n, e])];
}

function sameShape(dtype: (ctx: InferContext) => number | undefined) {
  return (ctx: InferContext): ValueFacts[] => [tensor(dtype(ctx), ctx.shape(0))];
}

/** LabelEncoder-2/4: the output type is the type of the values_* attribute that is set. */
function labelEncoderType(ctx: InferContext): number | undefined {
  if (listLength(ctx, 'values_strings') !== undefined) return DataType.STRING;
  if (listLength(ctx, 'values_int64s') !== undefined) return DataType.INT64;
  if (listLength(ctx, 'values_floats') !== undefined) return DataType.FLOAT;
  const t = ctx.attr('values_tensor');
  if (t?.type === 'tensor') return t.value.dataType;
  return undefined;
}

/** LabelEncoder-1 and CategoryMapper: strings become int64 and int64 become strings. */
function flipStringInt(ctx: InferContext): number | undefined {
  const d = ctx.dtype(0);
  if (d === DataType.STRING) return DataType.INT64;
  if (d === DataType.INT64) return DataType.STRING;
  return undefined;
}

defineRules([
  {
    domain: ML,
    ops: 'LinearClassifier',
    infer: (ctx) => classifier(ctx, 'classlabels_ints'),
  },
  {
    domain: ML,
    ops: 'LinearRegressor',
    infer: (ctx) => [tensor(DataType.FLOAT, [examples(ctx.tensor(0)), ctx.int('targets', 1)])],
  },
  {
    domain: ML,
    ops: 'SVMClassifier',
    infer: (ctx) => {
      const vectors = ctx.ints('vectors_per_class') ?? [];
      const hasVectors = vectors.some((v) => v > 0);
      const probabilities = listLength(ctx, 'prob_a') !== undefined;
      // One-vs-one decision values when there are support vectors and no probability estimates.
      const pairwise = hasVectors && !probabilities;
      return classifier(ctx, 'classlabels_ints', (c) => (pairwise && c > 2 ? (c * (c - 1)) / 2 : c));
    },
  },
  {
    domain: ML,
    ops: 'SVMRegressor',
    infer: (ctx) => [tensor(DataType.FLOAT, [examples(ctx.tensor(0)), 1])],
  },
  {
    domain: ML,
    ops: 'TreeEnsembleClassifier',
    infer: (ctx) => classifier(ctx, 'classlabels_int64s'),
  },
  {
    domain: ML,
    ops: 'TreeEnsembleRegressor',
    infer: (ctx) => [tensor(DataType.FLOAT, [examples(ctx.tensor(0)), ctx.int('n_targets') ?? null])],
  },
  {
    domain: ML,
    ops: 'TreeEnsemble',
    since: 5,
    infer: (ctx) => {
      const x = ctx.tensor(0);
      return [tensor(x?.dtype, [examples(x), ctx.int('n_targets') ?? null])];
    },
  },
  {
    domain: ML,
    ops: 'ZipMap',
    infer: (ctx) => {
      const shape = ctx.shape(0);
      const keys = listLength(ctx, 'classlabels_strings', 'classlabels_int64s');
      if (keys === undefined) throw new Error('ZipMap needs classlabels_strings or classlabels_int64s');
      const columns = shape?.[shape.length - 1];
      if (typeof columns === 'number' && columns !== keys) {
        throw new Error(`input has ${columns} columns for ${keys} keys`);
      }
      const n = shape?.length === 2 && typeof shape[0] === 'number' ? shape[0] : undefined;
      const map: ValueFacts = { kind: 'map', origin: 'inferred', elem: tensor(DataType.FLOAT, []) };
      return [{ kind: 'sequence', origin: 'inferred', elem: map, ...(n !== undefined ? { length: n } : {}) }];
    },
  },
  { domain: ML, ops: ['Normalizer', 'Scaler'], infer: sameShape(() => DataType.FLOAT) },
  { domain: ML, ops: ['Binarizer', 'Imputer'], infer: sameShape((ctx) => ctx.dtype(0)) },
  { domain: ML, ops: 'LabelEncoder', infer: sameShape(flipStringInt) },
  { domain: ML, ops: 'LabelEncoder', since: 2, infer: sameShape(labelEncoderType) },
  { domain: ML, ops: 'CategoryMapper', infer: sameShape(flipStringInt) },
  {
    domain: ML,
    ops: 'OneHotEncoder',
    infer: (ctx) => {
      const cats = listLength(ctx, 'cats_strings', 'cats_int64s');
      if (cats === undefined) throw new Error('OneHotEncoder needs cats_strings or cats_int64s');
      const shape = ctx.shape(0);
      return [tensor(DataType.FLOAT, shape ? [...shape, cats] : undefined)];
    },
  },
  {
    domain: ML,
    ops: 'ArrayFeatureExtractor',
    infer: (ctx) => {
      const x = ctx.tensor(0);
      const indices = ctx.shape(1);
      const count = indices ? indices.reduce<Dim>((a, d) => dimMul(a, d), 1) : null;
      if (!x?.shape) return [tensor(x?.dtype, undefined)];
      if (x.shape.length === 0) throw new Error('input is a scalar');
      // Indices select along the last axis; a 1-D input is one row.
      const lead = x.shape.length === 1 ? [1] : x.shape.slice(0, -1);
      return [tensor(x.dtype, [...lead, count])];
    },
  },
  {
    domain: ML,
    ops: 'FeatureVectorizer',
    infer: (ctx) => {
      const dims = ctx.ints('inputdimensions');
      let width: Dim = 0;
      if (dims && dims.length === ctx.inputs.length) width = dims.reduce((a, b) => a + b, 0);
      else {
        for (let i = 0; i < ctx.inputs.length; i++) {
          const s = ctx.shape(i);
          const last = s && s.length > 0 ? s[s.length - 1] : null;
          width = typeof width === 'number' && typeof last === 'number' ? width + last : null;
        }
      }
      return [tensor(DataType.FLOAT, [examples(ctx.tensor(0)), width])];
    },
  },
  {
    domain: ML,
    ops: 'DictVectorizer',
    infer: (ctx) => {
      const map = ctx.inputs[0];
      const value = map?.kind === 'map' && map.elem?.kind === 'tensor' ? map.elem.dtype : undefined;
      return [tensor(value, undefined)];
    },
  },
  {
    domain: ML,
    ops: 'CastMap',
    infer: (ctx) => {
      const to = ctx.string('cast_to', 'TO_FLOAT');
      const dtype = (
        { TO_FLOAT: DataType.FLOAT, TO_STRING: DataType.STRING, TO_INT64: DataType.INT64 } as Record<string, number>
      )[to];
      if (dtype === undefined) throw new Error(`unknown cast_to '${to}'`);
      return [tensor(dtype, undefined)];
    },
  },
]);
