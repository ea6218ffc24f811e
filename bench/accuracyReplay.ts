/**
 * Host accuracy on stored measurements, for a machine shared with other work: `collect` measures every model
 * once (as `npm run bench:accuracy host` does) and writes the per-layer and wall times to a JSON file; `replay`
 * prices the same models with the current estimator and a host-cpu record and prints the host figures against
 * those stored times. Estimator changes can then be compared on identical measurements, taken when the machine
 * was quiet, instead of on runs that other processes slowed down by different amounts.
 *
 *   node --import tsx bench/accuracyReplay.ts collect OUT.json [--models DIR] [--runs N]
 *   node --import tsx bench/accuracyReplay.ts replay MEASURED.json [--host-cache PATH] [--models DIR]
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeModel } from '../src/core/analysis/cost.js';
import { inlineExternalData } from '../src/core/onnx/externalData.js';
import { encodeModel } from '../src/core/onnx/index.js';
import { warmUpOnnxRuntime } from '../src/core/runtime/hostBench.js';
import { loadHostCpuRecord } from '../src/core/runtime/hostCpuStore.js';
import { measureModel } from '../src/core/runtime/measure.js';
import { compareWithEstimate } from '../src/core/targets/calibrate.js';
import { estimateModel } from '../src/core/targets/estimate.js';
import { hostCpuProfile, hostRuntimeCost } from '../src/core/targets/hostCpu.js';
import { loadModelFile, writeFileAtomic } from '../src/node/files.js';
import { findModels } from './accuracyHost.js';

interface Stored {
  wallMs: number;
  wallMinMs: number;
  kernelMs: number;
  inputs: { name: string; shape: number[] }[];
  layers: { index: number; name: string; opType: string; measuredMs: number }[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { models: { type: 'string' }, runs: { type: 'string' }, 'host-cache': { type: 'string' } },
  });
  const [mode, file] = positionals;
  if (!file || (mode !== 'collect' && mode !== 'replay'))
    throw new Error('usage: collect OUT.json | replay MEASURED.json');
  const modelsDir = resolve(values.models ?? join(import.meta.dirname, '..', '..', 'shared', 'models'));
  if (mode === 'collect') {
    const out: Record<string, Stored> = {};
    await warmUpOnnxRuntime();
    for (const path of findModels(modelsDir)) {
      const name = relative(modelsDir, path);
      try {
        const loaded = await loadModelFile(path);
        const model = loaded.model;
        const external = model.graph.initializers.some((t) => t.data.kind === 'external');
        const bytes = encodeModel(external ? await inlineExternalData(model, loaded.externalData) : model);
        const run = await measureModel(bytes, model, { runs: Number(values.runs ?? 15), warmup: 2 });
        out[name] = {
          wallMs: run.wallMs,
          wallMinMs: run.wallMinMs,
          kernelMs: run.kernelMs,
          inputs: run.inputs.map((i) => ({ name: i.name, shape: i.shape })),
          layers: run.layers.map((l) => ({ index: l.index, name: l.name, opType: l.opType, measuredMs: l.measuredMs })),
        };
        console.log(`${name}: ${run.wallMs.toFixed(3)} ms (fastest ${run.wallMinMs.toFixed(3)})`);
      } catch (err) {
        console.log(`${name}: skipped (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
      }
    }
    await writeFileAtomic(file, [new TextEncoder().encode(JSON.stringify(out))], { overwrite: true });
    return;
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Stored>;
  const cachePath = values['host-cache'] ? resolve(values['host-cache']) : undefined;
  const { record } = await loadHostCpuRecord(cachePath ? { cachePath } : {});
  const profile = hostCpuProfile(record);
  const errs: number[] = [];
  const errsFastest: number[] = [];
  const rhos: number[] = [];
  for (const [name, d] of Object.entries(stored)) {
    const { model } = await loadModelFile(join(modelsDir, name));
    const inputShapes = Object.fromEntries(d.inputs.map((i) => [i.name, i.shape]));
    const { profile: cost0, facts } = analyzeModel(model, { inputShapes });
    const cost = hostRuntimeCost(model, cost0, facts, { level: 'disabled', profile, kernels: record });
    const c = compareWithEstimate(d, estimateModel(model, cost, facts, profile));
    const fastest = ((c.totals.estimatedMs - d.wallMinMs) / d.wallMinMs) * 100;
    errs.push(c.totals.errorPct);
    errsFastest.push(fastest);
    if (c.spearman !== null) rhos.push(c.spearman);
    console.log(
      `${name.padEnd(58)} ${d.wallMs.toFixed(3).padStart(9)} ${c.totals.estimatedMs.toFixed(3).padStart(9)} ${`${c.totals.errorPct.toFixed(1)}%`.padStart(8)}${Math.abs(c.totals.errorPct) <= 20 ? ' ' : '*'} ρ ${c.spearman?.toFixed(3) ?? 'n/a'}  vs fastest ${fastest.toFixed(1)}%`,
    );
  }
  const within = (e: number[]) => (e.filter((x) => Math.abs(x) <= 20).length / e.length) * 100;
  console.log(
    `replay of ${errs.length} stored measurements: within ±20% ${within(errs).toFixed(0)}%; median |error| ${median(errs.map(Math.abs)).toFixed(1)}%; median per-layer ρ ${median(rhos).toFixed(3)}; against the fastest runs: within ±20% ${within(errsFastest).toFixed(0)}%, median |error| ${median(errsFastest.map(Math.abs)).toFixed(1)}%`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
