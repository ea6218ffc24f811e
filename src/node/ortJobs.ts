/**
 * The work of the ONNX Runtime child process (ortRunner.ts): measured profiling of a model, and a transform
 * (pre-processing, quantize / FP16 / prune, atomic write of the new file, validation against the original in ONNX
 * Runtime, per-layer comparison). Only the child imports this module, so onnxruntime-node is only ever loaded
 * there; the pure parts (domain check, the measured column) are exported for tests.
 *
 * No custom-operator library is ever registered with ONNX Runtime: a model whose operators come from a domain
 * ONNX Runtime does not implement is refused before any session is created, with a message naming the domain.
 */

import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { analyzeModel } from '../core/analysis/cost.js';
import { externalTensors, inlineExternalData } from '../core/onnx/externalData.js';
import type { Graph, Model } from '../core/onnx/ir.js';
import { normalizeDomain } from '../core/onnx/ir.js';
import { encodeModel } from '../core/onnx/writer.js';
import type { MeasuredLayer } from '../core/runtime/profileTrace.js';
import { builtinProfiles } from '../core/targets/builtinProfiles.js';
import { compareWithEstimate } from '../core/targets/calibrate.js';
import { estimateModel } from '../core/targets/estimate.js';
import { hostCpuProfile, hostRuntimeCost } from '../core/targets/hostCpu.js';
import { compareModels } from '../core/transforms/compare.js';
import { writeTransformedModel } from '../core/transforms/outputPath.js';
import type { PruneStats } from '../core/transforms/prune.js';
import { TransformError, type TransformReport, type TransformResult } from '../core/transforms/types.js';
import { type LoadedModel, loadModelFile } from './files.js';
import {
  inputOffset,
  type MeasureJob,
  type MeasureOutcome,
  type OrtProgress,
  type TransformJob,
  type TransformOutcome,
} from './ortProcess.js';

/** Operator domains onnxruntime-node's CPU build implements. Anything else would need a custom-op library. */
export const ORT_DOMAINS: ReadonlySet<string> = new Set([
  '',
  'ai.onnx.ml',
  'com.microsoft',
  'com.microsoft.nchwc',
  'ai.onnx.training',
  'ai.onnx.preview.training',
]);

/**
 * The custom operator domains of a model (main graph, subgraphs and local functions) that ONNX Runtime has no
 * kernels for, with an example operator each. Domains the model's own functions define are fine.
 */
export function unsupportedDomains(model: Model): { domain: string; example: string }[] {
  const local = new Set(model.functions.map((f) => `${normalizeDomain(f.domain)}\u0000${f.name}`));
  const found = new Map<string, string>();
  const walk = (g: Pick<Graph, 'nodes'>) => {
    for (const n of g.nodes) {
      const d = normalizeDomain(n.domain);
      if (!ORT_DOMAINS.has(d) && !local.has(`${d}\u0000${n.opType}`) && !found.has(d)) found.set(d, n.opType);
      for (const a of n.attributes) {
        if (a.type === 'graph') walk(a.value);
        else if (a.type === 'graphs') for (const sub of a.value) walk(sub);
      }
    }
  };
  walk(model.graph);
  for (const f of model.functions) walk(f);
  return [...found].map(([domain, example]) => ({ domain, example }));
}

/** Throws a TransformError naming the custom domains when ONNX Runtime cannot run the model without a custom-op library. */
export function assertRunnable(model: Model, file: string): void {
  const bad = unsupportedDomains(model);
  if (!bad.length) return;
  const list = bad.map((b) => `'${b.domain}' (e.g. ${b.example})`).join(', ');
  throw new TransformError(
    `${file}: the model uses operators of the custom domain${bad.length === 1 ? '' : 's'} ${list}. ONNX Runtime has no kernels for ${
      bad.length === 1 ? 'it' : 'them'
    }, and Edge Profiler never loads custom-operator libraries, so the model cannot run here (the static analysis still works)`,
    'custom-domain',
  );
}

/**
 * A per-node column for the editor's main graph (inputs, then op nodes, then outputs) from measured layers:
 * seconds for op nodes that ran a kernel, null elsewhere.
 */
export function measuredColumn(
  model: Model,
  layers: readonly Pick<MeasuredLayer, 'index' | 'measuredMs'>[],
): (number | null)[] {
  const offset = inputOffset(model);
  const column: (number | null)[] = new Array(offset + model.graph.nodes.length + model.graph.outputs.length).fill(
    null,
  );
  for (const l of layers) {
    if (l.index >= 0 && l.index < model.graph.nodes.length) column[offset + l.index] = l.measuredMs / 1000;
  }
  return column;
}

export interface JobContext {
  progress(p: OrtProgress): void;
  signal: AbortSignal;
}

function checkCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new TransformError('cancelled', 'cancelled');
}

async function loadForRun(path: string): Promise<LoadedModel> {
  const loaded = await loadModelFile(path);
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new TransformError(`${path}: the model has errors: ${errors[0].message}`, 'invalid-model');
  assertRunnable(loaded.model, basename(path));
  return loaded;
}

/** The model's bytes for ONNX Runtime, external data read in. */
async function runtimeBytes(loaded: LoadedModel): Promise<Uint8Array> {
  if (!externalTensors(loaded.model).length) return fs.readFile(loaded.path);
  return encodeModel(await inlineExternalData(loaded.model, loaded.externalData));
}

export async function runMeasureJob(job: MeasureJob, ctx: JobContext): Promise<MeasureOutcome> {
  ctx.progress({ message: 'reading the model' });
  const loaded = await loadForRun(job.modelPath);
  const model = loaded.model;
  checkCancelled(ctx.signal);
  ctx.progress({ message: "this machine's host-cpu numbers (measured once, then cached)", fraction: 0.05 });
  const { loadHostCpuRecord } = await import('../core/runtime/hostCpuStore.js');
  const host = await loadHostCpuRecord({ cachePath: job.hostCachePath, quick: job.quickHost });
  checkCancelled(ctx.signal);
  ctx.progress({ message: `running the model (${job.warmup} warm-up + ${job.runs} timed runs)`, fraction: 0.5 });
  const { measureModel } = await import('../core/runtime/measure.js');
  const run = await measureModel(await runtimeBytes(loaded), model, {
    runs: job.runs,
    warmup: job.warmup,
    optimization: 'disabled',
  });
  ctx.progress({ message: 'comparing with the estimate', fraction: 0.95 });
  const analysis = analyzeModel(model, { inputShapes: Object.fromEntries(run.inputs.map((i) => [i.name, i.shape])) });
  const profile = hostCpuProfile(host.record, { optimization: 'disabled' });
  const cost = hostRuntimeCost(model, analysis.profile, analysis.facts, {
    level: 'disabled',
    profile,
    kernels: host.record,
  });
  const estimate = estimateModel(model, cost, analysis.facts, profile);
  return {
    modelPath: loaded.path,
    wallMs: run.wallMs,
    kernelMs: run.kernelMs,
    runs: run.runs,
    comparison: compareWithEstimate(run, estimate),
    column: measuredColumn(model, run.layers),
    unmatched: run.unmatched.length,
    inputs: run.inputs,
    hostCpu: { cached: host.cached, cpu: host.record.identity.cpuModel },
  };
}

export async function runTransformJob(job: TransformJob, ctx: JobContext): Promise<TransformOutcome> {
  const { spec } = job;
  ctx.progress({ message: 'reading the model' });
  const loaded = await loadForRun(job.modelPath);
  const source = loaded.externalData;
  const reports: TransformReport[] = [];
  let model = loaded.model;
  const { readCalibrationFolder, formatTransformText } = await import('../cli/transformCommands.js');
  const feeds =
    spec.kind === 'quantize-static' && spec.calibrationFolder !== undefined
      ? await readCalibrationFolder(spec.calibrationFolder, model)
      : undefined;
  checkCancelled(ctx.signal);
  if (job.preprocess) {
    ctx.progress({ message: 'pre-processing (folding BatchNorm and constants)', fraction: 0.05 });
    const { preprocessModel } = await import('../core/transforms/preprocess.js');
    const { ortConstantEvaluator } = await import('../core/transforms/validate.js');
    const pre = await preprocessModel(model, { evaluate: ortConstantEvaluator }, source);
    model = pre.model;
    reports.push(pre.report);
  }
  checkCancelled(ctx.signal);
  let result: TransformResult & { stats?: PruneStats };
  switch (spec.kind) {
    case 'quantize-dynamic': {
      ctx.progress({ message: 'quantizing the weights', fraction: 0.15 });
      const { quantizeDynamic } = await import('../core/transforms/quantize.js');
      result = await quantizeDynamic(model, { format: spec.format, perChannel: spec.perChannel }, source);
      break;
    }
    case 'quantize-static': {
      const { quantizeStatic } = await import('../core/transforms/quantizeStatic.js');
      const total = feeds?.length ?? spec.generatedSamples ?? 8;
      ctx.progress({ message: `calibrating on ${total} samples`, fraction: 0.1 });
      result = await quantizeStatic(
        model,
        {
          ...(feeds ? { calibration: { feeds, total: feeds.length } } : {}),
          generated: { count: spec.generatedSamples ?? 8 },
          method: spec.method,
          perChannel: spec.perChannel,
          ...(spec.format ? { format: spec.format } : {}),
          signal: ctx.signal,
          onProgress: (p) =>
            ctx.progress({
              message: `calibrating: ${p.done}${p.total ? ` of ${p.total}` : ''} samples`,
              fraction: 0.1 + 0.4 * (p.total ? p.done / p.total : 0),
            }),
        },
        source,
      );
      break;
    }
    case 'fp16': {
      ctx.progress({ message: 'converting to float16', fraction: 0.15 });
      const { convertToFloat16 } = await import('../core/transforms/fp16.js');
      result = await convertToFloat16(model, { keepIoTypes: spec.keepIoTypes }, source);
      break;
    }
    case 'prune': {
      ctx.progress({ message: `pruning to ${Math.round(spec.sparsity * 100)}% sparsity`, fraction: 0.15 });
      const { pruneModel } = await import('../core/transforms/prune.js');
      result = await pruneModel(model, { sparsity: spec.sparsity, structured: spec.structured }, source);
      break;
    }
  }
  reports.push(result.report);
  checkCancelled(ctx.signal);
  ctx.progress({ message: `writing ${basename(job.outputPath)}`, fraction: 0.55 });
  const written = await writeTransformedModel(job.outputPath, result.model, {
    overwrite: job.overwrite,
    source,
    originalPath: loaded.path,
    originalModel: loaded.model,
  });
  checkCancelled(ctx.signal);
  ctx.progress({ message: 'validating against the original in ONNX Runtime', fraction: 0.65 });
  const { validateTransform } = await import('../core/transforms/validate.js');
  const target = job.targetId ? builtinProfiles().find((p) => p.id === job.targetId) : undefined;
  const dataBytes = await originalDataBytes(loaded);
  const validation = await validateTransform(
    { model: loaded.model, source, path: loaded.path, fileBytes: loaded.fileBytes + dataBytes },
    { model: written.model, path: written.path, fileBytes: written.sizeBytes },
    {
      ...(feeds?.length ? { feeds: feeds.slice(0, Math.max(1, job.samples)) } : { samples: job.samples }),
      latencyRuns: job.latencyRuns,
      thresholds: { minCosine: job.minCosine },
      ...(target ? { target } : {}),
    },
  );
  if (job.targetId && !target) validation.notes.push(`no estimate: '${job.targetId}' is not a built-in target`);
  ctx.progress({ message: 'comparing the layers', fraction: 0.95 });
  const comparison = compareModels(loaded.model, written.model, {
    labels: { a: basename(loaded.path), b: basename(written.path) },
    fileBytes: { a: validation.sizeBytes.before, b: validation.sizeBytes.after },
  });
  return {
    outputPath: written.path,
    ...(written.dataPath ? { dataPath: written.dataPath } : {}),
    sizeBytes: written.sizeBytes,
    reports,
    ...(result.stats ? { stats: result.stats } : {}),
    validation,
    comparison,
    inputOffsets: { a: inputOffset(loaded.model), b: inputOffset(written.model) },
    text: formatTransformText(written.path, reports, validation, result.stats),
  };
}

/** Bytes of the distinct external data files the loaded model references. */
async function originalDataBytes(loaded: LoadedModel): Promise<number> {
  const locations = new Set<string>();
  for (const t of externalTensors(loaded.model)) if (t.data.kind === 'external') locations.add(t.data.location);
  let total = 0;
  for (const loc of locations) total += await loaded.externalData.size(loc).catch(() => 0);
  return total;
}
