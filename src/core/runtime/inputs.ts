/**
 * Inputs for running a model in onnxruntime-node when the user gives none: deterministic, typed as the model
 * declares, with symbolic dimensions resolved. Shared by measured profiling and exact shape mode.
 */
import * as ort from 'onnxruntime-node';
import { DataType, dataTypeName } from '../onnx/dtype.js';
import type { Dim } from '../onnx/ir.js';

export class InputError extends Error {
  override name = 'InputError';
}

export const ortTypes: Partial<Record<number, string>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.INT16]: 'int16',
  [DataType.UINT16]: 'uint16',
  [DataType.INT32]: 'int32',
  [DataType.UINT32]: 'uint32',
  [DataType.INT64]: 'int64',
  [DataType.UINT64]: 'uint64',
  [DataType.BOOL]: 'bool',
  [DataType.FLOAT16]: 'float16',
  [DataType.STRING]: 'string',
};

/**
 * Deterministic generated input: floats uniform in [-1, 1), integers in [0, 10) (small enough to index embeddings
 * and classes), booleans alternating. Symbolic dimensions take `dims[name]` or 1.
 */
export function generateInput(
  name: string,
  elemType: number,
  shape: Dim[] | undefined,
  dims: Record<string, number> = {},
): ort.Tensor {
  const type = ortTypes[elemType];
  if (!type) throw new InputError(`input '${name}': element type ${dataTypeName(elemType)} cannot be generated`);
  if (!shape) throw new InputError(`input '${name}': its rank is unknown; give it explicitly`);
  const concrete = shape.map((d) => (typeof d === 'number' ? d : ((d !== null ? dims[d] : undefined) ?? 1)));
  const n = concrete.reduce((a, b) => a * b, 1);
  let s = 0x9e3779b9;
  const next = () => {
    s = (Math.imul(s ^ (s >>> 15), 0x85ebca6b) + 0x6b43) >>> 0;
    return s / 2 ** 32;
  };
  switch (type) {
    case 'float32':
    case 'float64': {
      const data = type === 'float32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = next() * 2 - 1;
      return new ort.Tensor(type, data, concrete);
    }
    case 'float16': {
      // Half-precision bit patterns of values in [-1, 1): sign, exponent 0..14, random mantissa.
      const data = new Uint16Array(n);
      for (let i = 0; i < n; i++)
        data[i] = ((next() < 0.5 ? 1 : 0) << 15) | (Math.floor(next() * 15) << 10) | Math.floor(next() * 1024);
      return new ort.Tensor('float16', data, concrete);
    }
    case 'bool':
      return new ort.Tensor(
        'bool',
        Uint8Array.from({ length: n }, (_, i) => i % 2),
        concrete,
      );
    case 'int64':
      return new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: n }, () => BigInt(Math.floor(next() * 10))),
        concrete,
      );
    case 'uint64':
      return new ort.Tensor(
        'uint64',
        BigUint64Array.from({ length: n }, () => BigInt(Math.floor(next() * 10))),
        concrete,
      );
    case 'string':
      return new ort.Tensor(
        'string',
        Array.from({ length: n }, () => ''),
        concrete,
      );
    default: {
      const ctor = {
        int8: Int8Array,
        uint8: Uint8Array,
        int16: Int16Array,
        uint16: Uint16Array,
        int32: Int32Array,
        uint32: Uint32Array,
      }[type as 'int8'];
      return new ort.Tensor(
        type as 'int8',
        ctor.from({ length: n }, () => Math.floor(next() * 10)),
        concrete,
      );
    }
  }
}

/** ONNX element type of an onnxruntime-node tensor type name. */
export function dataTypeOfOrt(type: string): number | undefined {
  for (const [id, name] of Object.entries(ortTypes)) if (name === type) return Number(id);
  return undefined;
}
