/**
 * Typed access to tensor contents, decoded on demand. Nothing here runs while a model is read: the reader keeps
 * raw_data as a view and external data as a reference; these functions are called when a value is needed.
 */

import { DataType, dataTypeInfo, dataTypeName, storageBytes } from './dtype.js';
import type { ExternalDataSource } from './externalData.js';
import { readExternalBytes } from './externalData.js';
import type { Tensor } from './ir.js';

/** Product of dims; NaN when a dim is negative or the product is not a safe integer. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) return Number.NaN;
    n *= d;
    if (!Number.isSafeInteger(n)) return Number.NaN;
  }
  return n;
}

/** Bytes the tensor's elements occupy at their real element type (int4: half a byte each). */
export function tensorByteSize(t: Tensor): number {
  const n = elementCount(t.dims);
  if (Number.isNaN(n)) return Number.NaN;
  if (t.dataType === DataType.STRING) {
    return t.data.kind === 'string' ? t.data.values.reduce((s, v) => s + v.length, 0) : 0;
  }
  return storageBytes(t.dataType, n);
}

/** Bytes the tensor takes in the file (or in its external data file). */
export function tensorStoredBytes(t: Tensor): number {
  const d = t.data;
  switch (d.kind) {
    case 'raw':
      return d.bytes.length;
    case 'external':
      return d.length ?? tensorByteSize(t);
    case 'string':
      return d.values.reduce((s, v) => s + v.length, 0);
    case 'empty':
      return 0;
    default:
      return d.values.byteLength;
  }
}

export type TensorValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

/**
 * Decodes the tensor's elements. Floating types narrower than 32 bits (float16, bfloat16, float8, float4) decode
 * to Float32Array; int4/uint4/int2/uint2 to Int8Array/Uint8Array; bool to Uint8Array; complex types to
 * interleaved real/imaginary pairs. External data is read through `source`.
 */
export async function readTensorValues(t: Tensor, source?: ExternalDataSource): Promise<TensorValues> {
  const n = elementCount(t.dims);
  if (Number.isNaN(n)) throw new Error(`tensor '${t.name}': invalid dims [${t.dims.join(', ')}]`);
  const info = dataTypeInfo(t.dataType);
  if (!info) throw new Error(`tensor '${t.name}': unknown element type ${dataTypeName(t.dataType)}`);
  const d = t.data;
  if (d.kind === 'string') {
    const dec = new TextDecoder();
    return d.values.map((v) => dec.decode(v));
  }
  if (t.dataType === DataType.STRING) {
    if (n === 0) return [];
    throw new Error(`tensor '${t.name}': string tensor without string_data`);
  }
  let bytes: Uint8Array;
  if (d.kind === 'raw') bytes = d.bytes;
  else if (d.kind === 'external') {
    if (!source)
      throw new Error(`tensor '${t.name}': its data is in external file '${d.location}', and no source was given`);
    bytes = await readExternalBytes(t, source);
  } else if (d.kind === 'empty') {
    if (n !== 0) throw new Error(`tensor '${t.name}': no data for ${n} elements`);
    bytes = new Uint8Array(0);
  } else {
    return fromTypedField(t, n);
  }
  const need = storageBytes(t.dataType, n);
  if (bytes.length !== need) {
    throw new Error(
      `tensor '${t.name}': ${bytes.length} bytes of data for ${n} ${info.name} elements (expected ${need})`,
    );
  }
  return fromLittleEndian(t.dataType, bytes, n);
}

function fromTypedField(t: Tensor, n: number): TensorValues {
  const d = t.data;
  const per = t.dataType === DataType.COMPLEX64 || t.dataType === DataType.COMPLEX128 ? 2 : 1;
  const expectLen = (len: number) => {
    if (len !== n * per) throw new Error(`tensor '${t.name}': ${len} values stored for ${n} elements`);
  };
  switch (d.kind) {
    case 'float':
      expectLen(d.values.length);
      return d.values;
    case 'double':
      expectLen(d.values.length);
      return d.values;
    case 'int64':
      expectLen(d.values.length);
      return d.values;
    case 'uint64': {
      expectLen(d.values.length);
      if (t.dataType === DataType.UINT32) return Uint32Array.from(d.values, (v) => Number(v));
      return d.values;
    }
    case 'int32': {
      const v = d.values;
      switch (t.dataType) {
        case DataType.INT32:
          expectLen(v.length);
          return v;
        case DataType.INT8:
          expectLen(v.length);
          return Int8Array.from(v);
        case DataType.UINT8:
        case DataType.BOOL:
          expectLen(v.length);
          return Uint8Array.from(v);
        case DataType.INT16:
          expectLen(v.length);
          return Int16Array.from(v);
        case DataType.UINT16:
          expectLen(v.length);
          return Uint16Array.from(v);
        case DataType.INT4:
        case DataType.UINT4:
        case DataType.FLOAT4E2M1:
        case DataType.INT2:
        case DataType.UINT2: {
          // Packed like raw_data: several elements per int32 entry, low bits first.
          const need = storageBytes(t.dataType, n);
          if (v.length !== need) throw new Error(`tensor '${t.name}': ${v.length} values stored for ${n} elements`);
          const bytes = Uint8Array.from(v);
          return fromLittleEndian(t.dataType, bytes, n);
        }
        default: {
          // float16, bfloat16, float8*: int32 entries hold the bit patterns.
          expectLen(v.length);
          const info = dataTypeInfo(t.dataType);
          const bytes = new Uint8Array(v.length * ((info?.bits ?? 8) / 8));
          const view = new DataView(bytes.buffer);
          for (let i = 0; i < v.length; i++) {
            if (info?.bits === 16) view.setUint16(i * 2, v[i], true);
            else bytes[i] = v[i];
          }
          return fromLittleEndian(t.dataType, bytes, n);
        }
      }
    }
    default:
      throw new Error(`tensor '${t.name}': no values`);
  }
}

/** Decodes `n` little-endian elements of `dataType` from `bytes` (copied into an aligned typed array). */
export function fromLittleEndian(dataType: number, bytes: Uint8Array, n: number): TensorValues {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dataType) {
    case DataType.FLOAT: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case DataType.DOUBLE: {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case DataType.COMPLEX64: {
      const out = new Float32Array(n * 2);
      for (let i = 0; i < n * 2; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case DataType.COMPLEX128: {
      const out = new Float64Array(n * 2);
      for (let i = 0; i < n * 2; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.BOOL: {
      // Copy through a fresh Uint8Array: `bytes` may be a Node Buffer, whose slice() is a view on a shared pool.
      const out = new Uint8Array(n);
      out.set(bytes.subarray(0, n));
      return dataType === DataType.INT8 ? new Int8Array(out.buffer) : out;
    }
    case DataType.INT16: {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case DataType.UINT16: {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
      return out;
    }
    case DataType.INT32: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case DataType.UINT32: {
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, true);
      return out;
    }
    case DataType.INT64: {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getBigInt64(i * 8, true);
      return out;
    }
    case DataType.UINT64: {
      const out = new BigUint64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getBigUint64(i * 8, true);
      return out;
    }
    case DataType.FLOAT16: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16ToFloat32(view.getUint16(i * 2, true));
      return out;
    }
    case DataType.BFLOAT16: {
      const out = new Float32Array(n);
      const f = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        f.setUint32(0, view.getUint16(i * 2, true) << 16);
        out[i] = f.getFloat32(0);
      }
      return out;
    }
    case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ:
    case DataType.FLOAT8E5M2:
    case DataType.FLOAT8E5M2FNUZ:
    case DataType.FLOAT8E8M0: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float8ToFloat32(dataType, bytes[i]);
      return out;
    }
    case DataType.INT4:
    case DataType.UINT4:
    case DataType.FLOAT4E2M1:
    case DataType.INT2:
    case DataType.UINT2: {
      const bits = dataType === DataType.INT2 || dataType === DataType.UINT2 ? 2 : 4;
      const perByte = 8 / bits;
      const mask = (1 << bits) - 1;
      const raw = new Uint8Array(n);
      for (let i = 0; i < n; i++) raw[i] = (bytes[Math.floor(i / perByte)] >> ((i % perByte) * bits)) & mask;
      if (dataType === DataType.FLOAT4E2M1) return Float32Array.from(raw, float4e2m1ToFloat32);
      if (dataType === DataType.INT4 || dataType === DataType.INT2) {
        const sign = 1 << (bits - 1);
        return Int8Array.from(raw, (v) => (v & sign ? v - (1 << bits) : v));
      }
      return raw;
    }
    default:
      throw new Error(`cannot decode element type ${dataTypeName(dataType)}`);
  }
}

export function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Float8 variants as defined in ONNX's docs/Operators.md (Cast) and IR.md "8 bit floating point numbers". */
function float8ToFloat32(type: number, b: number): number {
  if (type === DataType.FLOAT8E8M0) return b === 0xff ? Number.NaN : 2 ** (b - 127);
  const e4m3 = type === DataType.FLOAT8E4M3FN || type === DataType.FLOAT8E4M3FNUZ;
  const fnuz = type === DataType.FLOAT8E4M3FNUZ || type === DataType.FLOAT8E5M2FNUZ;
  const expBits = e4m3 ? 4 : 5;
  const manBits = e4m3 ? 3 : 2;
  const bias = (e4m3 ? 7 : 15) + (fnuz ? 1 : 0);
  if (fnuz && b === 0x80) return Number.NaN;
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> manBits) & ((1 << expBits) - 1);
  const man = b & ((1 << manBits) - 1);
  if (!fnuz) {
    if (e4m3 && exp === 15 && man === 7) return Number.NaN;
    if (!e4m3 && exp === 31) return man ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  }
  if (exp === 0) return sign * 2 ** (1 - bias) * (man / (1 << manBits));
  return sign * 2 ** (exp - bias) * (1 + man / (1 << manBits));
}

const fp4Values = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
function float4e2m1ToFloat32(v: number): number {
  return (v & 8 ? -1 : 1) * fp4Values[v & 7];
}
