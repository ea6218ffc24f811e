/**
 * `edge-profile measure` and `edge-profile calibrate`: argument parsing and printing; the work is in
 * src/core/runtime (running models in ONNX Runtime, this machine's host-cpu numbers) and src/core/targets
 * (estimates, calibration). main.ts loads this module only for these two commands, so that onnxruntime-node is
 * not loaded otherwise. Exit codes: 0 ok, 1 nothing could be measured or fitted, 2 bad usage, an unreadable file,
 * or a model ONNX Runtime cannot load.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type * as ort from 'onnxruntime-node';
import { analyzeModel, type ProfileOptions } from '../core/analysis/cost.js';
import { inlineExternalData } from '../core/onnx/externalData.js';
import type { Dim, Model } from '../core/onnx/index.js';
import { encodeModel, OnnxReadError } from '../core/onnx/index.js';
import { defaultHostCpuCachePath, loadHostCpuRecord } from '../core/runtime/hostCpuStore.js';
import { InputFileError, tensorFromFile } from '../core/runtime/inputFiles.js';
import { InputError } from '../core/runtime/inputs.js';
import { MeasureError, type MeasureResult, measureModel, type OptimizationLevel } from '../core/runtime/measure.js';
import { builtinProfiles } from '../core/targets/builtinProfiles.js';
import {
  CalibrationError,
  type CalibrationSet,
  calibratedProfileJson,
  compareWithEstimate,
  detectTimingFormat,
  type FitResult,
  fitProfile,
  type MeasuredComparison,
  matchTimings,
  readTimings,
  TIMING_FORMATS,
  type TimingEntry,
  type TimingFormat,
} from '../core/targets/calibrate.js';
import { estimateModel } from '../core/targets/estimate.js';
import { type HostCpuRecord, hostCpuProfile, hostRuntimeCost } from '../core/targets/hostCpu.js';
import { describeCalibration, type HardwareProfile } from '../core/targets/profile.js';
import { loadUserProfiles, ProfileError } from '../core/targets/userProfiles.js';
import { FileError, type LoadedModel, loadModelFile, writeFileAtomic } from '../node/files.js';
import { parseDims, UsageError } from './args.js';

const measureUsage = `Usage: edge-profile measure MODEL [options]

Runs MODEL in ONNX Runtime (CPU, one thread) with per-node profiling and compares every layer's measured time
with the host-cpu estimate for this machine (measured once and cached).

Options:
  --runs N                     timed runs (default 10); each layer's time is the median
  --warmup N                   untimed runs first (default 2)
  --format text|json           default text
  --optimization LEVEL         disabled|basic|extended|all (default disabled: every node keeps its own kernel)
  --input NAME=FILE            an input from a .pb (TensorProto) or .npy file; others are generated; repeatable
  --dim SYMBOL=N               size of a symbolic dimension (default 1); repeatable
  --top N                      text: the N slowest layers (default 20; 0 lists all)
  --host-cache PATH|none       where this machine's host-cpu numbers are cached (default ${defaultHostCpuCachePath()})
  --refresh-host               measure this machine again instead of using the cache`;

const calibrateUsage = `Usage: edge-profile calibrate --target ID --from FILE [FILE…] [--model MODEL…] -o OUT.json

Fits the efficiency factors (per op class) and per-op overhead of profile ID to measured times and writes a user
profile that extends ID. Measurement files: ONNX Runtime profile JSON, trtexec --exportProfile JSON, Vela
per-layer CSV, or CSV rows model,layer,ms (layer * = the whole model). Layers are matched by name.

Options:
  --target ID                  profile to calibrate (built-in, or from --profiles)
  --from FILE                  measurement file; repeatable, and further arguments are files too
  --model MODEL                the ONNX model the measurements are of; repeatable. Files of one model's layers use
                               the only --model, or the one whose name the file name contains; CSV rows name
                               their model (a path, or a --model's file name)
  --format FORMAT              ort-profile|trtexec|vela|csv (default: detected per file)
  --clock-mhz N                clock that Vela's cycle counts are at (default: the target's clock)
  --optimization LEVEL         host-cpu: the ONNX Runtime level the profiles were recorded at (default disabled)
  --id NEW_ID                  id of the written profile (default ID-calibrated)
  --profiles FILE              user profiles (to calibrate one of them)
  --dim SYMBOL=N               size of a symbolic dimension (default 1); repeatable
  -o, --output OUT.json        where to write the profile (refused if it exists, unless --force)
  --force                      overwrite OUT.json
  --report text|json           how to print the fit report (default text)
  --host-cache PATH|none       host-cpu numbers cache (target host-cpu only)`;

const LEVELS: readonly OptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function fail(message: string): number {
  process.stderr.write(`edge-profile: ${message}\n`);
  return 2;
}

/** Errors the user can act on become one line on stderr and exit code 2; anything else is a bug and propagates. */
async function guarded(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) return fail(err.message);
    if (
      err instanceof FileError ||
      err instanceof OnnxReadError ||
      err instanceof MeasureError ||
      err instanceof InputError ||
      err instanceof InputFileError ||
      err instanceof CalibrationError ||
      err instanceof ProfileError
    )
      return fail(err.message.split('\n').join('\n  '));
    if ((err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) return fail((err as Error).message);
    throw err;
  }
}

function count(text: string | undefined, what: string, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${what}: '${text}' is not an integer ≥ ${min}`);
  return Number(text);
}

function level(text: string | undefined): OptimizationLevel {
  if (text === undefined) return 'disabled';
  if (!(LEVELS as readonly string[]).includes(text))
    throw new UsageError(`--optimization: '${text}' is not one of ${LEVELS.join(', ')}`);
  return text as OptimizationLevel;
}

function hostCachePath(text: string | undefined): string | null | undefined {
  if (text === undefined) return undefined;
  return text === 'none' ? null : resolve(text);
}

async function hostRecord(cache: string | undefined, refresh: boolean): Promise<HostCpuRecord> {
  const path = hostCachePath(cache);
  const where = path === undefined ? defaultHostCpuCachePath() : path;
  let announced = false;
  const timer = setTimeout(() => {
    announced = true;
    process.stderr.write(
      `edge-profile: measuring this machine for the host-cpu profile (a few seconds, once${where ? `; cached in ${where}` : ''})…\n`,
    );
  }, 300);
  try {
    return (await loadHostCpuRecord({ cachePath: path, refresh })).record;
  } finally {
    clearTimeout(timer);
    if (announced) process.stderr.write('edge-profile: done.\n');
  }
}

/** The model's bytes for ONNX Runtime, external data read in. */
async function runtimeBytes(loaded: LoadedModel): Promise<Uint8Array> {
  const hasExternal = loaded.model.graph.initializers.some((t) => t.data.kind === 'external');
  if (!hasExternal) return fs.readFile(loaded.path);
  return encodeModel(await inlineExternalData(loaded.model, loaded.externalData));
}

/** Symbolic or unknown input dimensions, sized as the runtime ran them, for the static analysis. */
function ranShapes(run: MeasureResult): Record<string, Dim[]> {
  return Object.fromEntries(run.inputs.map((i) => [i.name, i.shape]));
}

// ---------------------------------------------------------------------------------------------------------------
// measure

export async function runMeasure(argv: string[]): Promise<number> {
  return guarded(async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        runs: { type: 'string' },
        warmup: { type: 'string' },
        format: { type: 'string' },
        optimization: { type: 'string' },
        input: { type: 'string', multiple: true },
        dim: { type: 'string', multiple: true },
        top: { type: 'string' },
        'host-cache': { type: 'string' },
        'refresh-host': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      out(measureUsage);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('measure: missing MODEL argument (see measure --help)');
    if (positionals.length > 1) throw new UsageError(`measure: unexpected argument '${positionals[1]}'`);
    const file = positionals[0];
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`measure: unknown --format '${format}'`);
    const runs = count(values.runs, '--runs', 10);
    const warmup = count(values.warmup, '--warmup', 2, 0);
    const top = count(values.top, '--top', 20, 0);
    const optimization = level(values.optimization);
    const dims = parseDims(values.dim ?? []);

    const loaded = await loadModelFile(file);
    const model = loaded.model;
    const initNames = new Set(model.graph.initializers.map((t) => t.name));
    const inputNames = model.graph.inputs.filter((v) => !initNames.has(v.name)).map((v) => v.name);
    const inputs: Record<string, ort.Tensor> = {};
    for (const item of values.input ?? []) {
      const eq = item.indexOf('=');
      if (eq <= 0) throw new UsageError(`--input '${item}': expected NAME=FILE.pb or NAME=FILE.npy`);
      const name = item.slice(0, eq);
      const path = item.slice(eq + 1);
      if (!inputNames.includes(name))
        throw new UsageError(`--input: the model has no input '${name}' (inputs: ${inputNames.join(', ') || 'none'})`);
      const bytes = await fs.readFile(path).catch((err: NodeJS.ErrnoException) => {
        throw new FileError(`${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      });
      inputs[name] = await tensorFromFile(path, bytes);
    }

    const record = await hostRecord(values['host-cache'], values['refresh-host'] === true);
    const run = await measureModel(await runtimeBytes(loaded), model, { runs, warmup, optimization, dims, inputs });
    const options: ProfileOptions = { dims, inputShapes: ranShapes(run) };
    const analysis = analyzeModel(model, options);
    const profile = hostCpuProfile(record, { optimization });
    const cost = hostRuntimeCost(model, analysis.profile, analysis.facts, {
      level: optimization,
      profile,
      kernels: record,
    });
    const estimate = estimateModel(model, cost, analysis.facts, profile);
    const comparison = compareWithEstimate(run, estimate);
    const report = measureReport(file, run, profile, record, comparison);
    if (format === 'json') out(JSON.stringify(report, null, 2));
    else out(formatMeasureText(report, top));
    return 0;
  });
}

type MeasureReport = ReturnType<typeof measureReport>;

function measureReport(
  file: string,
  run: MeasureResult,
  profile: HardwareProfile,
  record: HostCpuRecord,
  c: MeasuredComparison,
) {
  const r = (x: number | null, d = 4) => (x === null || !Number.isFinite(x) ? null : Number(x.toPrecision(d)));
  return {
    model: file,
    target: {
      id: profile.id,
      name: profile.name,
      calibration: profile.calibration,
      accuracy: `estimate (${describeCalibration(profile.calibration)})`,
    },
    runtime: {
      name: 'ONNX Runtime (CPU execution provider)',
      version: record.identity.onnxRuntimeVersion,
      optimization: run.optimization,
      threads: run.threads,
      runs: run.runs,
    },
    inputs: run.inputs,
    totals: {
      measuredMs: r(c.totals.measuredMs),
      fastestMs: r(run.wallMinMs),
      kernelMs: r(c.totals.kernelMs),
      estimatedMs: r(c.totals.estimatedMs),
      errorPct: r(c.totals.errorPct, 3),
      estimateComplete: c.totals.estimateComplete,
      measuredLayers: c.layers.length,
      layersNotMeasured: c.notMeasured.count,
      estimatedMsNotMeasured: r(c.notMeasured.estimatedMs),
    },
    spearman: r(c.spearman, 3),
    medianAbsLayerErrorPct: r(c.medianAbsLayerErrorPct, 3),
    layers: c.layers.map((l) => ({
      name: l.name,
      opType: l.opType,
      opClass: l.opClass,
      measuredMs: r(l.measuredMs),
      estimatedMs: r(l.estimatedMs),
      errorPct: r(l.errorPct, 3),
      bound: l.bound,
    })),
    unmatched: run.unmatched.map((u) => ({ ...u, measuredMs: r(u.measuredMs) })),
    host: {
      cpu: record.identity.cpuModel,
      measuredAt: record.measuredAt,
      float32MacsPerSec: r(record.float32MacsPerSec, 3),
      int8MacsPerSec: r(record.int8MacsPerSec ?? null, 3),
      bandwidthBytesPerSec: r(record.bandwidthBytesPerSec, 3),
      perOpOverheadSec: r(profile.perOpOverheadSec, 3),
      perInferenceOverheadSec: r(profile.perInferenceOverheadSec, 3),
      efficiency: profile.efficiency,
    },
    notes: [
      'measured per-layer times are ONNX Runtime kernel times; the estimate per layer adds the executor time between kernels, which kernel times exclude',
      'the total compares the estimate with the median wall time of run()',
    ],
  };
}

const ms = (x: number | null) => (x === null ? 'n/a' : x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const pct = (x: number | null) => (x === null ? 'n/a' : `${x > 0 ? '+' : ''}${x.toFixed(1)}%`);

function table(rows: string[][], right: boolean[]): string {
  const widths = rows[0].map((_, i) => rows.reduce((w, r) => Math.max(w, r[i].length), 0));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function formatMeasureText(rep: MeasureReport, top: number): string {
  const lines: string[] = [];
  const t = rep.totals;
  lines.push(`${rep.model}: measured in ${rep.runtime.name} ${rep.runtime.version}`);
  lines.push(
    `  ${rep.runtime.threads} thread, graph optimizations ${rep.runtime.optimization}, median of ${rep.runtime.runs} runs`,
  );
  for (const i of rep.inputs)
    lines.push(`  input ${i.name}: ${i.dtype} [${i.shape.join(', ')}]${i.generated ? ' (generated)' : ''}`);
  lines.push(`target ${rep.target.id}: ${rep.target.name}, ${rep.target.accuracy}`);
  lines.push('');
  lines.push(
    table(
      [
        ['', 'measured', 'estimated', 'error'],
        ['total (wall)', `${ms(t.measuredMs)} ms`, `${ms(t.estimatedMs)} ms`, pct(t.errorPct)],
        ['fastest run', `${ms(t.fastestMs)} ms`, '', ''],
        ['kernels', `${ms(t.kernelMs)} ms`, '', ''],
      ],
      [false, true, true, true],
    ),
  );
  lines.push(
    `per layer: Spearman ρ ${rep.spearman === null ? 'n/a' : rep.spearman.toFixed(3)} over ${t.measuredLayers} layers, median |error| ${
      rep.medianAbsLayerErrorPct === null ? 'n/a' : `${rep.medianAbsLayerErrorPct.toFixed(1)}%`
    }`,
  );
  if (!t.estimateComplete)
    lines.push('note: some layers have no estimate (shape unknown); the estimated total is a lower bound');
  if (t.layersNotMeasured)
    lines.push(
      `note: ${t.layersNotMeasured} layer${t.layersNotMeasured === 1 ? '' : 's'} ran no kernel of their own (${ms(t.estimatedMsNotMeasured)} ms estimated)`,
    );
  if (rep.unmatched.length)
    lines.push(
      `note: ${rep.unmatched.length} kernel${rep.unmatched.length === 1 ? '' : 's'} matched no node (${ms(
        rep.unmatched.reduce((s, u) => s + (u.measuredMs ?? 0), 0),
      )} ms)`,
    );
  const sorted = [...rep.layers].sort((a, b) => (b.measuredMs ?? 0) - (a.measuredMs ?? 0));
  const shown = top === 0 ? sorted : sorted.slice(0, top);
  lines.push('');
  lines.push(top === 0 || top >= sorted.length ? 'layers by measured time:' : `the ${shown.length} slowest layers:`);
  const rows = [['layer', 'op', 'class', 'measured ms', 'estimated ms', 'error', 'bound']];
  for (const l of shown) {
    const name = l.name.length > 48 ? `…${l.name.slice(-47)}` : l.name;
    rows.push([name, l.opType, l.opClass ?? '', ms(l.measuredMs), ms(l.estimatedMs), pct(l.errorPct), l.bound ?? '']);
  }
  lines.push(table(rows, [false, false, false, true, true, true, false]));
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// calibrate

interface ModelEntry {
  path: string;
  loaded: LoadedModel;
}

const stem = (p: string) => basename(p, extname(p));

export async function runCalibrate(argv: string[]): Promise<number> {
  return guarded(async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        target: { type: 'string' },
        from: { type: 'string', multiple: true },
        model: { type: 'string', multiple: true },
        format: { type: 'string' },
        'clock-mhz': { type: 'string' },
        optimization: { type: 'string' },
        id: { type: 'string' },
        profiles: { type: 'string' },
        dim: { type: 'string', multiple: true },
        output: { type: 'string', short: 'o' },
        force: { type: 'boolean' },
        report: { type: 'string' },
        'host-cache': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      out(calibrateUsage);
      return 0;
    }
    const files = [...(values.from ?? []), ...positionals];
    if (!values.target) throw new UsageError('calibrate: --target ID is required (see calibrate --help)');
    if (!files.length) throw new UsageError('calibrate: --from FILE is required');
    if (!values.output) throw new UsageError('calibrate: -o OUT.json is required');
    const reportFormat = values.report ?? 'text';
    if (reportFormat !== 'text' && reportFormat !== 'json')
      throw new UsageError(`calibrate: unknown --report '${reportFormat}'`);
    const forced = values.format as TimingFormat | undefined;
    if (forced !== undefined && !TIMING_FORMATS.includes(forced))
      throw new UsageError(`--format: '${forced}' is not one of ${TIMING_FORMATS.join(', ')}`);
    const optimization = level(values.optimization);
    const dims = parseDims(values.dim ?? []);
    const outPath = values.output;
    if (
      !values.force &&
      (await fs.stat(outPath).then(
        () => true,
        () => false,
      ))
    )
      throw new UsageError(`${outPath} already exists; use --force to overwrite it`);

    // Profiles: built-ins (host-cpu from this machine's numbers when it is the target), plus --profiles.
    let builtins = builtinProfiles();
    let hostKernels: HostCpuRecord | undefined;
    if (values.target === 'host-cpu') {
      const record = await hostRecord(values['host-cache'], false);
      hostKernels = record;
      builtins = builtins.map((p) => (p.id === 'host-cpu' ? hostCpuProfile(record, { optimization }) : p));
    }
    const registry = new Map(builtins.map((p) => [p.id, p]));
    if (values.profiles !== undefined) {
      const text = await fs.readFile(values.profiles, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new FileError(`${values.profiles}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      });
      for (const p of loadUserProfiles(text, values.profiles, builtins)) registry.set(p.id, p);
    }
    const target = registry.get(values.target);
    if (!target)
      throw new UsageError(`--target: unknown target '${values.target}'; targets: ${[...registry.keys()].join(', ')}`);
    const newId = values.id ?? `${target.id}-calibrated`;
    if (registry.has(newId)) throw new UsageError(`--id: '${newId}' is already a profile id; choose another`);
    const clockMHz = values['clock-mhz'] !== undefined ? Number(values['clock-mhz']) : target.clockMHz;
    if (values['clock-mhz'] !== undefined && !(clockMHz !== undefined && clockMHz > 0))
      throw new UsageError(`--clock-mhz: '${values['clock-mhz']}' is not a positive number`);

    // Models.
    const models: ModelEntry[] = [];
    const loadModel = async (path: string): Promise<ModelEntry> => {
      const abs = resolve(path);
      const have = models.find((m) => m.path === abs);
      if (have) return have;
      const entry = { path: abs, loaded: await loadModelFile(path) };
      models.push(entry);
      return entry;
    };
    for (const m of values.model ?? []) await loadModel(m);

    // Measurements, by model.
    const byModel = new Map<ModelEntry, TimingEntry[]>();
    const notes: string[] = [];
    const add = (m: ModelEntry, e: TimingEntry) => byModel.set(m, [...(byModel.get(m) ?? []), e]);
    for (const f of files) {
      const text = await fs.readFile(f, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new FileError(`${f}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      });
      const format = forced ?? detectTimingFormat(text, f);
      const timings = readTimings(text, format, { clockMHz, fileName: f });
      for (const n of timings.notes) notes.push(`${f} (${format}): ${n}`);
      for (const e of timings.entries) {
        let m: ModelEntry | undefined;
        if (e.model !== undefined) {
          m = models.find(
            (x) => x.path === resolve(e.model as string) || basename(x.path) === e.model || stem(x.path) === e.model,
          );
          if (!m) {
            const candidates = [resolve(dirname(f), e.model), resolve(e.model)];
            const found = [];
            for (const c of candidates)
              if (
                await fs.stat(c).then(
                  (s) => s.isFile(),
                  () => false,
                )
              )
                found.push(c);
            if (!found.length)
              throw new UsageError(`${f}: model '${e.model}' is neither a --model nor a file (next to ${f} or here)`);
            m = await loadModel(found[0]);
          }
        } else if (models.length === 1) m = models[0];
        else {
          const named = models.filter((x) => basename(f).includes(stem(x.path)));
          if (named.length !== 1)
            throw new UsageError(
              `${f}: which model are these measurements of? Give one --model, or name the file after its model`,
            );
          m = named[0];
        }
        add(m, e);
      }
    }

    const sets: CalibrationSet[] = [];
    const unmatched: { model: string; names: string[] }[] = [];
    for (const [m, entries] of byModel) {
      const model = m.loaded.model;
      const { profile: cost0, facts } = analyzeModel(model, { dims: symbolDims(model, dims) });
      const cost =
        target.id === 'host-cpu'
          ? hostRuntimeCost(model, cost0, facts, { level: optimization, profile: target, kernels: hostKernels })
          : cost0;
      const matched = matchTimings(model, entries);
      if (matched.unmatched.length) unmatched.push({ model: m.path, names: matched.unmatched.map((e) => e.name) });
      if (matched.units.length) sets.push({ id: basename(m.path), model, cost, facts, units: matched.units });
    }
    const unitCount = sets.reduce((s, x) => s + x.units.length, 0);
    if (!unitCount) {
      process.stderr.write('edge-profile: no measurement matched a layer of the models; nothing to fit\n');
      for (const u of unmatched) process.stderr.write(`  ${u.model}: e.g. ${u.names.slice(0, 5).join(', ')}\n`);
      return 1;
    }
    const fit = fitProfile(target, sets, { profiles: registry });
    if (fit.classes.every((c) => c.units === 0) && !fit.overhead.fitted) {
      process.stderr.write(
        `edge-profile: nothing to fit: none of the ${unitCount} measured units is compute-bound on ${target.id}${
          fit.fallbackUnits
            ? ` (${fit.fallbackUnits} run on its fallback, e.g. an element type it does not support)`
            : ''
        }; ${outPath} not written\n`,
      );
      return 1;
    }
    const source = `edge-profile calibrate: ${files.map((f) => basename(f)).join(', ')} (${sets.length} model${sets.length === 1 ? '' : 's'}, ${unitCount} measured unit${unitCount === 1 ? '' : 's'})`;
    const json = calibratedProfileJson(target, fit, { id: newId, source, measurements: sets.length });
    const text = `${JSON.stringify(json, null, 2)}\n`;
    // The file must be one that userProfiles.ts accepts: check before writing.
    loadUserProfiles(text, outPath, [...registry.values()]);
    await writeFileAtomic(outPath, [new TextEncoder().encode(text)], { overwrite: values.force === true });
    const report = calibrationReport(target, newId, outPath, fit, sets, unmatched, notes);
    if (reportFormat === 'json') out(JSON.stringify(report, null, 2));
    else out(formatCalibrationText(report));
    return 0;
  });
}

/** Every symbolic input dimension sized (given, else 1), as measured runs size them. */
function symbolDims(model: Model, dims: Record<string, number>): Record<string, number> {
  const all: Record<string, number> = {};
  for (const v of model.graph.inputs) {
    if (v.type?.kind !== 'tensor') continue;
    for (const d of v.type.shape ?? []) if (typeof d === 'string') all[d] = dims[d] ?? 1;
  }
  return { ...all, ...dims };
}

function calibrationReport(
  target: HardwareProfile,
  id: string,
  outPath: string,
  fit: FitResult,
  sets: CalibrationSet[],
  unmatched: { model: string; names: string[] }[],
  notes: string[],
) {
  const r = (x: number, d = 4) => Number(x.toPrecision(d));
  return {
    target: target.id,
    profile: id,
    output: outPath,
    models: sets.map((s) => ({ id: s.id, units: s.units.length })),
    before: {
      medianAbsLayerErrorPct: r(fit.before.medianAbsErrorPct, 3),
      medianAbsTotalErrorPct: r(fit.before.totalMedianAbsErrorPct, 3),
    },
    after: {
      medianAbsLayerErrorPct: r(fit.after.medianAbsErrorPct, 3),
      medianAbsTotalErrorPct: r(fit.after.totalMedianAbsErrorPct, 3),
    },
    perModel: fit.after.models.map((m, i) => ({
      id: m.id,
      measuredMs: r(m.measuredMs),
      estimatedMsBefore: r(fit.before.models[i]?.estimatedMs ?? Number.NaN),
      estimatedMsAfter: r(m.estimatedMs),
      errorPctBefore: r(fit.before.models[i]?.errorPct ?? Number.NaN, 3),
      errorPctAfter: r(m.errorPct, 3),
    })),
    efficiency: fit.classes.map((c) => ({
      opClass: c.opClass,
      before: r(c.before),
      after: r(c.after),
      units: c.units,
    })),
    perOpOverheadSec: {
      before: r(fit.overhead.beforeSec),
      after: r(fit.overhead.afterSec),
      fitted: fit.overhead.fitted,
    },
    unknownUnits: fit.unknownUnits,
    fallbackUnits: fit.fallbackUnits,
    unmatched: unmatched.map((u) => ({ model: u.model, count: u.names.length, examples: u.names.slice(0, 5) })),
    notes,
  };
}

function formatCalibrationText(rep: ReturnType<typeof calibrationReport>): string {
  const lines: string[] = [];
  lines.push(`calibrated ${rep.target} → ${rep.profile}, written to ${rep.output}`);
  lines.push(
    `  ${rep.models.length} model${rep.models.length === 1 ? '' : 's'}: ${rep.models.map((m) => `${m.id} (${m.units} measured)`).join(', ')}`,
  );
  lines.push('');
  lines.push(
    table(
      [
        ['median |error|', 'before', 'after'],
        ['per measured layer', `${rep.before.medianAbsLayerErrorPct}%`, `${rep.after.medianAbsLayerErrorPct}%`],
        ['per model total', `${rep.before.medianAbsTotalErrorPct}%`, `${rep.after.medianAbsTotalErrorPct}%`],
      ],
      [false, true, true],
    ),
  );
  lines.push('');
  const rows = [['efficiency', 'before', 'after', 'layers used']];
  for (const e of rep.efficiency) rows.push([e.opClass, String(e.before), String(e.after), String(e.units)]);
  rows.push([
    'per-op overhead',
    `${r6(rep.perOpOverheadSec.before * 1e6)} µs`,
    `${r6(rep.perOpOverheadSec.after * 1e6)} µs`,
    rep.perOpOverheadSec.fitted ? '' : '(kept)',
  ]);
  lines.push(table(rows, [false, true, true, true]));
  if (rep.perModel.length) {
    lines.push('');
    const m = [['model', 'measured ms', 'estimate before', 'after', 'error before', 'after']];
    for (const x of rep.perModel)
      m.push([
        x.id,
        ms(x.measuredMs),
        ms(x.estimatedMsBefore),
        ms(x.estimatedMsAfter),
        pct(x.errorPctBefore),
        pct(x.errorPctAfter),
      ]);
    lines.push(table(m, [false, true, true, true, true, true]));
  }
  for (const u of rep.unmatched)
    lines.push(
      `note: ${u.count} measurement${u.count === 1 ? '' : 's'} matched no layer of ${u.model} (e.g. ${u.examples.join(', ')})`,
    );
  if (rep.unknownUnits) lines.push(`note: ${rep.unknownUnits} measured units left out: some layer has no estimate`);
  if (rep.fallbackUnits)
    lines.push(
      `note: ${rep.fallbackUnits} measured units run on the target's fallback; their estimates are not fitted`,
    );
  for (const n of rep.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

const r6 = (x: number) => Number(x.toPrecision(3));
