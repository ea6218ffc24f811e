/**
 * `npm run bench:accuracy`: how close the estimates are to measurements.
 *   host     every model in ../shared/models that ONNX Runtime runs: estimated vs measured total latency on
 *            host-cpu (median of --runs runs), per-layer Spearman ρ. Targets: ≥ 90% of models within ±20%,
 *            median ρ ≥ 0.9 (bench/accuracyHost.ts). The error against each model's fastest run is printed too,
 *            for information: on a shared machine other processes inflate medians, never the fastest run
 *   devices  the estimate against each published measurement whose model file exists, per device and runtime
 *            stack. Target: every ratio within ×1.5 (bench/accuracyDevices.ts)
 *   arena    our planned activation arena against TensorFlow Lite Micro figures where one is known
 * Options: --runs N (default 10), --models DIR, --optimization LEVEL (host; default disabled), --refresh-host
 * (measure this machine's host-cpu numbers again), --host-cache PATH|none, and part names to run only some.
 * Targets missed print MISS with the numbers; the exit code is 0 either way (the benchmark reports, it does not
 * gate). On a machine shared with other work, bench/accuracyReplay.ts compares estimators on stored measurements.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultHostCpuCachePath, loadHostCpuRecord } from '../src/core/runtime/hostCpuStore.js';
import type { OptimizationLevel } from '../src/core/runtime/measure.js';
import { OP_CLASSES } from '../src/core/targets/profile.js';
import { runDeviceAccuracy } from './accuracyDevices.js';
import { findModels, runHostAccuracy } from './accuracyHost.js';

const log = (line = '') => console.log(line);
const g = (x: number) => `${(x / 1e9).toFixed(1)}e9`;

async function main() {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      runs: { type: 'string' },
      models: { type: 'string' },
      optimization: { type: 'string' },
      'refresh-host': { type: 'boolean' },
      'host-cache': { type: 'string' },
    },
  });
  const parts = positionals.length ? positionals : ['host', 'devices', 'arena'];
  for (const p of parts) if (!['host', 'devices', 'arena'].includes(p)) throw new Error(`unknown part '${p}'`);
  const runs = values.runs ? Number(values.runs) : 10;
  if (!(Number.isInteger(runs) && runs >= 1)) throw new Error('--runs must be a positive integer');
  const optimization = (values.optimization ?? 'disabled') as OptimizationLevel;
  if (!['disabled', 'basic', 'extended', 'all'].includes(optimization)) throw new Error('bad --optimization');
  const modelsDir = resolve(values.models ?? join(import.meta.dirname, '..', '..', 'shared', 'models'));
  if (!existsSync(modelsDir)) throw new Error(`models folder not found: ${modelsDir} (give --models DIR)`);
  const started = performance.now();
  const verdicts: string[] = [];
  const load = () => loadavg()[0].toFixed(2);
  log(`load average ${load()} on ${cpus().length} logical CPUs at the start`);
  log('(other processes competing for the CPU slow the measurements down; the estimates do not change)');
  log('');

  if (parts.includes('host')) {
    const cachePath =
      values['host-cache'] === undefined
        ? defaultHostCpuCachePath()
        : values['host-cache'] === 'none'
          ? null
          : resolve(values['host-cache']);
    const { record, cached, path } = await loadHostCpuRecord({ cachePath, refresh: values['refresh-host'] === true });
    log('== host: estimated vs measured on this machine (host-cpu)');
    log(
      `host-cpu numbers ${cached ? `from the cache (${path}, measured ${record.measuredAt})` : `measured now${path ? `, cached in ${path}` : ''}`}:`,
    );
    log(
      `  ${record.identity.cpuModel}, ${record.identity.logicalCpus} logical CPUs, onnxruntime-node ${record.identity.onnxRuntimeVersion}, 1 thread`,
    );
    log(
      `  float32 ${g(record.float32MacsPerSec)} MAC/s, int8 (ConvInteger) ${record.int8MacsPerSec ? g(record.int8MacsPerSec) : 'n/a'} MAC/s, bandwidth ${g(
        record.bandwidthBytesPerSec,
      )} B/s (RAM stream ${record.ramBandwidthBytesPerSec ? g(record.ramBandwidthBytesPerSec) : 'n/a'} B/s)`,
    );
    log(
      `  overheads: kernel ${(record.kernelOverheadSec * 1e6).toFixed(1)} µs, between kernels ${(record.interKernelSec * 1e6).toFixed(1)} µs, per run() ${(
        record.perInferenceOverheadSec * 1e6
      ).toFixed(
        1,
      )} µs (the last two timed as a measurement times a model: chains of 1, 10 and 100 Adds, medians of 10 runs)`,
    );
    if (record.fit) {
      log(
        `  efficiency (fitted on the synthetic zoo, not on these models): ${OP_CLASSES.map((c) => `${c} ${record.fit?.efficiency[c].toFixed(3)}`).join(', ')}`,
      );
      log(
        `  zoo fit: median |error| per layer ${record.fit.before.layerPct.toFixed(1)}% → ${record.fit.after.layerPct.toFixed(1)}%, per model ${record.fit.before.totalPct.toFixed(1)}% → ${record.fit.after.totalPct.toFixed(1)}%`,
      );
    }
    const km = record.kernelModels;
    if (km) {
      log(
        `  kernel models (fitted to shape microbenchmarks, not to these models): ${Object.entries(km)
          .map(([k, m]) => `${k} ${m?.shapes} shapes, median |error| ${m?.medianAbsErrorPct.toFixed(1)}%`)
          .join('; ')}`,
      );
    }
    const svm = record.svmModels;
    if (svm && Object.keys(svm).length)
      log(
        `  SVMClassifier models (fitted to SVM microbenchmarks, per kernel type): ${Object.entries(svm)
          .map(([k, m]) => `${k} ${m?.shapes} shapes, median |error| ${m?.medianAbsErrorPct.toFixed(1)}%`)
          .join('; ')}`,
      );
    if (record.fit?.interKernelSec !== undefined)
      log(
        `  time between kernels in graphs (synthetic zoo): ${(record.fit.interKernelSec * 1e6).toFixed(1)} µs per node; per-element rates for ${Object.keys(record.opSecPerElement ?? {}).length} op types`,
      );
    log(`graph optimizations ${optimization}; ${runs} timed runs per model after 2 warm-up; * = outside ±20%`);
    log('');
    const host = await runHostAccuracy(modelsDir, record, { runs, optimization, log });
    const within = host.withinPct >= 90;
    const rho = host.medianSpearman !== null && host.medianSpearman >= 0.9;
    log('');
    log(
      `host: ${host.rows.length} models measured, ${host.skipped.length} skipped; within ±20%: ${host.withinPct.toFixed(0)}% (target ≥ 90%) ${
        within ? 'PASS' : 'MISS'
      }; median |error| ${host.medianAbsErrorPct.toFixed(1)}%; median per-layer ρ ${
        host.medianSpearman === null ? 'n/a' : host.medianSpearman.toFixed(3)
      } (target ≥ 0.9) ${rho ? 'PASS' : 'MISS'}`,
    );
    log(
      `      for information: against each model's fastest run (other processes only add time): within ±20% ${host.withinFastestPct.toFixed(0)}%, median |error| ${host.medianAbsErrorFastestPct.toFixed(1)}%; median ρ over layers of ≥ 20 µs ${host.medianSpearmanLarge?.toFixed(3) ?? 'n/a'} (shorter kernels are timed in whole microseconds)`,
    );
    verdicts.push(
      `host total within ±20%: ${host.withinPct.toFixed(0)}% of ${host.rows.length} models ${within ? 'PASS' : 'MISS'}`,
      `host median per-layer ρ: ${host.medianSpearman?.toFixed(3) ?? 'n/a'} ${rho ? 'PASS' : 'MISS'}`,
    );
    log('');
  }

  if (parts.includes('devices') || parts.includes('arena')) {
    log('== devices: estimates vs published measurements');
    const dev = await runDeviceAccuracy(findModels(modelsDir), log);
    if (dev.rows.length) {
      const notes = new Map(dev.rows.map((r) => [r.profileId, r.calibratedOn]));
      log('');
      log('where the profiles’ efficiency factors come from (nothing was fitted to the rows above):');
      for (const [id, src] of notes) log(`  ${id}: efficiency.conv ${src}`);
      const fails = dev.rows.filter((r) => !r.pass);
      if (parts.includes('devices')) {
        verdicts.push(
          `devices: ${dev.rows.length - fails.length} of ${dev.rows.length} ratios within ×1.5 ${fails.length ? 'MISS' : 'PASS'}${
            fails.length
              ? ` (${fails.map((r) => `${r.task} ${r.profileId} ${r.stack}: ×${r.ratio?.toFixed(2)}`).join('; ')})`
              : ''
          }`,
        );
      }
    } else if (parts.includes('devices')) verdicts.push('devices: no published measurement has a matching model file');
    if (parts.includes('arena')) {
      log('');
      log('== arena: planned activation arena vs TensorFlow Lite Micro');
      for (const a of dev.arena) {
        log(
          `  ${a.file.split('/').pop()} (int8) on ${a.profile}: planned arena ${a.arenaBytes.toLocaleString('en-US')} B (lower bound ${a.lowerBoundBytes.toLocaleString(
            'en-US',
          )} B) + ${a.runtimeBytes.toLocaleString('en-US')} B TFLM persistent data; TFLM greedy-planner figure: ${a.tflm}`,
        );
      }
      log(
        '  no published TFLM arena figure for these models is known to this benchmark (published-measurements.md has none); TFLM’s own person-detection example reserves a fixed 136 KiB arena for a 1-channel variant of this network, a configured size rather than a planned one, so it is not compared',
      );
      verdicts.push('arena: no published TFLM figure to compare with (planned sizes printed)');
    }
  }

  log('');
  log(`load average ${load()} at the end`);
  log('summary:');
  for (const v of verdicts) log(`  ${v}`);
  log(`accuracy benchmark done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
