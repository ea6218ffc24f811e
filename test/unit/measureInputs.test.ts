import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTensor } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import { encodeTensor } from '../../src/core/onnx/writer.js';
import { InputFileError, tensorFromFile } from '../../src/core/runtime/inputFiles.js';
import { encodeNpy, NpyError, type NpyType, parseNpy } from '../../src/core/runtime/npy.js';

test('.npy round trip for every supported dtype', () => {
  const cases: [NpyType, ArrayLike<number | bigint>][] = [
    ['float32', Float32Array.from([1.5, -2, 3.25, 0, 1, 2])],
    ['float64', Float64Array.from([1e-300, 2, 3, 4, 5, 6])],
    ['int8', Int8Array.from([-128, 127, 0, 1, 2, 3])],
    ['uint8', Uint8Array.from([0, 255, 1, 2, 3, 4])],
    ['int16', Int16Array.from([-32768, 32767, 0, 1, 2, 3])],
    ['uint16', Uint16Array.from([0, 65535, 1, 2, 3, 4])],
    ['int32', Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, 1, 2, 3])],
    ['uint32', Uint32Array.from([0, 2 ** 32 - 1, 1, 2, 3, 4])],
    ['int64', BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n, 1n, 2n, 3n])],
    ['uint64', BigUint64Array.from([0n, 2n ** 64n - 1n, 1n, 2n, 3n, 4n])],
    ['bool', Uint8Array.from([0, 1, 1, 0, 1, 0])],
    ['float16', Uint16Array.from([0x3c00, 0xc000, 0, 1, 2, 3])],
  ];
  for (const [type, data] of cases) {
    const bytes = encodeNpy(type, [2, 3], data as never);
    assert.equal((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64, 0, `${type}: header padded to 64 bytes`);
    const a = parseNpy(bytes);
    assert.equal(a.type, type, `${type}: type`);
    assert.deepEqual(a.shape, [2, 3], `${type}: shape`);
    assert.deepEqual(Array.from(a.data as ArrayLike<number | bigint>), Array.from(data), `${type}: values`);
  }
});

/** A .npy file written by hand with a given version and header text. */
function npyWith(version: 2 | 3, header: string, payload: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(12 + h.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  new DataView(out.buffer).setUint32(8, h.length, true);
  out.set(h, 12);
  out.set(payload, 12 + h.length);
  return out;
}

test('.npy versions 2.0 and 3.0, scalars and 1-D shapes, and what is refused', () => {
  const payload = new Uint8Array(new Float32Array([7]).buffer);
  const v2 = parseNpy(npyWith(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", payload));
  assert.deepEqual([v2.version, v2.shape, Array.from(v2.data as Float32Array)], ['2.0', [], [7]], 'v2 scalar');
  const v3 = parseNpy(npyWith(3, '{"descr": "<f4", "fortran_order": False, "shape": (1,)}\n', payload));
  assert.deepEqual([v3.version, v3.shape], ['3.0', [1]], 'v3, 1-D');
  assert.throws(() => parseNpy(new Uint8Array(20)), NpyError, 'no magic');
  assert.throws(
    () => parseNpy(npyWith(2, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", payload)),
    /big-endian/,
    'big-endian refused',
  );
  assert.throws(
    () => parseNpy(npyWith(2, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", payload)),
    /Fortran/,
    'Fortran order refused',
  );
  assert.throws(
    () => parseNpy(npyWith(2, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", payload)),
    /not supported/,
    'complex refused',
  );
  assert.throws(
    () => parseNpy(npyWith(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", payload)),
    /bytes/,
    'short data refused',
  );
});

test('input files: .npy and .pb become ONNX Runtime tensors', async () => {
  const npy = await tensorFromFile('x.npy', encodeNpy('float32', [1, 2], Float32Array.from([1, 2])));
  assert.deepEqual([npy.type, npy.dims, Array.from(npy.data as Float32Array)], ['float32', [1, 2], [1, 2]], 'npy');
  const pb = await tensorFromFile('input_0.pb', encodeTensor(makeTensor('x', DataType.INT64, [3], [1n, 2n, 3n])));
  assert.deepEqual([pb.type, pb.dims, Array.from(pb.data as BigInt64Array)], ['int64', [3], [1n, 2n, 3n]], 'pb');
  const half = await tensorFromFile('h.pb', encodeTensor(makeTensor('h', DataType.FLOAT16, [2], [1, -2])));
  assert.deepEqual([half.type, Array.from(half.data as Uint16Array)], ['float16', [0x3c00, 0xc000]], 'float16 bits');
  await assert.rejects(() => tensorFromFile('x.txt', new Uint8Array(1)), InputFileError, 'unknown kind');
  await assert.rejects(() => tensorFromFile('x.pb', new Uint8Array([0xff, 0xff])), InputFileError, 'bad protobuf');
});
