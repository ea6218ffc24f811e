/**
 * The graphs the compare view draws (see webview/compare/graphPane.ts), free of `vscode` so that the browser tests
 * send exactly what the host sends.
 */
import { type CompareGraph, MAX_COMPARE_GRAPH_NODES } from '../../webview/compare/protocol.js';
import { analyzeModel } from '../core/analysis/cost.js';
import type { Model } from '../core/onnx/ir.js';
import { buildGraphModel } from '../core/report/graphModel.js';

/** One model's graph for the view, or a notice when it is too large to draw there or its analysis failed. */
export function compareGraph(model: Model): CompareGraph {
  const n = model.graph.nodes.length;
  if (n > MAX_COMPARE_GRAPH_NODES) {
    return {
      omitted: `${n.toLocaleString('en-US')} nodes: too many to draw here (the limit is ${MAX_COMPARE_GRAPH_NODES.toLocaleString('en-US')}). Choose a layer to see it in the model's editor.`,
    };
  }
  try {
    return { model: buildGraphModel(model, analyzeModel(model)) };
  } catch (err) {
    return { omitted: `The graph could not be built: ${err instanceof Error ? err.message : String(err)}` };
  }
}
