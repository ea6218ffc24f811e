/**
 * ONNX element types (TensorProto.DataType) as data: name, storage width in bits, and the TensorProto field
 * that carries the values when they are not in raw_data.
 * Source: onnx/onnx-ml.proto of ONNX v1.22.0 (DataType enum and the comments on the *_data fields).
 */

export enum DataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
  FLOAT4E2M1 = 23,
  FLOAT8E8M0 = 24,
  UINT2 = 25,
  INT2 = 26,
}

/** Which repeated TensorProto field holds values of a type when raw_data is not used. */
export type ValueField = 'float' | 'int32' | 'int64' | 'double' | 'uint64' | 'string';

export interface DataTypeInfo {
  readonly id: number;
  /** Lower-case short name as printed by the CLI and UI (`float32`, `int8`, `float8e4m3fn`…). */
  readonly name: string;
  /** Bits one element occupies in raw_data (sub-byte types are packed; strings have no fixed width: 0). */
  readonly bits: number;
  readonly field: ValueField;
  readonly isFloat: boolean;
}

const table: DataTypeInfo[] = [
  { id: 1, name: 'float32', bits: 32, field: 'float', isFloat: true },
  { id: 2, name: 'uint8', bits: 8, field: 'int32', isFloat: false },
  { id: 3, name: 'int8', bits: 8, field: 'int32', isFloat: false },
  { id: 4, name: 'uint16', bits: 16, field: 'int32', isFloat: false },
  { id: 5, name: 'int16', bits: 16, field: 'int32', isFloat: false },
  { id: 6, name: 'int32', bits: 32, field: 'int32', isFloat: false },
  { id: 7, name: 'int64', bits: 64, field: 'int64', isFloat: false },
  { id: 8, name: 'string', bits: 0, field: 'string', isFloat: false },
  { id: 9, name: 'bool', bits: 8, field: 'int32', isFloat: false },
  { id: 10, name: 'float16', bits: 16, field: 'int32', isFloat: true },
  { id: 11, name: 'float64', bits: 64, field: 'double', isFloat: true },
  { id: 12, name: 'uint32', bits: 32, field: 'uint64', isFloat: false },
  { id: 13, name: 'uint64', bits: 64, field: 'uint64', isFloat: false },
  { id: 14, name: 'complex64', bits: 64, field: 'float', isFloat: true },
  { id: 15, name: 'complex128', bits: 128, field: 'double', isFloat: true },
  { id: 16, name: 'bfloat16', bits: 16, field: 'int32', isFloat: true },
  { id: 17, name: 'float8e4m3fn', bits: 8, field: 'int32', isFloat: true },
  { id: 18, name: 'float8e4m3fnuz', bits: 8, field: 'int32', isFloat: true },
  { id: 19, name: 'float8e5m2', bits: 8, field: 'int32', isFloat: true },
  { id: 20, name: 'float8e5m2fnuz', bits: 8, field: 'int32', isFloat: true },
  { id: 21, name: 'uint4', bits: 4, field: 'int32', isFloat: false },
  { id: 22, name: 'int4', bits: 4, field: 'int32', isFloat: false },
  { id: 23, name: 'float4e2m1', bits: 4, field: 'int32', isFloat: true },
  { id: 24, name: 'float8e8m0', bits: 8, field: 'int32', isFloat: true },
  { id: 25, name: 'uint2', bits: 2, field: 'int32', isFloat: false },
  { id: 26, name: 'int2', bits: 2, field: 'int32', isFloat: false },
];

/** By id, an array rather than a Map: these lookups run several times per node of a model. */
const byIdList: (DataTypeInfo | undefined)[] = [];
for (const t of table) byIdList[t.id] = t;
const byId = { get: (id: number) => (id >= 0 && id < byIdList.length ? byIdList[id] : undefined) };
const byName = new Map(table.map((t) => [t.name, t]));

/** Info for a DataType id, or undefined for UNDEFINED and ids this schema does not know. */
export function dataTypeInfo(id: number): DataTypeInfo | undefined {
  return byId.get(id);
}

export function dataTypeByName(name: string): DataTypeInfo | undefined {
  return byName.get(name);
}

/** Printable name; unknown ids print as `dtype(N)` rather than failing. */
export function dataTypeName(id: number): string {
  if (id === 0) return 'undefined';
  return byId.get(id)?.name ?? `dtype(${id})`;
}

/** Bytes that `count` elements occupy in raw_data (sub-byte types rounded up to whole bytes). */
export function storageBytes(id: number, count: number): number {
  const bits = byId.get(id)?.bits ?? 0;
  return Math.ceil((bits * count) / 8);
}
