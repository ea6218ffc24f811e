/**
 * `edge-profile quantize`, `edge-profile prune` and `edge-profile compare`: argument parsing and printing only;
 * the work is in src/core/transforms. Every transform writes a new file next to the original (never over an
 * existing one without --force), then validates it against the original in ONNX Runtime and prints the report.
 *
 * Exit codes: 0 ok; 1 the transformed model fails validation (does not load or run, changes an output's shape, or
 * misses a threshold) — the file is written all the same, so it can be inspected; 2 bad usage, unreadable model,
 * a transform that refuses the model, or an output path that exists.
 */
import { promises as fs } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as ort from 'onnxruntime-node';
import type { ExternalDataSource, Model } from '../core/onnx/index.js';
import { externalTensors, OnnxReadError } from '../core/onnx/index.js';
import type { HardwareProfile } from '../core/targets/profile.js';
import { didYouMean } from '../core/targets/profileSchema.js';
import { formatMs, formatSize } from '../core/targets/units.js';
import { ProfileError, parseProfileText, profileRegistry } from '../core/targets/userProfiles.js';
import { compareModels, comparisonJson, formatComparisonText } from '../core/transforms/compare.js';
import type { ImageInputOptions } from '../core/transforms/imageInput.js';
import { OutputPathError, transformedPath, writeTransformedModel } from '../core/transforms/outputPath.js';
import { preprocessModel } from '../core/transforms/preprocess.js';
import { type PruneOptions, type PruneStats, pruneModel } from '../core/transforms/prune.js';
import { TransformError, type TransformReport, type TransformResult } from '../core/transforms/types.js';
import type { ValidationReport } from '../core/transforms/validate.js';
import { FileError, type LoadedModel, loadModelFile, readTextFile } from '../node/files.js';
import { parseDims, UsageError } from './args.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

const commonHelp = `Output and validation options:
  -o, --output OUT     where to write (default: next to MODEL, e.g. model.int8.onnx / model.pruned.onnx)
  --force              replace OUT when it exists (the original model and its data are never replaced)
  --format text|json   report format (default text)
  --target ID          also compare the estimated latency, peak RAM and flash on this target (edge-profile targets)
  --profiles FILE      user hardware profiles (JSON with comments) for --target
  --samples N          generated input samples for validation (default 4)
  --runs N             timed runs per model for host latency (default 10; 0 skips it)
  --dim SYMBOL=N       size of a symbolic input dimension (default 1); repeatable
  --min-cosine X       fail (exit 1) when an output's cosine similarity is below X (default: 0.99 int8, 0.999
                       fp16, 0.5 prune — pruning without fine-tuning moves outputs a lot; set your own gate)
  --max-abs-error X    fail when an output's max abs error is above X
  --min-top1 X         fail when a classifier's top-1 agreement is below X (0..1)

Exit codes: 0 ok; 1 the new model fails validation (it is written all the same); 2 bad usage, unreadable model,
the transform refuses the model, or OUT exists.`;

export const quantizeUsage = `Usage: edge-profile quantize MODEL --mode dynamic|static|fp16 [options] [-o OUT]

  --mode MODE          dynamic: INT8 weights, activations quantized at run time; static: INT8 weights and
                       activations (QDQ) calibrated on data; fp16: float16 weights and activations
  --quant-format F     qdq (default) or operator: dynamic MatMulInteger/ConvInteger; static QLinearConv and
                       QLinearMatMul (integer tensors between them, no bias scales: a smaller file)
  --per-tensor         one scale per weight tensor (default: per output channel)
  --weight-type T      int8 (default) or uint8
  --reduce-range       7-bit weights (for CPUs without VNNI)
  --op-types A,B       operator types to quantize
  --exclude NAME       leave this node in float; repeatable
  --exclude-op OP      leave this operator type in float; repeatable
  --calibration DIR    static: folder of samples: one sub-folder per sample (input_0.pb… or INPUTNAME.npy), or
                       for a one-input model one .pb / .npy file or one image (.png, .jpg) per sample (without
                       it: generated inputs, a rough approximation, said so in the report); validation runs on
                       these samples too
  --layout nchw|nhwc   images: layout of the input (default: read from its shape, channels 1 or 3)
  --scale S            images into float inputs: unit [0,1] (default), byte [0,255] or signed [-1,1]
  --mean R,G,B         images: subtracted per channel after --scale (e.g. 0.485,0.456,0.406)
  --std R,G,B          images: divides per channel after --mean (e.g. 0.229,0.224,0.225)
                       (uint8 / int8 image inputs take the pixels as they are, int8 shifted by -128)
  --method M           static: percentile (default: 99.99 % of the values, outliers clipped), minmax or entropy
  --calibration-samples N  static: samples to use (default: all, or 8 generated)
  --no-fold            static: keep a Relu/Clip after Conv/Gemm/MatMul as its own quantized node (default: folded
                       into the operator's output range, as integer runtimes fuse it)
  --no-bias-correction static: keep the biases as they are (default: the mean output shift of weight rounding,
                       measured on the calibration inputs, is taken off each Conv/Gemm bias)
  --keep-io            fp16: keep float32 inputs and outputs (Cast inserted) — the default
  --no-keep-io         fp16: make inputs and outputs float16 too
  --block OP           fp16: also keep this operator type in float32 (besides the default list); repeatable
  --block-node NAME    fp16: keep this node in float32; repeatable
  --no-preprocess      do not fold BatchNormalization and constants and remove no-op nodes first

${commonHelp}`;

export const pruneUsage = `Usage: edge-profile prune MODEL --sparsity S [--structured] [options] [-o OUT]

  --sparsity S         fraction to remove, 0 <= S < 1: of the weights, or (--structured) of each layer's channels
  --structured         remove whole output channels of Conv/Gemm/MatMul and rewrite their consumers (MACs and
                       weights drop); default: zero the smallest weights (unstructured: same size and speed on a
                       dense runtime, smaller only with sparse or compressed weight storage)
  --norm l1|l2         structured: norm ranking the channels (default l1)
  --scope global|layer unstructured: one threshold over all layers (default) or the same sparsity in each
  --exclude NAME       never prune this layer; repeatable
  --only NAME          prune only this layer; repeatable
  --min-channels N     structured: channels every layer keeps (default 1)
  --strict             structured: refuse instead of keeping channels whose dependencies cannot be followed
  --preprocess         fold BatchNormalization and constants and remove no-op nodes first

${commonHelp}`;

export const compareUsage = `Usage: edge-profile compare A B [--format text|json] [--all] [--dim SYMBOL=N]

Totals (nodes, params, weight bytes, MACs, FLOPs, activation bytes, file size) side by side, and a per-layer diff
matched by node name, then by structure (same op fed by matched layers), then by position.
  --all                list unchanged layers too`;

const commonOptions = {
  output: { type: 'string', short: 'o' },
  force: { type: 'boolean' },
  format: { type: 'string' },
  target: { type: 'string' },
  profiles: { type: 'string' },
  samples: { type: 'string' },
  runs: { type: 'string' },
  dim: { type: 'string', multiple: true },
  'min-cosine': { type: 'string' },
  'max-abs-error': { type: 'string' },
  'min-top1': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type CommonValues = {
  output?: string;
  force?: boolean;
  format?: string;
  target?: string;
  profiles?: string;
  samples?: string;
  runs?: string;
  dim?: string[];
  'min-cosine'?: string;
  'max-abs-error'?: string;
  'min-top1'?: string;
};

/** Runs a command body, turning known errors into messages and exit codes. */
async function guarded(io: CliIo, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      io.err(`edge-profile: ${(err as Error).message}\n${usage}`);
      return 2;
    }
    if (
      err instanceof FileError ||
      err instanceof OnnxReadError ||
      err instanceof TransformError ||
      err instanceof OutputPathError ||
      err instanceof ProfileError
    ) {
      io.err(`edge-profile: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

function number(text: string | undefined, what: string, check: (x: number) => boolean): number | undefined {
  if (text === undefined) return undefined;
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x) || !check(x)) throw new UsageError(`${what}: '${text}' is not valid`);
  return x;
}

function pickFormat(v: string | undefined): 'text' | 'json' {
  const f = v ?? 'text';
  if (f !== 'text' && f !== 'json') throw new UsageError(`unknown --format '${f}' (text or json)`);
  return f;
}

async function pickTarget(
  id: string | undefined,
  profilesFile: string | undefined,
): Promise<{ target?: HardwareProfile; profiles?: Map<string, HardwareProfile> }> {
  if (id === undefined) return {};
  const registry = profilesFile
    ? profileRegistry([parseProfileText(await readTextFile(profilesFile), profilesFile)])
    : profileRegistry();
  const target = registry.get(id);
  if (!target) {
    const ids = [...registry.keys()];
    throw new UsageError(`--target: unknown target '${id}'${didYouMean(id, ids)}; targets: ${ids.join(', ')}`);
  }
  return { target, profiles: registry };
}

/** Size on disk of a loaded model: its file plus the distinct data files it references. */
async function diskBytes(loaded: LoadedModel): Promise<number> {
  const locations = new Set<string>();
  for (const t of externalTensors(loaded.model)) if (t.data.kind === 'external') locations.add(t.data.location);
  let total = loaded.fileBytes;
  for (const loc of locations) total += await loaded.externalData.size(loc).catch(() => 0);
  return total;
}

interface TransformRun {
  kind: string;
  /** Default minimum cosine similarity of this transform. */
  minCosine: number;
  transform: (model: Model, source: ExternalDataSource) => Promise<TransformResult & { stats?: PruneStats }>;
  preprocess: boolean;
  /** Validation inputs (static mode: the calibration samples); generated when absent. */
  feeds?: Record<string, ort.Tensor>[];
}

/** Load, (pre-process), transform, write, validate, print. */
async function runTransform(io: CliIo, file: string, values: CommonValues, run: TransformRun): Promise<number> {
  const format = pickFormat(values.format);
  const samples = number(values.samples, '--samples', (x) => Number.isInteger(x) && x >= 1);
  const runs = number(values.runs, '--runs', (x) => Number.isInteger(x) && x >= 0);
  const minCosine = number(values['min-cosine'], '--min-cosine', (x) => x >= -1 && x <= 1) ?? run.minCosine;
  const maxAbsError = number(values['max-abs-error'], '--max-abs-error', (x) => x >= 0);
  const minTop1 = number(values['min-top1'], '--min-top1', (x) => x >= 0 && x <= 1);
  const dims = parseDims(values.dim ?? []);
  const { target, profiles } = await pickTarget(values.target, values.profiles);
  const loaded = await loadModelFile(file);
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new TransformError(`${file}: the model has errors: ${errors[0].message}`, 'invalid-model');

  const reports: TransformReport[] = [];
  let model = loaded.model;
  if (run.preprocess) {
    const { ortConstantEvaluator } = await import('../core/transforms/validate.js');
    const pre = await preprocessModel(model, { evaluate: ortConstantEvaluator }, loaded.externalData);
    model = pre.model;
    reports.push(pre.report);
  }
  const result = await run.transform(model, loaded.externalData);
  reports.push(result.report);
  const outPath = values.output ?? transformedPath(file, run.kind);
  const written = await writeTransformedModel(outPath, result.model, {
    overwrite: values.force,
    source: loaded.externalData,
    originalPath: file,
    originalModel: loaded.model,
  });

  const { validateTransform } = await import('../core/transforms/validate.js');
  const validation = await validateTransform(
    { model: loaded.model, source: loaded.externalData, path: loaded.path, fileBytes: await diskBytes(loaded) },
    { model: written.model, path: written.path, fileBytes: written.sizeBytes },
    {
      ...(run.feeds?.length ? { feeds: run.feeds.slice(0, samples ?? 4) } : { samples }),
      latencyRuns: runs,
      dims,
      thresholds: { minCosine, maxAbsError, minTop1 },
      target,
      profiles,
    },
  );
  if (format === 'json') {
    io.out(
      toJson({
        output: written.path,
        ...(written.dataPath ? { dataFile: written.dataPath } : {}),
        ok: validation.ok,
        sizeBytes: validation.sizeBytes,
        validation: {
          ok: validation.ok,
          cosine: validation.summary.cosine,
          maxAbsError: validation.summary.maxAbsError,
          snrDb: validation.summary.snrDb,
          top1Agreement: validation.summary.top1Agreement,
          failures: validation.failures,
          thresholds: validation.thresholds,
          inputs: validation.inputs,
          outputs: validation.outputs,
        },
        hostLatencyMs: validation.hostLatencyMs,
        estimate: validation.estimate,
        compressedWeightBytes: validation.compressedWeightBytes,
        transforms: reports,
        ...(result.stats ? { stats: result.stats } : {}),
        notes: validation.notes,
      }),
    );
  } else {
    io.out(formatTransformText(written.path, reports, validation, result.stats));
  }
  return validation.ok ? 0 : 1;
}

/** JSON with non-finite numbers as strings ("Infinity": identical outputs have infinite SNR). */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      return v;
    },
    2,
  );
}

const ratio = (a: number, b: number) => (a > 0 ? ` (${((b / a) * 100).toFixed(1)}%)` : '');

export function formatTransformText(
  output: string,
  reports: TransformReport[],
  v: ValidationReport,
  stats?: PruneStats,
): string {
  const lines: string[] = [];
  lines.push(
    `wrote ${output}: ${formatSize(v.sizeBytes.after)}, was ${formatSize(v.sizeBytes.before)}${ratio(v.sizeBytes.before, v.sizeBytes.after)}`,
  );
  for (const r of reports) {
    for (const n of r.notes) lines.push(`${r.transform}: ${n}`);
    for (const w of r.warnings) lines.push(`${r.transform}: warning: ${w}`);
  }
  if (stats?.kind === 'structured' && stats.channels) {
    const changed = stats.channels.filter((c) => c.channelsAfter < c.channelsBefore);
    for (const c of changed) lines.push(`  ${c.node} (${c.opType}): ${c.channelsBefore} → ${c.channelsAfter} channels`);
  }
  lines.push('');
  lines.push(`validation in ONNX Runtime: ${v.ok ? 'PASSED' : 'FAILED'}`);
  for (const o of v.outputs) {
    if (o.transformedShape) continue;
    const parts = [
      `cosine ${fix(o.cosine, 6)}`,
      `max abs error ${sci(o.maxAbsError)}`,
      `SNR ${Number.isFinite(o.snrDb) ? `${o.snrDb.toFixed(1)} dB` : `${o.snrDb} dB`}`,
    ];
    if (o.top1Agreement !== null) parts.push(`top-1 agreement ${(o.top1Agreement * 100).toFixed(1)}%`);
    lines.push(`  output '${o.name}' [${o.shape.join(', ')}]: ${parts.join(', ')}`);
  }
  for (const f of v.failures) lines.push(`  FAILED: ${f}`);
  if (v.hostLatencyMs) {
    const { before, after } = v.hostLatencyMs;
    lines.push(`host latency (measured): ${formatMs(before)} ms → ${formatMs(after)} ms${ratio(before, after)}`);
  }
  if (v.compressedWeightBytes) {
    const { before, after } = v.compressedWeightBytes;
    lines.push(
      `weights deflated (a proxy for compressed storage): ${formatSize(before)} → ${formatSize(after)}${ratio(before, after)}`,
    );
  }
  if (v.estimate) {
    const e = v.estimate;
    const lat = (x: number | null) => (x === null ? 'n/a' : `${formatMs(x)} ms`);
    lines.push(`on ${e.target} (${e.accuracy}):`);
    lines.push(`  latency ${lat(e.before.latencyMs)} → ${lat(e.after.latencyMs)}`);
    lines.push(
      `  peak RAM ${formatSize(e.before.peakRamBytes)} → ${formatSize(e.after.peakRamBytes)}${fitText(e.after.fitsRam)}`,
    );
    lines.push(
      `  flash ${formatSize(e.before.flashBytes)} → ${formatSize(e.after.flashBytes)}${fitText(e.after.fitsFlash)}`,
    );
  }
  for (const n of v.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

const fitText = (fits: boolean | null) => (fits === true ? ' (fits)' : fits === false ? ' (DOES NOT FIT)' : '');
const fix = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const sci = (x: number) => (Number.isFinite(x) ? (x === 0 ? '0' : x.toExponential(2)) : String(x));

// ---------------------------------------------------------------------------------------------------------------
// prune

export async function runPrune(argv: string[], io: CliIo = processIo): Promise<number> {
  return guarded(io, pruneUsage, async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...commonOptions,
        sparsity: { type: 'string' },
        structured: { type: 'boolean' },
        norm: { type: 'string' },
        scope: { type: 'string' },
        exclude: { type: 'string', multiple: true },
        only: { type: 'string', multiple: true },
        'min-channels': { type: 'string' },
        strict: { type: 'boolean' },
        preprocess: { type: 'boolean' },
      },
    });
    if (values.help) {
      io.out(pruneUsage);
      return 0;
    }
    const [file, ...extra] = positionals;
    if (!file) throw new UsageError('prune: missing MODEL argument');
    if (extra.length) throw new UsageError(`prune: unexpected argument '${extra[0]}'`);
    if (values.sparsity === undefined) throw new UsageError('prune: --sparsity S is required');
    const sparsity = number(values.sparsity, '--sparsity', (x) => x >= 0 && x < 1) as number;
    const norm = values.norm ?? 'l1';
    if (norm !== 'l1' && norm !== 'l2') throw new UsageError(`--norm: '${norm}' is not l1 or l2`);
    const scope = values.scope ?? 'global';
    if (scope !== 'global' && scope !== 'layer') throw new UsageError(`--scope: '${scope}' is not global or layer`);
    if (values.structured && values.scope) throw new UsageError('--scope applies to unstructured pruning only');
    if (!values.structured && (values.norm || values['min-channels'] || values.strict)) {
      throw new UsageError('--norm, --min-channels and --strict apply to --structured pruning only');
    }
    const options: PruneOptions = {
      sparsity,
      structured: values.structured ?? false,
      norm,
      scope,
      ...(values.exclude ? { exclude: values.exclude } : {}),
      ...(values.only ? { nodes: values.only } : {}),
      minChannels: number(values['min-channels'], '--min-channels', (x) => Number.isInteger(x) && x >= 1),
      strict: values.strict ?? false,
    };
    return runTransform(io, file, values, {
      kind: 'pruned',
      // Pruning without fine-tuning changes outputs far more than quantization: the default threshold only
      // catches a broken model; set --min-cosine for a real accuracy gate.
      minCosine: 0.5,
      preprocess: values.preprocess ?? false,
      transform: (model, source) => pruneModel(model, options, source),
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// quantize

export async function runQuantize(argv: string[], io: CliIo = processIo): Promise<number> {
  return guarded(io, quantizeUsage, async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...commonOptions,
        mode: { type: 'string' },
        'quant-format': { type: 'string' },
        'per-tensor': { type: 'boolean' },
        'weight-type': { type: 'string' },
        'reduce-range': { type: 'boolean' },
        'op-types': { type: 'string' },
        exclude: { type: 'string', multiple: true },
        'exclude-op': { type: 'string', multiple: true },
        calibration: { type: 'string' },
        layout: { type: 'string' },
        scale: { type: 'string' },
        mean: { type: 'string' },
        std: { type: 'string' },
        method: { type: 'string' },
        'calibration-samples': { type: 'string' },
        'no-fold': { type: 'boolean' },
        'no-bias-correction': { type: 'boolean' },
        'keep-io': { type: 'boolean' },
        'no-keep-io': { type: 'boolean' },
        block: { type: 'string', multiple: true },
        'block-node': { type: 'string', multiple: true },
        'no-preprocess': { type: 'boolean' },
      },
    });
    if (values.help) {
      io.out(quantizeUsage);
      return 0;
    }
    const [file, ...extra] = positionals;
    if (!file) throw new UsageError('quantize: missing MODEL argument');
    if (extra.length) throw new UsageError(`quantize: unexpected argument '${extra[0]}'`);
    const mode = values.mode;
    if (mode !== 'dynamic' && mode !== 'static' && mode !== 'fp16') {
      throw new UsageError(`quantize: --mode must be dynamic, static or fp16${mode ? ` (got '${mode}')` : ''}`);
    }
    const only = (opts: string[], modes: string[]) => {
      for (const o of opts) {
        if ((values as Record<string, unknown>)[o] !== undefined && !modes.includes(mode)) {
          throw new UsageError(`--${o} applies to --mode ${modes.join(' or ')}`);
        }
      }
    };
    only(['quant-format', 'per-tensor', 'weight-type', 'reduce-range', 'op-types'], ['dynamic', 'static']);
    only(
      [
        'calibration',
        'method',
        'calibration-samples',
        'layout',
        'scale',
        'mean',
        'std',
        'no-fold',
        'no-bias-correction',
      ],
      ['static'],
    );
    only(['keep-io', 'no-keep-io', 'block', 'block-node'], ['fp16']);
    const quantFormat = values['quant-format'] ?? 'qdq';
    if (quantFormat !== 'qdq' && quantFormat !== 'operator') {
      throw new UsageError(`--quant-format: '${quantFormat}' is not qdq or operator`);
    }
    const weightType = values['weight-type'] ?? 'int8';
    if (weightType !== 'int8' && weightType !== 'uint8') {
      throw new UsageError(`--weight-type: '${weightType}' is not int8 or uint8`);
    }
    const opTypes = values['op-types']
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const common = {
      perChannel: !values['per-tensor'],
      weightType: weightType as 'int8' | 'uint8',
      reduceRange: values['reduce-range'] ?? false,
      ...(opTypes ? { opTypes } : {}),
      ...(values.exclude ? { excludeNodes: values.exclude } : {}),
      ...(values['exclude-op'] ? { excludeOpTypes: values['exclude-op'] } : {}),
    };
    const preprocess = !values['no-preprocess'];
    const dims = parseDims(values.dim ?? []);
    if (mode === 'dynamic') {
      const { quantizeDynamic } = await import('../core/transforms/quantize.js');
      return runTransform(io, file, values, {
        kind: 'int8',
        minCosine: 0.99,
        preprocess,
        transform: (model, source) => quantizeDynamic(model, { ...common, format: quantFormat }, source),
      });
    }
    if (mode === 'static') {
      const method = values.method ?? 'percentile';
      if (!['minmax', 'percentile', 'entropy'].includes(method)) {
        throw new UsageError(`--method: '${method}' is not minmax, percentile or entropy`);
      }
      const maxSamples = number(
        values['calibration-samples'],
        '--calibration-samples',
        (x) => Number.isInteger(x) && x >= 1,
      );
      const image = imageOptions(values, dims);
      if (values.calibration === undefined && (values.layout || values.scale || values.mean || values.std)) {
        throw new UsageError('--layout, --scale, --mean and --std apply to --calibration with images');
      }
      const feeds =
        values.calibration !== undefined
          ? await readCalibrationFolder(values.calibration, (await loadModelFile(file)).model, image)
          : undefined;
      return runTransform(io, file, values, {
        kind: 'int8',
        minCosine: 0.99,
        preprocess,
        feeds,
        transform: (model, source) =>
          staticQuantize(model, source, {
            ...common,
            method: method as 'minmax' | 'percentile' | 'entropy',
            fuseActivations: !values['no-fold'],
            biasCorrection: !values['no-bias-correction'],
            format: quantFormat,
            feeds,
            maxSamples,
            dims,
            io,
          }),
      });
    }
    if (values['keep-io'] && values['no-keep-io']) throw new UsageError('--keep-io and --no-keep-io contradict');
    return runTransform(io, file, values, {
      kind: 'fp16',
      minCosine: 0.999,
      preprocess,
      transform: (model, source) =>
        fp16Convert(model, source, {
          keepIo: !values['no-keep-io'],
          blockOps: values.block ?? [],
          blockNodes: values['block-node'] ?? [],
        }),
    });
  });
}

interface StaticCliOptions {
  perChannel: boolean;
  weightType: 'int8' | 'uint8';
  reduceRange: boolean;
  opTypes?: string[];
  excludeNodes?: string[];
  excludeOpTypes?: string[];
  method: 'minmax' | 'percentile' | 'entropy';
  fuseActivations: boolean;
  biasCorrection: boolean;
  format: 'qdq' | 'operator';
  /** Calibration samples read from --calibration DIR. */
  feeds?: Record<string, ort.Tensor>[];
  maxSamples?: number;
  dims: Record<string, number>;
  io: CliIo;
}

/** Static quantization (src/core/transforms/quantizeStatic.ts), loaded only when used. */
async function staticQuantize(model: Model, source: ExternalDataSource, o: StaticCliOptions): Promise<TransformResult> {
  const { quantizeStatic } = await import('../core/transforms/quantizeStatic.js');
  const feeds = o.feeds?.slice(0, o.maxSamples ?? o.feeds.length);
  const tty = process.stderr.isTTY;
  return quantizeStatic(
    model,
    {
      ...(feeds ? { calibration: { feeds, total: feeds.length } } : {}),
      generated: { count: o.maxSamples ?? 8, dims: o.dims },
      method: o.method,
      fuseActivations: o.fuseActivations,
      biasCorrection: o.biasCorrection,
      format: o.format,
      perChannel: o.perChannel,
      weightType: o.weightType,
      reduceRange: o.reduceRange,
      ...(o.opTypes ? { opTypes: o.opTypes } : {}),
      ...(o.excludeNodes ? { excludeNodes: o.excludeNodes } : {}),
      ...(o.excludeOpTypes ? { excludeOpTypes: o.excludeOpTypes } : {}),
      ...(tty
        ? {
            onProgress: (p: { done: number; total?: number }) =>
              process.stderr.write(`\rcalibrating: ${p.done}${p.total ? `/${p.total}` : ''} samples`),
          }
        : {}),
    },
    source,
  ).finally(() => {
    if (tty) process.stderr.write('\n');
  });
}

/** FP16 conversion (src/core/transforms/fp16.ts), loaded only when used. */
async function fp16Convert(
  model: Model,
  source: ExternalDataSource,
  o: { keepIo: boolean; blockOps: string[]; blockNodes: string[] },
): Promise<TransformResult> {
  const { convertToFloat16, DEFAULT_FP16_BLOCK_LIST } = await import('../core/transforms/fp16.js');
  return convertToFloat16(
    model,
    {
      keepIoTypes: o.keepIo,
      blockOpTypes: [...DEFAULT_FP16_BLOCK_LIST, ...o.blockOps],
      ...(o.blockNodes.length ? { blockNodes: o.blockNodes } : {}),
    },
    source,
  );
}

function imageOptions(
  values: { layout?: string; scale?: string; mean?: string; std?: string },
  dims: Record<string, number>,
): ImageInputOptions {
  const list = (text: string | undefined, what: string) => {
    if (text === undefined) return undefined;
    const parts = text.split(',').map((p) => Number(p.trim()));
    if (!parts.length || parts.some((x) => !Number.isFinite(x)) || text.trim() === '') {
      throw new UsageError(`${what}: '${text}' is not a comma-separated list of numbers`);
    }
    return parts;
  };
  const layout = values.layout;
  if (layout !== undefined && layout !== 'nchw' && layout !== 'nhwc') {
    throw new UsageError(`--layout: '${layout}' is not nchw or nhwc`);
  }
  const scale = values.scale;
  if (scale !== undefined && scale !== 'unit' && scale !== 'byte' && scale !== 'signed') {
    throw new UsageError(`--scale: '${scale}' is not unit, byte or signed`);
  }
  const mean = list(values.mean, '--mean');
  const std = list(values.std, '--std');
  if (std?.some((x) => x === 0)) throw new UsageError('--std: values must be non-zero');
  return {
    dims,
    ...(layout ? { layout } : {}),
    ...(scale ? { scale } : {}),
    ...(mean ? { mean } : {}),
    ...(std ? { std } : {}),
  };
}

/**
 * Calibration samples from a folder: either one sub-folder per sample (ONNX test-data layout, `input_0.pb`…, or
 * files named after the inputs), or — for a model with one input — one `.pb` / `.npy` file or one image (PNG,
 * JPEG: resized to the input, laid out and scaled by `image`) per sample. Sub-folders and files are taken in name
 * order.
 */
export async function readCalibrationFolder(
  dir: string,
  model: Model,
  image: ImageInputOptions = {},
): Promise<Record<string, ort.Tensor>[]> {
  const { tensorFromFile } = await import('../core/runtime/inputFiles.js');
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const inputs = model.graph.inputs.filter((v) => !inits.has(v.name)).map((v) => v.name);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new FileError(`--calibration ${dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, 'en', { numeric: true });
  const tensorFiles = (list: import('node:fs').Dirent[]) =>
    list.filter((e) => e.isFile() && ['.pb', '.npy'].includes(extname(e.name).toLowerCase())).sort(byName);
  const read = async (path: string) => tensorFromFile(basename(path), new Uint8Array(await fs.readFile(path)));
  const samples: Record<string, ort.Tensor>[] = [];
  const folders = entries.filter((e) => e.isDirectory()).sort(byName);
  if (folders.length) {
    for (const f of folders) {
      const files = tensorFiles(await fs.readdir(join(dir, f.name), { withFileTypes: true }));
      if (!files.length) continue;
      const sample: Record<string, ort.Tensor> = {};
      for (const [k, file] of files.entries()) {
        const stem = file.name.replace(/\.(pb|npy)$/i, '');
        const name = inputs.includes(stem) ? stem : inputs[Number(/^input_(\d+)$/.exec(stem)?.[1] ?? k)];
        if (name) sample[name] = await read(join(dir, f.name, file.name));
      }
      samples.push(sample);
    }
  } else {
    if (inputs.length !== 1) {
      throw new UsageError(
        `--calibration ${dir}: the model has ${inputs.length} inputs; give one sub-folder per sample with a file per input`,
      );
    }
    for (const file of tensorFiles(entries)) samples.push({ [inputs[0]]: await read(join(dir, file.name)) });
    if (!samples.length) samples.push(...(await imageSamples(dir, model, inputs[0], image)));
  }
  if (!samples.length) {
    throw new UsageError(`--calibration ${dir}: no .pb, .npy or image (.png, .jpg) samples found`);
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------------------------
// compare

export async function runCompare(argv: string[], io: CliIo = processIo): Promise<number> {
  return guarded(io, compareUsage, async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        all: { type: 'boolean' },
        dim: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(compareUsage);
      return 0;
    }
    const format = pickFormat(values.format);
    if (positionals.length !== 2) throw new UsageError('compare: expected two models, A and B');
    const [fa, fb] = positionals;
    const dims = parseDims(values.dim ?? []);
    const a = await loadModelFile(fa);
    const b = await loadModelFile(fb);
    const c = compareModels(a.model, b.model, {
      dims,
      labels: { a: fa, b: fb },
      fileBytes: { a: await diskBytes(a), b: await diskBytes(b) },
    });
    io.out(format === 'json' ? toJson(comparisonJson(c)) : formatComparisonText(c, { all: values.all }));
    return 0;
  });
}

/** One sample per image file of `dir` for the image input `name` (none when the folder has no image). */
async function imageSamples(
  dir: string,
  model: Model,
  name: string,
  options: ImageInputOptions,
): Promise<Record<string, ort.Tensor>[]> {
  const { listImageFiles, readImageFile } = await import('../node/images.js');
  const files = await listImageFiles(dir);
  if (!files.length) return [];
  const { imageInputSpec, imageToInput } = await import('../core/transforms/imageInput.js');
  const ortModule = await import('onnxruntime-node');
  const v = model.graph.inputs.find((i) => i.name === name);
  const type = v?.type?.kind === 'tensor' ? v.type : undefined;
  const spec = imageInputSpec(name, type?.elemType ?? 0, type?.shape, options);
  const out: Record<string, ort.Tensor>[] = [];
  for (const f of files) {
    const data = imageToInput(await readImageFile(f), spec, options);
    out.push({ [name]: new ortModule.Tensor(spec.type, data, spec.shape) });
  }
  return out;
}
