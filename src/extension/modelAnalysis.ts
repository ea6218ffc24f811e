/**
 * Everything the extension computes about one open model, in one object that lives in the analysis worker
 * (analysisWorker.ts): decode and validate once, analyze (shapes, costs, graph model) for the current input
 * shapes, estimate for a target, weight statistics for one tensor, and the reports. No `vscode`, no worker API:
 * the unit tests drive it directly.
 *
 * Weights not loaded (a model over the size threshold, when the user chose "Graph Only"): the file still has to be
 * decoded to find the graph, but right after decoding every initializer bigger than the constant folder ever
 * reads loses its bytes, so the file's buffer is not kept alive; costs and estimates only need shapes and are the
 * same; weight statistics are then refused with a message saying why.
 */

import { analyzeModel, type ModelProfile } from '../core/analysis/cost.js';
import type { ValueFacts } from '../core/analysis/facts.js';
import { MAX_FOLD_ELEMENTS } from '../core/analysis/facts.js';
import { type WeightStatistics, weightStats } from '../core/analysis/weightStats.js';
import type { ExternalDataSource } from '../core/onnx/externalData.js';
import type { Dim, Graph, Model, Tensor } from '../core/onnx/ir.js';
import { walkGraphs } from '../core/onnx/ir.js';
import { decodeModel } from '../core/onnx/reader.js';
import { elementCount } from '../core/onnx/tensor.js';
import type { Problem } from '../core/onnx/validate.js';
import { validateModel } from '../core/onnx/validate.js';
import { costJson, formatCostCsv, formatCostMarkdown } from '../core/report/costReport.js';
import { estimateJson, formatEstimateCsv, formatEstimateMarkdown } from '../core/report/estimateReport.js';
import { type EstimateView, estimateView } from '../core/report/estimateView.js';
import { buildGraphModel, type GraphModel } from '../core/report/graphModel.js';
import { htmlReport } from '../core/report/htmlReport.js';
import { toJsonText } from '../core/report/jsonStream.js';
import { type ModelSummary, summarizeModel } from '../core/report/summary.js';
import { type Estimate, estimateModel } from '../core/targets/estimate.js';
import type { HardwareProfile } from '../core/targets/profile.js';
import type { ReportFormat } from '../protocol.js';
import { shapesForModel } from './settings.js';

export interface AnalysisOptions {
  inputShapes: Record<string, Dim[]>;
  dims: Record<string, number>;
}

/** Problem code in the summary when the weights were not loaded. */
export const WEIGHTS_NOT_LOADED = 'weights-not-loaded';

/** Drops the bytes of every initializer (all graphs) too big for constant folding; returns how many. */
function dropWeightBytes(model: Model): number {
  let dropped = 0;
  for (const { graph } of walkGraphs(model.graph)) {
    graph.initializers.forEach((t, i) => {
      if (t.data.kind === 'external' || t.data.kind === 'empty') return;
      const n = elementCount(t.dims);
      if (!Number.isNaN(n) && n <= MAX_FOLD_ELEMENTS) return;
      graph.initializers[i] = { ...t, data: { kind: 'empty' } };
      dropped++;
    });
  }
  return dropped;
}

export class ModelAnalysis {
  private analysis: { profile: ModelProfile; facts: Map<string, ValueFacts>; graph: GraphModel } | undefined;
  private estimate: Estimate | undefined;
  /** Notes about the view (partial, settings that did not apply), shown with the summary and in reports. */
  readonly notes: string[] = [];

  private constructor(
    private readonly model: Model,
    readonly fileName: string,
    readonly summary: ModelSummary,
    readonly weightsLoaded: boolean,
  ) {}

  /** Decodes and validates; throws OnnxReadError (naming the file) when the bytes are not a model. */
  static load(bytes: Uint8Array, fileName: string, loadWeights: boolean): ModelAnalysis {
    const model = decodeModel(bytes, { fileName });
    const problems: Problem[] = validateModel(model);
    if (!loadWeights) {
      const dropped = dropWeightBytes(model);
      problems.unshift({
        severity: 'warning',
        code: WEIGHTS_NOT_LOADED,
        message: `partial view: the weights of this model were not loaded (${dropped} tensor${dropped === 1 ? '' : 's'} left out, as asked for a model over the size threshold); graph, costs and estimates are complete, weight statistics are not available`,
        where: '',
      });
    }
    const summary = summarizeModel(model, problems, { path: fileName, bytes: bytes.length });
    const self = new ModelAnalysis(model, fileName, summary, loadWeights);
    if (!loadWeights) self.notes.push('Partial view: weights not loaded (statistics unavailable).');
    return self;
  }

  /** Names of the inputs the user feeds (not initializers). */
  inputNames(): string[] {
    const init = new Set(this.model.graph.initializers.map((t) => t.name));
    return this.model.graph.inputs.filter((v) => !init.has(v.name)).map((v) => v.name);
  }

  /** Shapes, costs and the graph model for these input shapes and dims (replaces any earlier analysis). */
  analyze(options: AnalysisOptions): { graph: GraphModel; notes: string[] } {
    const { shapes, unused } = shapesForModel(options.inputShapes, this.inputNames());
    const notes = unused.map(
      (name) => `edgeProfiler.inputShapes: this model has no input '${name}' (inputs: ${this.inputNames().join(', ')})`,
    );
    const { profile, facts } = analyzeModel(this.model, { inputShapes: shapes, dims: options.dims });
    const graph = buildGraphModel(this.model, { profile, facts });
    this.analysis = { profile, facts, graph };
    this.estimate = undefined;
    return { graph, notes };
  }

  private analyzed() {
    if (!this.analysis) throw new Error('the model has not been analyzed yet');
    return this.analysis;
  }

  /** The estimate for `profile` (kept for reports); `profiles` price fallbacks that name another profile. */
  estimateFor(profile: HardwareProfile, profiles: readonly HardwareProfile[] = []): EstimateView {
    const a = this.analyzed();
    const registry = new Map(profiles.map((p) => [p.id, p]));
    this.estimate = estimateModel(this.model, a.profile, a.facts, profile, { profiles: registry });
    return estimateView(a.graph, this.estimate, profile);
  }

  /** The IR graph drawn as `GraphModel.graphs[id]` (subgraphs: through their parent node's attribute). */
  private irGraph(id: number): Graph | undefined {
    const views = this.analyzed().graph.graphs;
    const view = views[id];
    if (!view) return undefined;
    if (!view.parent) return this.model.graph;
    const outer = this.irGraph(view.parent.graph);
    const outerView = views[view.parent.graph];
    if (!outer || !outerView) return undefined;
    const inputsFirst = outerView.nodes.findIndex((n) => n.kind !== 'input');
    const node = outer.nodes[view.parent.node - Math.max(0, inputsFirst)];
    const m = /^(.*)\[(\d+)\]$/.exec(view.parent.attribute);
    const attr = node?.attributes.find((a) => a.name === (m ? m[1] : view.parent?.attribute));
    if (attr?.type === 'graph') return attr.value;
    if (attr?.type === 'graphs' && m) return attr.value[Number(m[2])];
    return undefined;
  }

  /** Statistics of the initializer drawn as tensor `tensor` of graph `graph`. Throws with a reason to show. */
  async weightStats(graph: number, tensor: number, source?: ExternalDataSource): Promise<WeightStatistics> {
    const t = this.analyzed().graph.graphs[graph]?.tensors[tensor];
    if (!t) throw new Error(`no tensor #${tensor} in graph #${graph}`);
    if (t.kind !== 'initializer') throw new Error(`'${t.name}' is not a stored weight`);
    const ir = this.irGraph(graph);
    const init: Tensor | undefined =
      ir?.initializers.find((x) => x.name === t.name) ??
      ir?.sparseInitializers.find((s) => s.values.name === t.name)?.values;
    if (!init) throw new Error(`weight '${t.name}' not found in the model`);
    if (init.data.kind === 'empty' && !this.weightsLoaded) {
      throw new Error(
        `the weights of this model were not loaded (over the size threshold): no statistics for '${t.name}'`,
      );
    }
    return weightStats(init, source);
  }

  /** The report in `format`: with the current estimate when there is one, the cost report otherwise. */
  report(format: ReportFormat): string {
    const p = this.analyzed().profile;
    const est = this.estimate;
    const file = this.fileName;
    switch (format) {
      case 'md':
        return est ? formatEstimateMarkdown(p, est, { file }) : formatCostMarkdown(p, { file });
      case 'csv':
        return est ? formatEstimateCsv(p, est, { file }) : formatCostCsv(p, { file });
      case 'json':
        return toJsonText(est ? estimateJson(p, est, { file }) : costJson(p, { file })) ?? 'null';
      case 'html':
        return htmlReport({ file, profile: p, estimate: est, notes: this.notes });
    }
  }
}
