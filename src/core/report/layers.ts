/**
 * Per-layer weights of the main graph: which initializers each node reads, counted once (at the first node that
 * reads a shared weight). Shapes, MACs and activation memory come from the cost model built on top of this.
 */

import type { Model, Tensor } from '../onnx/ir.js';
import { elementCount, tensorByteSize } from '../onnx/tensor.js';
import { nodeLabel } from '../onnx/validate.js';
import { opKey } from './summary.js';

export interface LayerWeights {
  index: number;
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  /** Elements of the weights this node reads first. */
  params: number;
  weightBytes: number;
  /** Names of the weights counted here. */
  weights: string[];
}

export function layerWeights(model: Model): LayerWeights[] {
  const initializers = new Map<string, Tensor>(model.graph.initializers.map((t) => [t.name, t]));
  const counted = new Set<string>();
  return model.graph.nodes.map((node, index) => {
    const layer: LayerWeights = {
      index,
      name: nodeLabel(node, index),
      opType: opKey(node.domain, node.opType),
      inputs: node.inputs,
      outputs: node.outputs,
      params: 0,
      weightBytes: 0,
      weights: [],
    };
    const add = (t: Tensor, name: string) => {
      const n = elementCount(t.dims);
      const b = tensorByteSize(t);
      layer.params += Number.isNaN(n) ? 0 : n;
      layer.weightBytes += Number.isNaN(b) ? 0 : b;
      layer.weights.push(name);
    };
    for (const input of node.inputs) {
      const t = initializers.get(input);
      if (!t || counted.has(input)) continue;
      counted.add(input);
      add(t, input);
    }
    if (node.opType === 'Constant' && !node.domain) {
      const value = node.attributes.find((a) => a.name === 'value');
      if (value?.type === 'tensor') add(value.value, node.outputs[0] ?? layer.name);
    }
    return layer;
  });
}
