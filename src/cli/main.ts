/**
 * edge-profile: the command-line face of the engine. Argument parsing and printing only; the work is in core.
 * Exit codes: 0 ok, 1 the model has errors, 2 bad usage or an unreadable file.
 */
import { parseArgs } from 'node:util';
import { OnnxReadError } from '../core/onnx/index.js';
import { layerWeights } from '../core/report/layers.js';
import { formatBytes, formatSummaryText, summarizeModel } from '../core/report/summary.js';
import { FileError, loadModelFile } from '../node/files.js';

const usage = `Usage: edge-profile <command> MODEL [options]

Commands:
  info MODEL [--format text|json]      IR version, producer, opsets, inputs/outputs, op counts, weights, problems
  profile MODEL [--format table|json]  per-layer table of the main graph: op, params, weight bytes

Options:
  --format FORMAT   output format (default: text / table)
  -h, --help        show this help

Exit codes: 0 ok, 1 the model has errors, 2 bad usage or unreadable file.`;

class UsageError extends Error {}

/** JSON with bigint support (int64 values print as numbers when safe, else as strings). */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v),
    2,
  );
}

function write(text: string): void {
  // Never process.exit() here: a large JSON document written to a pipe must drain completely.
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
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
      const format = values.format ?? 'text';
      if (format !== 'text' && format !== 'json') throw new UsageError(`info: unknown --format '${format}'`);
      const loaded = await loadModelFile(file);
      const summary = summarizeModel(loaded.model, loaded.problems, { path: file, bytes: loaded.fileBytes });
      write(format === 'json' ? toJson(summary) : formatSummaryText(summary));
      return loaded.problems.some((p) => p.severity === 'error') ? 1 : 0;
    }
    case 'profile': {
      const format = values.format ?? 'table';
      if (format !== 'table' && format !== 'json') throw new UsageError(`profile: unknown --format '${format}'`);
      const loaded = await loadModelFile(file);
      const layers = layerWeights(loaded.model);
      if (format === 'json') {
        write(toJson({ model: file, layers, problems: loaded.problems }));
      } else {
        write(formatLayerTable(file, layers));
      }
      return loaded.problems.some((p) => p.severity === 'error') ? 1 : 0;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function formatLayerTable(file: string, layers: ReturnType<typeof layerWeights>): string {
  const rows = layers.map((l) => [
    String(l.index),
    l.name,
    l.opType,
    l.params.toLocaleString('en-US'),
    formatBytes(l.weightBytes),
    l.outputs.join(', '),
  ]);
  const header = ['#', 'layer', 'op', 'params', 'weights', 'outputs'];
  const widths = header.map((h, c) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[c].length))));
  const clip = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s);
  const line = (r: string[]) =>
    r
      .map((cell, c) =>
        c === 3 || c === 4 ? clip(cell, widths[c]).padStart(widths[c]) : clip(cell, widths[c]).padEnd(widths[c]),
      )
      .join('  ')
      .trimEnd();
  const params = layers.reduce((s, l) => s + l.params, 0);
  const bytes = layers.reduce((s, l) => s + l.weightBytes, 0);
  return [
    `${file}: ${layers.length} layers, ${params.toLocaleString('en-US')} parameters, ${formatBytes(bytes)} of weights`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`edge-profile: ${(err as Error).message}\n${usage}\n`);
    } else if (err instanceof FileError || err instanceof OnnxReadError) {
      process.stderr.write(`edge-profile: ${err.message}\n`);
    } else {
      process.stderr.write(
        `edge-profile: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    }
    process.exitCode = 2;
  },
);
