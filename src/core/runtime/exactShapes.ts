/**
 * Exact mode: the real shape of every value of the main graph, measured by running the model once in
 * onnxruntime-node. Useful where static inference cannot know a shape (NonZero, data-dependent Reshape, custom
 * ops ONNX Runtime implements). The model is copied with every intermediate value added as a graph output and
 * passed to ONNX Runtime as bytes (no file is written); inputs are generated (floats uniform in [0, 1), integers
 * in [0, 10), booleans alternating) with symbolic dimensions set from `dims` (default 1).
 *
 * Only this module (and the CLI, lazily) imports onnxruntime-node; the rest of the engine stays pure TypeScript.
 * Subgraph values (If/Loop bodies) cannot be exposed this way and keep their inferred facts.
 */

import * as ort from 'onnxruntime-node';
import type { TensorFacts } from '../analysis/facts.js';
import { inferShapes } from '../analysis/infer.js';
import { dataTypeName } from '../onnx/dtype.js';
import { type ExternalDataSource, inlineExternalData } from '../onnx/externalData.js';
import type { Dim, Model, Tensor } from '../onnx/ir.js';
import { walkGraphs } from '../onnx/ir.js';
import { encodeModel } from '../onnx/writer.js';
import { dataTypeOfOrt, generateInput } from './inputs.js';

export interface ExactShapesOptions {
  /** Input shapes by input name (symbols allowed: they take `dims` sizes or 1). */
  inputShapes?: Record<string, Dim[]>;
  /** Sizes of symbolic dimensions; a symbol not given is 1. */
  dims?: Record<string, number>;
  /** Where external tensor data is read from; needed when the model has any. */
  externalData?: ExternalDataSource;
}

export interface ExactShapes {
  /** Facts (origin 'measured') per value name: graph inputs, intermediate values and graph outputs. */
  values: Map<string, TensorFacts>;
  /** The inputs the model ran with. */
  inputs: { name: string; dtype: string; shape: number[] }[];
  /** Values left unmeasured: non-tensor values (sequences, maps…), which ONNX Runtime cannot return. */
  skipped: string[];
}

export class ExactShapesError extends Error {
  override name = 'ExactShapesError';
}

/** The main graph's initializers with external data read into memory (ONNX Runtime gets the model as bytes). */
async function inlineMainGraphData(model: Model, source: ExternalDataSource | undefined): Promise<Tensor[]> {
  for (const { graph, path } of walkGraphs(model.graph)) {
    if (path && graph.initializers.some((t) => t.data.kind === 'external')) {
      throw new ExactShapesError('exact mode does not support external data inside subgraphs');
    }
  }
  if (!model.graph.initializers.some((t) => t.data.kind === 'external')) return model.graph.initializers;
  if (!source) throw new ExactShapesError('the model has external data, and no way to read it was given');
  return (await inlineExternalData({ ...model, trainingInfo: [], functions: [] }, source)).graph.initializers;
}

/**
 * Runs the model once with every main-graph value exposed and returns the measured shapes. Throws
 * ExactShapesError when ONNX Runtime cannot load or run the model, or an input cannot be generated.
 */
export async function measureShapes(model: Model, options: ExactShapesOptions = {}): Promise<ExactShapes> {
  const g = model.graph;
  const inferred = inferShapes(model, { inputShapes: options.inputShapes, dims: options.dims }).values;
  const initNames = new Set(g.initializers.map((t) => t.name));
  const declaredOutputs = new Set(g.outputs.map((o) => o.name));
  const skipped: string[] = [];
  const extra: string[] = [];
  const seen = new Set<string>();
  for (const node of g.nodes) {
    for (const o of node.outputs) {
      if (!o || seen.has(o) || initNames.has(o)) continue;
      seen.add(o);
      const f = inferred.get(o);
      if (f && f.kind !== 'tensor' && f.kind !== 'unknown') skipped.push(o);
      else if (!declaredOutputs.has(o)) extra.push(o);
    }
  }
  const copy: Model = {
    ...model,
    graph: {
      ...g,
      initializers: await inlineMainGraphData(model, options.externalData),
      // No type: ONNX Runtime takes each output's type from the node that produces it.
      outputs: [...g.outputs, ...extra.map((name) => ({ name }))],
    },
  };

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(encodeModel(copy), {
      graphOptimizationLevel: 'disabled',
      intraOpNumThreads: 1,
      // Errors only: ONNX Runtime's warnings (unused initializers, initializers listed as inputs) are not ours.
      logSeverityLevel: 3,
    });
  } catch (err) {
    throw new ExactShapesError(
      `ONNX Runtime cannot load the model: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  try {
    const feeds: Record<string, ort.Tensor> = {};
    const inputs: ExactShapes['inputs'] = [];
    const values = new Map<string, TensorFacts>();
    for (const v of g.inputs) {
      if (initNames.has(v.name) || !session.inputNames.includes(v.name)) continue;
      if (v.type?.kind !== 'tensor')
        throw new ExactShapesError(`input '${v.name}' is not a tensor; exact mode cannot feed it`);
      const declared = options.inputShapes?.[v.name] ?? v.type.shape;
      if (!declared) throw new ExactShapesError(`input '${v.name}' has no shape; give one (--input ${v.name}=…)`);
      const shape = declared.map((d) =>
        typeof d === 'number' ? d : ((d !== null ? options.dims?.[d] : undefined) ?? 1),
      );
      try {
        feeds[v.name] = generateInput(v.name, v.type.elemType, shape);
      } catch (err) {
        throw new ExactShapesError((err as Error).message);
      }
      inputs.push({ name: v.name, dtype: dataTypeName(v.type.elemType), shape });
      values.set(v.name, { kind: 'tensor', dtype: v.type.elemType, shape: [...shape], origin: 'measured' });
    }
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await session.run(feeds);
    } catch (err) {
      throw new ExactShapesError(
        `ONNX Runtime failed to run the model: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    for (const [name, t] of Object.entries(results)) {
      const facts: TensorFacts = { kind: 'tensor', shape: [...t.dims], origin: 'measured' };
      const dtype = dataTypeOfOrt(t.type);
      if (dtype !== undefined) facts.dtype = dtype;
      values.set(name, facts);
      t.dispose?.();
    }
    return { values, inputs, skipped };
  } finally {
    await session.release().catch(() => undefined);
  }
}
