/**
 * The built-in hardware profiles. Every number has an entry in the profile's `sources`: a document (with the
 * section), or a `derived:` note with the arithmetic, or an `assumed:` note saying why no source was used.
 * Figures from shared/reference/published-measurements.md are cited as "published-measurements.md" together
 * with the original source that file names.
 *
 * Arithmetic lives in code (`perCycle`, `bus`) so a per-second figure can never drift from the per-cycle figure
 * and clock it was derived from.
 */

import type {
  ComputePeak,
  FusionRule,
  HardwareProfile,
  MemoryLevel,
  OperatorSupport,
  RuntimeMemory,
} from './profile.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function perCycle(macsPerCycle: number, clockMHz: number, stated?: string): ComputePeak {
  return { macsPerSec: macsPerCycle * clockMHz * 1e6, macsPerCycle, ...(stated ? { stated } : {}) };
}

function bus(description: string, bytes: number | undefined, bytesPerCycle: number, clockMHz: number): MemoryLevel {
  return {
    description,
    ...(bytes !== undefined ? { bytes } : {}),
    bandwidthBytesPerSec: bytesPerCycle * clockMHz * 1e6,
    bytesPerCycle,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Citations used by several profiles.

const PM = 'published-measurements.md';
const ULTRALYTICS =
  'ultralytics docs/en/guides/nvidia-jetson.md, "NVIDIA Jetson Series Comparison" table (NVIDIA module specifications)';
const DLA_README =
  'NVIDIA/Deep-Learning-Accelerator-SW README.md, table "distribution of DL TOPs between GPU and DLA on a Jetson AGX Orin 64GB" (MAXN: GPU 171, 2x DLA 105, total 275 sparse INT8 TOPS)';
const ORIN_BRIEF =
  'NVIDIA Jetson AGX Orin Series Technical Brief: 2048 CUDA cores (5.3 FP32 TFLOPS), 64 Tensor Cores (170 sparse INT8 TOPS)';
const AMPERE_RATIO =
  'NVIDIA Ampere GA102 GPU architecture whitepaper, Table 6: per SM, dense INT8 Tensor throughput is 2x dense FP16';
const VELA_INI = 'Arm ethos-u-vela ethosu/config_files/Arm/vela.ini';
const VELA_ARCH = 'Arm ethos-u-vela ethosu/vela/architecture_features.py';
const VELA_PERF = 'Arm ethos-u-vela ethosu/vela/npu_performance.py';
const VELA_OPS = 'Arm ethos-u-vela SUPPORTED_OPS.md (Vela 3.6.1, TFLite summary table and generic constraints)';
const MLEK_MEMORY =
  'Arm ML embedded evaluation kit docs/sections/memory_considerations.md (Corstone-300: SRAM for activations limited to 2 MiB, mps3_max_sram_sz; 32 MiB DDR region used as the model flash)';
const WIKICHIP_M55 =
  'WikiChip, Cortex-M55 microarchitecture (en.wikichip.org/wiki/arm_holdings/microarchitectures/cortex-m55), "Key changes from Cortex-M7/Cortex-M4": "2x32-bit or 4x16-bit or 8x8-bit MACs/cycle (up from 1x32-bit or 2x16-bit MACs/cycle in M7)"';
const MLPERF_TINY_ST = 'published-measurements.md: MLPerf Tiny v1.0 (ST, X-CUBE-AI 7.3), mlcommons/tiny_results_v1.0';
const TFLM_ARENA = 'published-measurements.md: TFLite Micro runtime overhead (tflite-micro docs/memory_management.md)';
const TFLM_SITE =
  'tensorflow.org/lite/microcontrollers overview: "The core runtime just fits in 16 KB on an Arm Cortex M3" (22 KB with the operations of the speech keyword model)';
const TRT_OPS = 'onnx/onnx-tensorrt docs/operators.md (TensorRT support matrix; operators marked N)';
const TRT_FUSIONS =
  'NVIDIA TensorRT documentation, Layer Fusion Catalog (docs.nvidia.com/deeplearning/tensorrt/latest/performance/fusion-catalog.html)';
const ORT_OPT = 'onnxruntime.ai/docs/performance/model-optimizations/graph-optimizations.html';

// ---------------------------------------------------------------------------------------------------------------
// Operator lists (ONNX op types, default domain).

/** ONNX operators the onnx-tensorrt importer does not support (its support matrix marks them N). */
const TENSORRT_UNSUPPORTED = [
  'BitShift',
  'Compress',
  'ConcatFromSequence',
  'ConvInteger',
  'Det',
  'DynamicQuantizeLinear',
  'Hardmax',
  'IsInf',
  'MatMulInteger',
  'MaxRoiPool',
  'MaxUnpool',
  'MeanVarianceNormalization',
  'Mod',
  'Multinomial',
  'NegativeLogLikelihoodLoss',
  'NonZero',
  'OneHot',
  'QLinearConv',
  'QLinearMatMul',
  'RandomNormal',
  'RandomNormalLike',
  'Reciprocal',
  'RoiAlign',
  'SequenceAt',
  'SequenceConstruct',
  'SequenceEmpty',
  'SequenceErase',
  'SequenceInsert',
  'SequenceLength',
  'Shrink',
  'SoftmaxCrossEntropyLoss',
  'SplitToSequence',
  'StringNormalizer',
  'TfIdfVectorizer',
  'Unique',
];

/** ONNX operators with no TensorFlow Lite Micro builtin kernel (control flow, sequences, strings, randomness…). */
const TFLM_UNSUPPORTED = [
  'If',
  'Loop',
  'Scan',
  'NonMaxSuppression',
  'NonZero',
  'Unique',
  'Compress',
  'RoiAlign',
  'MaxRoiPool',
  'Det',
  'Einsum',
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
  'SequenceAt',
  'SequenceConstruct',
  'SequenceEmpty',
  'SequenceErase',
  'SequenceInsert',
  'SequenceLength',
  'SplitToSequence',
  'ConcatFromSequence',
  'StringNormalizer',
  'TfIdfVectorizer',
  'Optional',
  'OptionalHasElement',
  'OptionalGetElement',
];

/** Vela's TFLite operators as the ONNX operators they come from (QDQ pairs fold into the int8 op on conversion). */
const VELA_ONNX_OPS = [
  'Abs',
  'Add',
  'AveragePool',
  'GlobalAveragePool',
  'Clip',
  'Concat',
  'Conv',
  'ConvTranspose',
  'DequantizeLinear',
  'Flatten',
  'Gemm',
  'HardSwish',
  'LeakyRelu',
  'MatMul',
  'Max',
  'MaxPool',
  'Min',
  'Mul',
  'Pad',
  'PRelu',
  'QuantizeLinear',
  'ReduceMean',
  'Relu',
  'Reshape',
  'Resize',
  'Shape',
  'Sigmoid',
  'Slice',
  'Softmax',
  'Split',
  'Squeeze',
  'Sub',
  'Tanh',
  'Unsqueeze',
];

/** Edge TPU operations (coral.ai supported-operations table, rows confirmed) as ONNX operators. */
const EDGETPU_ONNX_OPS = [
  'Sigmoid',
  'Relu',
  'Clip',
  'Tanh',
  'Add',
  'Max',
  'Min',
  'Mul',
  'Sub',
  'AveragePool',
  'GlobalAveragePool',
  'Concat',
  'Conv',
  'Gemm',
  'MatMul',
  'LpNormalization',
  'MaxPool',
  'ReduceMean',
  'Pad',
  'Reshape',
  'Flatten',
  'Resize',
  'QuantizeLinear',
  'DequantizeLinear',
];

/** Layers a Hailo network is typically made of (assumed: Hailo's own list needs a developer-zone login). */
const HAILO_ONNX_OPS = [
  'Conv',
  'ConvTranspose',
  'Gemm',
  'MatMul',
  'BatchNormalization',
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Sigmoid',
  'Clip',
  'Tanh',
  'HardSwish',
  'Add',
  'Sub',
  'Mul',
  'Concat',
  'Split',
  'Slice',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'ReduceMean',
  'ReduceMax',
  'Resize',
  'Reshape',
  'Flatten',
  'Transpose',
  'Softmax',
  'Pad',
  'DepthToSpace',
  'SpaceToDepth',
  'QuantizeLinear',
  'DequantizeLinear',
];

// ---------------------------------------------------------------------------------------------------------------
// Fusions.

const TFLITE_FUSIONS: FusionRule[] = [
  { pattern: ['Conv', 'BatchNormalization'], description: 'batch norm folded into the conv weights on conversion' },
  { pattern: ['Conv', 'BatchNormalization', 'Relu'] },
  { pattern: ['Conv', 'Relu'], description: 'fused activation RELU' },
  { pattern: ['Conv', 'Clip'], description: 'fused activation RELU6 / RELU_N1_TO_1' },
  { pattern: ['Gemm', 'Relu'] },
  { pattern: ['Add', 'Relu'] },
];

const VELA_FUSIONS: FusionRule[] = [
  ...TFLITE_FUSIONS,
  { pattern: ['Conv', 'Sigmoid'], description: 'fused LOGISTIC through the NPU lookup table' },
  { pattern: ['Conv', 'Tanh'], description: 'fused TANH through the NPU lookup table' },
];

const TENSORRT_FUSIONS: FusionRule[] = [
  { pattern: ['Conv', 'BatchNormalization'] },
  { pattern: ['Conv', 'BatchNormalization', 'Relu'] },
  { pattern: ['Conv', 'Relu'], description: 'convolution and ReLU activation' },
  { pattern: ['Conv', 'Clip'], description: 'convolution and Clip' },
  { pattern: ['Conv', 'Add'], description: 'convolution and element-wise sum' },
  { pattern: ['Conv', 'Add', 'Relu'] },
  { pattern: ['Gemm', 'Relu'] },
  { pattern: ['MatMul', 'Add'] },
];

const ORT_CPU_FUSIONS: FusionRule[] = [
  { pattern: ['Conv', 'BatchNormalization'], description: 'Conv BatchNorm Fusion (basic level)' },
  { pattern: ['Conv', 'Add'], description: 'Conv Add Fusion (basic level)' },
  { pattern: ['Conv', 'Mul'], description: 'Conv Mul Fusion (basic level)' },
  { pattern: ['Conv', 'Relu'], description: 'Conv Activation Fusion (extended level, CPU)' },
  { pattern: ['Conv', 'Clip'], description: 'Conv Activation Fusion (extended level, CPU)' },
  { pattern: ['Gemm', 'Relu'], description: 'GEMM Activation Fusion (extended level, CPU)' },
  { pattern: ['MatMul', 'Add'], description: 'Matmul Add Fusion (extended level, CPU)' },
];

// ---------------------------------------------------------------------------------------------------------------
// Families.

function jetson(spec: {
  id: string;
  name: string;
  description: string;
  clockMHz: number;
  compute: Record<string, ComputePeak>;
  dramBytes: number;
  dramBandwidth: number;
  dramDescription: string;
  trtVersion: string;
  sources: Record<string, string>;
}): HardwareProfile {
  const dtypes = Object.keys(spec.compute);
  return {
    id: spec.id,
    name: spec.name,
    kind: 'gpu',
    description: spec.description,
    runtime: { name: 'TensorRT', version: spec.trtVersion },
    clockMHz: spec.clockMHz,
    compute: spec.compute,
    memory: {
      dram: { description: spec.dramDescription, bytes: spec.dramBytes, bandwidthBytesPerSec: spec.dramBandwidth },
    },
    placement: { weights: 'dram', activations: 'dram' },
    dtypes,
    operators: {
      mode: 'all-except',
      ops: TENSORRT_UNSUPPORTED,
      fallback: {
        target: 'cpu-core',
        description:
          'ONNX Runtime with the TensorRT execution provider hands unsupported nodes to its CUDA or CPU provider (Arm cores of the same module)',
        costFactor: 10,
        perBoundarySec: 50e-6,
        partition: 'per-op',
      },
    },
    perOpOverheadSec: 5e-6,
    perInferenceOverheadSec: 100e-6,
    efficiency: {
      conv: 0.15,
      depthwise: 0.05,
      matmul: 0.3,
      elementwise: 0.25,
      pooling: 0.25,
      other: 0.1,
    },
    fusions: TENSORRT_FUSIONS,
    calibration: { status: 'uncalibrated' },
    sources: {
      runtime: `${PM} (TensorRT on Jetson); the GPU only: the DLAs of Xavier and Orin modules are not modelled`,
      placement: 'CPU and GPU share one LPDDR memory on every Jetson module (ultralytics table: "Memory" row)',
      dtypes: 'the element types listed under compute',
      operators: `${TRT_OPS}; the list is for TensorRT 8.4, later versions support more (conservative)`,
      'operators.fallback.costFactor':
        'assumed: unsupported nodes run on the Arm CPU through ONNX Runtime, priced as 10x their GPU estimate',
      'operators.fallback.perBoundarySec': 'assumed: GPU synchronisation and stream hand-off per partition boundary',
      perOpOverheadSec: 'assumed: one CUDA kernel launch per fused layer, a few microseconds on Jetson',
      perInferenceOverheadSec: 'assumed: enqueue and synchronise one TensorRT execution context',
      'efficiency.conv':
        'derived: MLPerf Inference v3.0 ResNet-50 int8 single stream on Jetson AGX Orin, 0.633 ms (published-measurements.md): 4.089e9 MACs / 0.633e-3 s = 6.46e12 MAC/s ÷ 42.6e12 dense INT8 MAC/s = 0.15; the AGX Orin figure is used for every Jetson (assumed)',
      'efficiency.depthwise': 'assumed: depthwise convolutions do not use Tensor Cores and are bandwidth-limited',
      'efficiency.matmul': 'assumed: batch-1 GEMMs reuse each weight once',
      'efficiency.elementwise': 'assumed: element-wise kernels are bandwidth-bound; compute rate rarely limits them',
      'efficiency.pooling':
        'assumed: pooling kernels are bandwidth-bound on the GPU; the compute rate is rarely the limit',
      'efficiency.other':
        'assumed: the remaining kernels (softmax, reductions, data movement) are small and launch-bound',
      fusions: TRT_FUSIONS,
      ...spec.sources,
    },
  };
}

const TFLM_RUNTIME_MEMORY: RuntimeMemory = {
  perTensorBytes: 24,
  perOpBytes: 56,
  arenaAlignmentBytes: 16,
  codeBytes: 16 * KiB,
  perOpTypeCodeBytes: 2 * KiB,
};

const TFLM_RUNTIME_MEMORY_SOURCES: Record<string, string> = {
  'runtimeMemory.perTensorBytes': `${TFLM_ARENA}: 24 B per tensor in the persistent arena`,
  'runtimeMemory.perOpBytes': `${TFLM_ARENA}: 56 B per op in the persistent arena`,
  'runtimeMemory.arenaAlignmentBytes': `${PM}: TFLite Micro greedy memory planner, 16-byte alignment (tflite-micro greedy_memory_planner.cc)`,
  'runtimeMemory.codeBytes': TFLM_SITE,
  'runtimeMemory.perOpTypeCodeBytes':
    'assumed: order of magnitude from the same page ((22 KB - 16 KB) for the few operations of the speech keyword model); optimized CMSIS-NN kernels are larger',
};

const TFLM_OPERATORS: OperatorSupport = {
  mode: 'all-except',
  ops: TFLM_UNSUPPORTED,
  fallback: {
    target: 'none',
    description: 'TensorFlow Lite Micro has no kernel for the op: it must be implemented as a custom op or removed',
  },
};

function cortexM(spec: {
  id: string;
  name: string;
  description: string;
  clockMHz: number;
  compute: Record<string, ComputePeak>;
  sram: MemoryLevel;
  flash: MemoryLevel;
  efficiency: HardwareProfile['efficiency'];
  sources: Record<string, string>;
}): HardwareProfile {
  const perOpOverheadCycles = 500;
  return {
    id: spec.id,
    name: spec.name,
    kind: 'mcu',
    description: spec.description,
    runtime: { name: 'TFLite Micro + CMSIS-NN', version: 'CMSIS-NN 6.x' },
    clockMHz: spec.clockMHz,
    compute: spec.compute,
    memory: { sram: spec.sram, flash: spec.flash },
    placement: { weights: 'flash', activations: 'sram' },
    dtypes: ['float32', 'int8', 'int16'],
    operators: TFLM_OPERATORS,
    perOpOverheadSec: perOpOverheadCycles / (spec.clockMHz * 1e6),
    perOpOverheadCycles,
    perInferenceOverheadSec: 10e-6,
    efficiency: spec.efficiency,
    fusions: TFLITE_FUSIONS,
    runtimeMemory: TFLM_RUNTIME_MEMORY,
    calibration: { status: 'uncalibrated' },
    sources: {
      runtime:
        'assumed: TensorFlow Lite Micro is the stack of the MLPerf Tiny reference submissions (published-measurements.md); CMSIS-NN is Arm’s optimized kernel library for it',
      placement:
        'TFLM keeps the model (weights) in read-only flash and allocates activations in the tensor arena in SRAM (tflite-micro docs/memory_management.md)',
      dtypes: 'TFLM kernels exist for float32, int8 and int16 (16x8) models',
      operators:
        'assumed: ONNX operators with no TFLM builtin kernel (TFLM runs a static graph without dynamic memory allocation, tensorflow.org/lite/microcontrollers)',
      fusions: `TFLite builtin ops carry a fused activation (RELU, RELU6, RELU_N1_TO_1, TANH), cf. ${VELA_OPS}; batch-norm folding on conversion: assumed`,
      perOpOverheadCycles: 'assumed: interpreter dispatch and kernel prologue, a few hundred cycles per op',
      perOpOverheadSec: `derived: ${perOpOverheadCycles} cycles ÷ ${spec.clockMHz} MHz`,
      perInferenceOverheadSec: 'assumed: MicroInterpreter::Invoke entry and input/output copies',
      ...TFLM_RUNTIME_MEMORY_SOURCES,
      ...spec.sources,
    },
  };
}

function ethosU(spec: {
  id: string;
  name: string;
  description: string;
  clockMHz: number;
  macsPerCycle: number;
  cores: number;
  memory: HardwareProfile['memory'];
  placement: HardwareProfile['placement'];
  efficiency: HardwareProfile['efficiency'];
  fallbackProfile: string;
  sources: Record<string, string>;
}): HardwareProfile {
  const perOpOverheadCycles = 64;
  return {
    id: spec.id,
    name: spec.name,
    kind: 'npu',
    description: spec.description,
    runtime: { name: 'Vela + TFLite Micro + Ethos-U driver', version: 'Vela 3.x-4.x' },
    clockMHz: spec.clockMHz,
    compute: {
      int8: perCycle(spec.macsPerCycle, spec.clockMHz, `${spec.macsPerCycle} MACs/cycle`),
      int16: perCycle(spec.macsPerCycle / 2, spec.clockMHz),
    },
    memory: spec.memory,
    placement: spec.placement,
    dtypes: ['int8', 'uint8', 'int16'],
    operators: {
      mode: 'only',
      ops: VELA_ONNX_OPS,
      dtypes: ['int8', 'uint8', 'int16'],
      fallback: {
        target: 'cpu-core',
        description: `Vela leaves unsupported operators in the TFLite graph; TFLM runs them on the ${spec.fallbackProfile} CPU`,
        profileId: spec.fallbackProfile,
        costFactor: 1,
        perBoundarySec: 20e-6,
        partition: 'per-op',
      },
    },
    perOpOverheadSec: perOpOverheadCycles / (spec.clockMHz * 1e6),
    perOpOverheadCycles,
    perInferenceOverheadSec: 50e-6,
    efficiency: spec.efficiency,
    fusions: VELA_FUSIONS,
    runtimeMemory: TFLM_RUNTIME_MEMORY,
    calibration: { status: 'uncalibrated' },
    sources: {
      runtime: `${PM}: Vela (ethos-u-vela) compiles the TFLite model; the NPU part runs as one custom op under TFLM`,
      clockMHz: `${VELA_INI}`,
      'compute.int8.macsPerCycle': `${VELA_ARCH}: accelerator_configs / num_macs_per_cycle = ${spec.macsPerCycle}${spec.cores > 1 ? ` (${spec.cores} cores × ${spec.macsPerCycle / spec.cores})` : ''}; ${PM}`,
      'compute.int8.macsPerSec': `derived: ${spec.macsPerCycle} MACs/cycle × ${spec.clockMHz} MHz`,
      'compute.int16.macsPerCycle': `derived: ${spec.macsPerCycle} ÷ 2: ${VELA_PERF} get_ifm_block_depth uses an IFM block depth of 16 for 16-bit inputs instead of 32 for 8-bit (depthwise: cycles *= 2)`,
      'compute.int16.macsPerSec': `derived: ${spec.macsPerCycle / 2} MACs/cycle × ${spec.clockMHz} MHz`,
      dtypes: `${VELA_OPS}: "Tensors must be of type: int16, int32, int8, uint8" (int32 only for ADD, MUL, SHAPE, SUB)`,
      operators: `${VELA_OPS}, mapped to ONNX op types (mapping by this project; QuantizeLinear/DequantizeLinear pairs fold into the int8 op on conversion: assumed)`,
      'operators.fallback.costFactor': 'assumed: CPU ops run with the same kernels as on the plain Cortex-M profile',
      'operators.fallback.perBoundarySec':
        'assumed: returning from the Ethos-U custom op and starting the next one (driver invoke, cache maintenance)',
      perOpOverheadCycles: `assumed: command-stream setup per NPU operation (Vela's minimal per-command cost includes (32 + 32) / 4 cycles of SRAM latency, ${VELA_PERF} get_minimal_cmd_cycles)`,
      perOpOverheadSec: `derived: ${perOpOverheadCycles} cycles ÷ ${spec.clockMHz} MHz`,
      perInferenceOverheadSec: 'assumed: Ethos-U driver invoke and completion interrupt',
      'efficiency.conv':
        'assumed: Vela’s model reaches the full MAC rate only for blocks that fill whole micro-blocks; weight decoding and block edges cost the rest',
      'efficiency.depthwise': `derived: ${VELA_PERF} estimate_conv_pooling_cycles charges 4 cycles per micro-block per 4 kernel elements for depthwise, i.e. 1/8 of the convolution rate = 0.125`,
      'efficiency.pooling': `derived: ${VELA_PERF}: pooling costs max(4, window) cycles per micro-block, i.e. (micro-block outputs × window) / window per cycle = 1/8 of the MAC rate = 0.125`,
      fusions: `${VELA_OPS}: "The fused activation function (if present) must be one of type: LOGISTIC, RELU, RELU6, RELU_N1_TO_1, TANH"`,
      ...TFLM_RUNTIME_MEMORY_SOURCES,
      ...spec.sources,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Host CPU: numbers measured on this machine at run time.

/** What a host benchmark measured (the measuring is done elsewhere; this only turns numbers into a profile). */
export interface HostCpuMeasurement {
  /** Measured float32 FLOP/s (2 FLOPs per MAC) with the thread count the estimates assume. */
  peakFlopsPerSec?: number;
  /** Measured int8 ops/s (2 per MAC); absent: twice the float32 rate is assumed. */
  peakInt8OpsPerSec?: number;
  memoryBandwidthBytesPerSec?: number;
  /** Installed memory, e.g. `os.totalmem()` (the caller reads it; the engine does no I/O). */
  memoryBytes?: number;
  clockMHz?: number;
  /** CPU model string, e.g. `os.cpus()[0].model`. */
  cpuName?: string;
  threads?: number;
  /** How and when the numbers were measured, for `sources` (e.g. `edge-profile bench, 2025-06-01, 1 thread`). */
  source?: string;
  /** onnxruntime-node version in use. */
  onnxRuntimeVersion?: string;
}

const HOST_DEFAULTS = {
  peakFlopsPerSec: 50e9,
  memoryBandwidthBytesPerSec: 10e9,
  memoryBytes: 8 * GiB,
};

/** The `host-cpu` profile: assumed placeholders, replaced by whatever `measured` provides. */
export function buildHostCpuProfile(measured: HostCpuMeasurement = {}): HardwareProfile {
  const how = measured.source ? `measured: ${measured.source}` : 'measured on this machine';
  const flops = measured.peakFlopsPerSec ?? HOST_DEFAULTS.peakFlopsPerSec;
  const int8Ops = measured.peakInt8OpsPerSec ?? 2 * flops;
  const bandwidth = measured.memoryBandwidthBytesPerSec ?? HOST_DEFAULTS.memoryBandwidthBytesPerSec;
  const bytes = measured.memoryBytes ?? HOST_DEFAULTS.memoryBytes;
  const threads = measured.threads ?? 1;
  const sources: Record<string, string> = {
    runtime: 'package.json dependency onnxruntime-node ^1.30.0 (CPU execution provider)',
    placement: 'host RAM holds weights and activations',
    dtypes: 'ONNX Runtime CPU provider kernels (onnxruntime docs/OperatorKernels.md)',
    operators:
      'the ONNX Runtime CPU execution provider implements every default-domain ONNX operator (OperatorKernels.md)',
    fusions: `${ORT_OPT}; they apply only at graph optimization level basic or higher (edge-profile measures with optimizations disabled by default)`,
    'compute.float32.macsPerSec':
      measured.peakFlopsPerSec !== undefined
        ? `${how} (${flops} FLOP/s ÷ 2)`
        : 'assumed: placeholder 50 GFLOP/s (25e9 MAC/s) for one modern x86-64/Arm core until measured',
    'compute.int8.macsPerSec':
      measured.peakInt8OpsPerSec !== undefined
        ? `${how} (${int8Ops} ops/s ÷ 2)`
        : 'assumed: 2x the float32 MAC rate (ONNX Runtime MLAS u8s8 kernels pack twice as many int8 lanes) until measured',
    'memory.dram.bytes':
      measured.memoryBytes !== undefined ? `${how} (installed memory)` : 'assumed: 8 GiB placeholder',
    'memory.dram.bandwidthBytesPerSec':
      measured.memoryBandwidthBytesPerSec !== undefined ? how : 'assumed: 10 GB/s placeholder until measured',
    perOpOverheadSec: 'assumed: ONNX Runtime per-node dispatch',
    perInferenceOverheadSec: 'assumed: InferenceSession.run() entry and output allocation',
    'efficiency.conv': 'assumed: MLAS convolution (im2col + GEMM) on one thread',
    'efficiency.depthwise': 'assumed: MLAS depthwise kernels do not take the GEMM path',
    'efficiency.matmul': 'assumed: MLAS SGEMM is close to peak for large matrices',
    'efficiency.elementwise': 'assumed: element-wise kernels are bandwidth-bound on a CPU',
    'efficiency.pooling': 'assumed: pooling is bandwidth-bound on a CPU',
    'efficiency.other': 'assumed: less tuned kernels for the remaining operators',
  };
  if (measured.clockMHz !== undefined) sources.clockMHz = how;
  else sources.clockMHz = 'unknown: not measured';
  return {
    id: 'host-cpu',
    name: measured.cpuName ? `This machine (${measured.cpuName})` : 'This machine (CPU)',
    kind: 'cpu',
    description: `ONNX Runtime on the machine running edge-profile, ${threads} thread${threads === 1 ? '' : 's'}; numbers are ${
      measured.peakFlopsPerSec !== undefined ? 'measured' : 'placeholders until measured'
    }`,
    runtime: { name: 'ONNX Runtime CPU', version: measured.onnxRuntimeVersion ?? '1.30' },
    ...(measured.clockMHz !== undefined ? { clockMHz: measured.clockMHz } : {}),
    compute: {
      float32: { macsPerSec: flops / 2 },
      int8: { macsPerSec: int8Ops / 2 },
    },
    memory: { dram: { description: 'host RAM', bytes, bandwidthBytesPerSec: bandwidth } },
    placement: { weights: 'dram', activations: 'dram' },
    dtypes: ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool'],
    operators: {
      mode: 'all-except',
      ops: [],
      fallback: { target: 'none', description: 'the CPU provider is itself the fallback of every other provider' },
    },
    perOpOverheadSec: 2e-6,
    perInferenceOverheadSec: 20e-6,
    efficiency: { conv: 0.5, depthwise: 0.15, matmul: 0.6, elementwise: 0.1, pooling: 0.1, other: 0.05 },
    fusions: ORT_CPU_FUSIONS,
    calibration: { status: 'uncalibrated' },
    sources,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The profiles.

function jetsonProfiles(): HardwareProfile[] {
  const jetsonOrinCompute = (tc: number, cores: number, clock: number, stated: string) => ({
    int8: perCycle(tc * 512, clock, stated),
    float16: perCycle(tc * 256, clock),
    float32: perCycle(cores, clock),
  });
  const orinComputeSources = (tc: number, cores: number, clock: number) => ({
    'compute.int8.macsPerCycle': `derived: ${tc} Tensor Cores × 512 dense INT8 MAC/cycle; 512 = 170 sparse INT8 TOPS (${ORIN_BRIEF}) ÷ 2 (2:4 sparsity) ÷ 2 (ops per MAC) ÷ (64 Tensor Cores × 1.3 GHz) = 511 per Tensor Core`,
    'compute.int8.macsPerSec': `derived: ${tc * 512} MACs/cycle × ${clock} MHz`,
    'compute.float16.macsPerCycle': `derived: ${tc * 512} ÷ 2 (${AMPERE_RATIO})`,
    'compute.float16.macsPerSec': `derived: ${tc * 256} MACs/cycle × ${clock} MHz`,
    'compute.float32.macsPerCycle': `derived: ${cores} CUDA cores × 1 FMA per cycle (${ULTRALYTICS}: "${cores}-core NVIDIA Ampere architecture GPU")`,
    'compute.float32.macsPerSec': `derived: ${cores} MACs/cycle × ${clock} MHz`,
  });
  return [
    jetson({
      id: 'jetson-nano',
      name: 'NVIDIA Jetson Nano 4GB',
      description: '128-core Maxwell GPU; no INT8 path in TensorRT on this GPU',
      clockMHz: 921,
      compute: {
        float32: perCycle(128, 921, '≈236 GFLOPS FP32'),
        float16: perCycle(256, 921, '472 GFLOPS FP16'),
      },
      dramBytes: 4 * GiB,
      dramBandwidth: 25.6e9,
      dramDescription: '64-bit LPDDR4 shared by CPU and GPU',
      trtVersion: '8.2.1 (JetPack 4.6.1)',
      sources: {
        clockMHz: `${ULTRALYTICS} ("GPU Max Frequency 921MHz"); ${PM}`,
        'compute.float32.macsPerCycle': `derived: 128 Maxwell CUDA cores × 1 FMA per cycle (${PM}: "128 Maxwell cores @ 921 MHz")`,
        'compute.float32.macsPerSec':
          'derived: 128 MACs/cycle × 921 MHz = 117.9e9 MAC/s = 235.8 GFLOPS (≈236 in published-measurements.md)',
        'compute.float16.macsPerCycle': `derived: 472 GFLOPS FP16 (${PM}; ${ULTRALYTICS} "AI Performance 472 GFLOPS") ÷ 2 ÷ 921 MHz = 256.2, i.e. 2 packed FP16 FMAs per core`,
        'compute.float16.macsPerSec': 'derived: 256 MACs/cycle × 921 MHz',
        'memory.dram.bytes': `${ULTRALYTICS} ("4GB 64-bit LPDDR4")`,
        'memory.dram.bandwidthBytesPerSec': `${PM}; ${ULTRALYTICS} ("25.6GB/s")`,
        dtypes:
          'float32 and float16 only: TensorRT’s INT8 path needs a GPU of compute capability 6.1 or later (TensorRT support matrix, "Hardware and Precision"); the Nano’s Maxwell GPU is 5.3',
        'runtime.version':
          'JetPack release table (gist Tiryoh/2b5dc1f86ab6bc3e6922e97a4c1ac2f2): JetPack 4.6.1 ships TensorRT 8.2.1; JetPack 4 is the last release for Jetson Nano (ultralytics table)',
      },
    }),
    jetson({
      id: 'jetson-xavier-nx',
      name: 'NVIDIA Jetson Xavier NX 8GB',
      description: '384-core Volta GPU with 48 Tensor Cores; the two DLAs are not modelled',
      clockMHz: 1100,
      compute: {
        int8: perCycle(6144, 1100, '21 TOPS INT8 (GPU + 2 DLA)'),
        float16: perCycle(3072, 1100),
        float32: perCycle(384, 1100),
      },
      dramBytes: 8 * GiB,
      dramBandwidth: 59.7e9,
      dramDescription: '128-bit LPDDR4x shared by CPU and GPU',
      trtVersion: '8.5 (JetPack 5.1)',
      sources: {
        clockMHz: `${ULTRALYTICS} ("GPU Max Frequency 1100 MHz"); NVIDIA Jetson Xavier NX data sheet DA-09366-001 ("Maximum Operating Frequency: 1100 MHz")`,
        'compute.float32.macsPerCycle':
          'derived: 384 Volta CUDA cores × 1 FMA per cycle (Xavier NX data sheet: "384 NVIDIA CUDA cores | 48 Tensor cores")',
        'compute.float32.macsPerSec': 'derived: 384 MACs/cycle × 1100 MHz',
        'compute.float16.macsPerCycle':
          'derived: 48 Tensor Cores × 64 FP16 FMA per clock (nvidia.com/data-center/tensorcore: each Volta Tensor Core performs 64 floating-point FMA operations per clock)',
        'compute.float16.macsPerSec': 'derived: 3072 MACs/cycle × 1100 MHz = 3.38e12 MAC/s (6.8 TFLOPS)',
        'compute.int8.macsPerCycle':
          'assumed: Xavier’s Volta Tensor Cores run INT8 at 2x the FP16 rate (48 × 128); the stated 21 TOPS (Xavier NX data sheet; published-measurements.md) also counts the two DLAs, which TensorRT-on-GPU does not use',
        'compute.int8.macsPerSec': 'derived: 6144 MACs/cycle × 1100 MHz = 6.76e12 MAC/s (13.5 TOPS on the GPU)',
        'memory.dram.bytes': `${ULTRALYTICS} ("8GB 128-bit LPDDR4x")`,
        'memory.dram.bandwidthBytesPerSec': `${PM}; ${ULTRALYTICS} ("59.7GB/s")`,
        'runtime.version': `assumed: TensorRT 8.5 as shipped with JetPack 5.1 (${ULTRALYTICS}: JetPack 5 supports Xavier NX, JetPack 6 does not)`,
      },
    }),
    jetson({
      id: 'jetson-orin-nano',
      name: 'NVIDIA Jetson Orin Nano 8GB',
      description:
        '1024-core Ampere GPU with 32 Tensor Cores at 625 MHz (original power mode; see jetson-orin-nano-super)',
      clockMHz: 625,
      compute: jetsonOrinCompute(32, 1024, 625, '40 sparse / 20 dense TOPS INT8'),
      dramBytes: 8 * GiB,
      dramBandwidth: 68e9,
      dramDescription: '128-bit LPDDR5 shared by CPU and GPU',
      trtVersion: '10.3 (JetPack 6.1 / 6.2)',
      sources: {
        clockMHz: `${PM} ("1024 Ampere cores + 32 TC @ 625 MHz")`,
        ...orinComputeSources(32, 1024, 625),
        'memory.dram.bytes': `${ULTRALYTICS} ("8GB 128-bit LPDDR5")`,
        'memory.dram.bandwidthBytesPerSec': `${PM} ("68 GB/s (Super 102 GB/s)")`,
        'runtime.version': 'pytorch/TensorRT docs getting_started/jetpack: JetPack 6.1 and 6.2 ship TensorRT 10.3',
      },
    }),
    jetson({
      id: 'jetson-orin-nano-super',
      name: 'NVIDIA Jetson Orin Nano 8GB (Super mode)',
      description: 'The Orin Nano module with the JetPack 6.2 "Super" clocks: GPU 1020 MHz, memory 102 GB/s',
      clockMHz: 1020,
      compute: jetsonOrinCompute(32, 1024, 1020, '67 sparse TOPS INT8'),
      dramBytes: 8 * GiB,
      dramBandwidth: 102e9,
      dramDescription: '128-bit LPDDR5 shared by CPU and GPU',
      trtVersion: '10.3 (JetPack 6.2)',
      sources: {
        clockMHz: `${PM} ("Super mode 1020 MHz"); ${ULTRALYTICS} ("Jetson Orin Nano Super … 1020 MHz")`,
        ...orinComputeSources(32, 1024, 1020),
        'memory.dram.bytes': `${ULTRALYTICS} ("8GB 128-bit LPDDR5")`,
        'memory.dram.bandwidthBytesPerSec': `${PM}; ${ULTRALYTICS} ("102 GB/s")`,
        'runtime.version': 'pytorch/TensorRT docs getting_started/jetpack: JetPack 6.2 ships TensorRT 10.3',
      },
    }),
    jetson({
      id: 'jetson-orin-nx',
      name: 'NVIDIA Jetson Orin NX 16GB',
      description: '1024-core Ampere GPU with 32 Tensor Cores at 918 MHz; the two DLAs are not modelled',
      clockMHz: 918,
      compute: jetsonOrinCompute(32, 1024, 918, '100 TOPS (sparse INT8, GPU + 2 DLA)'),
      dramBytes: 16 * GiB,
      dramBandwidth: 102.4e9,
      dramDescription: '128-bit LPDDR5 shared by CPU and GPU',
      trtVersion: '10.3 (JetPack 6.1 / 6.2)',
      sources: {
        clockMHz: `${PM} ("1024 cores @ 918 MHz"); ${ULTRALYTICS}`,
        ...orinComputeSources(32, 1024, 918),
        'memory.dram.bytes': `${ULTRALYTICS} ("16GB 128-bit LPDDR5")`,
        'memory.dram.bandwidthBytesPerSec': `${PM}; ${ULTRALYTICS} ("102.4GB/s")`,
        'runtime.version': 'pytorch/TensorRT docs getting_started/jetpack: JetPack 6.1 and 6.2 ship TensorRT 10.3',
      },
    }),
    jetson({
      id: 'jetson-agx-orin',
      name: 'NVIDIA Jetson AGX Orin 64GB',
      description:
        '2048-core Ampere GPU with 64 Tensor Cores at 1.3 GHz; the two DLAs (105 sparse TOPS) are not modelled',
      clockMHz: 1300,
      compute: jetsonOrinCompute(64, 2048, 1300, '275 TOPS sparse INT8 = GPU 171 + 2 DLA 105'),
      dramBytes: 64 * GiB,
      dramBandwidth: 204.8e9,
      dramDescription: '256-bit LPDDR5 shared by CPU and GPU',
      trtVersion: '10.3 (JetPack 6.1 / 6.2)',
      sources: {
        clockMHz: `${PM} ("2048 cores + 64 TC @ 1.3 GHz"); ${ULTRALYTICS}`,
        ...orinComputeSources(64, 2048, 1300),
        'compute.int8.macsPerSec': `derived: 32768 MACs/cycle × 1300 MHz = 42.6e12 MAC/s = 170 sparse TOPS (${DLA_README}: GPU 171)`,
        'compute.float32.macsPerSec': `derived: 2048 MACs/cycle × 1300 MHz = 2.66e12 MAC/s = 5.3 TFLOPS (${ORIN_BRIEF})`,
        'memory.dram.bytes': `${ULTRALYTICS} ("64GB 256-bit LPDDR5")`,
        'memory.dram.bandwidthBytesPerSec': `${PM} (NVIDIA/Deep-Learning-Accelerator-SW README); ${ULTRALYTICS} ("204.8GB/s")`,
        'runtime.version': 'pytorch/TensorRT docs getting_started/jetpack: JetPack 6.1 and 6.2 ship TensorRT 10.3',
      },
    }),
  ];
}

function cortexMProfiles(): HardwareProfile[] {
  const m4Efficiency = {
    conv: 0.23,
    depthwise: 0.1,
    matmul: 0.145,
    elementwise: 0.1,
    pooling: 0.25,
    other: 0.05,
  };
  const m4EfficiencySources = (prefix: string) => ({
    'efficiency.conv': `${prefix}derived: ${MLPERF_TINY_ST}, STM32L4R5 (Cortex-M4 @ 120 MHz) IC ResNet-8: 12.5e6 MACs / 226.9 ms = 55.1e6 MAC/s ÷ (2 MACs/cycle × 120 MHz) = 0.23; X-CUBE-AI is a different stack, used as a proxy for CMSIS-NN`,
    'efficiency.matmul': `${prefix}derived: same source, AD autoencoder (fully connected): 0.264e6 MACs / 7.58 ms = 34.8e6 MAC/s ÷ 240e6 = 0.145`,
    'efficiency.depthwise': `${prefix}assumed: below the KWS DS-CNN whole-model figure (2.66e6 MACs / 75.06 ms = 35.4e6 MAC/s = 0.148 of peak), since depthwise layers reuse each weight only across one channel`,
    'efficiency.elementwise': `${prefix}assumed: a requantising int8 Add/Mul costs about 10 cycles per element (0.2 elements/cycle)`,
    'efficiency.pooling': `${prefix}assumed: CMSIS-NN pooling handles about half a window element per cycle`,
    'efficiency.other': `${prefix}assumed: reference (unoptimised) TFLM kernels`,
  });
  const helium = {
    conv: 0.5,
    depthwise: 0.25,
    matmul: 0.4,
    elementwise: 0.1,
    pooling: 0.25,
    other: 0.02,
  };
  const heliumSources = {
    'efficiency.conv':
      'assumed: CMSIS-NN MVE (Helium) convolution kernels; no published per-layer measurement consulted',
    'efficiency.depthwise': 'assumed: half the convolution figure, as on the scalar cores (less weight reuse)',
    'efficiency.matmul': 'assumed: fully connected layers stream each weight once',
    'efficiency.elementwise': 'assumed: requantising element-wise kernels, under one element per cycle',
    'efficiency.pooling': 'assumed: CMSIS-NN MVE pooling, as on the scalar cores',
    'efficiency.other': 'assumed: scalar reference kernels against an 8 MACs/cycle vector peak',
  };
  return [
    cortexM({
      id: 'cortex-m4',
      name: 'Arm Cortex-M4F (STM32L4R5-class, 120 MHz)',
      description: 'Single-issue Cortex-M4 with DSP extension and single-precision FPU',
      clockMHz: 120,
      compute: {
        int8: perCycle(2, 120, 'SMLAD: 2 16-bit MACs per instruction'),
        int16: perCycle(2, 120, 'SMLAD: 2 16-bit MACs per instruction'),
        float32: perCycle(0.5, 120),
      },
      sram: bus('on-chip SRAM', 640 * KiB, 4, 120),
      flash: bus('internal flash', 2 * MiB, 1, 120),
      efficiency: m4Efficiency,
      sources: {
        clockMHz: `${PM}: STM32L4R5 "Cortex-M4F @ 120 MHz" (MLPerf Tiny system descriptions)`,
        'compute.int16.macsPerCycle': `${PM}: "M4/M7/M33 SMLAD: 2 16-bit MACs per instruction" (single-cycle on Cortex-M4)`,
        'compute.int16.macsPerSec': 'derived: 2 MACs/cycle × 120 MHz',
        'compute.int8.macsPerCycle': `${PM} (SMLAD); int8 operands are widened to 16 bit (SXTB16) before SMLAD, so the int8 peak is the 16-bit rate`,
        'compute.int8.macsPerSec': 'derived: 2 MACs/cycle × 120 MHz',
        'compute.float32.macsPerCycle':
          'derived: Cortex-M4 TRM FPU timing VMUL.F32 1 cycle + VADD.F32 1 cycle per MAC (VFMA.F32 takes 3), as quoted at electronics.stackexchange.com/q/544886',
        'compute.float32.macsPerSec': 'derived: 0.5 MACs/cycle × 120 MHz',
        'memory.sram.bytes': `${PM}: STM32L4R5 "640 KB SRAM" (MLPerf Tiny system descriptions)`,
        'memory.sram.bytesPerCycle': 'assumed: one 32-bit load per cycle on the AHB bus',
        'memory.sram.bandwidthBytesPerSec': 'derived: 4 B/cycle × 120 MHz',
        'memory.flash.bytes': `${PM}: STM32L4R5 "2 MB flash"`,
        'memory.flash.bytesPerCycle':
          'assumed: 64-bit flash reads with wait states at 120 MHz, about 1 B/cycle sustained with the ART prefetch',
        'memory.flash.bandwidthBytesPerSec': 'derived: 1 B/cycle × 120 MHz',
        ...m4EfficiencySources(''),
      },
    }),
    cortexM({
      id: 'cortex-m7',
      name: 'Arm Cortex-M7 (STM32H743-class, 480 MHz)',
      description: 'Dual-issue Cortex-M7 with DSP extension and double-precision FPU',
      clockMHz: 480,
      compute: {
        int8: perCycle(2, 480),
        int16: perCycle(2, 480),
        float32: perCycle(1, 480),
      },
      sram: bus('on-chip SRAM (DTCM, AXI SRAM, SRAM1-4)', 1 * MiB, 8, 480),
      flash: bus('internal flash', 2 * MiB, 2, 480),
      efficiency: {
        conv: 0.41,
        depthwise: 0.15,
        matmul: 0.26,
        elementwise: 0.1,
        pooling: 0.25,
        other: 0.05,
      },
      sources: {
        clockMHz: `${PM}: STM32H743 "Cortex-M7 @ 480 MHz" (vendor datasheet)`,
        'compute.int16.macsPerCycle': `${WIKICHIP_M55} (M7: 2x16-bit MACs/cycle); ${PM} (SMLAD)`,
        'compute.int16.macsPerSec': 'derived: 2 MACs/cycle × 480 MHz',
        'compute.int8.macsPerCycle': `${WIKICHIP_M55}; int8 is widened to 16 bit before SMLAD`,
        'compute.int8.macsPerSec': 'derived: 2 MACs/cycle × 480 MHz',
        'compute.float32.macsPerCycle': `${WIKICHIP_M55} (M7: 1x32-bit MAC/cycle); elektroniknet.de "Kann Arms Cortex-M7 einen DSP ersetzen?" p. 3 (floating-point MAC in 1 cycle on M7)`,
        'compute.float32.macsPerSec': 'derived: 1 MAC/cycle × 480 MHz',
        'memory.sram.bytes': `${PM}: STM32H743 "1 MB SRAM" (vendor datasheet)`,
        'memory.sram.bytesPerCycle': 'assumed: 64-bit DTCM/AXI access, one per cycle',
        'memory.sram.bandwidthBytesPerSec': 'derived: 8 B/cycle × 480 MHz',
        'memory.flash.bytes': `${PM}: STM32H743 "2 MB flash" (vendor datasheet)`,
        'memory.flash.bytesPerCycle':
          'assumed: 256-bit flash words with wait states on the half-speed AXI bus, about 2 B per CPU cycle',
        'memory.flash.bandwidthBytesPerSec': 'derived: 2 B/cycle × 480 MHz',
        'efficiency.conv': `derived: ${MLPERF_TINY_ST}, STM32H7A3 (Cortex-M7 @ 280 MHz) IC ResNet-8: 12.5e6 MACs / 54.35 ms = 230e6 MAC/s ÷ (2 × 280e6) = 0.41; X-CUBE-AI used as a proxy for CMSIS-NN`,
        'efficiency.matmul':
          'derived: same source, AD autoencoder: 0.264e6 MACs / 1.83 ms = 144e6 MAC/s ÷ 560e6 = 0.26',
        'efficiency.depthwise':
          'assumed: below the KWS DS-CNN whole-model figure on STM32H7A3 (2.66e6 MACs / 16.76 ms = 159e6 MAC/s = 0.28 of peak)',
        'efficiency.elementwise': 'assumed: about 10 cycles per requantised int8 element',
        'efficiency.pooling': 'assumed: CMSIS-NN pooling handles about half a window element per cycle',
        'efficiency.other': 'assumed: reference (unoptimised) TFLM kernels',
      },
    }),
    cortexM({
      id: 'cortex-m33',
      name: 'Arm Cortex-M33 (nRF5340-class, 128 MHz)',
      description: 'nRF5340 application core: Cortex-M33 with DSP extension and FPU',
      clockMHz: 128,
      compute: {
        int8: perCycle(2, 128),
        int16: perCycle(2, 128),
        float32: perCycle(0.5, 128),
      },
      sram: bus('application-core RAM', 512 * KiB, 4, 128),
      flash: bus('application-core flash', 1 * MiB, 1, 128),
      efficiency: m4Efficiency,
      sources: {
        clockMHz:
          'Zephyr nRF5340 DK board documentation: "Arm Cortex-M33F core with DSP instructions, FPU … running at up to 128 MHz, referred to as the application core"',
        'compute.int16.macsPerCycle': `${PM}: "M4/M7/M33 SMLAD: 2 16-bit MACs per instruction"`,
        'compute.int16.macsPerSec': 'derived: 2 MACs/cycle × 128 MHz',
        'compute.int8.macsPerCycle': `${PM} (SMLAD); int8 is widened to 16 bit before SMLAD`,
        'compute.int8.macsPerSec': 'derived: 2 MACs/cycle × 128 MHz',
        'compute.float32.macsPerCycle':
          'assumed: as Cortex-M4 (single-precision FPU on a single-issue pipeline; VMUL + VADD per MAC)',
        'compute.float32.macsPerSec': 'derived: 0.5 MACs/cycle × 128 MHz',
        'memory.sram.bytes': 'Zephyr dts/arm/nordic/nrf5340_cpuapp_qkaa.dtsi: sram0 DT_SIZE_K(512)',
        'memory.sram.bytesPerCycle': 'assumed: one 32-bit access per cycle',
        'memory.sram.bandwidthBytesPerSec': 'derived: 4 B/cycle × 128 MHz',
        'memory.flash.bytes': 'Zephyr dts/arm/nordic/nrf5340_cpuapp_qkaa.dtsi: flash0 DT_SIZE_K(1024)',
        'memory.flash.bytesPerCycle': 'assumed: cached flash, about 1 B/cycle sustained',
        'memory.flash.bandwidthBytesPerSec': 'derived: 1 B/cycle × 128 MHz',
        ...m4EfficiencySources('assumed: as cortex-m4 (same single-issue class of core), where it is '),
      },
    }),
    cortexM({
      id: 'cortex-m55',
      name: 'Arm Cortex-M55 with Helium (Alif Ensemble E7-class RTSS-HP, 400 MHz)',
      description: 'Cortex-M55 with the M-profile vector extension (Helium), dual-beat',
      clockMHz: 400,
      compute: {
        int8: perCycle(8, 400),
        int16: perCycle(4, 400),
        float32: perCycle(2, 400),
      },
      sram: bus(
        'high-performance region SRAM (SRAM0, SRAM1 and the RTSS-HP TCMs)',
        (4096 + 2560 + 256 + 1024) * KiB,
        8,
        400,
      ),
      flash: bus('on-chip MRAM (non-volatile)', 5.5 * MiB, 1, 400),
      efficiency: helium,
      sources: {
        clockMHz:
          'Alif Semiconductor whitepaper "Alif Processors Power Saving Features": "RTSS-HP: Arm Cortex-M55 MCU and Ethos-U55 microNPU (up to 400 MHz)"',
        'compute.int8.macsPerCycle': `${WIKICHIP_M55}; ${PM} ("M55/M85 Helium: up to 8 int8 MACs per cycle")`,
        'compute.int8.macsPerSec': 'derived: 8 MACs/cycle × 400 MHz',
        'compute.int16.macsPerCycle': WIKICHIP_M55,
        'compute.int16.macsPerSec': 'derived: 4 MACs/cycle × 400 MHz',
        'compute.float32.macsPerCycle': `assumed: the 32-bit integer rate (2x32-bit MACs/cycle, ${WIKICHIP_M55}) applies to single-precision Helium FMAs too`,
        'compute.float32.macsPerSec': 'derived: 2 MACs/cycle × 400 MHz',
        'memory.sram.bytes':
          'derived: 4096 + 2560 + 256 + 1024 KB, Alif whitepaper "RAM Regions and Linker Files in Alif Microcontrollers" (SRAM0, SRAM1, and the RTSS-HP TCMs SRAM2/SRAM3, all at 400 MHz)',
        'memory.sram.bytesPerCycle': `derived: 64-bit internal bus (${WIKICHIP_M55}) = 8 B per cycle, one transfer per cycle assumed`,
        'memory.sram.bandwidthBytesPerSec': 'derived: 8 B/cycle × 400 MHz',
        'memory.flash.bytes':
          'assumed: 5.5 MB MRAM as in the larger Ensemble E7 parts (vendor figure not verified here)',
        'memory.flash.bytesPerCycle': 'assumed: MRAM reads with wait states, about 1 B per cycle sustained',
        'memory.flash.bandwidthBytesPerSec': 'derived: 1 B/cycle × 400 MHz',
        ...heliumSources,
      },
    }),
    cortexM({
      id: 'cortex-m85',
      name: 'Arm Cortex-M85 with Helium (RA8D1-class, 480 MHz)',
      description: 'Renesas RA8D1: Cortex-M85 with Helium',
      clockMHz: 480,
      compute: {
        int8: perCycle(8, 480),
        int16: perCycle(4, 480),
        float32: perCycle(2, 480),
      },
      sram: bus('on-chip SRAM', 1 * MiB, 8, 480),
      flash: bus('code flash', 2 * MiB, 2, 480),
      efficiency: helium,
      sources: {
        clockMHz:
          'Zephyr RA8D1 Vision Board documentation: "Arm Cortex-M85, 480MHz frequency, on-chip 2Mb Flash, 1Mb SRAM"',
        'compute.int8.macsPerCycle': `${PM}: "M55/M85 Helium: up to 8 int8 MACs per cycle"`,
        'compute.int8.macsPerSec': 'derived: 8 MACs/cycle × 480 MHz',
        'compute.int16.macsPerCycle': `assumed: the same dual-beat Helium datapath as Cortex-M55 (${WIKICHIP_M55}: 4x16-bit MACs/cycle)`,
        'compute.int16.macsPerSec': 'derived: 4 MACs/cycle × 480 MHz',
        'compute.float32.macsPerCycle': 'assumed: as Cortex-M55 (2 single-precision FMAs per cycle through Helium)',
        'compute.float32.macsPerSec': 'derived: 2 MACs/cycle × 480 MHz',
        'memory.sram.bytes':
          'Qt for MCUs, EK-RA8D1 board page: "R7FA8D1BHECBD MCU featuring ARM Cortex-M85, 2 MB Flash, 1 MB SRAM"',
        'memory.sram.bytesPerCycle': 'assumed: 64-bit TCM/AXI access, one per cycle',
        'memory.sram.bandwidthBytesPerSec': 'derived: 8 B/cycle × 480 MHz',
        'memory.flash.bytes': 'Qt for MCUs, EK-RA8D1 board page ("2 MB Flash")',
        'memory.flash.bytesPerCycle':
          'assumed: flash with wait states at 480 MHz behind the cache, about 2 B per cycle sustained',
        'memory.flash.bandwidthBytesPerSec': 'derived: 2 B/cycle × 480 MHz',
        ...heliumSources,
      },
    }),
  ];
}

function ethosUProfiles(): HardwareProfile[] {
  const u55Memory = (clock: number) => ({
    sram: bus('system SRAM shared with the Cortex-M (AXI0)', 2 * MiB, 8, clock),
    flash: bus('off-chip flash holding the model (AXI1)', 32 * MiB, 1, clock),
  });
  const u55MemorySources = {
    'memory.sram.bytes': MLEK_MEMORY,
    'memory.sram.bytesPerCycle': `derived: 64-bit AXI port (${VELA_ARCH}: axi_port_width = 64 for Ethos-U55) × Sram_clock_scale 1.0 (${VELA_INI} [System_Config.Ethos_U55_High_End_Embedded]) = 8 B/cycle`,
    'memory.sram.bandwidthBytesPerSec': `derived: 8 B/cycle × 500 MHz = 4 GB/s (${PM}: Vela "High_End_Embedded" SRAM 4 GB/s)`,
    'memory.flash.bytes': MLEK_MEMORY,
    'memory.flash.bytesPerCycle': `derived: 8 B × OffChipFlash_clock_scale 0.125 (${VELA_INI} [System_Config.Ethos_U55_High_End_Embedded]) = 1 B/cycle`,
    'memory.flash.bandwidthBytesPerSec': `derived: 1 B/cycle × 500 MHz = 0.5 GB/s (${PM}: flash 0.5 GB/s)`,
    placement: `${VELA_INI} [Memory_Mode.Shared_Sram] (the Ethos-U55 default): weights (const) on AXI1 flash, tensor arena on AXI0 SRAM`,
  };
  const elementwiseNote = (cyclesPerElem: number, macs: number) =>
    `derived: ${VELA_ARCH} output_cycles_per_elem for a simple Add = ${cyclesPerElem} cycles per element → ${1 / cyclesPerElem} element(s)/cycle ÷ ${macs} MACs/cycle`;
  const lutNote = (cyclesPerElem: number, macs: number) =>
    `derived: ${VELA_ARCH} activation_cycles_per_elem for LUT activations (Sigmoid, Tanh) = ${cyclesPerElem} cycles per element → ÷ ${macs} MACs/cycle`;
  const fcNote = (macs: number, perCycle: number) =>
    `derived: ${VELA_PERF}: a fully connected layer with one output row costs max(cycles_wb = 32, 4) cycles per 8 output channels × 32 input channels${
      perCycle === 16 ? ' per core (2 cores)' : ''
    } → ${perCycle} MACs/cycle ÷ ${macs}`;
  return [
    ethosU({
      id: 'ethos-u55-128',
      name: 'Arm Ethos-U55-128 (High-End Embedded, 500 MHz)',
      description: 'Ethos-U55 microNPU, 128 MACs/cycle, with a Cortex-M55 host (Corstone-300)',
      clockMHz: 500,
      macsPerCycle: 128,
      cores: 1,
      memory: u55Memory(500),
      placement: { weights: 'flash', activations: 'sram' },
      efficiency: {
        conv: 0.8,
        depthwise: 0.125,
        matmul: 8 / 128,
        elementwise: 1 / 128,
        pooling: 0.125,
        other: 1 / 128,
      },
      fallbackProfile: 'cortex-m55',
      sources: {
        clockMHz: `${VELA_INI} [System_Config.Ethos_U55_High_End_Embedded] core_clock=500e6; ${PM}`,
        ...u55MemorySources,
        'efficiency.matmul': fcNote(128, 8),
        'efficiency.elementwise': elementwiseNote(1, 128),
        'efficiency.other': lutNote(1, 128),
        'operators.fallback': `Corstone-300 pairs the Ethos-U55 with a Cortex-M55 (${MLEK_MEMORY})`,
      },
    }),
    ethosU({
      id: 'ethos-u55-256',
      name: 'Arm Ethos-U55-256 (High-End Embedded, 500 MHz)',
      description: 'Ethos-U55 microNPU, 256 MACs/cycle, with a Cortex-M55 host',
      clockMHz: 500,
      macsPerCycle: 256,
      cores: 1,
      memory: u55Memory(500),
      placement: { weights: 'flash', activations: 'sram' },
      efficiency: {
        conv: 0.8,
        depthwise: 0.125,
        matmul: 8 / 256,
        elementwise: 2 / 256,
        pooling: 0.125,
        other: 1 / 256,
      },
      fallbackProfile: 'cortex-m55',
      sources: {
        clockMHz: `${VELA_INI} [System_Config.Ethos_U55_High_End_Embedded] core_clock=500e6; ${PM}`,
        ...u55MemorySources,
        'efficiency.matmul': fcNote(256, 8),
        'efficiency.elementwise': elementwiseNote(0.5, 256),
        'efficiency.other': lutNote(1, 256),
        'operators.fallback': 'Ethos-U55 systems pair the NPU with a Cortex-M55 host (Corstone-300)',
      },
    }),
    ethosU({
      id: 'ethos-u65-512',
      name: 'Arm Ethos-U65-512 (High-End, 1 GHz)',
      description: 'Ethos-U65 microNPU, 2 cores × 256 MACs/cycle, 128-bit AXI, dedicated SRAM in front of DRAM',
      clockMHz: 1000,
      macsPerCycle: 512,
      cores: 2,
      memory: {
        sram: bus('dedicated NPU SRAM used as a cache (AXI0)', 384 * KiB, 16, 1000),
        dram: bus('DRAM holding weights and the tensor arena (AXI1)', 32 * MiB, 3.75, 1000),
      },
      placement: { weights: 'dram', activations: 'dram' },
      efficiency: {
        conv: 0.8,
        depthwise: 0.125,
        matmul: 16 / 512,
        elementwise: 4 / 512,
        pooling: 0.125,
        other: 2 / 512,
      },
      fallbackProfile: 'cortex-m55',
      sources: {
        clockMHz: `${VELA_INI} [System_Config.Ethos_U65_High_End] core_clock=1e9; ${PM}`,
        'memory.sram.bytes': `${VELA_INI} [Memory_Mode.Dedicated_Sram]: "the SRAM (384KB) is only for use by the Ethos-U", arena_cache_size=393216`,
        'memory.sram.bytesPerCycle': `derived: 128-bit AXI port (${VELA_ARCH}: axi_port_width = 128 for Ethos-U65) × Sram_clock_scale 1.0 = 16 B/cycle`,
        'memory.sram.bandwidthBytesPerSec': `derived: 16 B/cycle × 1000 MHz = 16 GB/s (${PM})`,
        'memory.dram.bytes': `assumed: the 32 MiB DDR region of the Arm evaluation platform (${MLEK_MEMORY}); real systems have more`,
        'memory.dram.bytesPerCycle': `derived: 16 B × Dram_clock_scale 0.234375 (${VELA_INI} [System_Config.Ethos_U65_High_End]) = 3.75 B/cycle`,
        'memory.dram.bandwidthBytesPerSec': `derived: 3.75 B/cycle × 1000 MHz = 3.75 GB/s (${PM})`,
        placement: `${VELA_INI} [Memory_Mode.Dedicated_Sram] (the Ethos-U65 default per ${MLEK_MEMORY}): weights and tensor arena on AXI1 DRAM, SRAM as a cache`,
        'efficiency.matmul': fcNote(512, 16),
        'efficiency.elementwise': elementwiseNote(0.25, 512),
        'efficiency.other': lutNote(0.5, 512),
        'operators.fallback':
          'assumed: a Cortex-M55-class host CPU (Ethos-U65 systems also pair it with Cortex-A cores)',
      },
    }),
  ];
}

function coralEdgeTpu(): HardwareProfile {
  const usb3 = (5e9 * (8 / 10)) / 8;
  return {
    id: 'coral-edgetpu',
    name: 'Google Coral Edge TPU (USB Accelerator)',
    kind: 'npu',
    description: 'Edge TPU ASIC on USB 3; int8 TensorFlow Lite models compiled by the Edge TPU compiler',
    runtime: { name: 'TFLite + libedgetpu', version: 'Edge TPU compiler 16' },
    compute: { int8: { macsPerSec: 4e12 / 2, stated: '4 TOPS (int8), 2 TOPS per watt' } },
    memory: {
      sram: { description: 'on-chip SRAM caching parameter data', bytes: 8 * MiB },
      dram: {
        description: 'host memory over the USB 3 link (parameters that do not fit the cache stream in every inference)',
        bandwidthBytesPerSec: usb3,
      },
    },
    placement: { weights: 'sram', activations: 'sram' },
    dtypes: ['int8', 'uint8'],
    operators: {
      mode: 'only',
      ops: EDGETPU_ONNX_OPS,
      dtypes: ['int8', 'uint8'],
      fallback: {
        target: 'host-cpu',
        description:
          'the Edge TPU compiler maps ops up to the first unsupported one; that op and everything after it run on the host CPU in TensorFlow Lite',
        profileId: 'host-cpu',
        costFactor: 1,
        perBoundarySec: 100e-6,
        transferBytesPerSec: usb3,
        partition: 'rest-of-graph',
      },
    },
    perOpOverheadSec: 1e-6,
    perInferenceOverheadSec: 200e-6,
    efficiency: { conv: 0.12, depthwise: 0.05, matmul: 0.05, elementwise: 0.01, pooling: 0.05, other: 0.01 },
    fusions: TFLITE_FUSIONS,
    calibration: { status: 'uncalibrated' },
    sources: {
      runtime: 'coral.ai/docs/edgetpu/compiler; version assumed (the latest public Edge TPU compiler)',
      clockMHz: 'unknown: Google does not publish the Edge TPU clock',
      'compute.int8.macsPerSec': `derived: 4 TOPS ÷ 2 ops per MAC (Coral Accelerator Module datasheet v1.4, "4 TOPS peak performance (int8), 2 TOPS per watt"; ${PM}: coral.ai benchmarks page)`,
      dtypes:
        'coral.ai/docs/edgetpu/models-intro: "It supports only TensorFlow Lite models that are fully 8-bit quantized"',
      'memory.sram.bytes': `${PM}: "small on-chip parameter cache (≈8 MB, third-party)"; also applied-ee.github.io Edge TPU notes ("On-chip SRAM 8 MB (for parameter caching)")`,
      'memory.sram.bandwidthBytesPerSec': 'unknown: not published',
      'memory.dram.bytes': 'unknown: host memory, not a limit for the accelerator',
      'memory.dram.bandwidthBytesPerSec':
        'derived: USB 3.1 Gen 1 line rate 5 Gbit/s × 8b/10b coding ÷ 8 = 500 MB/s (Coral USB3 Accelerator Module datasheet: "USB3 (3.1 Gen 1) interface")',
      placement:
        'coral.ai/docs/edgetpu/compiler, "parameter data caching": parameters are cached in the Edge TPU’s on-chip RAM',
      operators:
        'coral.ai/docs/edgetpu/models-intro, supported operations table (only the rows confirmed: Logistic, Relu, Relu6, ReluN1To1, Tanh, Add, Maximum, Minimum, Mul, Sub, AveragePool2d, Concatenation, Conv2d, DepthwiseConv2d, FullyConnected, L2Normalization, MaxPool2d, Mean, Pad, Reshape, ResizeBilinear, ResizeNearestNeighbor) mapped to ONNX; QuantizeLinear/DequantizeLinear fold on conversion (assumed); other rows of the table omitted (conservative)',
      'operators.fallback':
        'coral.ai/docs/edgetpu/compiler (the compiler creates one Edge TPU partition; the rest runs on the CPU)',
      'operators.fallback.costFactor': 'assumed: TensorFlow Lite CPU kernels priced by the host-cpu profile',
      'operators.fallback.perBoundarySec': 'assumed: one USB round trip to hand results back to the host interpreter',
      'operators.fallback.transferBytesPerSec': 'derived: = memory.dram.bandwidthBytesPerSec (the same USB 3 link)',
      perOpOverheadSec: 'assumed: the compiled graph runs as one custom op; per-layer overhead is small',
      perInferenceOverheadSec: 'assumed: USB transfer setup and interpreter invoke per inference',
      'efficiency.conv': `derived: ${PM} coral.ai benchmarks, MobileNet v1 224 on the USB Accelerator 2.4 ms: 569e6 MACs / 2.4 ms = 237e9 MAC/s ÷ 2e12 = 0.12 (whole model incl. I/O; dominated by 1×1 convolutions)`,
      'efficiency.depthwise': `assumed: below MobileNet v2’s whole-model figure (300e6 MACs / 2.6 ms = 115e9 MAC/s = 0.058 of peak, ${PM})`,
      'efficiency.matmul': 'assumed: fully connected layers reuse each weight once',
      'efficiency.elementwise':
        'assumed: the Edge TPU is built for convolutions; element-wise ops run far below its MAC peak',
      'efficiency.pooling': 'assumed: pooling maps to a small part of the systolic array',
      'efficiency.other': 'assumed: remaining supported ops map poorly to the systolic array',
      fusions: `TFLite fused activations on conversion (cf. ${VELA_OPS}); batch-norm folding assumed`,
    },
  };
}

function hailo8(): HardwareProfile {
  const pcieGen3x4 = (8e9 * (128 / 130) * 4) / 8;
  return {
    id: 'hailo-8',
    name: 'Hailo-8 (M.2 key M, PCIe Gen3 ×4)',
    kind: 'npu',
    description: 'Dataflow accelerator with all memory on chip (no external DRAM)',
    runtime: { name: 'HailoRT + Dataflow Compiler', version: '4.x' },
    compute: { int8: { macsPerSec: 26e12 / 2, stated: '26 TOPS (int8), ≈2.5 W' } },
    memory: {
      sram: { description: 'on-chip memory holding weights and activations (size not published)' },
      dram: { description: 'host memory over PCIe (inputs and outputs only)', bandwidthBytesPerSec: pcieGen3x4 },
    },
    placement: { weights: 'sram', activations: 'sram' },
    dtypes: ['int8', 'uint8'],
    operators: {
      mode: 'only',
      ops: HAILO_ONNX_OPS,
      dtypes: ['int8', 'uint8'],
      fallback: {
        target: 'host-cpu',
        description:
          'the network is cut at its last supported layer; the rest (e.g. NMS post-processing) runs on the host',
        profileId: 'host-cpu',
        costFactor: 1,
        perBoundarySec: 100e-6,
        transferBytesPerSec: pcieGen3x4,
        partition: 'rest-of-graph',
      },
    },
    perOpOverheadSec: 0,
    perInferenceOverheadSec: 200e-6,
    efficiency: { conv: 0.43, depthwise: 0.2, matmul: 0.2, elementwise: 0.05, pooling: 0.2, other: 0.05 },
    fusions: [
      { pattern: ['Conv', 'BatchNormalization'] },
      { pattern: ['Conv', 'BatchNormalization', 'Relu'] },
      { pattern: ['Conv', 'Relu'] },
      { pattern: ['Conv', 'Clip'] },
    ],
    calibration: { status: 'uncalibrated' },
    sources: {
      runtime: 'hailo-ai/hailort (runtime) and the Hailo Dataflow Compiler; version assumed',
      clockMHz: 'unknown: Hailo does not publish the clock',
      'compute.int8.macsPerSec': `derived: 26 TOPS ÷ 2 ops per MAC (${PM}: "Hailo-8: 26 TOPS int8, ≈2.5 W", cnx-software review)`,
      dtypes: 'assumed: 8-bit models (Hailo also offers 16-bit and 4-bit modes, not modelled)',
      'memory.sram.bytes': 'unknown: Hailo does not publish the on-chip memory size',
      'memory.sram.bandwidthBytesPerSec': 'unknown: not published',
      'memory.dram.bytes': 'unknown: host memory, not a limit for the accelerator',
      'memory.dram.bandwidthBytesPerSec':
        'derived: 8 GT/s × 128/130 coding × 4 lanes ÷ 8 = 3.94 GB/s (Hailo community forum: Hailo-8 "M.2 key M with 4 PCIe lanes"; PCIe Gen3 per-lane rate)',
      placement: `${PM} ("no external DRAM … on-chip"); cnx-software: "RAM is self-contained without the need for external DRAM"`,
      operators:
        'assumed: the layer types of typical CNNs that the Hailo Dataflow Compiler maps (Hailo’s supported-layers list needs a developer-zone login and was not consulted)',
      'operators.fallback.costFactor': 'assumed: host CPU kernels priced by the host-cpu profile',
      'operators.fallback.perBoundarySec': 'assumed: one PCIe round trip',
      'operators.fallback.transferBytesPerSec': 'derived: = memory.dram.bandwidthBytesPerSec (the same PCIe link)',
      perOpOverheadSec: 'assumed: layers are pipelined in the dataflow fabric; no per-layer dispatch',
      perInferenceOverheadSec: 'assumed: HailoRT transfer setup per frame',
      'efficiency.conv': `derived: ${PM} hailo_model_zoo HAILO8 ResNet-v1-50 1372 FPS (batch 1) × 4.089e9 MACs (torchvision ResNet-50 count, ${PM}) = 5.61e12 MAC/s ÷ 13e12 = 0.43`,
      'efficiency.depthwise': 'assumed: depthwise layers use a fraction of the dataflow fabric’s MAC units',
      'efficiency.matmul': 'assumed: fully connected layers are bound by weight movement',
      'efficiency.elementwise': 'assumed: element-wise layers use few MAC units',
      'efficiency.pooling': 'assumed: pooling layers map to a fraction of the fabric',
      'efficiency.other': 'assumed: remaining layers map poorly to the MAC array',
      fusions: 'assumed: the Dataflow Compiler folds batch norm and activations into the preceding convolution',
    },
  };
}

/** Ids of the built-in profiles, in the order `edge-profile targets` lists them. */
export const BUILTIN_PROFILE_IDS = [
  'jetson-nano',
  'jetson-xavier-nx',
  'jetson-orin-nano',
  'jetson-orin-nano-super',
  'jetson-orin-nx',
  'jetson-agx-orin',
  'cortex-m4',
  'cortex-m7',
  'cortex-m33',
  'cortex-m55',
  'cortex-m85',
  'ethos-u55-128',
  'ethos-u55-256',
  'ethos-u65-512',
  'coral-edgetpu',
  'hailo-8',
  'host-cpu',
] as const;

export interface BuiltinOptions {
  /** Host measurements for the `host-cpu` profile (default: assumed placeholders). */
  hostCpu?: HostCpuMeasurement;
}

/** Fresh copies of every built-in profile (callers may modify them). */
export function builtinProfiles(options: BuiltinOptions = {}): HardwareProfile[] {
  const all = [
    ...jetsonProfiles(),
    ...cortexMProfiles(),
    ...ethosUProfiles(),
    coralEdgeTpu(),
    hailo8(),
    buildHostCpuProfile(options.hostCpu),
  ];
  const byId = new Map(all.map((p) => [p.id, p]));
  return BUILTIN_PROFILE_IDS.map((id) => structuredClone(byId.get(id) as HardwareProfile));
}

/** One built-in profile by id, or undefined. */
export function builtinProfile(id: string, options: BuiltinOptions = {}): HardwareProfile | undefined {
  return builtinProfiles(options).find((p) => p.id === id);
}
