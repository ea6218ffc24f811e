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
 *   overheads      chains of 1 and 101 element-wise Adds on one-element tensors: the median kernel time of such an
 *                  op, the executor's time between kernels (wall minus kernel time, per added op), and what is left
 *                  of `run()` for a one-op graph (per-inference overhead)
 * Every figure is the fastest of the timed runs after warm-up: other processes competing for the CPU only ever add
 * time, and a machine's own speed is what the profile needs.
 */

import { GraphBuilder, makeTensor, Rng } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { Model } from '../onnx/ir.js';
import { encodeModel } from '../onnx/writer.js';
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
      const r = await run(m.model, runs);
      const ms = layerMs(r, m.node);
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
  // Overheads first (per op from a long chain, per inference from a one-op graph), before the large tensors of
  // the other benchmarks are allocated.
  const longOps = q ? 41 : 101;
  // Many warm-up runs: the first few dozen run() calls of a process are slower while V8 optimizes the binding.
  const one = await run(chainModel(1), runs * 8, 40);
  const long = await run(chainModel(longOps), runs * 8, 40);
  const kernelOverheadMs = median(long.layers.map((l) => l.measuredMs));
  const gapOne = one.wallMs - one.kernelMs;
  const gapLong = long.wallMs - long.kernelMs;
  const interKernelMs = Math.max(0, (gapLong - gapOne) / (longOps - 1));
  const perInferenceMs = Math.max(0, gapOne - interKernelMs);
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
    const [c, size] = q ? [32, 28] : [64, 56];
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
      description: `executor time between kernels: (wall − kernel time) of ${longOps} vs 1 chained Adds, per op`,
      ms: interKernelMs,
      value: interKernelMs / 1000,
      unit: 's',
    },
    {
      id: 'run-overhead',
      description: 'wall − kernel time of run() for a one-Add graph, less one inter-kernel gap',
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
