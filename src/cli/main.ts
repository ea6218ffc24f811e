/**
 * edge-profile: the command-line face of the engine. Argument parsing and printing only; the work is in core.
 * Exit codes: 0 ok, 1 the model has errors, 2 bad usage or an unreadable file.
 */
import { parseArgs } from 'node:util';
import { type ProfileOptions, profileModel } from '../core/analysis/cost.js';
import type { Dim, Model } from '../core/onnx/index.js';
import { OnnxReadError } from '../core/onnx/index.js';
import { costJson, formatCostCsv, formatCostMarkdown, formatCostTable } from '../core/report/costReport.js';
import { formatSummaryText, summarizeModel } from '../core/report/summary.js';
import { FileError, type LoadedModel, loadModelFile } from '../node/files.js';

const usage = `Usage: edge-profile <command> MODEL [options]

Commands:
  info MODEL [--format text|json]      IR version, producer, opsets, inputs/outputs, op counts, weights, problems
  profile MODEL [options]              per-layer cost: output shape, params, MACs, FLOPs, weight and activation
                                       bytes, memory traffic; totals per model and per name scope

Options:
  --format FORMAT     info: text|json (default text); profile: table|json|csv|md (default table)
  --input NAME=SHAPE  profile: set an input's shape, e.g. --input input=1x3x224x224 (dims separated by x, or by
                      commas when a symbol contains an x; symbols allowed); repeatable
  --dim SYMBOL=N      profile: give a symbolic dimension a size, e.g. --dim batch=1; repeatable. Without a size,
                      layers whose shapes depend on a symbol get MACs/FLOPs n/a
  --top N             profile: only the N layers with the most MACs (totals stay over all layers)
  --exact             profile: measure every shape by running the model once in ONNX Runtime (generated inputs,
                      symbols not given with --dim are 1)
  -h, --help          show this help

Exit codes: 0 ok, 1 the model has errors, 2 bad usage, unreadable file, or (--exact) a model ONNX Runtime cannot
load or run.`;

class UsageError extends Error {}

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

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      input: { type: 'string', multiple: true },
      dim: { type: 'string', multiple: true },
      top: { type: 'string' },
      exact: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    write(usage);
    return values.help ? 0 : 2;
  }
  const [command, file, ...extra] = positionals;
  if (!file) throw new UsageError(`${command}: missing MODEL argument`);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  switch (command) {
    case 'info': {
      for (const opt of ['input', 'dim', 'top', 'exact'] as const) {
        if (values[opt] !== undefined) throw new UsageError(`info: --${opt} is an option of profile`);
      }
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
      const loaded = await loadModelFile(file);
      const inputShapes = parseInputs(values.input ?? [], loaded.model);
      const options: ProfileOptions = { inputShapes, dims };
      if (values.exact) await measure(loaded, options);
      const profile = profileModel(loaded.model, options);
      const report = { file, ...(top !== undefined ? { top } : {}) };
      if (format === 'json') write(toJson(costJson(profile, report)));
      else if (format === 'csv') write(formatCostCsv(profile, report));
      else if (format === 'md') write(formatCostMarkdown(profile, report));
      else write(formatCostTable(profile, report));
      return loaded.problems.some((p) => p.severity === 'error') ? 1 : 0;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
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

/** `--dim batch=1` (repeatable) -> { batch: 1 }. */
function parseDims(list: string[]): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const item of list) {
    const eq = item.lastIndexOf('=');
    const name = item.slice(0, eq);
    const size = item.slice(eq + 1);
    if (eq <= 0 || !/^\d+$/.test(size)) throw new UsageError(`--dim '${item}': expected SYMBOL=N, e.g. batch=1`);
    dims[name] = Number(size);
  }
  return dims;
}

/** `--input name=1x3x224x224` (repeatable) -> { name: [1, 3, 224, 224] }; symbols stay strings, '?' is unknown. */
function parseInputs(list: string[], model: Model): Record<string, Dim[]> {
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
    } else if (err instanceof FileError || err instanceof OnnxReadError || err instanceof ExactModeError) {
      process.stderr.write(`edge-profile: ${err.message}\n`);
    } else {
      process.stderr.write(
        `edge-profile: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    }
    process.exitCode = 2;
  },
);
