/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): the magic string `\x93NUMPY`, a version, a header length
 * (2 bytes little-endian in 1.0, 4 bytes in 2.0/3.0), a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }` padded with spaces to a multiple of 64
 * bytes (16 in old files), then the array data. Little-endian (or byte-order-free) numeric and bool dtypes in C
 * order are read; big-endian data, Fortran order, object arrays and structured dtypes are refused with a reason.
 * Pure code: no I/O.
 */

export class NpyError extends Error {
  override name = 'NpyError';
}

/** Element types by the kind and size of a NumPy `descr` (`f4`, `i8`, `b1`…), named as onnxruntime-node names them. */
const DTYPES: Record<string, { type: NpyType; bytes: number }> = {
  f2: { type: 'float16', bytes: 2 },
  f4: { type: 'float32', bytes: 4 },
  f8: { type: 'float64', bytes: 8 },
  i1: { type: 'int8', bytes: 1 },
  u1: { type: 'uint8', bytes: 1 },
  i2: { type: 'int16', bytes: 2 },
  u2: { type: 'uint16', bytes: 2 },
  i4: { type: 'int32', bytes: 4 },
  u4: { type: 'uint32', bytes: 4 },
  i8: { type: 'int64', bytes: 8 },
  u8: { type: 'uint64', bytes: 8 },
  b1: { type: 'bool', bytes: 1 },
};

export type NpyType =
  | 'float16'
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface NpyArray {
  /** onnxruntime-node type name; float16 data is the raw bit patterns in a Uint16Array. */
  type: NpyType;
  shape: number[];
  data: NpyData;
  /** Format version, e.g. `1.0`. */
  version: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The value of `key` in the header dict literal, as source text. */
function field(header: string, key: string): string | undefined {
  const m = new RegExp(`['"]${key}['"]\\s*:\\s*`).exec(header);
  if (!m) return undefined;
  const rest = header.slice(m.index + m[0].length);
  if (rest.startsWith('(')) return rest.slice(0, rest.indexOf(')') + 1);
  const q = rest[0];
  if (q === "'" || q === '"') return rest.slice(0, rest.indexOf(q, 1) + 1);
  return /^[A-Za-z0-9_]+/.exec(rest)?.[0];
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new NpyError('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const minor = bytes[7];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError('truncated .npy header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new NpyError(`unsupported .npy format version ${major}.${minor}`);
  }
  if (start + headerLen > bytes.length) throw new NpyError('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descrText = field(header, 'descr');
  const fortranText = field(header, 'fortran_order');
  const shapeText = field(header, 'shape');
  if (!descrText || !fortranText || !shapeText)
    throw new NpyError(`.npy header lacks descr, fortran_order or shape: ${header.trim()}`);
  if (!/^['"]/.test(descrText)) throw new NpyError(`structured dtype ${descrText} is not supported`);
  const descr = descrText.slice(1, -1);
  const order = descr[0];
  const kind = /^[<>|=]/.test(descr) ? descr.slice(1) : descr;
  if (order === '>' && !kind.endsWith('1')) throw new NpyError(`big-endian dtype '${descr}' is not supported`);
  const dt = DTYPES[kind];
  if (!dt) throw new NpyError(`dtype '${descr}' is not supported (numeric and bool dtypes only)`);
  if (fortranText === 'True') throw new NpyError('Fortran-order arrays are not supported (save with C order)');
  if (fortranText !== 'False') throw new NpyError(`bad fortran_order value '${fortranText}'`);
  const inner = shapeText.replace(/^\(|\)$/g, '').trim();
  const shape =
    inner === ''
      ? []
      : inner
          .split(',')
          .filter((s) => s.trim() !== '')
          .map((s) => Number(s.trim().replace(/L$/, '')));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new NpyError(`bad shape ${shapeText}`);
  const n = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const need = n * dt.bytes;
  if (bytes.length - dataStart < need)
    throw new NpyError(
      `.npy data holds ${bytes.length - dataStart} bytes, ${need} expected for shape (${shape.join(', ')})`,
    );
  // Copy into an aligned buffer, then read little-endian values.
  const raw = bytes.slice(dataStart, dataStart + need);
  const dv = new DataView(raw.buffer);
  let data: NpyData;
  switch (dt.type) {
    case 'float32':
      data = Float32Array.from({ length: n }, (_, i) => dv.getFloat32(i * 4, true));
      break;
    case 'float64':
      data = Float64Array.from({ length: n }, (_, i) => dv.getFloat64(i * 8, true));
      break;
    case 'float16':
    case 'uint16':
      data = Uint16Array.from({ length: n }, (_, i) => dv.getUint16(i * 2, true));
      break;
    case 'int16':
      data = Int16Array.from({ length: n }, (_, i) => dv.getInt16(i * 2, true));
      break;
    case 'int32':
      data = Int32Array.from({ length: n }, (_, i) => dv.getInt32(i * 4, true));
      break;
    case 'uint32':
      data = Uint32Array.from({ length: n }, (_, i) => dv.getUint32(i * 4, true));
      break;
    case 'int64':
      data = BigInt64Array.from({ length: n }, (_, i) => dv.getBigInt64(i * 8, true));
      break;
    case 'uint64':
      data = BigUint64Array.from({ length: n }, (_, i) => dv.getBigUint64(i * 8, true));
      break;
    case 'int8':
      data = new Int8Array(raw.buffer);
      break;
    default:
      data = raw; // uint8, bool
  }
  return { type: dt.type, shape, data, version: `${major}.${minor}` };
}

/** A .npy file (version 1.0) for a C-order little-endian array; for tests and for writing inputs. */
export function encodeNpy(type: NpyType, shape: readonly number[], data: NpyData): Uint8Array {
  const kind = Object.entries(DTYPES).find(([, v]) => v.type === type)?.[0] as string;
  const bytesPer = DTYPES[kind].bytes;
  const order = bytesPer === 1 ? '|' : '<';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${order}${kind}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += `${' '.repeat((64 - (total % 64)) % 64)}\n`;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(10 + header.length + n * bytesPer);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const at = 10 + header.length;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    const o = at + i * bytesPer;
    switch (type) {
      case 'float32':
        dv.setFloat32(o, v as number, true);
        break;
      case 'float64':
        dv.setFloat64(o, v as number, true);
        break;
      case 'int64':
        dv.setBigInt64(o, v as bigint, true);
        break;
      case 'uint64':
        dv.setBigUint64(o, v as bigint, true);
        break;
      case 'int32':
        dv.setInt32(o, v as number, true);
        break;
      case 'uint32':
        dv.setUint32(o, v as number, true);
        break;
      case 'int16':
        dv.setInt16(o, v as number, true);
        break;
      case 'uint16':
      case 'float16':
        dv.setUint16(o, v as number, true);
        break;
      case 'int8':
        dv.setInt8(o, v as number);
        break;
      default:
        dv.setUint8(o, v as number);
    }
  }
  return out;
}
