/**
 * Host accuracy: every model under the models folder that ONNX Runtime runs, measured on this machine (median
 * wall time of `run()` and per-layer kernel times, graph optimizations disabled, one thread) against the host-cpu
 * estimate (this machine's measured numbers; efficiency factors fitted on the synthetic zoo of
 * src/core/runtime/hostCalibration.ts, never on these models). Targets: ≥ 90% of models within ±20% on the total,
 * median per-layer Spearman ρ ≥ 0.9.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyzeModel } from '../src/core/analysis/cost.js';
import { inlineExternalData } from '../src/core/onnx/externalData.js';
import { encodeModel } from '../src/core/onnx/index.js';
import { warmUpOnnxRuntime } from '../src/core/runtime/hostBench.js';
import { measureModel, type OptimizationLevel } from '../src/core/runtime/measure.js';
import { compareWithEstimate, spearman } from '../src/core/targets/calibrate.js';
import { estimateModel } from '../src/core/targets/estimate.js';
import { type HostCpuRecord, hostCpuProfile, hostRuntimeCost } from '../src/core/targets/hostCpu.js';
import { loadModelFile } from '../src/node/files.js';

export interface HostRow {
  file: string;
  nodes: number;
  measuredMs: number;
  /** Fastest run: less affected by other processes competing for the CPU. */
  fastestMs: number;
  kernelMs: number;
  estimatedMs: number;
  errorPct: number;
  /** Error against the fastest run, for information. */
  errorFastestPct: number;
  spearman: number | null;
  /** ρ over layers of at least 20 µs (the profiler counts whole microseconds): for information. */
  spearmanLarge: number | null;
  layers: number;
  complete: boolean;
}

export interface HostSummary {
  rows: HostRow[];
  skipped: { file: string; reason: string }[];
  withinPct: number;
  medianAbsErrorPct: number;
  /** The same two against the fastest run of each model, for information. */
  withinFastestPct: number;
  medianAbsErrorFastestPct: number;
  medianSpearman: number | null;
  medianSpearmanLarge: number | null;
}

export function findModels(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.onnx')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const median = (xs: number[]) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const f = (x: number) => (x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

export async function runHostAccuracy(
  modelsDir: string,
  record: HostCpuRecord,
  options: { runs: number; optimization: OptimizationLevel; log: (line: string) => void },
): Promise<HostSummary> {
  const { log } = options;
  const profile = hostCpuProfile(record, { optimization: options.optimization });
  const rows: HostRow[] = [];
  const skipped: HostSummary['skipped'] = [];
  // The first few hundred run() calls of a process are slower while V8 optimizes onnxruntime-node's wrapper
  // (hostBench.ts warmUpOnnxRuntime): without this, the first sub-millisecond models are timed with the JIT's work.
  const warm = performance.now();
  await warmUpOnnxRuntime();
  log(`(onnxruntime-node warmed up first: 300 runs of a one-op graph, ${(performance.now() - warm).toFixed(0)} ms)`);
  log(
    `${pad('model', 58)} ${lpad('nodes', 5)} ${lpad('median', 9)} ${lpad('estimate', 9)} ${lpad('error', 8)} ${lpad('ρ', 6)} ${lpad('ρ≥20µs', 7)} ${lpad('fastest', 9)} ${lpad('error', 8)}`,
  );
  for (const path of findModels(modelsDir)) {
    const file = relative(modelsDir, path);
    try {
      const loaded = await loadModelFile(path);
      const model = loaded.model;
      const hasExternal = model.graph.initializers.some((t) => t.data.kind === 'external');
      const bytes = encodeModel(hasExternal ? await inlineExternalData(model, loaded.externalData) : model);
      const run = await measureModel(bytes, model, {
        runs: options.runs,
        warmup: 2,
        optimization: options.optimization,
      });
      const inputShapes = Object.fromEntries(run.inputs.map((i) => [i.name, i.shape]));
      const { profile: cost0, facts } = analyzeModel(model, { inputShapes });
      const cost = hostRuntimeCost(model, cost0, facts, {
        level: options.optimization,
        profile,
        kernels: record,
      });
      const estimate = estimateModel(model, cost, facts, profile);
      const c = compareWithEstimate(run, estimate);
      const large = c.layers.filter((l) => l.measuredMs >= 0.02 && l.estimatedMs !== null);
      const rhoLarge = spearman(
        large.map((l) => l.measuredMs),
        large.map((l) => l.estimatedMs as number),
      );
      const row: HostRow = {
        file,
        nodes: model.graph.nodes.length,
        measuredMs: c.totals.measuredMs,
        fastestMs: run.wallMinMs,
        kernelMs: c.totals.kernelMs,
        estimatedMs: c.totals.estimatedMs,
        errorPct: c.totals.errorPct,
        errorFastestPct: ((c.totals.estimatedMs - run.wallMinMs) / run.wallMinMs) * 100,
        spearman: c.spearman,
        spearmanLarge: Number.isNaN(rhoLarge) ? null : rhoLarge,
        layers: c.layers.length,
        complete: c.totals.estimateComplete,
      };
      rows.push(row);
      const mark = Math.abs(row.errorPct) <= 20 ? ' ' : '*';
      log(
        `${pad(file, 58)} ${lpad(String(row.nodes), 5)} ${lpad(f(row.measuredMs), 9)} ${lpad(f(row.estimatedMs), 9)} ${lpad(
          `${row.errorPct > 0 ? '+' : ''}${row.errorPct.toFixed(1)}%`,
          8,
        )}${mark}${lpad(row.spearman === null ? 'n/a' : row.spearman.toFixed(3), 6)} ${lpad(
          row.spearmanLarge === null ? 'n/a' : row.spearmanLarge.toFixed(3),
          7,
        )} ${lpad(f(row.fastestMs), 9)} ${lpad(`${row.errorFastestPct > 0 ? '+' : ''}${row.errorFastestPct.toFixed(1)}%`, 8)}${row.complete ? '' : '  (estimate incomplete: lower bound)'}`,
      );
    } catch (err) {
      const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 160);
      skipped.push({ file, reason });
    }
  }
  for (const s of skipped) log(`${pad(s.file, 58)} skipped: ${s.reason}`);
  const within = rows.filter((r) => Math.abs(r.errorPct) <= 20).length;
  const rhos = rows.map((r) => r.spearman).filter((r): r is number => r !== null);
  const rhosLarge = rows.map((r) => r.spearmanLarge).filter((r): r is number => r !== null);
  return {
    rows,
    skipped,
    withinPct: rows.length ? (within / rows.length) * 100 : 0,
    medianAbsErrorPct: median(rows.map((r) => Math.abs(r.errorPct))),
    withinFastestPct: rows.length
      ? (rows.filter((r) => Math.abs(r.errorFastestPct) <= 20).length / rows.length) * 100
      : 0,
    medianAbsErrorFastestPct: median(rows.map((r) => Math.abs(r.errorFastestPct))),
    medianSpearman: rhos.length ? median(rhos) : null,
    medianSpearmanLarge: rhosLarge.length ? median(rhosLarge) : null,
  };
}
