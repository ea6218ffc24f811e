/**
 * The host-cpu target for commands that only estimate (`edge-profile profile|check --target host-cpu`): this
 * machine's measured record from the host-cpu cache (hostCpuStore.ts writes it on the first `measure`,
 * `calibrate` or accuracy benchmark run), read without loading ONNX Runtime and without measuring anything, so
 * that a static estimate stays fast. With no record for this machine the placeholder profile is used and the
 * result says so: `uncalibrated`, with the command that measures the machine.
 */

import { promises as fs } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { join } from 'node:path';
import type { ModelProfile } from '../analysis/cost.js';
import type { ValueFacts } from '../analysis/facts.js';
import type { Model } from '../onnx/ir.js';
import {
  type HostCpuRecord,
  type HostOptimizationLevel,
  hostCpuKey,
  hostCpuProfile,
  hostRuntimeCost,
  parseHostCpuCache,
} from '../targets/hostCpu.js';
import { describeCalibration, type HardwareProfile } from '../targets/profile.js';

/** The cache file hostCpuStore.ts uses (same rule as its `defaultHostCpuCachePath`). */
export function hostCpuCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache');
  return join(base, 'edge-model-profiler', 'host-cpu.json');
}

/** onnxruntime-node's version from its package.json (no native binding loaded); undefined when not installed. */
function installedOnnxRuntimeVersion(): string | undefined {
  try {
    return (require('onnxruntime-node/package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

export interface HostCpuTarget {
  profile: HardwareProfile;
  /** The measured record the profile comes from; absent: placeholders. */
  record?: HostCpuRecord;
  /** One line for the user: where the numbers come from and how accurate they are. */
  note: string;
  /** The cost as ONNX Runtime executes the model on this machine (hostRuntimeCost), for the estimate. */
  runtimeCost(model: Model, cost: ModelProfile, facts: ReadonlyMap<string, ValueFacts>): ModelProfile;
}

export interface HostCpuTargetOptions {
  /** Cache file (default `hostCpuCachePath()`). */
  cachePath?: string;
  optimization?: HostOptimizationLevel;
}

/** This machine's host-cpu profile from the cache, or the uncalibrated placeholders with a note saying so. */
export async function cachedHostCpuTarget(options: HostCpuTargetOptions = {}): Promise<HostCpuTarget> {
  const path = options.cachePath ?? hostCpuCachePath();
  const level = options.optimization ?? 'disabled';
  const list = cpus();
  const version = installedOnnxRuntimeVersion();
  const identity = {
    cpuModel: list[0]?.model?.trim() || 'unknown CPU',
    logicalCpus: list.length,
    arch: process.arch,
  };
  const text = await fs.readFile(path, 'utf8').catch(() => undefined);
  const records = Object.values(parseHostCpuCache(text).records);
  const record = version
    ? records.find((r) => r.key === hostCpuKey({ ...identity, onnxRuntimeVersion: version }))
    : records.find(
        (r) =>
          r.identity.cpuModel.trim() === identity.cpuModel &&
          r.identity.logicalCpus === identity.logicalCpus &&
          r.identity.arch === identity.arch,
      );
  if (!record) {
    const profile = hostCpuProfile(undefined, { optimization: level });
    return {
      profile,
      note: `host-cpu: no measured record for this machine in ${path}: placeholder numbers, ${describeCalibration(
        profile.calibration,
      )} (run \`edge-profile measure MODEL\` once to measure this machine)`,
      runtimeCost: (model, cost, facts) => hostRuntimeCost(model, cost, facts, { level }),
    };
  }
  const profile = hostCpuProfile(record, { optimization: level });
  return {
    profile,
    record,
    note: `host-cpu: this machine's numbers measured ${record.measuredAt.slice(0, 10)} (${path}), ${describeCalibration(
      profile.calibration,
    )}`,
    runtimeCost: (model, cost, facts) => hostRuntimeCost(model, cost, facts, { level, profile, kernels: record }),
  };
}
