/** ONNX Runtime helpers shared by the transform tests (computed here, independently of src/core/transforms). */
import * as ort from 'onnxruntime-node';
import { Rng } from '../../src/core/onnx/builder.js';
import { encodeModel, type Model } from '../../src/core/onnx/index.js';

/** Runs an in-memory model once in ONNX Runtime. */
export async function runModel(model: Model, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** A float32 tensor of seeded uniform values in [-1, 1). */
export function randomTensor(shape: number[], seed: number): ort.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new ort.Tensor('float32', new Rng(seed).uniformArray(n, -1, 1), shape);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa === 0 && bb === 0 ? 1 : ab / Math.sqrt(aa * bb);
}

/** The lowest cosine similarity between the two models' outputs over the feeds (each output compared by name). */
export async function worstCosine(a: Model, b: Model, feeds: Record<string, ort.Tensor>[]): Promise<number> {
  let worst = 1;
  for (const f of feeds) {
    const ra = await runModel(a, f);
    const rb = await runModel(b, f);
    for (const k of Object.keys(ra)) {
      worst = Math.min(worst, cosine(ra[k].data as Float32Array, rb[k].data as Float32Array));
    }
  }
  return worst;
}
