/**
 * Indexing operators: Gather (folded on small constants and on symbolic shape vectors, so that
 * Shape -> Gather(0) -> Unsqueeze -> Concat -> Reshape gives concrete shapes), GatherElements, GatherND, the Scatter
 * family (output like the data), Det and NonMaxSuppression.
 */

import { DataType } from '../../onnx/dtype.js';
import { type Dim, dimsTensor, normalizeAxis, tensor, valueDims } from '../facts.js';
import { defineRules } from '../registry.js';
import { remap, stridesOf } from './shape.js';

defineRules([
  {
    ops: 'Gather',
    infer: (ctx) => {
      const data = ctx.tensor(0);
      const dshape = ctx.shape(0);
      const ishape = ctx.shape(1);
      const dtype = ctx.dtype(0);
      if (!dshape) return [tensor(dtype, undefined)];
      const axis = normalizeAxis(ctx.int('axis', 0), dshape.length);
      if (!ishape) return [tensor(dtype, undefined)];
      const out = [...dshape.slice(0, axis), ...ishape, ...dshape.slice(axis + 1)];
      const f = tensor(dtype, out);
      const iv = ctx.value(1);
      const n = dshape[axis];
      if (!iv) return [f];
      const indices = iv.data.map((k) => {
        if (typeof n !== 'number') return k < 0 ? Number.NaN : k;
        if (k < -n || k >= n) throw new Error(`index ${k} is out of range for a dimension of ${n}`);
        return k < 0 ? k + n : k;
      });
      const v = data?.value;
      if (v && !indices.some(Number.isNaN)) {
        const st = stridesOf(v.dims);
        const r = iv.dims.length;
        const folded = remap(v, out as number[], (idx) => {
          let off = 0;
          for (let a = 0; a < axis; a++) off += idx[a] * st[a];
          let flat = 0;
          for (let a = 0; a < r; a++) flat = flat * iv.dims[a] + idx[axis + a];
          off += indices[flat] * st[axis];
          for (let a = axis + 1; a < v.dims.length; a++) off += idx[a + r - 1] * st[a];
          return off;
        });
        if (folded) f.value = folded;
      } else if (dshape.length === 1 && iv.dims.length <= 1) {
        const dims = valueDims(data);
        if (dims) {
          const picked: Dim[] = indices.map((k) => (Number.isNaN(k) ? null : (dims[k] ?? null)));
          return [dimsTensor(dtype, picked, iv.dims.length === 0)];
        }
      }
      return [f];
    },
  },
  {
    ops: 'GatherElements',
    since: 11,
    infer: (ctx) => {
      const r = ctx.shape(0)?.length;
      const ishape = ctx.shape(1);
      if (r !== undefined) normalizeAxis(ctx.int('axis', 0), r);
      if (r !== undefined && ishape && ishape.length !== r) {
        throw new Error(`indices have rank ${ishape.length}, the data rank ${r}`);
      }
      return [tensor(ctx.dtype(0), ishape)];
    },
  },
  {
    ops: 'GatherND',
    since: 11,
    infer: (ctx) => {
      const dshape = ctx.shape(0);
      const ishape = ctx.shape(1);
      const dtype = ctx.dtype(0);
      if (!dshape || !ishape) return [tensor(dtype, undefined)];
      const b = ctx.opset >= 12 ? ctx.int('batch_dims', 0) : 0;
      if (ishape.length < 1) throw new Error('indices must have rank >= 1');
      const m = ishape[ishape.length - 1];
      if (typeof m !== 'number') return [tensor(dtype, undefined)];
      if (b + m > dshape.length) throw new Error(`indices reach ${b + m} dims, the data has ${dshape.length}`);
      return [tensor(dtype, [...ishape.slice(0, -1), ...dshape.slice(b + m)])];
    },
  },
  {
    ops: ['Scatter', 'ScatterElements', 'ScatterND'],
    infer: (ctx) => [tensor(ctx.dtype(0) ?? ctx.dtype(2), ctx.shape(0))],
  },
  {
    ops: 'Det',
    since: 11,
    infer: (ctx) => {
      const shape = ctx.shape(0);
      if (!shape) return [tensor(ctx.dtype(0), undefined)];
      if (shape.length < 2) throw new Error(`Det needs rank >= 2, not ${shape.length}`);
      return [tensor(ctx.dtype(0), shape.slice(0, -2))];
    },
  },
  {
    ops: 'NonMaxSuppression',
    since: 10,
    infer: () => [tensor(DataType.INT64, [null, 3])],
  },
]);
