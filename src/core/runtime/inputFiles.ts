/**
 * Model inputs from files, for measured profiling: ONNX TensorProto files (`.pb`, as in ONNX's test data) and
 * NumPy arrays (`.npy`). The caller reads the bytes; this turns them into onnxruntime-node tensors.
 */
import * as ort from 'onnxruntime-node';
import { DataType, dataTypeName } from '../onnx/dtype.js';
import { decodeTensor } from '../onnx/reader.js';
import { readTensorValues } from '../onnx/tensor.js';
import { ortTypes } from './inputs.js';
import { parseNpy } from './npy.js';

export class InputFileError extends Error {
  override name = 'InputFileError';
}

/** A tensor from a `.pb` (TensorProto) or `.npy` file's bytes; the kind is taken from the file name. */
export async function tensorFromFile(fileName: string, bytes: Uint8Array): Promise<ort.Tensor> {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.npy')) {
    try {
      const a = parseNpy(bytes);
      return new ort.Tensor(a.type, a.data, a.shape);
    } catch (err) {
      throw new InputFileError(`${fileName}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (lower.endsWith('.pb')) {
    let t: ReturnType<typeof decodeTensor>;
    try {
      t = decodeTensor(bytes, { fileName });
    } catch (err) {
      throw new InputFileError(`${fileName}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const type = ortTypes[t.dataType];
    if (!type) throw new InputFileError(`${fileName}: element type ${dataTypeName(t.dataType)} is not supported`);
    const dims = [...t.dims];
    if (t.dataType === DataType.FLOAT16) {
      // ONNX Runtime takes float16 as bit patterns; readTensorValues would widen them to float32.
      if (t.data.kind === 'raw') {
        const n = dims.reduce((a, b) => a * b, 1);
        const copy = t.data.bytes.slice(0, n * 2);
        return new ort.Tensor('float16', new Uint16Array(copy.buffer, 0, n), dims);
      }
      if (t.data.kind === 'int32') return new ort.Tensor('float16', Uint16Array.from(t.data.values), dims);
      throw new InputFileError(`${fileName}: float16 data in an unsupported field`);
    }
    try {
      const values = await readTensorValues(t);
      if (t.dataType === DataType.BOOL) return new ort.Tensor('bool', Uint8Array.from(values as Uint8Array), dims);
      return new ort.Tensor(type as 'float32', values as Float32Array, dims);
    } catch (err) {
      throw new InputFileError(`${fileName}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new InputFileError(`${fileName}: expected a .pb (TensorProto) or .npy file`);
}
