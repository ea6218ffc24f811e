/**
 * Efficiency factors of the host-cpu profile, fitted on this machine: a fixed set of synthetic "layer zoo" models
 * (built here with GraphBuilder, deterministic weights) is run in ONNX Runtime with per-node profiling (graph
 * optimizations disabled, one thread), and calibrate.ts fits the factors per op class and the per-op kernel
 * overhead to the measured kernel times of every layer.
 *
 * The zoo is deliberately not any model the accuracy benchmark evaluates: it is a spread of layer shapes
 *   convs       dense convolutions as CNNs stack them: a 7×7 stride-2 stem, 3×3 convolutions (strides 1 and 2)
 *               and 1×1 expansions/reductions at 56, 28, 14 and 7 pixels (32 to 1024 channels), a 5×5 branch,
 *               BatchNormalization, Relu, residual Add, Concat, MaxPool, AveragePool, GlobalAveragePool, Gemm
 *   depthwise   depthwise 3×3 and 5×5 convolutions (strides 1 and 2, 32 to 512 channels) with pointwise 1×1
 *               convolutions between them, Clip, HardSigmoid, Mul, Sigmoid
 *   mlp         Gemm/MatMul of batch 1 to 64 and widths 256 to 2048, Relu, Softmax, Transpose, Reshape
 *   attention   a transformer encoder block (syntheticModels.ts, hidden 256, 4 heads, 128 tokens)
 *   small ops   shape arithmetic and element-wise ops on small tensors (Shape, Gather, Unsqueeze, Concat,
 *               Reshape, Slice, Cast, Add, Mul, Sigmoid…), where the per-op overhead is what is measured
 * so that factors learnt here are tested, not reused, when the benchmark compares estimates with real models.
 */

import { analyzeModel } from '../analysis/cost.js';
import { GraphBuilder, Rng } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { Model } from '../onnx/ir.js';
import { transformerBlock } from '../onnx/syntheticModels.js';
import { encodeModel } from '../onnx/writer.js';
import { type CalibrationSet, type FitResult, fitProfile } from '../targets/calibrate.js';
import { graphIoBytes } from '../targets/estimate.js';
import { type HostCpuRecord, type HostFit, hostCpuProfile, hostRuntimeCost } from '../targets/hostCpu.js';
import { costAtSize, OP_CLASSES, type OpClass } from '../targets/profile.js';
import { measureModel } from './measure.js';

const F = DataType.FLOAT;

export interface ZooModel {
  name: string;
  description: string;
  model: Model;
}

class Zoo {
  readonly b: GraphBuilder;
  private readonly rng: Rng;
  constructor(name: string, seed: number) {
    this.b = new GraphBuilder({ opset: 17, name });
    this.rng = new Rng(seed);
  }

  weight(name: string, dims: number[], fanIn: number): string {
    const n = dims.reduce((a, c) => a * c, 1);
    return this.b.initializer(name, F, dims, this.rng.uniformArray(n, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
  }

  conv(name: string, x: string, cin: number, cout: number, k: number, stride = 1, group = 1): string {
    const w = this.weight(`${name}.w`, [cout, cin / group, k, k], (cin / group) * k * k);
    const bias = this.weight(`${name}.b`, [cout], 16);
    const p = Math.floor(k / 2);
    return this.b.node(
      'Conv',
      [x, w, bias],
      { kernel_shape: [k, k], pads: [p, p, p, p], strides: [stride, stride], group },
      { name },
    );
  }

  bn(name: string, x: string, c: number): string {
    const ones = this.b.initializer(`${name}.scale`, F, [c], new Float32Array(c).fill(1));
    const shift = this.weight(`${name}.shift`, [c], 16);
    const mean = this.weight(`${name}.mean`, [c], 16);
    const variance = this.b.initializer(`${name}.var`, F, [c], new Float32Array(c).fill(1));
    return this.b.node('BatchNormalization', [x, ones, shift, mean, variance], { epsilon: 1e-5 }, { name });
  }

  op(opType: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}, name?: string): string {
    return this.b.node(opType, inputs, attrs, name ? { name } : undefined);
  }
}

/**
 * Dense convolutions as CNNs stack them: a 7×7 stride-2 stem, then stages at 56, 28, 14 and 7 pixels with 3×3
 * convolutions (stride 1, and stride 2 between stages), 1×1 expansions and reductions, a 5×5 branch, residual
 * Adds, a Concat, max and average pooling, and a classifier.
 */
function convZoo(): ZooModel {
  const z = new Zoo('zoo_convs', 11);
  let x = z.b.input('x', F, [1, 3, 224, 224]);
  x = z.op('Relu', [z.bn('bn0', z.conv('stem', x, 3, 32, 7, 2), 32)]); // 112
  x = z.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }); // 56
  x = z.op('Relu', [z.conv('s56a', x, 32, 64, 3)]);
  const r56 = z.bn('bn56', z.conv('s56b', x, 64, 64, 3), 64);
  x = z.op('Relu', [z.op('Add', [x, r56])]);
  x = z.op('Relu', [z.conv('s56c', x, 64, 128, 1)]);
  x = z.op('Relu', [z.conv('s28a', x, 128, 128, 3, 2)]); // 28
  const r28 = z.conv('s28b', x, 128, 128, 3);
  x = z.op('Relu', [z.op('Add', [x, r28])]);
  x = z.op('Relu', [z.conv('s28c', z.op('Relu', [z.conv('s28d', x, 128, 256, 1)]), 256, 128, 1)]);
  x = z.op('Relu', [z.conv('s14a', x, 128, 256, 3, 2)]); // 14
  const main = z.op('Relu', [z.conv('s14b', x, 256, 256, 3)]);
  const branch = z.op('Relu', [z.conv('s14c', x, 256, 64, 5)]);
  x = z.op('Concat', [main, branch], { axis: 1 }); // 320
  x = z.op('Relu', [z.conv('s14d', x, 320, 256, 1)]);
  x = z.op('AveragePool', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] });
  x = z.op('Relu', [z.conv('s7a', x, 256, 512, 3, 2)]); // 7
  x = z.op('Relu', [z.conv('s7b', x, 512, 512, 3)]);
  x = z.op('Relu', [z.conv('s7c', x, 512, 1024, 1)]);
  x = z.op('Flatten', [z.op('GlobalAveragePool', [x])]);
  const w = z.weight('fc.w', [1024, 100], 1024);
  const bias = z.weight('fc.b', [100], 16);
  const y = z.op('Softmax', [z.op('Gemm', [x, w, bias], {}, 'fc')], { axis: -1 });
  z.b.output(y, F, [1, 100]);
  return {
    name: 'zoo-convs',
    description: 'a CNN of 3×3, 1×1, 5×5 and 7×7 convolutions with pooling',
    model: z.b.build(),
  };
}

function depthwiseZoo(): ZooModel {
  const z = new Zoo('zoo_depthwise', 21);
  let x = z.b.input('x', F, [1, 32, 112, 112]);
  const lo = z.b.initializer('clip.lo', F, [], [0]);
  const hi = z.b.initializer('clip.hi', F, [], [6]);
  const blocks: [cin: number, cout: number, k: number, stride: number][] = [
    [32, 64, 3, 1],
    [64, 96, 3, 2],
    [96, 128, 5, 1],
    [128, 192, 3, 2],
    [192, 256, 3, 1],
    [256, 384, 5, 2],
    [384, 512, 3, 1],
  ];
  blocks.forEach(([cin, cout, k, stride], i) => {
    x = z.op('Clip', [z.conv(`dw${i}`, x, cin, cin, k, stride, cin), lo, hi]);
    const pw = z.conv(`pw${i}`, x, cin, cout, 1);
    x =
      i % 2
        ? z.op('Mul', [pw, z.op('HardSigmoid', [pw], { alpha: 1 / 6, beta: 0.5 })])
        : z.op('Mul', [pw, z.op('Sigmoid', [pw])]);
  });
  x = z.op('GlobalAveragePool', [x]);
  z.b.output(x, F, [1, 512, 1, 1]);
  return { name: 'zoo-depthwise', description: 'depthwise 3×3/5×5 and pointwise convolutions', model: z.b.build() };
}

function mlpZoo(): ZooModel {
  const z = new Zoo('zoo_mlp', 31);
  let x = z.b.input('x', F, [64, 256]);
  const dims = [256, 1024, 512, 2048, 256];
  for (let i = 1; i < dims.length; i++) {
    const w = z.weight(`fc${i}.w`, [dims[i - 1], dims[i]], dims[i - 1]);
    const bias = z.weight(`fc${i}.b`, [dims[i]], 16);
    x = z.op('Relu', [z.op('Gemm', [x, w, bias], {}, `fc${i}`)]);
  }
  const t = z.op('Transpose', [x], { perm: [1, 0] });
  const shape = z.b.initializer('shape', DataType.INT64, [2], [16, 1024]);
  x = z.op('Reshape', [t, shape]);
  x = z.op('Softmax', [x], { axis: -1 });
  z.b.output(x, F, [16, 1024]);
  let v = z.b.input('v', F, [1, 2048]);
  for (let i = 0; i < 3; i++) {
    const w = z.weight(`vec${i}.w`, [2048, 2048], 2048);
    v = z.op('Relu', [z.op('MatMul', [v, w], {}, `vec${i}`)]);
  }
  z.b.output(v, F, [1, 2048]);
  return { name: 'zoo-mlp', description: 'Gemm/MatMul of batch 1 and 64, widths 256–2048', model: z.b.build() };
}

function smallOpsZoo(): ZooModel {
  const z = new Zoo('zoo_small', 41);
  let x = z.b.input('x', F, [1, 32, 8, 8]);
  const i64 = DataType.INT64;
  const zero = z.b.initializer('zero', i64, [1], [0]);
  const one = z.b.initializer('one', i64, [1], [1]);
  const axes0 = z.b.initializer('axes0', i64, [1], [0]);
  const second = z.b.initializer('second', i64, [], [1]);
  const half = z.b.initializer('half', F, [], [0.5]);
  for (let i = 0; i < 12; i++) {
    const shape = z.op('Shape', [x]);
    const dim = z.op('Gather', [shape, second], { axis: 0 });
    const un = z.op('Unsqueeze', [dim, axes0]);
    const newShape = z.op(
      'Concat',
      [z.op('Slice', [shape, zero, one]), un, z.b.initializer(`tail${i}`, i64, [1], [-1])],
      {
        axis: 0,
      },
    );
    const flat = z.op('Reshape', [x, newShape]);
    const act = i % 3 === 0 ? z.op('Sigmoid', [flat]) : i % 3 === 1 ? z.op('Mul', [flat, half]) : z.op('Neg', [flat]);
    const back = z.op('Reshape', [act, shape]);
    const w = z.weight(`bias${i}`, [1, 32, 1, 1], 1);
    x = z.op('Add', [back, w]);
    if (i % 4 === 3) x = z.op('Cast', [z.op('Cast', [x], { to: DataType.FLOAT16 })], { to: F });
  }
  z.b.output(x, F, [1, 32, 8, 8]);
  return {
    name: 'zoo-small',
    description: 'shape arithmetic and element-wise ops on 2,048-element tensors',
    model: z.b.build(),
  };
}

/** The fixed set of synthetic models the host-cpu factors are fitted on. */
export function hostCalibrationZoo(): ZooModel[] {
  return [
    convZoo(),
    depthwiseZoo(),
    mlpZoo(),
    {
      name: 'zoo-attention',
      description: 'transformer encoder block, hidden 256, 4 heads, 128 tokens',
      model: transformerBlock({ hidden: 256, heads: 4, seqLen: 128, activation: 'erf', attentionOutput: false }),
    },
    smallOpsZoo(),
  ];
}

export interface HostFitOptions {
  /** Timed runs per model (default 7). */
  runs?: number;
}

/**
 * Measures the zoo and fits the host-cpu factors; `record` holds the microbenchmark numbers the profile is built
 * from (its own fit, if any, is ignored).
 */
export async function fitHostCpu(
  record: HostCpuRecord,
  options: HostFitOptions = {},
): Promise<{ fit: HostFit; result: FitResult }> {
  const base = hostCpuProfile({ ...record, fit: undefined }, { optimization: 'disabled' });
  // Fit against kernel times: start from the kernel overhead alone; the inter-kernel gap (and its size-dependent
  // part, and the per-run cost of inputs and outputs) is added back later.
  base.perOpOverheadSec = record.kernelOverheadSec;
  delete base.overheadByOutputBytes;
  delete base.perInferenceByIoBytes;
  const zoo = hostCalibrationZoo();
  const measured = [];
  for (const z of zoo) {
    // The fastest run of each layer: competing processes only add time (see hostBench.ts).
    const r = await measureModel(encodeModel(z.model), z.model, {
      runs: options.runs ?? 7,
      warmup: 2,
      statistic: 'min',
    });
    measured.push({ z, r, ...analyzeModel(z.model) });
  }
  // Grouped convolutions carry their per-group time as MAC-equivalents at the profile's efficiencies, which the
  // fit changes: refit with the cost recomputed at the fitted factors until they settle (three passes).
  // The efficiency factors price the layers no measured kernel model covers (ConvInteger, pooling, the rest), so
  // they are fitted on the roofline alone: layers the kernel regressions and per-element rates price would pin
  // their classes' factors to whatever keeps those fixed times (and drag the other layers of the class along).
  const rooflineKernels = { ...record, kernelModels: undefined, svmModels: undefined, opSecPerElement: undefined };
  let current = base;
  let result: FitResult | undefined;
  for (let pass = 0; pass < 3; pass++) {
    const sets: CalibrationSet[] = measured.map(({ z, r, profile: cost0, facts }) => ({
      id: z.name,
      model: z.model,
      cost: hostRuntimeCost(z.model, cost0, facts, {
        level: 'disabled',
        profile: current,
        kernels: rooflineKernels,
      }),
      facts,
      units: r.layers.map((l) => ({ name: l.name, layers: [l.index], measuredMs: l.measuredMs, wholeModel: false })),
    }));
    const fitted = fitProfile(current, sets);
    // Errors before the fit are those of the assumed factors (first pass).
    result = result ? { ...fitted, before: result.before } : fitted;
    current = fitted.profile;
  }
  if (!result) throw new Error('no fit');
  result = {
    ...result,
    classes: result.classes.map((c) => ({ ...c, before: base.efficiency[c.opClass] })),
    overhead: { ...result.overhead, beforeSec: base.perOpOverheadSec },
  };
  const unitsPerClass = Object.fromEntries(OP_CLASSES.map((c) => [c, 0])) as Record<OpClass, number>;
  for (const c of result.classes) unitsPerClass[c.opClass] = c.units;
  // Executor time between kernels: what each synthetic model spends outside its kernels, less what the profile
  // already charges per run and by tensor size, per node; the smallest of them, since other processes competing
  // for the CPU only add to a wall time (and do so most to the longest runs).
  const gapProfile = hostCpuProfile({ ...record, fit: undefined }, { optimization: 'disabled' });
  const perNode: number[] = [];
  for (const { z, r, profile: cost, facts } of measured) {
    if (!r.layers.length) continue;
    let charged =
      gapProfile.perInferenceOverheadSec + costAtSize(gapProfile.perInferenceByIoBytes, graphIoBytes(z.model, facts));
    const byIndex = new Map(cost.layers.map((l) => [l.index, l]));
    for (const l of r.layers)
      charged += costAtSize(gapProfile.overheadByOutputBytes, byIndex.get(l.index)?.activationBytes ?? 0);
    perNode.push(((r.wallMs - r.kernelMs) / 1000 - charged) / r.layers.length);
  }
  const interKernelSec = Math.max(record.interKernelSec, perNode.length ? Math.min(...perNode) : 0);
  const fit: HostFit = {
    optimization: 'disabled',
    efficiency: { ...result.profile.efficiency },
    kernelOverheadSec: result.profile.perOpOverheadSec,
    interKernelSec,
    models: zoo.map((z) => `${z.name} (${z.description})`),
    units: result.after.units,
    before: { layerPct: result.before.medianAbsErrorPct, totalPct: result.before.totalMedianAbsErrorPct },
    after: { layerPct: result.after.medianAbsErrorPct, totalPct: result.after.totalMedianAbsErrorPct },
    unitsPerClass,
  };
  return { fit, result };
}
