/**
 * What the model commands' quick picks mean, and how their results are told: pure functions from the choices to
 * the jobs the ONNX Runtime child runs (src/node/ortProcess.ts), and from the jobs' outcomes to text and to the
 * compare view's data. Free of `vscode` so that they are unit-tested in plain Node.
 */

import type { CompareData, ValidationFacts } from '../../webview/compare/protocol.js';
import type { MetricInfo } from '../core/report/graphModel.js';
import { formatMs, formatSize } from '../core/targets/units.js';
import { transformedPath } from '../core/transforms/outputPath.js';
import type { MeasureOutcome, TransformJob, TransformOutcome, TransformSpec } from '../node/ortProcess.js';

/**
 * Text for a VS Code notification. Notifications turn `[label](target)` into a link (command links included), so
 * model-derived text (file, node and output names) gets a zero-width space between `]` and `(`: shown the same,
 * never a link.
 */
export function notificationText(text: string): string {
  return text.replace(/\]\s*\(/g, (m) => `${m.slice(0, -1)}\u200b(`);
}

/** The per-node column measured profiling adds to the model's editor. */
export const MEASURED_LATENCY: MetricInfo = {
  kind: 'numeric',
  key: 'measuredLatency',
  label: 'Measured latency',
  unit: 'seconds',
  aggregate: 'sum',
};

/** The choices of "Quantize Model to INT8…". */
export type QuantizeChoices =
  | { mode: 'dynamic'; perChannel: boolean; form: 'qdq' | 'operator' }
  | {
      mode: 'static';
      perChannel: boolean;
      form: 'qdq' | 'operator';
      method: 'minmax' | 'percentile' | 'entropy';
      /** A folder of `.pb` / `.npy` samples or PNG/JPEG images, or generated inputs. */
      calibration: { folder: string } | { generated: number };
    };

export function quantizeSpec(c: QuantizeChoices): TransformSpec {
  if (c.mode === 'dynamic') return { kind: 'quantize-dynamic', format: c.form, perChannel: c.perChannel };
  return {
    kind: 'quantize-static',
    format: c.form,
    perChannel: c.perChannel,
    method: c.method,
    ...('folder' in c.calibration
      ? { calibrationFolder: c.calibration.folder }
      : { generatedSamples: c.calibration.generated }),
  };
}

export const MAX_SPARSITY = 0.95;

/**
 * The sparsity input box's text: a fraction (0.5) or a percentage (50%), from 0 to 0.95. Returns the value, or
 * the message the input box shows.
 */
export function parseSparsity(text: string): { value: number } | { error: string } {
  const t = text.trim();
  const percent = t.endsWith('%');
  const body = percent ? t.slice(0, -1).trim() : t;
  if (body === '' || !/^[+]?(\d+(\.\d*)?|\.\d+)$/.test(body)) {
    return { error: 'Enter a fraction such as 0.5 (or a percentage such as 50%)' };
  }
  const value = Number(body) / (percent ? 100 : 1);
  if (!(value >= 0 && value <= MAX_SPARSITY)) {
    return { error: `Sparsity must be between 0 and ${MAX_SPARSITY} (${MAX_SPARSITY * 100}%)` };
  }
  return { value };
}

/** Minimum cosine similarity a transform's outputs must keep, as the CLI has it. */
export function minCosineFor(spec: TransformSpec): number {
  switch (spec.kind) {
    case 'fp16':
      return 0.999;
    case 'prune':
      // Pruning without fine-tuning moves outputs a lot: the gate only catches a broken model.
      return 0.5;
    default:
      return 0.99;
  }
}

/** File suffix of the transform's output: model.int8.onnx, model.fp16.onnx, model.pruned.onnx. */
export function outputKind(spec: TransformSpec): 'int8' | 'fp16' | 'pruned' {
  return spec.kind === 'fp16' ? 'fp16' : spec.kind === 'prune' ? 'pruned' : 'int8';
}

export function outputPathFor(modelPath: string, spec: TransformSpec): string {
  return transformedPath(modelPath, outputKind(spec));
}

/** The child's job for a transform of the model at `modelPath` (pre-processing as the CLI defaults it). */
export function transformJob(
  modelPath: string,
  spec: TransformSpec,
  options: { overwrite: boolean; targetId?: string; outputPath?: string },
): TransformJob {
  return {
    kind: 'transform',
    modelPath,
    outputPath: options.outputPath ?? outputPathFor(modelPath, spec),
    overwrite: options.overwrite,
    spec,
    preprocess: spec.kind !== 'prune',
    samples: 4,
    latencyRuns: 10,
    minCosine: minCosineFor(spec),
    ...(options.targetId ? { targetId: options.targetId } : {}),
  };
}

/** A short title for progress and errors: "quantizing model.onnx to INT8 (static, calibrated on generated inputs)". */
export function describeTransform(spec: TransformSpec, fileName: string): string {
  switch (spec.kind) {
    case 'quantize-dynamic':
      return `quantizing ${fileName} to INT8 (dynamic, ${spec.format === 'qdq' ? 'QDQ' : 'operator'} form)`;
    case 'quantize-static':
      return `quantizing ${fileName} to INT8 (static${spec.format === 'operator' ? ', operator form' : ''}, ${spec.calibrationFolder ? 'calibrated on your samples' : 'generated calibration inputs'})`;
    case 'fp16':
      return `converting ${fileName} to FP16`;
    case 'prune':
      return `pruning ${fileName} (${spec.structured ? 'structured' : 'unstructured'}, ${Math.round(spec.sparsity * 100)}%)`;
  }
}

const num = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : x > 0 ? '∞' : String(x));
const sci = (x: number) => (Number.isFinite(x) ? (x === 0 ? '0' : x.toExponential(2)) : String(x));
const pct = (x: number) => `${x > 0 ? '+' : ''}${x.toFixed(1)}%`;

/** Text lines of a measured profiling run (output channel) and the one-line notification. */
export function measureSummary(fileName: string, r: MeasureOutcome): { lines: string[]; short: string } {
  const c = r.comparison;
  const rho = c.spearman === null ? 'n/a' : c.spearman.toFixed(2);
  const lines = [
    `${fileName}: measured on this machine (${r.hostCpu.cpu}; ONNX Runtime CPU, 1 thread, median of ${r.runs} runs)`,
    `  measured ${formatMs(c.totals.measuredMs)} ms per inference (kernels ${formatMs(c.totals.kernelMs)} ms)`,
    `  host-cpu estimate ${formatMs(c.totals.estimatedMs)} ms (${pct(c.totals.errorPct)} vs measured)${
      c.totals.estimateComplete ? '' : ', a lower bound: some layers have no estimate'
    }`,
    `  per layer: Spearman ρ ${rho} over ${c.layers.length} layers, median |error| ${
      c.medianAbsLayerErrorPct === null ? 'n/a' : `${c.medianAbsLayerErrorPct.toFixed(1)}%`
    }`,
  ];
  for (const i of r.inputs) {
    lines.push(`  input ${i.name}: ${i.dtype} [${i.shape.join(', ')}]${i.generated ? ' (generated)' : ''}`);
  }
  if (r.unmatched) lines.push(`  note: ${r.unmatched} kernels matched no node`);
  const slow = [...c.layers].sort((x, y) => y.measuredMs - x.measuredMs).slice(0, 5);
  if (slow.length) lines.push('  slowest layers:');
  for (const l of slow) {
    lines.push(
      `    ${l.name} (${l.opType}): ${formatMs(l.measuredMs)} ms measured, ${l.estimatedMs === null ? 'n/a' : `${formatMs(l.estimatedMs)} ms`} estimated`,
    );
  }
  const short = `${fileName}: ${formatMs(c.totals.measuredMs)} ms measured on this machine, ${formatMs(
    c.totals.estimatedMs,
  )} ms estimated (${pct(c.totals.errorPct)}); per-layer Spearman ρ ${rho}.`;
  return { lines, short };
}

/** The validation report as label/value text for the compare view. */
export function validationFacts(v: TransformOutcome['validation']): ValidationFacts {
  const rows: { label: string; value: string }[] = [];
  const s = v.summary;
  if (s.cosine !== null) rows.push({ label: 'cosine similarity (worst output)', value: num(s.cosine, 6) });
  if (s.maxAbsError !== null) rows.push({ label: 'max abs error', value: sci(s.maxAbsError) });
  if (s.snrDb !== null) rows.push({ label: 'SNR', value: `${num(s.snrDb, 1)} dB` });
  if (s.top1Agreement !== null)
    rows.push({ label: 'top-1 agreement', value: `${(s.top1Agreement * 100).toFixed(1)}%` });
  rows.push({
    label: 'file size',
    value: `${formatSize(v.sizeBytes.before)} → ${formatSize(v.sizeBytes.after)}${ratio(v.sizeBytes.before, v.sizeBytes.after)}`,
  });
  if (v.compressedWeightBytes) {
    const { before, after } = v.compressedWeightBytes;
    rows.push({
      label: 'weights deflated',
      value: `${formatSize(before)} → ${formatSize(after)}${ratio(before, after)}`,
    });
  }
  if (v.hostLatencyMs) {
    const { before, after } = v.hostLatencyMs;
    rows.push({
      label: 'host latency (measured)',
      value: `${formatMs(before)} ms → ${formatMs(after)} ms${ratio(before, after)}`,
    });
  }
  rows.push({
    label: 'inputs',
    value: `${v.inputs.samples} ${v.inputs.generated ? 'generated' : 'given'} sample${v.inputs.samples === 1 ? '' : 's'}`,
  });
  return { ok: v.ok, failures: [...v.failures], rows, notes: [...v.notes] };
}

function ratio(a: number, b: number): string {
  return a > 0 ? ` (${((b / a) * 100).toFixed(1)}%)` : '';
}

/** The compare view's data after a transform. */
export function transformCompareData(r: TransformOutcome, labels: { a: string; b: string }): CompareData {
  const notes: string[] = [];
  for (const rep of r.reports) {
    for (const n of rep.notes) notes.push(`${rep.transform}: ${n}`);
    for (const w of rep.warnings) notes.push(`${rep.transform}: warning: ${w}`);
  }
  const e = r.validation.estimate;
  return {
    a: { label: labels.a },
    b: { label: labels.b },
    comparison: r.comparison,
    validation: validationFacts(r.validation),
    ...(e ? { estimate: { target: e.target, accuracy: e.accuracy, a: e.before, b: e.after } } : {}),
    notes,
  };
}

/** The notification after a transform: what was written and whether validation passed. */
export function transformSummary(r: TransformOutcome, fileName: string): { ok: boolean; text: string } {
  const v = r.validation;
  const size = `${formatSize(v.sizeBytes.after)}${ratio(v.sizeBytes.before, v.sizeBytes.after)} of the original`;
  if (v.ok) {
    const cos = v.summary.cosine === null ? '' : `, cosine ${num(v.summary.cosine, 4)}`;
    return { ok: true, text: `Wrote ${fileName}: ${size}; validation in ONNX Runtime passed${cos}.` };
  }
  return {
    ok: false,
    text: `Wrote ${fileName} (${size}), but validation FAILED: ${v.failures[0] ?? 'see the output'}`,
  };
}
