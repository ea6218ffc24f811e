/**
 * Element decoding. Expected values come from the format definitions, not from the code under test:
 * IEEE 754 binary16; bfloat16 (the upper half of binary32); ONNX docs/docsgen/source/technical/float8.md
 * (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ tables), int4.md (packing), float4.md (E2M1 values); the OCP Microscaling
 * spec v1.0 for E8M0; and onnx.proto's comments on int32_data / int64_data / uint64_data / string_data.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DataType,
  decodeTensor,
  fromLittleEndian,
  readTensorValues,
  type Tensor,
  type TensorData,
  type TensorValues,
} from '../../src/core/onnx/index.js';

const numbers = (v: TensorValues) => Array.from(v as ArrayLike<number>);

function tensor(dataType: number, dims: number[], data: TensorData, name = 't'): Tensor {
  return { name, dataType, dims, data };
}

function rawTensor(dataType: number, dims: number[], bytes: number[], name = 't'): Tensor {
  return tensor(dataType, dims, { kind: 'raw', bytes: new Uint8Array(bytes) }, name);
}

/** Little-endian bytes of 16-bit patterns. */
function le16(patterns: number[]): number[] {
  return patterns.flatMap((p) => [p & 0xff, p >> 8]);
}

/** Same numbers, with NaN equal to NaN and -0 distinct from 0. */
function assertSameNumbers(actual: ArrayLike<number>, expected: number[], what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Object.is(actual[i], expected[i]), `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

async function decodeRaw(dataType: number, bytes: number[]): Promise<number[]> {
  const values = await readTensorValues(rawTensor(dataType, [bytes.length], bytes));
  return Array.from(values as ArrayLike<number>);
}

// ---------------------------------------------------------------------------------------------------------------
// Hand-encoded TensorProto bytes (field numbers from onnx.proto: dims 1, data_type 2, int32_data 5,
// string_data 6, int64_data 7, name 8, raw_data 9, uint64_data 11).

function varint(n: bigint): number[] {
  let v = BigInt.asUintN(64, n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function tensorProto(name: string, dataType: number, dims: number[], fields: number[]): Uint8Array {
  const nameBytes = Array.from(new TextEncoder().encode(name));
  return new Uint8Array([
    ...dims.flatMap((d) => [0x08, ...varint(BigInt(d))]),
    0x10,
    dataType,
    0x42,
    nameBytes.length,
    ...nameBytes,
    ...fields,
  ]);
}

function packed(field: number, values: bigint[]): number[] {
  const body = values.flatMap(varint);
  return [(field << 3) | 2, ...varint(BigInt(body.length)), ...body];
}

// ---------------------------------------------------------------------------------------------------------------

describe('float16 and bfloat16', () => {
  test('float16 normals, subnormals, infinities, NaN and signed zero', async () => {
    const cases: [number, number][] = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504], // largest normal
      [0x0400, 2 ** -14], // smallest normal
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x8001, -(2 ** -24)],
      [0x7c00, Number.POSITIVE_INFINITY],
      [0xfc00, Number.NEGATIVE_INFINITY],
      [0x7e00, Number.NaN],
      [0x7c01, Number.NaN],
      [0xfe00, Number.NaN],
      [0x0000, 0],
      [0x8000, -0],
    ];
    const values = await readTensorValues(rawTensor(DataType.FLOAT16, [cases.length], le16(cases.map((c) => c[0]))));
    assert.ok(values instanceof Float32Array, 'float16 decodes to float32');
    assertSameNumbers(
      values,
      cases.map((c) => c[1]),
      'float16',
    );
  });

  test('bfloat16', async () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xc049, -3.140625],
      [0x7f7f, (2 - 2 ** -7) * 2 ** 127], // largest finite
      [0x0080, 2 ** -126], // smallest normal
      [0x0001, 2 ** -133], // smallest subnormal
      [0x7f80, Number.POSITIVE_INFINITY],
      [0xff80, Number.NEGATIVE_INFINITY],
      [0x7fc0, Number.NaN],
      [0x8000, -0],
    ];
    assertSameNumbers(
      await decodeRawPatterns(DataType.BFLOAT16, cases),
      cases.map((c) => c[1]),
      'bfloat16',
    );
  });
});

async function decodeRawPatterns(dataType: number, cases: [number, number][]): Promise<ArrayLike<number>> {
  const v = await readTensorValues(rawTensor(dataType, [cases.length], le16(cases.map((c) => c[0]))));
  return v as ArrayLike<number>;
}

describe('float8 (values from ONNX float8.md)', () => {
  const check = async (dataType: number, cases: [number, number][], label: string) => {
    assertSameNumbers(
      await decodeRaw(
        dataType,
        cases.map((c) => c[0]),
      ),
      cases.map((c) => c[1]),
      label,
    );
  };

  test('E4M3FN: bias 7, max S.1111.110 = 448, NaN S.1111.111, no infinities', () =>
    check(
      DataType.FLOAT8E4M3FN,
      [
        [0x00, 0],
        [0x80, -0],
        [0x38, 1], // 0.0111.000: 2^(7-7)
        [0x7e, 448], // 0.1111.110: 2^8 * 1.75
        [0xfe, -448],
        [0x7f, Number.NaN],
        [0xff, Number.NaN],
        [0x78, 256], // 0.1111.000 is a number, not infinity
        [0x01, 2 ** -9], // min subnormal
        [0x07, 0.875 * 2 ** -6], // max subnormal
        [0x08, 2 ** -6], // min normal
        [0x41, 2.25],
      ],
      'e4m3fn',
    ));

  test('E4M3FNUZ: bias 8, max S.1111.111 = 240, NaN only 1.0000.000, min 2^-10', () =>
    check(
      DataType.FLOAT8E4M3FNUZ,
      [
        [0x00, 0],
        [0x80, Number.NaN],
        [0x40, 1],
        [0x7f, 240],
        [0xff, -240],
        [0x01, 2 ** -10],
        [0x81, -(2 ** -10)],
      ],
      'e4m3fnuz',
    ));

  test('E5M2: bias 15, max 57344, infinities S.11111.00, NaN S.11111.{01,10,11}', () =>
    check(
      DataType.FLOAT8E5M2,
      [
        [0x00, 0],
        [0x80, -0],
        [0x3c, 1],
        [0x7b, 57344],
        [0xfb, -57344],
        [0x7c, Number.POSITIVE_INFINITY],
        [0xfc, Number.NEGATIVE_INFINITY],
        [0x7d, Number.NaN],
        [0x7e, Number.NaN],
        [0x7f, Number.NaN],
        [0x01, 2 ** -16], // min subnormal
        [0x03, 0.75 * 2 ** -14], // max subnormal
        [0x04, 2 ** -14], // min normal
      ],
      'e5m2',
    ));

  test('E5M2FNUZ: bias 16, max S.11111.11 = 57344, NaN only 1.00000.00, min 2^-17', () =>
    check(
      DataType.FLOAT8E5M2FNUZ,
      [
        [0x00, 0],
        [0x80, Number.NaN],
        [0x40, 1],
        [0x7f, 57344],
        [0x01, 2 ** -17],
      ],
      'e5m2fnuz',
    ));

  test('E8M0 (OCP MX): 2^(e-127), 0xFF is NaN', () =>
    check(
      DataType.FLOAT8E8M0,
      [
        [0x7f, 1],
        [0x80, 2],
        [0x00, 2 ** -127],
        [0xfe, 2 ** 127],
        [0xff, Number.NaN],
      ],
      'e8m0',
    ));
});

describe('packed sub-byte types', () => {
  // Five elements, first in the low nibble: 0x21 -> 1, 2; 0x8F -> 15, 8; 0x07 -> 7 (high nibble is padding).
  const bytes = [0x21, 0x8f, 0x07];

  test('int4 and uint4 with an odd element count', async () => {
    const i4 = await readTensorValues(rawTensor(DataType.INT4, [5], bytes));
    assert.ok(i4 instanceof Int8Array, 'int4 decodes to Int8Array');
    assert.deepEqual(Array.from(i4), [1, 2, -1, -8, 7]);
    const u4 = await readTensorValues(rawTensor(DataType.UINT4, [5], bytes));
    assert.ok(u4 instanceof Uint8Array, 'uint4 decodes to Uint8Array');
    assert.deepEqual(Array.from(u4), [1, 2, 15, 8, 7]);
    // A [5, 1] shape is the same five elements.
    assert.deepEqual(numbers(await readTensorValues(rawTensor(DataType.UINT4, [5, 1], bytes))), [1, 2, 15, 8, 7]);
  });

  test('float4 E2M1 values from float4.md', async () => {
    // Nibbles 0..15 in order: 0x10, 0x32, … (first element low).
    const all = [0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe];
    const v = await readTensorValues(rawTensor(DataType.FLOAT4E2M1, [16], all));
    assertSameNumbers(v as Float32Array, [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6], 'e2m1');
  });

  test('int2 / uint2: four per byte, first element in bits 0-1', async () => {
    // 0b11_10_01_00 -> 0, 1, 2, 3 ; 0b01 -> 1 (then padding)
    const b = [0b11100100, 0b01];
    assert.deepEqual(numbers(await readTensorValues(rawTensor(DataType.UINT2, [5], b))), [0, 1, 2, 3, 1]);
    assert.deepEqual(numbers(await readTensorValues(rawTensor(DataType.INT2, [5], b))), [0, 1, -2, -1, 1]);
  });

  test('int4 in int32_data: two elements per entry, same packing', async () => {
    const t = tensor(DataType.INT4, [5], { kind: 'int32', values: Int32Array.from(bytes) });
    assert.deepEqual(numbers(await readTensorValues(t)), [1, 2, -1, -8, 7]);
    const short = tensor(DataType.INT4, [5], { kind: 'int32', values: Int32Array.from([0x21, 0x8f]) }, 'short4');
    await assert.rejects(readTensorValues(short), /tensor 'short4': 2 values stored for 5 elements/);
  });

  test('a raw size that does not match the packed size is refused', async () => {
    await assert.rejects(
      readTensorValues(rawTensor(DataType.INT4, [5], [0x21, 0x8f], 'q')),
      /tensor 'q': 2 bytes of data for 5 int4 elements \(expected 3\)/,
    );
  });
});

describe('typed fields', () => {
  test('int32_data holding int8, uint8, bool, int16, float16 and float8 bit patterns', async () => {
    const i32 = (v: number[]) => ({ kind: 'int32' as const, values: Int32Array.from(v) });
    const i8 = await readTensorValues(tensor(DataType.INT8, [3], i32([-128, 127, 5])));
    assert.ok(i8 instanceof Int8Array, 'int8 decodes to Int8Array');
    assert.deepEqual(Array.from(i8), [-128, 127, 5]);
    assert.deepEqual(numbers(await readTensorValues(tensor(DataType.UINT8, [2], i32([255, 0])))), [255, 0]);
    assert.deepEqual(numbers(await readTensorValues(tensor(DataType.BOOL, [2], i32([1, 0])))), [1, 0]);
    assert.deepEqual(numbers(await readTensorValues(tensor(DataType.INT16, [1], i32([-300])))), [-300]);
    const f16 = await readTensorValues(tensor(DataType.FLOAT16, [4], i32([0x3c00, 0x7c00, 0x0001, 0xc000])));
    assertSameNumbers(f16 as Float32Array, [1, Number.POSITIVE_INFINITY, 2 ** -24, -2], 'float16 in int32_data');
    const bf = await readTensorValues(tensor(DataType.BFLOAT16, [1], i32([0xc049])));
    assertSameNumbers(bf as Float32Array, [-3.140625], 'bfloat16 in int32_data');
    const f8 = await readTensorValues(tensor(DataType.FLOAT8E4M3FN, [2], i32([0x7e, 0x7f])));
    assertSameNumbers(f8 as Float32Array, [448, Number.NaN], 'e4m3fn in int32_data');
  });

  test('int64_data through a hand-encoded TensorProto', async () => {
    const max = 2n ** 63n - 1n;
    const min = -(2n ** 63n);
    const bytes = tensorProto('l', DataType.INT64, [4], packed(7, [max, min, -1n, 0n]));
    const t = decodeTensor(bytes);
    assert.equal(t.data.kind, 'int64');
    const v = await readTensorValues(t);
    assert.ok(v instanceof BigInt64Array, 'int64 decodes to BigInt64Array');
    assert.deepEqual(Array.from(v), [max, min, -1n, 0n]);
  });

  test('uint64_data for uint64 and uint32', async () => {
    const u64 = decodeTensor(tensorProto('u', DataType.UINT64, [2], packed(11, [2n ** 64n - 1n, 5n])));
    assert.deepEqual(Array.from((await readTensorValues(u64)) as BigUint64Array), [2n ** 64n - 1n, 5n]);
    const u32 = decodeTensor(tensorProto('u', DataType.UINT32, [1], packed(11, [4294967295n])));
    const v = await readTensorValues(u32);
    assert.ok(v instanceof Uint32Array, 'uint32 decodes to Uint32Array');
    assert.deepEqual(Array.from(v), [4294967295]);
  });

  test('string_data through a hand-encoded TensorProto', async () => {
    const s = Array.from(new TextEncoder().encode('héllo, wörld'));
    const bytes = tensorProto('s', DataType.STRING, [3], [0x32, s.length, ...s, 0x32, 0, 0x32, 1, 0x41]);
    assert.deepEqual(await readTensorValues(decodeTensor(bytes)), ['héllo, wörld', '', 'A']);
  });

  test('raw_data through a hand-encoded TensorProto, at an unaligned offset', async () => {
    // float32 1.5 = 0x3FC00000 and -2 = 0xC0000000, little-endian; name 'odd' (3 bytes) leaves raw_data unaligned.
    const raw = [0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0];
    const t = decodeTensor(tensorProto('odd', DataType.FLOAT, [2], [0x4a, raw.length, ...raw]));
    assert.ok(t.data.kind === 'raw' && t.data.bytes.byteOffset % 4 !== 0, 'the view is unaligned');
    assert.deepEqual(numbers(await readTensorValues(t)), [1.5, -2]);
  });
});

describe('size mismatches and odd storage', () => {
  test('raw_data of the wrong size names the tensor', async () => {
    await assert.rejects(
      readTensorValues(rawTensor(DataType.FLOAT, [3], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'w')),
      /tensor 'w': 10 bytes of data for 3 float32 elements \(expected 12\)/,
    );
    await assert.rejects(
      readTensorValues(tensor(DataType.FLOAT, [3], { kind: 'float', values: new Float32Array(2) }, 'f')),
      /tensor 'f': 2 values stored for 3 elements/,
    );
    await assert.rejects(
      readTensorValues(tensor(DataType.INT8, [2, 2], { kind: 'int32', values: new Int32Array(3) }, 'i')),
      /tensor 'i': 3 values stored for 4 elements/,
    );
    await assert.rejects(readTensorValues(tensor(DataType.FLOAT, [2], { kind: 'empty' }, 'e')), /tensor 'e': no data/);
    await assert.rejects(
      readTensorValues(tensor(DataType.FLOAT, [2, -1], { kind: 'empty' }, 'neg')),
      /tensor 'neg': invalid dims/,
    );
    await assert.rejects(readTensorValues(rawTensor(99, [1], [0], 'u')), /tensor 'u': unknown element type/);
  });

  test('an empty tensor has no elements', async () => {
    assert.equal((await readTensorValues(tensor(DataType.FLOAT, [0, 3], { kind: 'empty' }))).length, 0);
  });

  test('byte-sized types decode from a Node Buffer view into their own copy', async () => {
    // A Buffer from the shared pool: its slice() is a view, so a decoder relying on slice().buffer would read
    // the whole pool.
    const pool = Buffer.from([9, 9, 0xff, 0x80, 0x7f, 9]);
    const view = pool.subarray(2, 5);
    const i8 = fromLittleEndian(DataType.INT8, view, 3);
    assert.ok(i8 instanceof Int8Array, 'int8 decodes to Int8Array');
    assert.deepEqual(Array.from(i8), [-1, -128, 127]);
    const u8 = await readTensorValues(tensor(DataType.UINT8, [3], { kind: 'raw', bytes: view }));
    assert.deepEqual(Array.from(u8 as Uint8Array), [0xff, 0x80, 0x7f]);
    (u8 as Uint8Array)[0] = 0;
    assert.equal(pool[2], 0xff, 'the decoded values are a copy');
    assertSameNumbers(
      fromLittleEndian(DataType.FLOAT16, Buffer.from([1, 0x00, 0x3c]).subarray(1), 1) as Float32Array,
      [1],
      'float16 from an odd Buffer offset',
    );
  });
});
