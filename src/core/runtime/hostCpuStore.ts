/**
 * This machine's host-cpu numbers: measured once (microbenchmarks, then the efficiency fit on the synthetic zoo;
 * a few seconds) and cached as JSON, keyed by CPU model, logical CPU count, architecture and onnxruntime-node
 * version, so that a different machine or runtime is measured afresh. The cache path is the caller's choice;
 * `defaultHostCpuCachePath()` is `$XDG_CACHE_HOME/edge-model-profiler/host-cpu.json` (or `~/.cache/…`).
 */

import { promises as fs, readFileSync } from 'node:fs';
import { cpus, homedir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeFileAtomic } from '../../node/files.js';
import {
  type HostCpuRecord,
  type HostIdentity,
  hostCpuKey,
  parseHostCpuCache,
  serializeHostCpuCache,
  withRecord,
} from '../targets/hostCpu.js';
import { runHostBenchmarks, runHostKernelRegressions, runHostKernelTables } from './hostBench.js';
import { fitHostCpu } from './hostCalibration.js';

export function defaultHostCpuCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache');
  return join(base, 'edge-model-profiler', 'host-cpu.json');
}

/** onnxruntime-node's version as the binding reports it. */
export function onnxRuntimeVersion(): string {
  const v = (ort.env as { versions?: { node?: string; common?: string } }).versions;
  return v?.node ?? v?.common ?? 'unknown';
}

export function hostIdentity(): HostIdentity {
  const list = cpus();
  return {
    cpuModel: list[0]?.model?.trim() || 'unknown CPU',
    logicalCpus: list.length,
    arch: process.arch,
    onnxRuntimeVersion: onnxRuntimeVersion(),
  };
}

/** Current clock from /proc/cpuinfo (Linux); undefined elsewhere. */
function cpuClockMHz(): number | undefined {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    const v = m ? Number(m[1]) : Number.NaN;
    return v > 0 ? Math.round(v) : undefined;
  } catch {
    return undefined;
  }
}

/** Size of the largest CPU cache from sysfs (Linux); undefined elsewhere. */
function lastLevelCacheBytes(): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < 8; i++) {
    try {
      const text = readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${i}/size`, 'utf8').trim();
      const m = /^(\d+)([KMG]?)$/.exec(text);
      if (!m) continue;
      const bytes = Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2]];
      if (best === undefined || bytes > best) best = bytes;
    } catch {
      break;
    }
  }
  return best;
}

export interface MeasureHostOptions {
  /** Small benchmark tensors and no fit: well under a second, noisier (tests). */
  quick?: boolean;
  /** Fit the efficiency factors on the synthetic zoo (default: true unless quick). */
  fit?: boolean;
  /** Timed runs per benchmark. */
  runs?: number;
}

/** Measures this machine now (nothing cached). */
export async function measureHostCpu(options: MeasureHostOptions = {}): Promise<HostCpuRecord> {
  const identity = hostIdentity();
  const bench = await runHostBenchmarks({ quick: options.quick, runs: options.runs });
  const tables = await runHostKernelTables({ quick: options.quick, runs: options.runs });
  const regressions = await runHostKernelRegressions({ quick: options.quick, runs: options.runs });
  const clockMHz = cpuClockMHz();
  const cacheBytes = lastLevelCacheBytes();
  const record: HostCpuRecord = {
    key: hostCpuKey(identity),
    identity,
    measuredAt: new Date().toISOString(),
    threads: 1,
    ...(clockMHz !== undefined ? { clockMHz } : {}),
    memoryBytes: totalmem(),
    float32MacsPerSec: bench.float32MacsPerSec,
    ...(bench.int8MacsPerSec !== undefined ? { int8MacsPerSec: bench.int8MacsPerSec } : {}),
    bandwidthBytesPerSec: bench.bandwidthBytesPerSec,
    ...(bench.ramBandwidthBytesPerSec !== undefined ? { ramBandwidthBytesPerSec: bench.ramBandwidthBytesPerSec } : {}),
    kernelOverheadSec: bench.kernelOverheadSec,
    interKernelSec: bench.interKernelSec,
    perInferenceOverheadSec: bench.perInferenceOverheadSec,
    ...(bench.groupedConv ? { groupedConvPerGroupSec: bench.groupedConv.perGroupSec } : {}),
    ...(bench.groupedConvInteger ? { groupedConvIntegerPerGroupSec: bench.groupedConvInteger.perGroupSec } : {}),
    ...(bench.convIntegerInt8WeightSlowdown !== undefined
      ? { convIntegerInt8WeightSlowdown: bench.convIntegerInt8WeightSlowdown }
      : {}),
    ...(bench.lrnSecPerFlop !== undefined ? { lrnSecPerFlop: bench.lrnSecPerFlop } : {}),
    ...(cacheBytes !== undefined ? { lastLevelCacheBytes: cacheBytes } : {}),
    kernelModels: {
      ...(regressions.conv ? { conv: regressions.conv } : {}),
      ...(regressions.pointwise ? { pointwise: regressions.pointwise } : {}),
      ...(regressions.depthwise ? { depthwise: regressions.depthwise } : {}),
      ...(regressions.depthwiseStrided ? { depthwiseStrided: regressions.depthwiseStrided } : {}),
      ...(regressions.gemm ? { gemm: regressions.gemm } : {}),
      ...(regressions.convInteger ? { convInteger: regressions.convInteger } : {}),
      ...(regressions.convIntegerDepthwise ? { convIntegerDepthwise: regressions.convIntegerDepthwise } : {}),
    },
    ...(regressions.svm ? { svmModels: regressions.svm } : {}),
    opSecPerElement: tables.opSecPerElement,
    opOverheadSec: tables.opOverheadSec,
    gapByOutputBytes: tables.gapByOutputBytes,
    runByIoBytes: tables.runByIoBytes,
    benchmarks: [...bench.benchmarks, ...tables.benchmarks, ...regressions.benchmarks],
  };
  if (options.fit ?? !options.quick) record.fit = (await fitHostCpu(record)).fit;
  return record;
}

export async function readHostCpuCacheFile(path: string) {
  const text = await fs.readFile(path, 'utf8').catch(() => undefined);
  return parseHostCpuCache(text);
}

/** Adds `record` to the cache file at `path` (created with its folder; written atomically). */
export async function writeHostCpuRecord(path: string, record: HostCpuRecord): Promise<void> {
  const cache = withRecord(await readHostCpuCacheFile(path), record);
  await fs.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, [new TextEncoder().encode(serializeHostCpuCache(cache))], { overwrite: true });
}

export interface LoadHostOptions extends MeasureHostOptions {
  /** Cache file; null: no cache (always measure, never write). Default `defaultHostCpuCachePath()`. */
  cachePath?: string | null;
  /** Measure even when the cache has a record for this machine. */
  refresh?: boolean;
}

/** This machine's record: from the cache when it has one (with a fit, unless quick), else measured and cached. */
export async function loadHostCpuRecord(
  options: LoadHostOptions = {},
): Promise<{ record: HostCpuRecord; cached: boolean; path: string | null }> {
  const path = options.cachePath === undefined ? defaultHostCpuCachePath() : options.cachePath;
  const key = hostCpuKey(hostIdentity());
  const wantFit = options.fit ?? !options.quick;
  if (path && !options.refresh) {
    const hit = (await readHostCpuCacheFile(path)).records[key];
    if (hit && (!wantFit || hit.fit)) return { record: hit, cached: true, path };
  }
  const record = await measureHostCpu(options);
  if (path) {
    try {
      await writeHostCpuRecord(path, record);
    } catch {
      // A cache that cannot be written (read-only home, sandbox) only costs a re-measurement next time.
    }
  }
  return { record, cached: false, path };
}
