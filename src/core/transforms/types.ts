/**
 * What every model transform (quantize, FP16, prune, pre-processing) shares: a transform is a pure function
 * `(model, options, source?) => Promise<TransformResult>` that never changes its input model and returns a new one
 * with a report of what it did. External tensor data is read through `source` when the model has any.
 */

import type { ExternalDataSource } from '../onnx/externalData.js';
import type { Model } from '../onnx/ir.js';

export interface TransformReport {
  /** Short identifier of the transform: 'quantize-dynamic', 'quantize-static', 'fp16', 'prune', … */
  transform: string;
  /** Names (or `OpType#index` labels) of the nodes the transform changed or replaced. */
  changedNodes: string[];
  /** What was done, one sentence each, for people. */
  notes: string[];
  /** What the user should know: skipped parts, approximations, refused options. */
  warnings: string[];
}

export interface TransformResult {
  model: Model;
  report: TransformReport;
}

export type Transform<O> = (model: Model, options: O, source?: ExternalDataSource) => Promise<TransformResult>;

/** A transform refused to run (already quantized model, unsupported opset…); the message says why. */
export class TransformError extends Error {
  override name = 'TransformError';
  constructor(
    message: string,
    /** Stable identifier of the reason, e.g. `already-quantized`, `opset-too-old`. */
    readonly code: string = 'refused',
  ) {
    super(message);
  }
}
