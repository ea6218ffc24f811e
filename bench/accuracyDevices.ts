/**
 * Device accuracy: the estimate against each published measurement (shared/reference/published-measurements.md)
 * whose model is among the model files, and our planned arena against TensorFlow Lite Micro figures where any is
 * known. Nothing here is fitted: the device profiles are used as built in.
 *
 * Matching: a file stands for an MLPerf Tiny reference model only when its MAC count is within 2% of the
 * reference count (KWS DS-CNN 2.66 M, VWW MobileNetV1-0.25 7.49 M, IC ResNet-8 12.5 M, AD autoencoder 0.264 M).
 * The published runs are int8 TFLite models; a float32 file of the same network is estimated as its int8
 * deployment: every float32 tensor taken as int8 (weights of rank ≥ 2 int8, biases int32), the same graph.
 */
import { basename } from 'node:path';
import { analyzeModel } from '../src/core/analysis/cost.js';
import { DataType, dataTypeName } from '../src/core/onnx/dtype.js';
import type { Model, Tensor, ValueInfo } from '../src/core/onnx/ir.js';
import { builtinProfiles } from '../src/core/targets/builtinProfiles.js';
import { estimateModel } from '../src/core/targets/estimate.js';
import type { HardwareProfile } from '../src/core/targets/profile.js';
import { stackVariants } from '../src/core/targets/stackVariants.js';
import { loadUserProfiles } from '../src/core/targets/userProfiles.js';
import { loadModelFile } from '../src/node/files.js';

type Task = 'KWS' | 'VWW' | 'IC' | 'AD';

const REFERENCE_MACS: Record<Task, { macs: number; what: string }> = {
  KWS: { macs: 2.66e6, what: 'KWS DS-CNN' },
  VWW: { macs: 7.49e6, what: 'VWW MobileNetV1 0.25 (96×96)' },
  IC: { macs: 12.5e6, what: 'IC ResNet-8' },
  AD: { macs: 0.264e6, what: 'AD autoencoder' },
};

interface Published {
  task: Task;
  device: string;
  profileId: string;
  stack: string;
  ms: number;
  source: string;
}

const PM = 'published-measurements.md';
const PUBLISHED: Published[] = [
  // The v0.5 reference submission: TFLM 2.3.1 on the STM32L4R5. Its VWW build has no CMSIS-NN (the
  // person_detection setup script omits TAGS=cmsis-nn), the KWS, IC and AD builds have it (stackVariants.ts).
  ...(
    [
      ['KWS', 181.9, 'cortex-m4', 'TFLM 2.3.1 + CMSIS-NN'],
      ['VWW', 600.6, 'cortex-m4-tflm-ref', 'TFLM reference kernels'],
      ['IC', 704.2, 'cortex-m4', 'TFLM 2.3.1 + CMSIS-NN'],
      ['AD', 10.05, 'cortex-m4', 'TFLM 2.3.1 + CMSIS-NN'],
    ] as [Task, number, string, string][]
  ).map(([task, ms, profileId, stack]) => ({
    task,
    device: 'STM32L4R5 (Cortex-M4 @ 120 MHz)',
    profileId,
    stack,
    ms,
    source: `${PM}: mlcommons/tiny_results_v0.5`,
  })),
  ...(
    [
      ['KWS', 75.06],
      ['VWW', 230.5],
      ['IC', 226.9],
      ['AD', 7.58],
    ] as [Task, number][]
  ).map(([task, ms]) => ({
    task,
    device: 'STM32L4R5 (Cortex-M4 @ 120 MHz)',
    profileId: 'cortex-m4',
    stack: 'X-CUBE-AI 7.3',
    ms,
    source: `${PM}: mlcommons/tiny_results_v1.0 (ST)`,
  })),
  ...(
    [
      ['KWS', 16.76],
      ['VWW', 50.71],
      ['IC', 54.35],
      ['AD', 1.83],
    ] as [Task, number][]
  ).map(([task, ms]) => ({
    task,
    device: 'STM32H7A3 (Cortex-M7 @ 280 MHz)',
    profileId: 'stm32h7a3',
    stack: 'X-CUBE-AI 7.3',
    ms,
    source: `${PM}: mlcommons/tiny_results_v1.0 (ST)`,
  })),
];

/** The STM32H7A3 as a user profile: the Cortex-M7 profile at 280 MHz with 1.4 MB SRAM. */
const H7A3_PROFILE = {
  id: 'stm32h7a3',
  extends: 'cortex-m7',
  name: 'STM32H7A3 (Cortex-M7 @ 280 MHz)',
  clockMHz: 280,
  sramMB: 1.4,
  sources: {
    clockMHz: `${PM}: STM32H7A3 "Cortex-M7 @ 280 MHz" (MLPerf Tiny system descriptions)`,
    'memory.sram.bytes': `${PM}: STM32H7A3 "1.4 MB SRAM"`,
  },
};

function taskOf(file: string): Task | undefined {
  const f = basename(file).toLowerCase();
  if (f.includes('kws')) return 'KWS';
  if (f.includes('vww')) return 'VWW';
  if (/(^|_)ic[._]/.test(f)) return 'IC';
  if (/(^|_)ad[._]/.test(f)) return 'AD';
  return undefined;
}

/** Symbolic input dimensions sized 1. */
function unitDims(model: Model): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const v of model.graph.inputs)
    if (v.type?.kind === 'tensor') for (const d of v.type.shape ?? []) if (typeof d === 'string') dims[d] = 1;
  return dims;
}

/** The same graph with its float32 tensors taken as int8 (biases int32), as an int8 TFLite deployment stores them. */
export function asInt8Deployment(model: Model): Model {
  const retype = (v: ValueInfo): ValueInfo =>
    v.type?.kind === 'tensor' && v.type.elemType === DataType.FLOAT
      ? { ...v, type: { ...v.type, elemType: DataType.INT8 } }
      : v;
  const weight = (t: Tensor): Tensor => {
    if (t.dataType !== DataType.FLOAT) return t;
    const n = t.dims.reduce((a, b) => a * b, 1);
    const dataType = t.dims.length >= 2 ? DataType.INT8 : DataType.INT32;
    return { ...t, dataType, data: { kind: 'raw', bytes: new Uint8Array(n * (dataType === DataType.INT8 ? 1 : 4)) } };
  };
  const g = model.graph;
  return {
    ...model,
    graph: {
      ...g,
      inputs: g.inputs.map(retype),
      outputs: g.outputs.map(retype),
      valueInfo: g.valueInfo.map(retype),
      initializers: g.initializers.map(weight),
    },
  };
}

export interface DeviceRow extends Published {
  file: string;
  estimatedMs: number | null;
  ratio: number | null;
  pass: boolean;
  /** Where the profile's efficiency factors came from, for the leave-out note. */
  calibratedOn: string;
}

export interface DeviceSummary {
  models: {
    file: string;
    task: Task | undefined;
    macs: number | null;
    dtypes: string;
    matches: boolean;
    note: string;
  }[];
  rows: DeviceRow[];
  arena: {
    file: string;
    profile: string;
    arenaBytes: number;
    lowerBoundBytes: number;
    runtimeBytes: number;
    tflm: string;
  }[];
}

export async function runDeviceAccuracy(files: string[], log: (line: string) => void): Promise<DeviceSummary> {
  const builtins = builtinProfiles();
  const [h7a3] = loadUserProfiles(JSON.stringify(H7A3_PROFILE), 'bench/accuracyDevices.ts', builtins);
  const m4 = builtins.find((p) => p.id === 'cortex-m4') as HardwareProfile;
  const variants = loadUserProfiles(JSON.stringify(stackVariants(m4)), 'src/core/targets/stackVariants.ts', builtins);
  const profiles = new Map<string, HardwareProfile>([
    ...builtins.map((p) => [p.id, p] as const),
    [h7a3.id, h7a3],
    ...variants.map((p) => [p.id, p] as const),
  ]);
  const summary: DeviceSummary = { models: [], rows: [], arena: [] };

  log('model files of the MLPerf Tiny tasks:');
  const matched: { file: string; task: Task; model: Model }[] = [];
  for (const file of files) {
    const task = taskOf(file);
    if (!task) continue;
    const { model } = await loadModelFile(file);
    const { profile } = analyzeModel(model, { dims: unitDims(model) });
    const macs = profile.totals.macs;
    const dtypes = [...new Set(model.graph.initializers.map((t) => dataTypeName(t.dataType)))].join('/');
    const ref = REFERENCE_MACS[task];
    const matches = macs !== null && Math.abs(macs - ref.macs) / ref.macs <= 0.02;
    const note = matches
      ? `matches the reference ${ref.what} (${ref.macs / 1e6} M MACs)`
      : `not the reference ${ref.what}: ${macs === null ? 'MACs unknown' : `${(macs / 1e6).toFixed(3)} M MACs`} vs ${ref.macs / 1e6} M`;
    summary.models.push({ file, task, macs, dtypes, matches, note });
    log(
      `  ${basename(file).padEnd(20)} ${task.padEnd(4)} ${dtypes.padEnd(14)} ${macs === null ? 'n/a' : macs.toLocaleString('en-US').padStart(11)} MACs  ${note}`,
    );
    if (matches) matched.push({ file, task, model });
  }

  log('');
  log('published measurements with a matching model file (estimate of the int8 deployment; target ratio within ×1.5):');
  const byTask = new Map(matched.map((m) => [m.task, m]));
  for (const p of PUBLISHED) {
    const m = byTask.get(p.task);
    if (!m) continue;
    const profile = profiles.get(p.profileId) as HardwareProfile;
    const int8 = asInt8Deployment(m.model);
    const { profile: cost, facts } = analyzeModel(int8, { dims: unitDims(int8) });
    const est = estimateModel(int8, cost, facts, profile, { profiles });
    const estimatedMs = est.totals.latencyMs;
    const ratio = estimatedMs === null ? null : estimatedMs / p.ms;
    const pass = ratio !== null && ratio <= 1.5 && ratio >= 1 / 1.5;
    const calibratedOn = profile.sources['efficiency.conv'] ?? 'n/a';
    summary.rows.push({ ...p, file: m.file, estimatedMs, ratio, pass, calibratedOn });
    log(
      `  ${p.task.padEnd(4)} ${p.device.padEnd(32)} ${p.stack.padEnd(28)} measured ${String(p.ms).padStart(7)} ms  estimate ${
        estimatedMs === null ? 'n/a' : estimatedMs.toFixed(1).padStart(7)
      } ms  ratio ${ratio === null ? 'n/a' : ratio.toFixed(2)}  ${pass ? 'PASS' : 'MISS'}  (${profile.id})`,
    );
    if (!summary.arena.some((a) => a.file === m.file && a.profile === profile.id)) {
      summary.arena.push({
        file: m.file,
        profile: profile.id,
        arenaBytes: est.totals.ram.arenaBytes,
        lowerBoundBytes: est.totals.ram.arenaLowerBoundBytes,
        runtimeBytes: est.totals.ram.runtimeBytes,
        tflm: 'none known',
      });
    }
  }
  if (!summary.rows.length) log('  none: no model file matches a reference model');
  return summary;
}
