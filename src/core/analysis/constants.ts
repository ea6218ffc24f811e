/** Constant tensors as foldable values. */

import { DataType, storageBytes } from '../onnx/dtype.js';
import type { Tensor } from '../onnx/ir.js';
import { elementCount, fromLittleEndian } from '../onnx/tensor.js';
import { type ConstValue, MAX_FOLD_ELEMENTS } from './facts.js';

/** Element types whose raw little-endian data always decodes to one number per element. */
const deferrable: ReadonlySet<number> = new Set([
  DataType.FLOAT,
  DataType.DOUBLE,
  DataType.FLOAT16,
  DataType.BFLOAT16,
  DataType.INT8,
  DataType.UINT8,
  DataType.INT16,
  DataType.UINT16,
  DataType.INT32,
  DataType.UINT32,
  DataType.INT64,
  DataType.UINT64,
  DataType.BOOL,
]);

/**
 * constValueOf(t), or 'deferred' for raw data of a plain numeric type when it has a value (there, whether it has one
 * depends on sizes only): the caller may then leave calling constValueOf until the value is read.
 */
export function deferredConstValue(t: Tensor): ConstValue | 'deferred' | undefined {
  if (t.data.kind !== 'raw' || !deferrable.has(t.dataType)) return constValueOf(t);
  const n = elementCount(t.dims);
  if (Number.isNaN(n) || n > MAX_FOLD_ELEMENTS || t.data.bytes.length !== storageBytes(t.dataType, n)) return undefined;
  return 'deferred';
}

/** Decodes a small numeric tensor for folding; undefined for external, large, string or complex tensors. */
export function constValueOf(t: Tensor): ConstValue | undefined {
  const n = elementCount(t.dims);
  if (Number.isNaN(n) || n > MAX_FOLD_ELEMENTS) return undefined;
  if (t.dataType === DataType.STRING || t.dataType === DataType.COMPLEX64 || t.dataType === DataType.COMPLEX128) {
    return undefined;
  }
  const d = t.data;
  let values: ArrayLike<number | bigint>;
  switch (d.kind) {
    case 'raw':
      if (d.bytes.length !== storageBytes(t.dataType, n)) return undefined;
      values = fromLittleEndian(t.dataType, d.bytes, n) as ArrayLike<number | bigint>;
      break;
    case 'int64':
    case 'uint64':
    case 'float':
    case 'double':
      values = d.values;
      break;
    case 'int32':
      if (t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16 || d.values.length !== n)
        return undefined;
      values = d.values;
      break;
    case 'empty':
      if (n !== 0) return undefined;
      values = [];
      break;
    default:
      return undefined;
  }
  if (values.length !== n) return undefined;
  return { dims: [...t.dims], data: Array.from(values, (v) => Number(v)) };
}
