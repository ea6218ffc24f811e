/**
 * edge-profile: the command-line face of the engine. Argument parsing and printing only; the work is in core.
 * Exit codes: 0 ok, 1 the model has errors (check: a budget or capacity is exceeded), 2 bad usage or an unreadable
 * file.
 */
import { parseArgs } from 'node:util';
import { analyzeModel, type ProfileOptions } from '../core/analysis/cost.js';
import type { Dim, Model } from '../core/onnx/index.js';
import { OnnxReadError } from '../core/onnx/index.js';
import { costJson, formatCostCsv, formatCostMarkdown, formatCostTable } from '../core/report/costReport.js';
import {
  estimateJson,
  formatEstimateCsv,
  formatEstimateMarkdown,
  formatEstimateTable,
} from '../core/report/estimateReport.js';
import { jsonChunks } from '../core/report/jsonStream.js';
import { formatSummaryText, summarizeModel } from '../core/report/summary.js';
import { BudgetSyntaxError, type Budgets, checkBudgets, parseDuration, parseSize } from '../core/targets/budget.js';
import { estimateModel } from '../core/targets/estimate.js';
import { formatTargetsText, listTargets } from '../core/targets/listTargets.js';
import type { HardwareProfile } from '../core/targets/profile.js';
import { didYouMean } from '../core/targets/profileSchema.js';
import { ProfileError, parseProfileText, profileRegistry } from '../core/targets/userProfiles.js';
import { FileError, type LoadedModel, loadModelFile, readTextFile } from '../node/files.js';
import { parseDims, UsageError } from './args.js';

const usage = `Usage: edge-profile <command> [MODEL] [options]

Commands:
  info MODEL [--format text|json]      IR version, producer, opsets, inputs/outputs, op counts, weights, problems
  profile MODEL [options]              per-layer cost: output shape, params, MACs, FLOPs, weight and activation
                                       bytes, memory traffic; totals per model and per name scope. With --target:
                                       estimated latency per layer (share, compute/memory bound, where it runs),
                                       peak RAM and flash against the target's capacity, diagnostics
  check MODEL --target ID [budgets]    exit 0 when the model fits the target and the budgets, 1 otherwise with one
                                       line per violation (for CI)
  targets [--format text|json]         the hardware profiles --target accepts, with their headline numbers
  measure ...                          run the model in ONNX Runtime and time it (edge-profile measure --help)
  calibrate ...                        fit a profile to measurements (edge-profile calibrate --help)
  quantize MODEL --mode dynamic|static|fp16 -o OUT   write a quantized copy and validate it (quantize --help)
  prune MODEL --sparsity S [--structured] -o OUT     write a pruned copy and validate it (prune --help)
  compare A B [--format text|json]     totals side by side and a per-layer diff

Options:
  --format FORMAT     info, targets: text|json (default text); profile: table|json|csv|md (default table)
  --input NAME=SHAPE  profile, check: set an input's shape, e.g. --input input=1x3x224x224 (dims separated by x,
                      or by commas when a symbol contains an x; symbols allowed); repeatable
  --dim SYMBOL=N      profile, check: give a symbolic dimension a size, e.g. --dim batch=1; repeatable. Without a
                      size, layers whose shapes depend on a symbol get MACs/FLOPs n/a
  --top N             profile: only the N layers with the most MACs (totals stay over all layers)
  --exact             profile, check: measure every shape by running the model once in ONNX Runtime (generated
                      inputs, symbols not given with --dim are 1)
  --target ID         profile, check: estimate on this hardware profile (see edge-profile targets)
  --profiles FILE     profile, check, targets: add the user profiles in FILE (JSON, comments allowed; a profile
                      may "extends" a built-in one)
  --max-ram SIZE      check: peak RAM budget, e.g. 256KB, 1MB, 1.5MiB or bytes (KB = KiB = 1024 bytes, MB = 1024 KB)
  --max-flash SIZE    check: flash budget (weights + runtime code; on targets that load weights into RAM, the
                      weights)
  --max-latency TIME  check: latency budget, e.g. 50ms, 0.2s, 800us
  -h, --help          show this help

Every latency, RAM and flash figure is an estimate and is printed with the profile's calibration status
("estimate (uncalibrated)", or calibrated against N measurements with median error E).

Exit codes: 0 ok; 1 the model has errors, or (check) a budget or the target's capacity is exceeded or an op has no
kernel on the target; 2 bad usage, unreadable file, bad profile file, unknown target, or (--exact) a model ONNX
Runtime cannot load or run.`;

/** A problem worth one line on stderr and exit code 2, without the usage text. */
class CliError extends Error {}

/** JSON with bigint support (int64 values print as numbers when safe, else as strings). */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v),
    2,
  );
}

// A reader that stops early (`| head`) closes the pipe: that is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

function write(text: string): void {
  // Never process.exit() here: a large JSON document written to a pipe must drain completely.
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A large JSON document (a profile), compact, streamed in chunks: never held as one string; waits for the pipe. */
async function writeJson(value: unknown): Promise<void> {
  const out = process.stdout;
  for (const chunk of jsonChunks(value)) {
    if (out.destroyed) return; // the reader went away (EPIPE)
    if (!out.write(chunk)) await drainedOrClosed(out);
  }
  if (!out.destroyed) out.write('\n');
}

function drainedOrClosed(out: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    out.on('drain', done).on('close', done).on('error', done);
  });
}

const optionNames = [
  'format',
  'input',
  'dim',
  'top',
  'exact',
  'target',
  'profiles',
  'max-ram',
  'max-flash',
  'max-latency',
] as const;
type OptionName = (typeof optionNames)[number];

/** Which options each command takes. */
const commandOptions: Record<string, readonly OptionName[]> = {
  info: ['format'],
  profile: ['format', 'input', 'dim', 'top', 'exact', 'target', 'profiles'],
  check: ['input', 'dim', 'exact', 'target', 'profiles', 'max-ram', 'max-flash', 'max-latency'],
  targets: ['format', 'profiles'],
};

async function run(argv: string[]): Promise<number> {
  // measure / calibrate parse their own options (src/cli/measureCommands.ts, loaded only when used).
  if (argv[0] === 'measure' || argv[0] === 'calibrate') {
    const commands = await import('./measureCommands.js');
    return argv[0] === 'measure' ? commands.runMeasure(argv.slice(1)) : commands.runCalibrate(argv.slice(1));
  }
  // Transforms and compare parse their own options too (src/cli/transformCommands.ts).
  if (argv[0] === 'quantize' || argv[0] === 'prune' || argv[0] === 'compare') {
    const commands = await import('./transformCommands.js');
    const run = { quantize: commands.runQuantize, prune: commands.runPrune, compare: commands.runCompare }[argv[0]];
    return run(argv.slice(1));
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      input: { type: 'string', multiple: true },
      dim: { type: 'string', multiple: true },
      top: { type: 'string' },
      exact: { type: 'boolean' },
      target: { type: 'string' },
      profiles: { type: 'string' },
      'max-ram': { type: 'string' },
      'max-flash': { type: 'string' },
      'max-latency': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    write(usage);
    return values.help ? 0 : 2;
  }
  const [command, file, ...extra] = positionals;
  const allowed = commandOptions[command];
  if (!allowed) throw new UsageError(`unknown command '${command}'`);
  for (const opt of optionNames) {
    if (values[opt] !== undefined && !allowed.includes(opt)) {
      const owners = Object.keys(commandOptions).filter((c) => commandOptions[c].includes(opt));
      throw new UsageError(`${command}: --${opt} is an option of ${owners.join(', ')}`);
    }
  }
  if (command === 'targets') {
    if (file) throw new UsageError(`targets: unexpected argument '${file}'`);
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`targets: unknown --format '${format}'`);
    const registry = await loadRegistry(values.profiles);
    const rows = listTargets(registry.values());
    write(format === 'json' ? toJson(rows) : formatTargetsText(rows));
    return 0;
  }
  if (!file) throw new UsageError(`${command}: missing MODEL argument`);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  switch (command) {
    case 'info': {
      const format = values.format ?? 'text';
      if (format !== 'text' && format !== 'json') throw new UsageError(`info: unknown --format '${format}'`);
      const loaded = await loadModelFile(file);
      const summary = summarizeModel(loaded.model, loaded.problems, { path: file, bytes: loaded.fileBytes });
      write(format === 'json' ? toJson(summary) : formatSummaryText(summary));
      return loaded.problems.some((p) => p.severity === 'error') ? 1 : 0;
    }
    case 'profile': {
      const format = values.format ?? 'table';
      if (!['table', 'json', 'csv', 'md'].includes(format))
        throw new UsageError(`profile: unknown --format '${format}'`);
      const top = values.top === undefined ? undefined : parseCount(values.top, '--top');
      const dims = parseDims(values.dim ?? []);
      const registry = values.profiles !== undefined ? await loadRegistry(values.profiles) : undefined;
      const target = values.target === undefined ? undefined : pickTarget(registry ?? profileRegistry(), values.target);
      const timings = process.env.EDGE_PROFILER_TIMINGS === '1' ? new Map<string, number>() : undefined;
      const phaseDone = timings && ((phase: string) => timings.set(phase, performance.now()));
      phaseDone?.('ready');
      const loaded = await loadModelFile(file, phaseDone);
      const inputShapes = parseInputs(values.input ?? [], loaded.model);
      const options: ProfileOptions = { inputShapes, dims, phaseDone };
      if (values.exact) await measure(loaded, options);
      const { profile, facts } = analyzeModel(loaded.model, options);
      const report = { file, ...(top !== undefined ? { top } : {}) };
      if (target) {
        const host = await hostTarget(target.profile);
        const cost = host ? host.runtimeCost(loaded.model, profile, facts) : profile;
        const est = estimateModel(loaded.model, cost, facts, host?.profile ?? target.profile, {
          profiles: target.registry,
        });
        if (format === 'json') await writeJson(estimateJson(profile, est, report));
        else if (format === 'csv') write(formatEstimateCsv(profile, est, report));
        else if (format === 'md') write(formatEstimateMarkdown(profile, est, report));
        else write(formatEstimateTable(profile, est, report));
      } else if (format === 'json') await writeJson(costJson(profile, report));
      else if (format === 'csv') write(formatCostCsv(profile, report));
      else if (format === 'md') write(formatCostMarkdown(profile, report));
      else write(formatCostTable(profile, report));
      if (timings) {
        phaseDone?.('written');
        const marks = [...timings].map(([phase, ms]) => `${phase} ${ms.toFixed(1)}`).join(', ');
        process.stderr.write(`edge-profile: timings (ms since the process started): ${marks}\n`);
      }
      return loaded.problems.some((p) => p.severity === 'error') ? 1 : 0;
    }
    case 'check': {
      if (values.target === undefined) throw new UsageError('check: --target ID is required');
      const budgets = parseBudgets(values);
      const dims = parseDims(values.dim ?? []);
      const registry = values.profiles !== undefined ? await loadRegistry(values.profiles) : profileRegistry();
      const target = pickTarget(registry, values.target);
      const loaded = await loadModelFile(file);
      const inputShapes = parseInputs(values.input ?? [], loaded.model);
      const options: ProfileOptions = { inputShapes, dims };
      if (values.exact) await measure(loaded, options);
      const { profile, facts } = analyzeModel(loaded.model, options);
      const host = await hostTarget(target.profile);
      const cost = host ? host.runtimeCost(loaded.model, profile, facts) : profile;
      const est = estimateModel(loaded.model, cost, facts, host?.profile ?? target.profile, {
        profiles: target.registry,
      });
      const result = checkBudgets(est, budgets, profile.totals.weightBytes);
      const violations = [
        ...loaded.problems.filter((p) => p.severity === 'error').map((p) => `model: ${p.message}`),
        ...result.violations,
      ];
      for (const d of est.diagnostics) {
        if (d.severity === 'warning') process.stderr.write(`edge-profile: warning: ${d.message}\n`);
      }
      write(violations.length ? violations.join('\n') : `${result.summary.replace(/^ok: /, `ok: ${file} on `)}`);
      return violations.length ? 1 : 0;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/** Built-in profiles plus those of `--profiles FILE` (read here; problems name the file and the field). */
async function loadRegistry(file: string | undefined): Promise<Map<string, HardwareProfile>> {
  if (file === undefined) return profileRegistry();
  const text = await readTextFile(file);
  return profileRegistry([parseProfileText(text, file)]);
}

/**
 * The built-in host-cpu target as this machine's measured record makes it (read from the host-cpu cache, never
 * measured here), with a note on stderr saying where its numbers come from, or that they are uncalibrated
 * placeholders. Undefined for every other target.
 */
async function hostTarget(profile: HardwareProfile) {
  if (profile.id !== 'host-cpu') return undefined;
  const { cachedHostCpuTarget } = await import('../core/runtime/hostCpuCached.js');
  const host = await cachedHostCpuTarget();
  process.stderr.write(`edge-profile: ${host.note}\n`);
  return host;
}

function pickTarget(
  registry: Map<string, HardwareProfile>,
  id: string,
): { profile: HardwareProfile; registry: Map<string, HardwareProfile> } {
  const profile = registry.get(id);
  if (!profile) {
    const ids = [...registry.keys()];
    throw new CliError(`--target: unknown target '${id}'${didYouMean(id, ids)}; targets: ${ids.join(', ')}`);
  }
  return { profile, registry };
}

function parseBudgets(values: { 'max-ram'?: string; 'max-flash'?: string; 'max-latency'?: string }): Budgets {
  const parse = <T>(opt: string, text: string | undefined, f: (t: string) => T): T | undefined => {
    if (text === undefined) return undefined;
    try {
      return f(text);
    } catch (err) {
      if (err instanceof BudgetSyntaxError) throw new UsageError(`--${opt}: ${err.message}`);
      throw err;
    }
  };
  const budgets: Budgets = {};
  const ram = parse('max-ram', values['max-ram'], parseSize);
  const flash = parse('max-flash', values['max-flash'], parseSize);
  const latency = parse('max-latency', values['max-latency'], parseDuration);
  if (ram !== undefined) budgets.ramBytes = ram;
  if (flash !== undefined) budgets.flashBytes = flash;
  if (latency !== undefined) budgets.latencyMs = latency;
  return budgets;
}

class ExactModeError extends Error {}

/** Exact mode: shapes measured in ONNX Runtime (loaded only here, so that static profiling never needs it). */
async function measure(loaded: LoadedModel, options: ProfileOptions): Promise<void> {
  const { measureShapes, ExactShapesError } = await import('../core/runtime/exactShapes.js');
  try {
    const exact = await measureShapes(loaded.model, { ...options, externalData: loaded.externalData });
    options.measured = exact.values;
    options.inputShapes = Object.fromEntries(exact.inputs.map((i) => [i.name, i.shape]));
  } catch (err) {
    if (err instanceof ExactShapesError) throw new ExactModeError(`--exact: ${err.message}`);
    throw err;
  }
}

function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${what}: '${text}' is not a positive integer`);
  return Number(text);
}

/** `--input name=1x3x224x224` (repeatable) -> { name: [1, 3, 224, 224] }; symbols stay strings, '?' is unknown. */
function parseInputs(list: string[], model: Model): Record<string, Dim[]> {
  if (!list.length) return {};
  const initNames = new Set(model.graph.initializers.map((t) => t.name));
  const names = model.graph.inputs.filter((v) => !initNames.has(v.name)).map((v) => v.name);
  const shapes: Record<string, Dim[]> = {};
  for (const item of list) {
    const eq = item.lastIndexOf('=');
    if (eq <= 0) throw new UsageError(`--input '${item}': expected NAME=SHAPE, e.g. input=1x3x224x224`);
    const name = item.slice(0, eq);
    const text = item.slice(eq + 1);
    if (!names.includes(name)) {
      throw new UsageError(`--input: the model has no input '${name}' (inputs: ${names.join(', ') || 'none'})`);
    }
    const parts = text === '' ? [] : text.split(text.includes(',') ? ',' : 'x').map((p) => p.trim());
    shapes[name] = parts.map((p) => {
      if (/^\d+$/.test(p)) return Number(p);
      if (p === '?') return null;
      if (p === '') throw new UsageError(`--input '${item}': empty dimension`);
      return p;
    });
  }
  return shapes;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`edge-profile: ${(err as Error).message}\n${usage}\n`);
    } else if (
      err instanceof FileError ||
      err instanceof OnnxReadError ||
      err instanceof ExactModeError ||
      err instanceof CliError ||
      err instanceof ProfileError
    ) {
      process.stderr.write(`edge-profile: ${err.message}\n`);
    } else {
      process.stderr.write(
        `edge-profile: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    }
    process.exitCode = 2;
  },
);
