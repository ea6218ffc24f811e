/**
 * What the engine knows about a piece of hardware and the software stack that runs models on it: a
 * `HardwareProfile` is data, and every number in it carries a citation in `sources` (a document, or a
 * `derived:` / `assumed:` / `measured:` note, or `user profile <file>` for numbers a user overrode).
 *
 * Units are fixed so estimators never guess: compute in multiply-accumulates per second (1 MAC = 2 ops or
 * FLOPs, so a vendor's "4 TOPS" is 2e12 MAC/s), memory in bytes and bytes per second, time in seconds, clock in
 * MHz. Where a vendor states a rate per clock cycle (Arm: MACs/cycle; Vela: bytes/cycle) the per-cycle figure is
 * kept next to the per-second one, and the per-second value always equals per-cycle × clock, so a profile that
 * only changes `clockMHz` rescales every such rate.
 */

/** What kind of device executes the bulk of the model. */
export type ProfileKind = 'gpu' | 'mcu' | 'npu' | 'cpu';
export const PROFILE_KINDS: readonly ProfileKind[] = ['gpu', 'mcu', 'npu', 'cpu'];

/**
 * Operator classes for efficiency factors. The work an op is charged with depends on its class: conv / depthwise /
 * matmul in MACs; elementwise, pooling and other in the non-MAC FLOPs of the cost model (src/core/analysis/cost.ts:
 * 1 per output element for element-wise ops and activations, the window size per output for pooling), each
 * counted as one MAC-equivalent. The derived efficiencies (e.g. Ethos-U from Vela's cycle tables) use that unit.
 */
export type OpClass = 'conv' | 'depthwise' | 'matmul' | 'elementwise' | 'pooling' | 'other';
export const OP_CLASSES: readonly OpClass[] = ['conv', 'depthwise', 'matmul', 'elementwise', 'pooling', 'other'];

export type MemoryLevelName = 'sram' | 'dram' | 'flash';
export const MEMORY_LEVELS: readonly MemoryLevelName[] = ['sram', 'dram', 'flash'];

export interface RuntimeStack {
  /** The stack the numbers model, e.g. `TensorFlow Lite Micro + CMSIS-NN`, `TensorRT`, `Vela + Ethos-U driver`. */
  name: string;
  /** Version (or version range) the profile was written against. */
  version: string;
}

/** Peak compute for one element type. */
export interface ComputePeak {
  /** Peak multiply-accumulates per second: the unit every estimate uses. */
  macsPerSec: number;
  /**
   * Present when the vendor states the peak per clock cycle; then `macsPerSec = macsPerCycle × clockMHz × 1e6`
   * and overriding the clock rescales `macsPerSec`.
   */
  macsPerCycle?: number;
  /** The vendor's own wording when it differs from MAC/s, e.g. `21 TOPS (INT8, GPU + 2 DLA)`. */
  stated?: string;
}

/** One level of the memory hierarchy as the model sees it. */
export interface MemoryLevel {
  /** What this level is (e.g. `AXI SRAM + DTCM`, `LPDDR5 shared by CPU and GPU`); sizes belong in `bytes` only. */
  description: string;
  /** Capacity; absent only where the vendor does not publish it (then `sources` holds an `unknown:` note). */
  bytes?: number;
  /** Sustained bandwidth; absent only where unpublished (`unknown:` note in `sources`). */
  bandwidthBytesPerSec?: number;
  /** Present when bandwidth is stated per core clock; then `bandwidthBytesPerSec = bytesPerCycle × clock`. */
  bytesPerCycle?: number;
}

/** Where a runtime keeps weights and activations by default (e.g. MCU: weights in flash, activations in SRAM). */
export interface MemoryPlacement {
  weights: MemoryLevelName;
  activations: MemoryLevelName;
}

/** What happens to operators the target cannot run. */
export type OperatorFallback =
  | {
      /** The model cannot be deployed with such an op (the runtime has no kernel for it). */
      target: 'none';
      description: string;
    }
  | {
      /** `host-cpu`: another machine's CPU over a link (Edge TPU, Hailo); `cpu-core`: a CPU on the same chip. */
      target: 'host-cpu' | 'cpu-core';
      description: string;
      /** Profile that prices the fallen-back ops; absent: they are priced on this profile and scaled by costFactor. */
      profileId?: string;
      /** Multiplier on the fallback's estimate for those ops (e.g. unoptimised kernels, layout conversions). */
      costFactor: number;
      /** Fixed cost each time execution crosses between the target and the fallback. */
      perBoundarySec: number;
      /** Link bandwidth for tensors crossing a boundary; absent: shared memory, no copy. */
      transferBytesPerSec?: number;
      /**
       * `per-op`: each unsupported op falls back alone. `rest-of-graph`: the first unsupported op and everything
       * after it run on the fallback (the Edge TPU compiler makes a single partition).
       */
      partition: 'per-op' | 'rest-of-graph';
    };

/** Which ONNX operators (default domain, by op type) run on the target. */
export interface OperatorSupport {
  /** `only`: just the listed ops run on the target; `all-except`: every op except the listed ones. */
  mode: 'only' | 'all-except';
  ops: string[];
  /** Element types an op's tensors must have to run on the target (e.g. `['int8']` for the Edge TPU). */
  dtypes?: string[];
  fallback: OperatorFallback;
}

/** A chain of ops the runtime executes as one kernel (first op's cost, the rest folded in). */
export interface FusionRule {
  /** Op types in producer → consumer order, e.g. `['Conv', 'BatchNormalization', 'Relu']`. */
  pattern: string[];
  description?: string;
}

/** Fixed memory the runtime itself needs (TensorFlow Lite Micro style interpreters). */
export interface RuntimeMemory {
  /** Persistent arena bytes per tensor. */
  perTensorBytes: number;
  /** Persistent arena bytes per operator. */
  perOpBytes: number;
  /** Alignment of buffers in the activation arena. */
  arenaAlignmentBytes: number;
  /** Flash taken by the runtime's core code. */
  codeBytes: number;
  /** Flash per distinct operator type linked in (kernel code). */
  perOpTypeCodeBytes: number;
}

export type Calibration =
  | { status: 'uncalibrated' }
  | {
      status: 'calibrated';
      /** Number of measured models the profile was fitted against. */
      measurements: number;
      /** Median of |estimate − measured| / measured over those models, in percent. */
      medianAbsErrorPct: number;
      source: string;
    };

export interface HardwareProfile {
  /** Stable identifier used on the command line and in settings (`cortex-m7`, `jetson-agx-orin`…). */
  id: string;
  name: string;
  kind: ProfileKind;
  description?: string;
  runtime: RuntimeStack;
  /** Clock of the unit that runs the model (GPU clock on Jetson, core clock on MCUs and NPUs); absent when unpublished. */
  clockMHz?: number;
  /** Peak compute by element type name (names as in `src/core/onnx/dtype.ts`: `float32`, `float16`, `int8`…). */
  compute: Partial<Record<string, ComputePeak>>;
  memory: Partial<Record<MemoryLevelName, MemoryLevel>>;
  placement: MemoryPlacement;
  /** Element types the target executes natively. */
  dtypes: string[];
  operators: OperatorSupport;
  /** Fixed cost per executed operator (dispatch, kernel launch, command setup). */
  perOpOverheadSec: number;
  /** Present when the per-op overhead is stated in cycles; then `perOpOverheadSec = cycles / clock`. */
  perOpOverheadCycles?: number;
  /** Fixed cost per inference (invoke, driver round trip, host-link handshake). */
  perInferenceOverheadSec: number;
  /**
   * Extra fixed cost per executed op of a given type (op key: `Conv`, `com.microsoft.FusedConv`), on top of
   * `perOpOverheadSec`: kernels whose set-up costs more than a trivial op's (a convolution's im2col and GEMM
   * dispatch, a GEMM's packing).
   */
  opOverheadSec?: Record<string, number>;
  /**
   * Extra cost per executed op by the bytes it writes, on top of `perOpOverheadSec`: points (bytes, seconds),
   * linear in between, 0 at 0 bytes, the last point's value beyond it (a runtime that allocates each output
   * pays for the size of the allocation).
   */
  overheadByOutputBytes?: SizeCost[];
  /** Extra cost per inference by the bytes of the graph's inputs and outputs (copies in and out), as above. */
  perInferenceByIoBytes?: SizeCost[];
  /**
   * Fraction of the peak compute rate each op class attains when compute-bound (0 < e ≤ 1); the work an op is
   * charged with is described at `OpClass`.
   */
  efficiency: Record<OpClass, number>;
  /** Fusions the runtime performs; a fused op costs nothing beyond the first op of its chain. */
  fusions: FusionRule[];
  runtimeMemory?: RuntimeMemory;
  calibration: Calibration;
  /**
   * Field path (`compute.int8.macsPerSec`, `memory.sram.bytes`, `efficiency.conv`…) → citation. Every numeric
   * field has one; non-numeric sections (`runtime`, `operators`, `fusions`) are cited too.
   */
  sources: Record<string, string>;
}

/** One point of a size-dependent cost: `sec` seconds for `bytes` bytes. */
export interface SizeCost {
  bytes: number;
  sec: number;
}

/**
 * The cost at `bytes` of a size-dependent cost table: linear between its points (sorted by bytes), from 0 s at 0
 * bytes, and the last point's value beyond the last point (what lies beyond was not measured).
 */
export function costAtSize(points: readonly SizeCost[] | undefined, bytes: number): number {
  if (!points?.length || !(bytes > 0)) return 0;
  const sorted = points.every((p, i) => i === 0 || points[i - 1].bytes <= p.bytes)
    ? points
    : [...points].sort((a, b) => a.bytes - b.bytes);
  let prev: SizeCost = { bytes: 0, sec: 0 };
  for (const p of sorted) {
    if (bytes <= p.bytes) {
      const span = p.bytes - prev.bytes;
      return span > 0 ? prev.sec + ((p.sec - prev.sec) * (bytes - prev.bytes)) / span : p.sec;
    }
    prev = p;
  }
  return prev.sec;
}

/** Peak MAC/s for an element type, falling back to the closest type the target computes in. */
export function peakMacsPerSec(profile: HardwareProfile, dtype: string): number | undefined {
  const direct = profile.compute[dtype]?.macsPerSec;
  if (direct !== undefined) return direct;
  const alias: Record<string, string[]> = {
    uint8: ['int8'],
    int4: ['int8'],
    uint4: ['int8'],
    uint16: ['int16'],
    bfloat16: ['float16', 'float32'],
    float16: ['float32'],
    float64: ['float32'],
  };
  for (const alt of alias[dtype] ?? []) {
    const v = profile.compute[alt]?.macsPerSec;
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Paths of every numeric leaf (`compute.int8.macsPerSec`…), `sources` excluded: the set that must be cited. */
export function numericLeafPaths(value: unknown, prefix = ''): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (typeof v === 'number') {
      out.push(path);
    } else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) walk(item, path ? `${path}.${i}` : String(i));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (!path && k === 'sources') continue;
        walk(child, path ? `${path}.${k}` : k);
      }
    }
  };
  walk(value, prefix);
  return out;
}

/** Value at a dotted path, or undefined. */
export function valueAtPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Numeric leaves with no entry in `sources` (an empty list means the profile is fully cited). */
export function uncitedPaths(profile: HardwareProfile): string[] {
  return numericLeafPaths(profile).filter((p) => !profile.sources[p]?.trim());
}

/** A calibration status as one line: `uncalibrated` or `calibrated: 12 measurements, median |error| 8.5%`. */
export function describeCalibration(c: Calibration): string {
  return c.status === 'uncalibrated'
    ? 'uncalibrated'
    : `calibrated: ${c.measurements} measurement${c.measurements === 1 ? '' : 's'}, median |error| ${c.medianAbsErrorPct}%`;
}
