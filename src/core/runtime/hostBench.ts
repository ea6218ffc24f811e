/**
 * Microbenchmarks of this machine's CPU, run in ONNX Runtime itself with the settings measured profiling uses
 * (one intra-op thread, sequential execution, graph optimizations disabled), so that the host-cpu profile
 * describes the runtime the estimates are compared with, not a hand-written loop:
 *   float32 peak   a large MatMul and a large 3×3 Conv; the faster of the two (MAC/s of the kernel alone)
 *   int8 peak      ConvInteger 3×3 with uint8 activations and int8 or uint8 weights; the faster. The estimator
 *                  applies one efficiency per op class to every element type, so the int8 reference is the kernel
 *                  int8 CNNs spend their time in; MatMulInteger (uint8 × int8, the MLAS u8s8 GEMM, several times
 *                  faster on CPUs with VNNI) is measured and reported too
 *   bandwidth      Add of two 2 MiB float32 tensors, counted as the cost model counts it (both inputs read, the
 *                  output written) over the kernel time: activation-sized tensors, so the figure is what layers
 *                  see (caches included), not a RAM stream; the same Add on 32 MiB tensors (RAM) is reported too
 *   grouped conv   depthwise 3×3 convolutions (Conv float32, and ConvInteger uint8 × int8) with many groups on a
 *                  tiny map (256 channels, 2×2) and with few groups on a large one (64 channels, 32×32): ONNX
 *                  Runtime's kernels below optimization level `all` run one small GEMM per group, so time ≈ groups ×
 *                  per-group cost + MACs ÷ rate; the two sizes give both terms. The ratio of the uint8 × uint8 and
 *                  uint8 × int8 ConvInteger rates is kept too: the two weight types take different kernels
 *   LRN            LocalResponseNormalization (size 5) over 64×56×56: its time per FLOP the cost model counts for
 *                  it; ONNX Runtime's kernel is tens of times slower per element than other non-MAC ops
 *   overheads      chains of 1, 10 and 100 element-wise Adds on one-element tensors, timed as the accuracy
 *                  benchmark and `measure` time a model (a fresh session, 2 warm-up runs, the median of 10 runs,
 *                  profiling on) in several interleaved rounds, the fastest round: the median kernel time of
 *                  such an op, the time outside kernels per added op (the slope of wall − kernel time over the
 *                  chain length) and what is left for a graph of no ops (the intercept: the per-run cost of
 *                  `run()`: the JavaScript wrapper, the session's run set-up, inputs and outputs)
 * The kernel figures are the fastest of the timed runs after warm-up: other processes competing for the CPU only
 * ever add time, and a machine's own speed is what the profile needs. The per-run and per-node overheads are
 * medians within a session instead (the fastest session of several): a model's wall time is compared as the
 * median of its runs, and the fastest of many runs of a one-op graph sits several microseconds below the median
 * of the short series a measurement takes (a fixed bias the size of a sub-millisecond model's error budget).
 */

import { GraphBuilder, makeTensor, Rng } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { Model } from '../onnx/ir.js';
import { encodeModel } from '../onnx/writer.js';
import {
  featureOf,
  KERNEL_TERMS,
  type KernelCostModel,
  type KernelFeatures,
  type KernelTerm,
  kernelTime,
  SOFTMAX_NOT_LAST_AXIS,
  type SvmKernelKey,
  svmFeatures,
} from '../targets/hostCpu.js';
import { type MeasureResult, measureModel } from './measure.js';
import { median } from './profileTrace.js';

export interface HostBenchmark {
  id: string;
  description: string;
  /** Median kernel time of the measured node (or per op for the overhead chain), ms. */
  ms: number;
  /** What was achieved: MAC/s, bytes/s, or seconds. */
  value: number;
  unit: 'MAC/s' | 'B/s' | 's';
}

export interface HostBenchResult {
  float32MacsPerSec: number;
  /** Best int8 convolution (ConvInteger) rate; absent when ONNX Runtime ran neither. */
  int8MacsPerSec?: number;
  /** Activation-sized (cache-resident) Add. */
  bandwidthBytesPerSec: number;
  /** The same Add streaming from RAM. */
  ramBandwidthBytesPerSec?: number;
  /** Median kernel time of a one-element Add (dispatch and kernel prologue). */
  kernelOverheadSec: number;
  /** Executor time between two kernels (wall − kernel time, per added op). */
  interKernelSec: number;
  /** Fixed cost of one `run()` call beyond its ops: JavaScript binding, input and output tensors. */
  perInferenceOverheadSec: number;
  /** Grouped convolution (below level `all`): time per group, and the MAC rate of the rest. */
  groupedConv?: { perGroupSec: number; macsPerSec: number };
  /** The same for ConvInteger with int8 weights. */
  groupedConvInteger?: { perGroupSec: number; macsPerSec: number };
  /** ConvInteger rate with uint8 weights over the rate with int8 weights (≥ 1: int8 weights are slower). */
  convIntegerInt8WeightSlowdown?: number;
  /** LRN: seconds per FLOP of the cost model's count for it ((size + 3) per output element). */
  lrnSecPerFlop?: number;
  benchmarks: HostBenchmark[];
  /** Benchmarks ONNX Runtime could not run, with the reason. */
  skipped: { id: string; reason: string }[];
}

export interface HostBenchOptions {
  /** Timed runs per benchmark (default 7). */
  runs?: number;
  /** Smaller tensors (a few hundred ms in all): for tests; the numbers are noisier. */
  quick?: boolean;
}

const F = DataType.FLOAT;

function randomFloats(rng: Rng, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * scale;
  return out;
}

function randomInts(rng: Rng, n: number, low: number, high: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + Math.floor(rng.next() * (high - low + 1));
  return out;
}

interface Micro {
  id: string;
  description: string;
  model: Model;
  /** The node whose kernel time is the result. */
  node: string;
  /** MACs or bytes of the node per run. */
  work: number;
  unit: 'MAC/s' | 'B/s';
}

function matmulModel(m: number, k: number, n: number, int8: boolean, rng: Rng): Model {
  const b = new GraphBuilder({ opset: 17, name: int8 ? 'matmul_int8' : 'matmul_f32' });
  if (int8) {
    const a = b.input('a', DataType.UINT8, [m, k]);
    const w = b.addInitializer(makeTensor('w', DataType.INT8, [k, n], randomInts(rng, k * n, -64, 63)));
    const y = b.node('MatMulInteger', [a, w], {}, { name: 'mm' });
    b.output(y, DataType.INT32, [m, n]);
  } else {
    const a = b.input('a', F, [m, k]);
    const w = b.addInitializer(makeTensor('w', F, [k, n], randomFloats(rng, k * n, 0.05)));
    const y = b.node('MatMul', [a, w], {}, { name: 'mm' });
    b.output(y, F, [m, n]);
  }
  return b.build();
}

function convModel(c: number, size: number, cout: number, int8: boolean, weightType: number, rng: Rng): Model {
  const b = new GraphBuilder({ opset: 17, name: int8 ? 'conv_int8' : 'conv_f32' });
  const wn = cout * c * 9;
  if (int8) {
    const x = b.input('x', DataType.UINT8, [1, c, size, size]);
    const values = weightType === DataType.INT8 ? randomInts(rng, wn, -64, 63) : randomInts(rng, wn, 0, 127);
    const w = b.addInitializer(makeTensor('w', weightType, [cout, c, 3, 3], values));
    const y = b.node('ConvInteger', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
    b.output(y, DataType.INT32, [1, cout, size, size]);
  } else {
    const x = b.input('x', F, [1, c, size, size]);
    const w = b.addInitializer(makeTensor('w', F, [cout, c, 3, 3], randomFloats(rng, wn, 0.05)));
    const y = b.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
    b.output(y, F, [1, cout, size, size]);
  }
  return b.build();
}

function depthwiseModel(c: number, size: number, rng: Rng, integer: boolean): Model {
  const b = new GraphBuilder({ opset: 17, name: 'depthwise' });
  const attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: c };
  if (integer) {
    const x = b.input('x', DataType.UINT8, [1, c, size, size]);
    const w = b.addInitializer(makeTensor('w', DataType.INT8, [c, 1, 3, 3], randomInts(rng, c * 9, -64, 63)));
    const y = b.node('ConvInteger', [x, w], attrs, { name: 'conv' });
    b.output(y, DataType.INT32, [1, c, size, size]);
  } else {
    const x = b.input('x', F, [1, c, size, size]);
    const w = b.addInitializer(makeTensor('w', F, [c, 1, 3, 3], randomFloats(rng, c * 9, 0.3)));
    const y = b.node('Conv', [x, w], attrs, { name: 'conv' });
    b.output(y, F, [1, c, size, size]);
  }
  return b.build();
}

function lrnModel(c: number, size: number): Model {
  const b = new GraphBuilder({ opset: 17, name: 'lrn' });
  const x = b.input('x', F, [1, c, size, size]);
  const y = b.node('LRN', [x], { size: 5, alpha: 1e-4, beta: 0.75, bias: 1 }, { name: 'lrn' });
  b.output(y, F, [1, c, size, size]);
  return b.build();
}

function addModel(n: number): Model {
  const b = new GraphBuilder({ opset: 17, name: 'add_bandwidth' });
  const x = b.input('x', F, [n]);
  const y = b.input('y', F, [n]);
  const z = b.node('Add', [x, y], {}, { name: 'add' });
  b.output(z, F, [n]);
  return b.build();
}

/** `ops` chained Adds on one-element tensors. */
function chainModel(ops: number): Model {
  const b = new GraphBuilder({ opset: 17, name: `chain_${ops}` });
  let x = b.input('x', F, [1]);
  const one = b.initializer('one', F, [1], [1]);
  for (let i = 0; i < ops; i++) x = b.node('Add', [x, one], {}, { name: `add${i}` });
  b.output(x, F, [1]);
  return b.build();
}

/**
 * Runs a one-Add graph `calls` times in a few sessions, as `measureModel` does. The first few dozen to few hundred
 * `run()` calls of a process are several times slower than the rest (measured here: a one-Add graph's median run
 * takes 80–175 µs over the first 50–150 calls, then 19–20 µs) while V8 optimizes onnxruntime-node's JavaScript
 * around the native call; a sub-millisecond model measured before that would be timed with the JIT's work added.
 */
export async function warmUpOnnxRuntime(calls = 300): Promise<void> {
  const model = chainModel(1);
  const bytes = encodeModel(model);
  const sessions = 3;
  for (let i = 0; i < sessions; i++) {
    await measureModel(bytes, model, { runs: Math.max(1, Math.ceil(calls / sessions)), warmup: 0 });
  }
}

/** How `measure` and the accuracy benchmark time a model by default (measure.ts): 2 warm-up runs, median of 10. */
export const MEASURE_PROTOCOL = { runs: 10, warmup: 2 } as const;

export interface RunOverheads {
  /** Median kernel time of a one-element Add, s. */
  kernelSec: number;
  /** Time outside kernels per added op (slope over the chain length), s. */
  perNodeSec: number;
  /** Time outside kernels of a graph of no ops (intercept), s. */
  perRunSec: number;
  /** Per chain length: the fastest round's median wall time and median wall − kernel time, s. */
  chains: { ops: number; wallSec: number; gapSec: number }[];
}

/**
 * The per-run and per-node costs of `run()` as a measurement sees them: chains of one-element Adds of each length
 * in `lengths`, each timed with MEASURE_PROTOCOL in a fresh session, `rounds` times interleaved; per length the
 * fastest round. Per node: the least-squares slope of wall − kernel time over the chain length; per run: the
 * intercept. Call warmUpOnnxRuntime first.
 */
export async function measureRunOverheads(lengths: readonly number[], rounds: number): Promise<RunOverheads> {
  if (lengths.length < 2) throw new Error('measureRunOverheads needs at least two chain lengths');
  const gaps = new Map<number, number[]>(lengths.map((n) => [n, []]));
  const walls = new Map<number, number[]>(lengths.map((n) => [n, []]));
  const kernels: number[] = [];
  const models = new Map(lengths.map((n) => [n, chainModel(n)]));
  const longest = Math.max(...lengths);
  for (let r = 0; r < rounds; r++) {
    for (const n of lengths) {
      const model = models.get(n) as Model;
      const m = await measureModel(encodeModel(model), model, { ...MEASURE_PROTOCOL });
      gaps.get(n)?.push((m.wallMs - m.kernelMs) / 1000);
      walls.get(n)?.push(m.wallMs / 1000);
      if (n === longest) kernels.push(median(m.layers.map((l) => l.measuredMs)) / 1000);
    }
  }
  // Per length the fastest round: each round's figure is the median a measurement takes, and other processes
  // competing for the CPU only ever slow a whole round down.
  const chains = lengths.map((ops) => ({
    ops,
    wallSec: Math.min(...(walls.get(ops) ?? [])),
    gapSec: Math.min(...(gaps.get(ops) ?? [])),
  }));
  const mx = chains.reduce((s, c) => s + c.ops, 0) / chains.length;
  const my = chains.reduce((s, c) => s + c.gapSec, 0) / chains.length;
  const sxx = chains.reduce((s, c) => s + (c.ops - mx) ** 2, 0);
  const sxy = chains.reduce((s, c) => s + (c.ops - mx) * (c.gapSec - my), 0);
  const perNodeSec = Math.max(0, sxy / sxx);
  return { kernelSec: median(kernels), perNodeSec, perRunSec: Math.max(0, my - perNodeSec * mx), chains };
}

async function run(model: Model, runs: number, warmup = 2): Promise<MeasureResult> {
  return measureModel(encodeModel(model), model, { runs, warmup, statistic: 'min' });
}

function layerMs(r: MeasureResult, node: string): number {
  const l = r.layers.find((x) => x.name === node);
  if (!l) throw new Error(`benchmark node '${node}' has no measured time`);
  return l.measuredMs;
}

/** Runs the microbenchmarks (a few seconds; `quick`: well under one). */
export async function runHostBenchmarks(options: HostBenchOptions = {}): Promise<HostBenchResult> {
  const runs = Math.max(1, options.runs ?? 7);
  const q = options.quick === true;
  const rng = new Rng(7);
  const benchmarks: HostBenchmark[] = [];
  const skipped: HostBenchResult['skipped'] = [];

  const mm = q ? [64, 512, 512] : [256, 1024, 1024];
  const conv = q ? [32, 28, 64] : [64, 56, 128];
  const f32: Micro[] = [
    {
      id: 'matmul-f32',
      description: `MatMul float32 [${mm[0]}×${mm[1]}]·[${mm[1]}×${mm[2]}]`,
      model: matmulModel(mm[0], mm[1], mm[2], false, rng),
      node: 'mm',
      work: mm[0] * mm[1] * mm[2],
      unit: 'MAC/s',
    },
    {
      id: 'conv-f32',
      description: `Conv float32 3×3, ${conv[0]}→${conv[2]} channels, ${conv[1]}×${conv[1]}`,
      model: convModel(conv[0], conv[1], conv[2], false, F, rng),
      node: 'conv',
      work: conv[1] * conv[1] * conv[2] * conv[0] * 9,
      unit: 'MAC/s',
    },
  ];
  const matmulInteger: Micro = {
    id: 'matmulinteger-u8s8',
    description: `MatMulInteger uint8×int8 [${mm[0]}×${mm[1]}]·[${mm[1]}×${mm[2]}]`,
    model: matmulModel(mm[0], mm[1], mm[2], true, rng),
    node: 'mm',
    work: mm[0] * mm[1] * mm[2],
    unit: 'MAC/s',
  };
  const int8: Micro[] = [
    {
      id: 'convinteger-u8s8',
      description: `ConvInteger uint8×int8 3×3, ${conv[0]}→${conv[2]} channels, ${conv[1]}×${conv[1]}`,
      model: convModel(conv[0], conv[1], conv[2], true, DataType.INT8, rng),
      node: 'conv',
      work: conv[1] * conv[1] * conv[2] * conv[0] * 9,
      unit: 'MAC/s',
    },
    {
      id: 'convinteger-u8u8',
      description: `ConvInteger uint8×uint8 3×3, ${conv[0]}→${conv[2]} channels, ${conv[1]}×${conv[1]}`,
      model: convModel(conv[0], conv[1], conv[2], true, DataType.UINT8, rng),
      node: 'conv',
      work: conv[1] * conv[1] * conv[2] * conv[0] * 9,
      unit: 'MAC/s',
    },
  ];
  const addBench = (id: string, mib: number): Micro => {
    const n = (mib * 2 ** 20) / 4;
    return {
      id,
      description: `Add float32, two inputs of ${mib} MiB (inputs read + output written)`,
      model: addModel(n),
      node: 'add',
      work: 3 * n * 4,
      unit: 'B/s',
    };
  };
  const bandwidth = addBench('add-bandwidth', 2);
  const ramBandwidth = addBench('add-bandwidth-ram', q ? 8 : 32);

  const measureMicro = async (m: Micro): Promise<number | undefined> => {
    try {
      // The fastest of three sessions: on a machine shared with other processes a whole session can be slowed
      // down, and they only ever add time.
      let ms = Number.POSITIVE_INFINITY;
      for (let round = 0; round < (q ? 1 : 3); round++) ms = Math.min(ms, layerMs(await run(m.model, runs), m.node));
      const value = m.work / (ms / 1000);
      benchmarks.push({ id: m.id, description: m.description, ms, value, unit: m.unit });
      return value;
    } catch (err) {
      skipped.push({ id: m.id, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) });
      return undefined;
    }
  };

  const best = async (list: Micro[]) => {
    let top: number | undefined;
    for (const m of list) {
      const v = await measureMicro(m);
      if (v !== undefined && (top === undefined || v > top)) top = v;
    }
    return top;
  };
  // Overheads first, before the large tensors of the other benchmarks are allocated; after the JIT's warm-up.
  await warmUpOnnxRuntime(q ? 100 : 300);
  const lengths = q ? [1, 10, 40] : [1, 10, 100];
  const overheads = await measureRunOverheads(lengths, q ? 2 : 7);
  const kernelOverheadMs = overheads.kernelSec * 1000;
  const interKernelMs = overheads.perNodeSec * 1000;
  const perInferenceMs = overheads.perRunSec * 1000;
  const longOps = Math.max(...lengths);
  const chainsText = overheads.chains
    .map(
      (c) =>
        `${c.ops} Add${c.ops > 1 ? 's' : ''}: wall ${(c.wallSec * 1e6).toFixed(1)} µs, outside kernels ${(c.gapSec * 1e6).toFixed(1)} µs`,
    )
    .join('; ');
  // Grouped convolution: t = groups × g + MACs / r, from a many-group tiny map and a few-group large map.
  const grouped = async (id: string, what: string, integer: boolean) => {
    try {
      const small = { c: 256, s: 2 };
      const large = q ? { c: 32, s: 32 } : { c: 64, s: 32 };
      const t1 = layerMs(await run(depthwiseModel(small.c, small.s, rng, integer), runs * 3, 5), 'conv') / 1000;
      const t2 = layerMs(await run(depthwiseModel(large.c, large.s, rng, integer), runs * 3, 5), 'conv') / 1000;
      const m1 = small.c * 9 * small.s * small.s;
      const m2 = large.c * 9 * large.s * large.s;
      // Solve [small.c, m1; large.c, m2] · [g; 1/r] = [t1; t2].
      const det = small.c * m2 - large.c * m1;
      const g = (t1 * m2 - t2 * m1) / det;
      const invR = (small.c * t2 - large.c * t1) / det;
      if (!(g > 0 && invR > 0)) {
        skipped.push({ id, reason: `no positive solution (t1 ${t1} s, t2 ${t2} s)` });
        return undefined;
      }
      benchmarks.push({
        id,
        description: `depthwise 3×3 ${what}, ${small.c} channels ${small.s}×${small.s} (${(t1 * 1e3).toFixed(3)} ms) and ${large.c} channels ${large.s}×${large.s} (${(t2 * 1e3).toFixed(3)} ms): time per group`,
        ms: g * 1000,
        value: g,
        unit: 's',
      });
      return { perGroupSec: g, macsPerSec: 1 / invR };
    } catch (err) {
      skipped.push({ id, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) });
      return undefined;
    }
  };
  let lrnSecPerFlop: number | undefined;
  {
    // A short kernel (well under a millisecond): on a shared machine its fastest run is more often undisturbed.
    const [c, size] = [32, 28];
    const flops = c * size * size * (5 + 3);
    const v = await measureMicro({
      id: 'lrn',
      description: `LRN size 5 over ${c}×${size}×${size} (${flops} FLOPs as the cost model counts them)`,
      model: lrnModel(c, size),
      node: 'lrn',
      work: flops,
      unit: 'MAC/s',
    });
    if (v !== undefined) lrnSecPerFlop = 1 / v;
  }
  const groupedConv = await grouped('grouped-conv', 'Conv (float32)', false);
  const groupedConvInteger = await grouped('grouped-convinteger', 'ConvInteger (uint8 × int8)', true);

  const float32MacsPerSec = await best(f32);
  if (float32MacsPerSec === undefined) throw new Error('ONNX Runtime ran neither float32 benchmark');
  const int8MacsPerSec = await best(int8);
  const rateOf = (id: string) => benchmarks.find((x) => x.id === id)?.value;
  const u8u8 = rateOf('convinteger-u8u8');
  const u8s8 = rateOf('convinteger-u8s8');
  await measureMicro(matmulInteger);
  const bandwidthBytesPerSec = await measureMicro(bandwidth);
  if (bandwidthBytesPerSec === undefined) throw new Error('ONNX Runtime could not run the bandwidth benchmark');
  const ramBandwidthBytesPerSec = await measureMicro(ramBandwidth);

  benchmarks.push(
    {
      id: 'op-overhead',
      description: `median kernel time of a one-element Add (chain of ${longOps})`,
      ms: kernelOverheadMs,
      value: kernelOverheadMs / 1000,
      unit: 's',
    },
    {
      id: 'inter-kernel',
      description: `time outside kernels per op: slope of wall − kernel time over chains of ${lengths.join(', ')} one-element Adds, each the median of ${MEASURE_PROTOCOL.runs} runs after ${MEASURE_PROTOCOL.warmup} warm-up in a fresh session (as a measurement times a model), the fastest of ${q ? 2 : 7} interleaved rounds (${chainsText})`,
      ms: interKernelMs,
      value: interKernelMs / 1000,
      unit: 's',
    },
    {
      id: 'run-overhead',
      description: `per-run cost of run() outside kernels: intercept of the same fit (chains of ${lengths.join(', ')} one-element Adds, medians as a measurement takes them)`,
      ms: perInferenceMs,
      value: perInferenceMs / 1000,
      unit: 's',
    },
  );
  return {
    float32MacsPerSec,
    ...(int8MacsPerSec !== undefined ? { int8MacsPerSec } : {}),
    bandwidthBytesPerSec,
    ...(ramBandwidthBytesPerSec !== undefined ? { ramBandwidthBytesPerSec } : {}),
    kernelOverheadSec: kernelOverheadMs / 1000,
    interKernelSec: interKernelMs / 1000,
    perInferenceOverheadSec: perInferenceMs / 1000,
    ...(groupedConv ? { groupedConv } : {}),
    ...(groupedConvInteger ? { groupedConvInteger } : {}),
    ...(u8u8 && u8s8 ? { convIntegerInt8WeightSlowdown: u8u8 / u8s8 } : {}),
    ...(lrnSecPerFlop !== undefined ? { lrnSecPerFlop } : {}),
    benchmarks,
    skipped,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Kernel tables: what the roofline of one peak rate per op class cannot see on a CPU runtime.

/** One point of a size-dependent cost, as profile.ts SizeCost. */
export interface SizePoint {
  bytes: number;
  sec: number;
}

export interface HostKernelTables {
  /** Executor time between kernels beyond a one-element op's, by the bytes the op writes. */
  gapByOutputBytes: SizePoint[];
  /** `run()` time beyond a one-element graph's, by the bytes of the graph's input and output. */
  runByIoBytes: SizePoint[];
  /** Extra time per op of a type over a one-element Add (kernel set-up: im2col, packing, dispatch), seconds. */
  opOverheadSec: Record<string, number>;
  /** Kernel time per element written, for ops priced by the elements they write (not MACs), seconds. */
  opSecPerElement: Record<string, number>;
  benchmarks: HostBenchmark[];
  skipped: { id: string; reason: string }[];
}

type Build = (b: GraphBuilder, x: string, i: number) => string;

/** `n` chained ops built by `step` on a float32 input of `shape`; the output shape is whatever the chain ends at. */
function chainOf(name: string, shape: number[], n: number, step: Build, outShape?: number[]): Model {
  const b = new GraphBuilder({ opset: 17, name });
  let x = b.input('x', F, shape);
  for (let i = 0; i < n; i++) x = step(b, x, i);
  b.output(x, F, outShape);
  return b.build();
}

/** The ops whose fixed cost is measured, each as one step of a chain on a tiny [1, 8, 4, 4] tensor. */
function tinySteps(): Record<string, Build> {
  const c = 8;
  const pool =
    (op: string): Build =>
    (b, x, i) =>
      b.node(op, [x], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: `op${i}` });
  return {
    MaxPool: pool('MaxPool'),
    AveragePool: pool('AveragePool'),
    BatchNormalization: (b, x, i) => {
      const p = (k: string, v: number) => b.initializer(`${k}${i}`, F, [c], new Float32Array(c).fill(v));
      return b.node(
        'BatchNormalization',
        [x, p('s', 1), p('b', 0), p('m', 0), p('v', 1)],
        { epsilon: 1e-5 },
        { name: `op${i}` },
      );
    },
    Softmax: (b, x, i) => b.node('Softmax', [x], { axis: -1 }, { name: `op${i}` }),
    Transpose: (b, x, i) => b.node('Transpose', [x], { perm: [0, 1, 3, 2] }, { name: `op${i}` }),
    Resize: (b, x, i) => {
      const scales = b.initializer(`sc${i}`, F, [4], [1, 1, 1, 1]);
      return b.node('Resize', [x, '', scales], { mode: 'nearest' }, { name: `op${i}` });
    },
    Reshape: (b, x, i) => {
      const s = b.initializer(`sh${i}`, DataType.INT64, [4], [1, c, 4, 4]);
      return b.node('Reshape', [x, s], {}, { name: `op${i}` });
    },
    Concat: (b, x, i) => {
      const z = b.initializer(`z${i}`, F, [1, 1, 4, 4], new Float32Array(16));
      const y = b.node('Concat', [x, z], { axis: 1 }, { name: `op${i}` });
      const starts = b.initializer(`st${i}`, DataType.INT64, [1], [0]);
      const ends = b.initializer(`en${i}`, DataType.INT64, [1], [c]);
      const axes = b.initializer(`ax${i}`, DataType.INT64, [1], [1]);
      // The Slice that keeps the shape is itself a small op: Concat's figure is net of it (see below).
      return b.node('Slice', [y, starts, ends, axes], {}, { name: `slice${i}` });
    },
    Slice: (b, x, i) => {
      const starts = b.initializer(`st${i}`, DataType.INT64, [1], [0]);
      const ends = b.initializer(`en${i}`, DataType.INT64, [1], [c]);
      const axes = b.initializer(`ax${i}`, DataType.INT64, [1], [1]);
      return b.node('Slice', [x, starts, ends, axes], {}, { name: `op${i}` });
    },
    Sigmoid: (b, x, i) => b.node('Sigmoid', [x], {}, { name: `op${i}` }),
    Add: (b, x, i) => {
      const one = b.initializer(`one${i}`, F, [1], [1]);
      return b.node('Add', [x, one], {}, { name: `op${i}` });
    },
  };
}

/** Single-op graphs on a [1, 64, s, s] float32 input, for the per-element rates. */
function elementOp(op: string, s: number, rng: Rng): Model | undefined {
  const c = 64;
  const shape = [1, c, s, s];
  const n = c * s * s;
  const b = new GraphBuilder({ opset: 17, name: `elem_${op}` });
  const x = b.input('x', F, shape);
  const out = (y: string, dtype: number = F, dims?: number[]) => {
    b.output(y, dtype, dims);
    return b.build();
  };
  const same = (name: string, attrs: Record<string, number | number[] | string> = {}) =>
    out(b.node(name, [x], attrs, { name: 'op' }));
  const binary = (name: string) => {
    const y = b.input('y', F, shape);
    return out(b.node(name, [x, y], {}, { name: 'op' }));
  };
  const i64 = (name: string, v: number[]) => b.initializer(name, DataType.INT64, [v.length], v);
  switch (op) {
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh':
    case 'Exp':
    case 'Erf':
    case 'Sqrt':
    case 'Abs':
    case 'Neg':
      return same(op);
    case 'HardSigmoid':
      return same(op, { alpha: 0.2, beta: 0.5 });
    case 'LeakyRelu':
      return same(op, { alpha: 0.1 });
    case 'Softmax':
      return same(op, { axis: -1 });
    case SOFTMAX_NOT_LAST_AXIS:
      // Over the channels of [1, 64, s, s]: ONNX Runtime moves the axis last and back around the kernel.
      return same('Softmax', { axis: 1 });
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return binary(op);
    case 'Clip': {
      const lo = b.initializer('lo', F, [], [0]);
      const hi = b.initializer('hi', F, [], [6]);
      return out(b.node('Clip', [x, lo, hi], {}, { name: 'op' }));
    }
    case 'BatchNormalization': {
      const p = (k: string, v: number) => b.initializer(k, F, [c], new Float32Array(c).fill(v));
      return out(b.node(op, [x, p('s', 1), p('b', 0), p('m', 0), p('v', 1)], { epsilon: 1e-5 }, { name: 'op' }));
    }
    case 'Cast':
      return out(b.node('Cast', [x], { to: DataType.FLOAT16 }, { name: 'op' }), DataType.FLOAT16, shape);
    case 'QuantizeLinear': {
      const scale = b.initializer('scale', F, [], [0.05]);
      const zp = b.initializer('zp', DataType.UINT8, [], [128]);
      return out(b.node(op, [x, scale, zp], {}, { name: 'op' }), DataType.UINT8, shape);
    }
    case 'DequantizeLinear': {
      const b2 = new GraphBuilder({ opset: 17, name: 'elem_dq' });
      const q = b2.input('q', DataType.UINT8, shape);
      const scale = b2.initializer('scale', F, [], [0.05]);
      const zp = b2.initializer('zp', DataType.UINT8, [], [128]);
      b2.output(b2.node(op, [q, scale, zp], {}, { name: 'op' }), F, shape);
      return b2.build();
    }
    case 'DynamicQuantizeLinear': {
      const [y, scale, zp] = b.nodeOutputs(op, [x], 3, {}, { name: 'op' });
      b.output(y, DataType.UINT8, shape);
      b.output(scale, F, []);
      b.output(zp, DataType.UINT8, []);
      return b.build();
    }
    case 'Concat': {
      const y = b.input('y', F, shape);
      return out(b.node(op, [x, y], { axis: 1 }, { name: 'op' }));
    }
    case 'Transpose':
      return same(op, { perm: [0, 2, 3, 1] });
    case 'Split': {
      const parts = b.nodeOutputs(op, [x, i64('split', [c / 2, c / 2])], 2, { axis: 1 }, { name: 'op' });
      for (const p of parts) b.output(p, F, [1, c / 2, s, s]);
      return b.build();
    }
    case 'Slice':
      return out(b.node(op, [x, i64('st', [0]), i64('en', [c / 2]), i64('ax', [1])], {}, { name: 'op' }));
    case 'Pad':
      return out(b.node(op, [x, i64('pads', [0, 0, 1, 1, 0, 0, 1, 1])], {}, { name: 'op' }));
    case 'Resize': {
      const scales = b.initializer('scales', F, [4], [1, 1, 2, 2]);
      return out(b.node(op, [x, '', scales], { mode: 'nearest' }, { name: 'op' }));
    }
    case 'MaxPool':
    case 'AveragePool':
      return same(op, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    case 'GlobalAveragePool':
      return same(op);
    case 'ConstantOfShape': {
      const b2 = new GraphBuilder({ opset: 17, name: 'elem_cos' });
      const shp = b2.input('shape', DataType.INT64, [4]);
      b2.output(b2.node(op, [shp], {}, { name: 'op' }), F, undefined);
      return b2.build();
    }
    case 'Expand': {
      const b2 = new GraphBuilder({ opset: 17, name: 'elem_expand' });
      const v = b2.input('x', F, [1, c, 1, 1]);
      const shp = b2.initializer('shape', DataType.INT64, [4], shape);
      b2.output(b2.node(op, [v, shp], {}, { name: 'op' }), F, shape);
      return b2.build();
    }
    default:
      void n;
      void rng;
      return undefined;
  }
}

/** Op types whose kernel time per element written is measured. */
export const ELEMENT_RATE_OPS = [
  'Relu',
  'Sigmoid',
  'Tanh',
  'Exp',
  'Erf',
  'Sqrt',
  'Abs',
  'Neg',
  'HardSigmoid',
  'LeakyRelu',
  'Softmax',
  SOFTMAX_NOT_LAST_AXIS,
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Clip',
  'BatchNormalization',
  'Cast',
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'Concat',
  'Transpose',
  'Split',
  'Slice',
  'Pad',
  'Resize',
  'ConstantOfShape',
  'Expand',
] as const;

/** Elements an op writes in the graphs of `elementOp` (its outputs together), for an input of [1, 64, s, s]. */
function elementsWritten(op: string, s: number): number {
  const n = 64 * s * s;
  if (op === 'Concat') return 2 * n;
  if (op === 'Slice') return n / 2;
  if (op === 'Pad') return 64 * (s + 2) * (s + 2);
  if (op === 'Resize') return 4 * n;
  return n;
}

/**
 * Measures the kernel tables (about two seconds; `quick`: a fraction). Every figure is the fastest of the timed
 * runs (hostBench's rule); time differences between two sizes or two op types cancel what both share.
 */
export async function runHostKernelTables(options: HostBenchOptions = {}): Promise<HostKernelTables> {
  const runs = Math.max(3, options.runs ?? 7);
  const q = options.quick === true;
  const rng = new Rng(17);
  const benchmarks: HostBenchmark[] = [];
  const skipped: HostKernelTables['skipped'] = [];
  const fail = (id: string, err: unknown) =>
    skipped.push({ id, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) });

  // Gaps by size: chains of 1 and 9 Relus on n floats. Per op: (gap9 − gap1) / 8 beyond the one-element gap;
  // per run: gap1 beyond the one-element graph's.
  const sizes = q ? [1, 262144] : [1, 65536, 1048576, 4194304];
  const relu: Build = (b, x, i) => b.node('Relu', [x], {}, { name: `op${i}` });
  const gaps: { n: number; perOp: number; run: number }[] = [];
  for (const n of sizes) {
    // Three interleaved rounds, the fastest of each: a busy moment of the machine rarely spans all of them.
    let g1 = Number.POSITIVE_INFINITY;
    let g9 = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      const r1 = await run(chainOf('gap1', [n], 1, relu, [n]), runs * 2, 5);
      const r9 = await run(chainOf('gap9', [n], 9, relu, [n]), runs * 2, 5);
      g1 = Math.min(g1, (r1.wallMs - r1.kernelMs) / 1000);
      g9 = Math.min(g9, (r9.wallMs - r9.kernelMs) / 1000);
    }
    gaps.push({ n, perOp: Math.max(0, (g9 - g1) / 8), run: Math.max(0, g1) });
  }
  const base = gaps[0];
  // Keep the tables monotone: a larger tensor never costs less than a smaller one measured before it.
  let op = 0;
  let rn = 0;
  const gapByOutputBytes: SizePoint[] = [];
  const runByIoBytes: SizePoint[] = [];
  for (const g of gaps.slice(1)) {
    op = Math.max(op, g.perOp - base.perOp);
    rn = Math.max(rn, g.run - base.run);
    gapByOutputBytes.push({ bytes: 4 * g.n, sec: op });
    runByIoBytes.push({ bytes: 8 * g.n, sec: rn });
    benchmarks.push({
      id: `gap-${4 * g.n}`,
      description: `Relu chains of 1 and 9 on ${g.n} float32: executor time between kernels ${(g.perOp * 1e6).toFixed(2)} µs, run() beyond the kernels ${(g.run * 1e6).toFixed(1)} µs (one element: ${(base.perOp * 1e6).toFixed(2)} and ${(base.run * 1e6).toFixed(1)} µs)`,
      ms: g.perOp * 1000,
      value: g.perOp,
      unit: 's',
    });
  }

  // Fixed cost per op type: wall time of 16 chained tiny ops against 16 chained one-element Adds... on the same
  // tiny tensor, so that both pay the same gaps.
  const chain = 16;
  const steps = tinySteps();
  const wallPerOp = async (id: string, step: Build) => {
    const r = await run(chainOf(`tiny_${id}`, [1, 8, 4, 4], chain, step), runs * 4, 20);
    return r.wallMs / 1000 / chain;
  };
  const opOverheadSec: Record<string, number> = {};
  // Several interleaved rounds, each op against the reference chain timed in the same round; the median of the
  // rounds' differences: a difference of two short timings is at the mercy of one busy moment of the machine.
  const rounds = q ? 1 : 5;
  const extra = new Map<string, number[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      const add = await wallPerOp('Add', steps.Add);
      const slice = await wallPerOp('Slice', steps.Slice);
      for (const [id, step] of Object.entries(steps)) {
        if (id === 'Add') continue;
        try {
          const t = await wallPerOp(id, step);
          const list = extra.get(id) ?? [];
          list.push(t - (id === 'Concat' ? slice : add));
          extra.set(id, list);
        } catch (err) {
          if (round === 0) fail(`op-overhead-${id}`, err);
        }
      }
    }
    for (const [id, list] of extra) {
      opOverheadSec[id] = Math.max(0, median(list));
      benchmarks.push({
        id: `op-overhead-${id}`,
        description: `${chain} chained ${id} on [1, 8, 4, 4] against as many one-element Adds: extra time per op (the median of ${list.length} interleaved rounds: ${list.map((v) => (v * 1e6).toFixed(2)).join(', ')} µs)`,
        ms: opOverheadSec[id] * 1000,
        value: opOverheadSec[id],
        unit: 's',
      });
    }
  } catch (err) {
    fail('op-overhead', err);
  }

  // Time per element written: one op at two sizes, the difference over the difference in elements.
  const [s1, s2] = q ? [8, 24] : [16, 56];
  const opSecPerElement: Record<string, number> = {};
  for (const opType of ELEMENT_RATE_OPS) {
    try {
      const m1 = elementOp(opType, s1, rng);
      const m2 = elementOp(opType, s2, rng);
      if (!m1 || !m2) continue;
      const feeds = (s: number) => (opType === 'ConstantOfShape' ? { dims: {}, shape: [1, 64, s, s] } : undefined);
      const t1 = Math.min(await runElement(m1, runs, feeds(s1)?.shape), await runElement(m1, runs, feeds(s1)?.shape));
      const t2 = Math.min(await runElement(m2, runs, feeds(s2)?.shape), await runElement(m2, runs, feeds(s2)?.shape));
      const e1 = elementsWritten(opType, s1);
      const e2 = elementsWritten(opType, s2);
      const v = (t2 - t1) / (e2 - e1);
      if (!(v > 0)) {
        skipped.push({ id: `per-element-${opType}`, reason: `no positive slope (${t1} s, ${t2} s)` });
        continue;
      }
      opSecPerElement[opType] = v;
      benchmarks.push({
        id: `per-element-${opType}`,
        description: `${opType} on [1, 64, ${s1}, ${s1}] (${(t1 * 1e6).toFixed(1)} µs) and [1, 64, ${s2}, ${s2}] (${(t2 * 1e6).toFixed(1)} µs): kernel time per element written`,
        ms: v * 1000,
        value: v,
        unit: 's',
      });
    } catch (err) {
      fail(`per-element-${opType}`, err);
    }
  }
  return { gapByOutputBytes, runByIoBytes, opOverheadSec, opSecPerElement, benchmarks, skipped };
}

/** Fastest kernel time of node `op`, seconds; `shapeValue`: the value of an int64 `shape` input (ConstantOfShape). */
async function runElement(model: Model, runs: number, shapeValue?: number[]): Promise<number> {
  const inputs = shapeValue
    ? { shape: new (await import('onnxruntime-node')).Tensor('int64', BigInt64Array.from(shapeValue.map(BigInt)), [4]) }
    : undefined;
  const r = await measureModel(encodeModel(model), model, {
    runs: runs * 2,
    warmup: 3,
    statistic: 'min',
    ...(inputs ? { inputs } : {}),
  });
  return layerMs(r, 'op') / 1000;
}

// ---------------------------------------------------------------------------------------------------------------
// Kernel regressions: a GEMM-shaped cost for convolutions and matrix products, fitted to microbenchmarks.

/** Solves the normal equations A·x = b (small, dense) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-300) return undefined;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const k = m[r][c] / m[c][c];
      for (let j = c; j <= n; j++) m[r][j] -= k * m[c][j];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

/** Weighted least squares over `active` terms (rows weighted by 1/time); coefficients and the weighted SSE. */
function leastSquares(
  usable: readonly { features: KernelFeatures; sec: number }[],
  active: readonly KernelTerm[],
): { coef: number[]; sse: number } | undefined {
  // Columns scaled to unit size so the normal equations stay well conditioned.
  const scale = active.map((t) => Math.max(...usable.map((r) => featureOf(r.features, t) / r.sec), 1e-300));
  const ata = active.map(() => active.map(() => 0));
  const atb = active.map(() => 0);
  for (const r of usable) {
    const x = active.map((t, i) => featureOf(r.features, t) / r.sec / scale[i]);
    for (let i = 0; i < x.length; i++) {
      atb[i] += x[i];
      for (let j = 0; j < x.length; j++) ata[i][j] += x[i] * x[j];
    }
  }
  for (let i = 0; i < active.length; i++) ata[i][i] += 1e-9;
  const sol = solve(ata, atb);
  if (!sol) return undefined;
  const coef = sol.map((v, i) => v / scale[i]);
  const sse = usable.reduce((sum, r) => {
    const pred = active.reduce((p, t, i) => p + coef[i] * featureOf(r.features, t), 0);
    return sum + (pred / r.sec - 1) ** 2;
  }, 0);
  return { coef, sse };
}

/**
 * Least-squares fit of the terms in `terms` to measured times, each row weighted by 1/time (relative error, so
 * that small kernels count as much as large ones), with no coefficient below zero: of every subset of the terms
 * whose unconstrained fit has no negative coefficient, the one with the smallest weighted squared error (the
 * non-negative least-squares solution; a handful of terms make that at most a few hundred small solves). Terms
 * left out are 0.
 */
export function fitKernelCostModel(
  rows: readonly { features: KernelFeatures; sec: number }[],
  terms: readonly KernelTerm[] = KERNEL_TERMS,
): KernelCostModel | undefined {
  const usable = rows.filter((r) => r.sec > 0);
  const all = [...new Set(terms)];
  if (!usable.length || !all.length || all.length > 10) return undefined;
  let best: { active: KernelTerm[]; coef: number[]; sse: number } | undefined;
  for (let mask = 1; mask < 1 << all.length; mask++) {
    const active = all.filter((_, i) => mask & (1 << i));
    const fit = leastSquares(usable, active);
    if (!fit || fit.coef.some((v) => v < 0)) continue;
    if (!best || fit.sse < best.sse * (1 - 1e-12)) best = { active, ...fit };
  }
  if (!best) return undefined;
  const model = Object.fromEntries(KERNEL_TERMS.map((t) => [t, 0])) as Record<KernelTerm, number>;
  const chosen = best;
  chosen.active.forEach((t, i) => {
    model[t] = chosen.coef[i];
  });
  const errs = usable.map((r) => Math.abs(kernelTime(model, r.features) - r.sec) / r.sec);
  return { ...model, shapes: usable.length, medianAbsErrorPct: 100 * median(errs) };
}

/**
 * Features of a 2-D convolution [1, cin, h, w] → [1, cout, hout, wout] with a k×k kernel, `group` groups.
 * `direct`: a pointwise convolution that ONNX Runtime runs as a GEMM on the input itself, with nothing unfolded
 * (MLAS's MlasConvPrepare picks its GemmDirect algorithm for a 1×1 kernel with unit strides and no padding,
 * onnxruntime/core/mlas/lib/convolve.cpp): no rows copied; the patch is then the input the GEMM packs.
 */
export function convFeatures(
  cin: number,
  cout: number,
  k: number,
  hout: number,
  wout: number,
  group = 1,
  direct = false,
): KernelFeatures {
  const n = hout * wout;
  const kdim = (cin / group) * k * k;
  const mdim = cout / group;
  return {
    macs: group * mdim * kdim * n,
    outputs: cout * n,
    patch: group * kdim * n,
    weights: group * mdim * kdim,
    groups: group,
    rows: direct ? 0 : group * kdim * hout,
  };
}

/** Features of a matrix product [m, k] · [k, n]. */
export function gemmFeatures(m: number, k: number, n: number): KernelFeatures {
  return { macs: m * k * n, outputs: m * n, patch: m * k, weights: k * n, groups: 1, rows: 0 };
}

export interface HostKernelRegressions {
  conv?: KernelCostModel;
  /** 1×1 convolutions with unit strides and no padding (a plain GEMM on the input). */
  pointwise?: KernelCostModel;
  depthwise?: KernelCostModel;
  depthwiseStrided?: KernelCostModel;
  gemm?: KernelCostModel;
  convInteger?: KernelCostModel;
  convIntegerDepthwise?: KernelCostModel;
  /** ai.onnx.ml SVMClassifier with support vectors, per kernel type (svmKernelModelKey). */
  svm?: Partial<Record<SvmKernelKey, KernelCostModel>>;
  benchmarks: HostBenchmark[];
  skipped: { id: string; reason: string }[];
}

/**
 * A spread of layer shapes (not any benchmarked model's): [cin, cout, k, stride, input height, input width (default:
 * the height)]. The maps that are not square (tall and narrow, wide and flat, as audio spectrograms and strips give)
 * separate the per-row cost of the unfolding from the per-output cost.
 */
const CONV_SHAPES: [number, number, number, number, number, number?][] = [
  [3, 16, 3, 2, 128],
  [3, 32, 3, 2, 224],
  [1, 8, 5, 1, 28],
  [8, 8, 1, 1, 64],
  [16, 16, 1, 1, 64],
  [32, 8, 1, 1, 32],
  [24, 144, 1, 1, 28],
  [144, 24, 1, 1, 28],
  [32, 10, 3, 1, 8],
  [96, 4, 1, 1, 16],
  [64, 64, 3, 1, 28],
  [128, 128, 1, 1, 14],
  [64, 128, 3, 2, 56],
  [256, 32, 1, 1, 4],
  [256, 256, 1, 1, 2],
  [512, 512, 3, 1, 7],
  [32, 64, 3, 1, 56],
  [160, 960, 1, 1, 7],
  [16, 32, 3, 1, 40, 8],
  [32, 32, 3, 1, 6, 48],
  [1, 16, 3, 1, 62, 20],
  [64, 64, 3, 2, 20, 4],
  [16, 16, 3, 1, 32],
  [48, 96, 3, 1, 14],
  [128, 256, 3, 2, 28],
  [256, 256, 3, 1, 12],
  [3, 48, 7, 2, 96],
  [96, 64, 5, 1, 16],
  [64, 256, 1, 1, 14],
  [512, 128, 1, 1, 9],
];

/** [channels, k, stride, input height, input width (default: the height)]; stride 1 (ONNX Runtime's depthwise kernel) */
const DEPTHWISE_SHAPES: [number, number, number, number, number?][] = [
  [16, 3, 1, 64],
  [32, 3, 1, 112],
  [96, 5, 1, 14],
  [128, 3, 1, 28],
  [256, 3, 1, 14],
  [384, 3, 1, 8],
  [512, 3, 1, 7],
  [1024, 3, 1, 4],
  [48, 7, 1, 28],
  [24, 3, 1, 96],
  [64, 3, 1, 12],
  [8, 3, 1, 48],
  [32, 3, 1, 6],
  [32, 3, 1, 48, 6],
  [64, 3, 1, 6, 48],
  [48, 3, 1, 30, 4],
  [128, 3, 1, 16, 3],
  [16, 5, 1, 40, 10],
];

/** Strided depthwise convolutions take another path in ONNX Runtime (one small GEMM per group): fitted apart. */
const DEPTHWISE_STRIDED_SHAPES: [number, number, number, number, number?][] = [
  [16, 3, 2, 112],
  [24, 3, 2, 56],
  [64, 3, 2, 56],
  [144, 3, 2, 28],
  [32, 7, 2, 28],
  [128, 3, 2, 14],
  [240, 5, 2, 14],
  [512, 3, 2, 14],
  [96, 3, 2, 8],
  [32, 3, 2, 64, 8],
  [64, 3, 2, 8, 64],
];

/** [m, k, n] */
const GEMM_SHAPES: [number, number, number][] = [
  [1, 64, 10],
  [1, 256, 128],
  [1, 512, 1000],
  [1, 1024, 1000],
  [1, 2048, 2048],
  [8, 256, 256],
  [64, 256, 1024],
  [128, 512, 512],
  [16, 128, 64],
];

function convShapeModel(
  cin: number,
  cout: number,
  k: number,
  stride: number,
  [h, wd]: [number, number],
  group: number,
  rng: Rng,
) {
  const b = new GraphBuilder({ opset: 17, name: 'conv_shape' });
  const x = b.input('x', F, [1, cin, h, wd]);
  const w = b.initializer('w', F, [cout, cin / group, k, k], randomFloats(rng, (cout * cin * k * k) / group, 0.05));
  const bias = b.initializer('b', F, [cout], randomFloats(rng, cout, 0.05));
  const p = Math.floor(k / 2);
  const y = b.node(
    'Conv',
    [x, w, bias],
    { kernel_shape: [k, k], pads: [p, p, p, p], strides: [stride, stride], group },
    { name: 'op' },
  );
  b.output(y, F, undefined);
  return { model: b.build(), ...outSize(h, wd, k, stride) };
}

/** Output height and width of a k×k convolution with "same" padding (k/2 each side) at `stride`. */
function outSize(h: number, w: number, k: number, stride: number): { outH: number; outW: number } {
  const p = Math.floor(k / 2);
  return { outH: Math.floor((h + 2 * p - k) / stride) + 1, outW: Math.floor((w + 2 * p - k) / stride) + 1 };
}

/** ConvInteger (uint8 input, int8 weights: what dynamically quantized models run) of the same shape. */
function convIntegerShapeModel(
  cin: number,
  cout: number,
  k: number,
  stride: number,
  [h, wd]: [number, number],
  group: number,
  rng: Rng,
) {
  const b = new GraphBuilder({ opset: 17, name: 'convinteger_shape' });
  const x = b.input('x', DataType.UINT8, [1, cin, h, wd]);
  const n = (cout * cin * k * k) / group;
  const w = b.addInitializer(makeTensor('w', DataType.INT8, [cout, cin / group, k, k], randomInts(rng, n, -64, 63)));
  const p = Math.floor(k / 2);
  const y = b.node(
    'ConvInteger',
    [x, w],
    { kernel_shape: [k, k], pads: [p, p, p, p], strides: [stride, stride], group },
    { name: 'op' },
  );
  b.output(y, DataType.INT32, undefined);
  return { model: b.build(), ...outSize(h, wd, k, stride) };
}

/**
 * SVMClassifier shapes [support vectors S, features F, classes C]: a spread of classical-ML sizes (not any
 * benchmarked model's), one example per run. The kernel type decides ONNX Runtime's path (a matrix product for
 * LINEAR/POLY/SIGMOID, a distance per vector for RBF), so each type is fitted on its own.
 */
const SVM_SHAPES: [number, number, number][] = [
  [32, 8, 2],
  [128, 16, 3],
  [256, 64, 2],
  [512, 32, 5],
  [1500, 12, 3],
  [2048, 48, 6],
  [96, 128, 4],
];

const SVM_KERNELS = ['LINEAR', 'POLY', 'RBF', 'SIGMOID'] as const;

/** SVMClassifier with S support vectors of F features in C classes (one-vs-one), one example [1, F]. */
function svmModel(vectors: number, features: number, classes: number, kernel: string, rng: Rng): Model {
  const b = new GraphBuilder({
    opset: 17,
    name: 'svm_shape',
    opsetImports: [{ domain: 'ai.onnx.ml', version: 3 }],
  });
  const x = b.input('x', F, [1, features]);
  const perClass = Array.from(
    { length: classes },
    (_, i) => Math.floor(vectors / classes) + (i < vectors % classes ? 1 : 0),
  );
  const pairs = (classes * (classes - 1)) / 2;
  const [label, scores] = b.nodeOutputs(
    'SVMClassifier',
    [x],
    2,
    {
      classlabels_ints: Array.from({ length: classes }, (_, i) => i),
      coefficients: Array.from(randomFloats(rng, (classes - 1) * vectors, 1)),
      kernel_params: [1 / features, 0, 3],
      kernel_type: kernel,
      rho: Array.from(randomFloats(rng, pairs, 1)),
      support_vectors: Array.from(randomFloats(rng, vectors * features, 1)),
      vectors_per_class: perClass,
    },
    { name: 'op', domain: 'ai.onnx.ml' },
  );
  b.output(label, DataType.INT64, [1]);
  b.output(scores, F, undefined);
  return b.build();
}

/** Key of an SVMClassifier kernel type's cost model in HostKernelRegressions.svm. */
export function svmKernelModelKey(kernelType: string): SvmKernelKey | undefined {
  const k = kernelType.toUpperCase();
  return (SVM_KERNELS as readonly string[]).includes(k) ? (k as SvmKernelKey) : undefined;
}

function gemmShapeModel(m: number, k: number, n: number, rng: Rng): Model {
  const b = new GraphBuilder({ opset: 17, name: 'gemm_shape' });
  const x = b.input('x', F, [m, k]);
  const w = b.initializer('w', F, [k, n], randomFloats(rng, k * n, 0.05));
  const bias = b.initializer('b', F, [n], randomFloats(rng, n, 0.05));
  b.output(b.node('Gemm', [x, w, bias], {}, { name: 'op' }), F, [m, n]);
  return b.build();
}

/** Measures the shapes above and fits a KernelCostModel for each family (a few seconds). */
export async function runHostKernelRegressions(options: HostBenchOptions = {}): Promise<HostKernelRegressions> {
  const runs = Math.max(3, options.runs ?? 7);
  const q = options.quick === true;
  const rng = new Rng(23);
  const benchmarks: HostBenchmark[] = [];
  const skipped: HostKernelRegressions['skipped'] = [];
  const time = async (id: string, description: string, model: Model) => {
    try {
      let sec = Number.POSITIVE_INFINITY;
      for (let round = 0; round < (q ? 1 : 2); round++) {
        const r = await measureModel(encodeModel(model), model, { runs: runs * 2, warmup: 3, statistic: 'min' });
        sec = Math.min(sec, layerMs(r, 'op') / 1000);
      }
      benchmarks.push({ id, description, ms: sec * 1000, value: sec, unit: 's' });
      return sec;
    } catch (err) {
      skipped.push({ id, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) });
      return undefined;
    }
  };
  const pick = <T>(list: T[]) => (q ? list.filter((_, i) => i % 3 === 0) : list);
  // Input map [height, width] of a shape row, and how ids and descriptions name it.
  const map = (h: number, w?: number): [number, number] => [h, w ?? h];
  const mapId = ([h, w]: [number, number]) => (h === w ? `${h}` : `${h}x${w}`);
  const mapText = ([h, w]: [number, number]) => `${h}×${w}`;
  const convRows: { features: KernelFeatures; sec: number }[] = [];
  const pointwiseRows: { features: KernelFeatures; sec: number }[] = [];
  for (const [cin, cout, k, stride, h, w] of pick(CONV_SHAPES)) {
    const hw = map(h, w);
    const { model, outH, outW } = convShapeModel(cin, cout, k, stride, hw, 1, rng);
    const sec = await time(
      `conv-${cin}-${cout}-k${k}-s${stride}-${mapId(hw)}`,
      `Conv ${cin}→${cout} ${k}×${k}/${stride} on ${mapText(hw)}`,
      model,
    );
    if (sec === undefined) continue;
    // Pointwise convolutions with unit strides run as a plain GEMM (no unfolding): a family of their own.
    const direct = k === 1 && stride === 1;
    (direct ? pointwiseRows : convRows).push({ features: convFeatures(cin, cout, k, outH, outW, 1, direct), sec });
  }
  const depthwiseRows = async (shapes: [number, number, number, number, number?][]) => {
    const rows: { features: KernelFeatures; sec: number }[] = [];
    for (const [c, k, stride, h, w] of pick(shapes)) {
      const hw = map(h, w);
      const { model, outH, outW } = convShapeModel(c, c, k, stride, hw, c, rng);
      const sec = await time(
        `depthwise-${c}-k${k}-s${stride}-${mapId(hw)}`,
        `depthwise Conv ${c} channels ${k}×${k}/${stride} on ${mapText(hw)}`,
        model,
      );
      if (sec !== undefined) rows.push({ features: convFeatures(c, c, k, outH, outW, c), sec });
    }
    return rows;
  };
  const dwRows = await depthwiseRows(DEPTHWISE_SHAPES);
  const stridedRows = await depthwiseRows(DEPTHWISE_STRIDED_SHAPES);
  // ConvInteger with int8 weights: dense shapes, then depthwise (stride 1 and 2 together: one grouped path).
  const intRows: { features: KernelFeatures; sec: number }[] = [];
  for (const [cin, cout, k, stride, h, w] of pick(CONV_SHAPES)) {
    const hw = map(h, w);
    const { model, outH, outW } = convIntegerShapeModel(cin, cout, k, stride, hw, 1, rng);
    const sec = await time(
      `convinteger-${cin}-${cout}-k${k}-s${stride}-${mapId(hw)}`,
      `ConvInteger uint8×int8 ${cin}→${cout} ${k}×${k}/${stride} on ${mapText(hw)}`,
      model,
    );
    if (sec !== undefined) intRows.push({ features: convFeatures(cin, cout, k, outH, outW), sec });
  }
  const intDwRows: { features: KernelFeatures; sec: number }[] = [];
  for (const [c, k, stride, h, w] of pick([...DEPTHWISE_SHAPES, ...DEPTHWISE_STRIDED_SHAPES])) {
    const hw = map(h, w);
    const { model, outH, outW } = convIntegerShapeModel(c, c, k, stride, hw, c, rng);
    const sec = await time(
      `convinteger-depthwise-${c}-k${k}-s${stride}-${mapId(hw)}`,
      `depthwise ConvInteger uint8×int8 ${c} channels ${k}×${k}/${stride} on ${mapText(hw)}`,
      model,
    );
    if (sec !== undefined) intDwRows.push({ features: convFeatures(c, c, k, outH, outW, c), sec });
  }
  const gemmRows: { features: KernelFeatures; sec: number }[] = [];
  for (const [m, k, n] of pick(GEMM_SHAPES)) {
    const sec = await time(`gemm-${m}-${k}-${n}`, `Gemm [${m}×${k}]·[${k}×${n}] + bias`, gemmShapeModel(m, k, n, rng));
    if (sec !== undefined) gemmRows.push({ features: gemmFeatures(m, k, n), sec });
  }
  // SVMClassifier: per kernel type, features as svmFeatures gives them (one example).
  const svm: Partial<Record<SvmKernelKey, KernelCostModel>> = {};
  for (const kernel of SVM_KERNELS) {
    const rows: { features: KernelFeatures; sec: number }[] = [];
    for (const [vectors, features, classes] of q ? SVM_SHAPES.slice(0, 5) : SVM_SHAPES) {
      const sec = await time(
        `svm-${kernel.toLowerCase()}-${vectors}-${features}-${classes}`,
        `SVMClassifier ${kernel}, ${vectors} support vectors of ${features} features, ${classes} classes, one example`,
        svmModel(vectors, features, classes, kernel, rng),
      );
      if (sec !== undefined) rows.push({ features: svmFeatures(1, vectors, features, classes), sec });
    }
    const fit = fitKernelCostModel(rows, ['perCall', 'perMac', 'perOutput', 'perPatch']);
    if (fit) svm[kernel] = fit;
  }
  const denseTerms: KernelTerm[] = ['perCall', 'perMac', 'perOutput', 'perPatch', 'perWeight', 'perRow'];
  // Depthwise: the unfolded input is the MACs (one input channel per group), so that term is left out.
  const depthwiseTerms: KernelTerm[] = ['perCall', 'perMac', 'perOutput', 'perGroup', 'perRow'];
  const conv = fitKernelCostModel(convRows, denseTerms);
  const pointwise = fitKernelCostModel(pointwiseRows, ['perCall', 'perMac', 'perOutput', 'perPatch', 'perWeight']);
  const depthwise = fitKernelCostModel(dwRows, depthwiseTerms);
  const depthwiseStrided = fitKernelCostModel(stridedRows, depthwiseTerms);
  const gemm = fitKernelCostModel(gemmRows, ['perCall', 'perMac', 'perOutput', 'perPatch', 'perWeight']);
  const convInteger = fitKernelCostModel(intRows, denseTerms);
  const convIntegerDepthwise = fitKernelCostModel(intDwRows, depthwiseTerms);
  return {
    ...(conv ? { conv } : {}),
    ...(pointwise ? { pointwise } : {}),
    ...(depthwise ? { depthwise } : {}),
    ...(depthwiseStrided ? { depthwiseStrided } : {}),
    ...(gemm ? { gemm } : {}),
    ...(convInteger ? { convInteger } : {}),
    ...(convIntegerDepthwise ? { convIntegerDepthwise } : {}),
    ...(Object.keys(svm).length ? { svm } : {}),
    benchmarks,
    skipped,
  };
}
