/**
 * `edge-profile profile` on three large synthetic models (bench/models.ts) — a full-weight ResNet-50 (~100 MB), a
 * BERT-base encoder (~340 MB) and a ~50,000-node graph — next to ONNX's Python package (Debian's python3-onnx:
 * `onnx.load` + `onnx.shape_inference.infer_shapes`) on the same files in the same run.
 *
 * Ours is the whole process: `node dist/cli.js profile FILE --format json > /dev/null`, wall time from spawn to exit
 * (process.hrtime in this process) and peak RSS (GNU time's %M, i.e. wait4's ru_maxrss). The reference is the time
 * of the two Python calls inside one process (bench/pyInfer.py) and that process's peak RSS; the whole Python
 * process's wall time (interpreter start and `import onnx` included) is printed too. Each figure is the median of
 * `runs` runs, ours and the reference alternating. The CPU times (user + system: GNU time's for our whole process,
 * time.process_time() around the two Python calls) are printed as a second ratio, with the load average before and
 * after, because on a busy machine wall time mostly measures the wait for a CPU; the targets stay on wall time. Targets, on the time ratio ours / (load + infer_shapes) and on
 * the peak-memory ratio: ≤ 0.5× on the two weight-heavy models (weights are never copied or decoded, so reading is
 * bounded by the file read), ≤ 1.0× on the 50k-node graph (there the work is per node).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { measureProcess, median, mib } from './proc.js';

const benchDir = import.meta.dirname;
const repoRoot = join(benchDir, '..');
const cli = join(repoRoot, 'dist', 'cli.js');
const python = process.env.ONNX_PYTHON ?? '/usr/bin/python3';

interface Case {
  kind: string;
  label: string;
  target: number;
  /** Run without being asked for by name. */
  byDefault: boolean;
}

export const PROFILE_CASES: readonly Case[] = [
  { kind: 'resnet50', label: 'ResNet-50, full weights', target: 0.5, byDefault: true },
  { kind: 'bert', label: 'BERT-base encoder', target: 0.5, byDefault: true },
  { kind: 'chain50k', label: '50k-node graph', target: 1.0, byDefault: true },
  // BERT-base with its 30522×768 word embedding table (~440 MB): only on request (--models bert-full).
  { kind: 'bert-full', label: 'BERT-base + embeddings', target: 0.5, byDefault: false },
];

interface Built {
  description: string;
  nodes: number;
  params: number;
  fileBytes: number;
  buildMs: number;
  encodeMs: number;
}

interface PyResult {
  onnxVersion: string;
  importMs: number;
  loadMs: number;
  inferMs: number;
  /** CPU time (user + system) of the process over load + infer_shapes. */
  cpuMs: number;
  valueInfo: number;
  peakRssBytes: number;
}

export interface ProfileBenchResult {
  kind: string;
  label: string;
  fileBytes: number;
  oursMs: number;
  oursPeak: number;
  /** CPU time (user + system, all threads) of our whole process. */
  oursCpuMs: number;
  refMs?: number;
  refCpuMs?: number;
  refWholeMs?: number;
  refPeak?: number;
  timeRatio?: number;
  cpuRatio?: number;
  memRatio?: number;
  target: number;
}

/** The CLI's steps by the mark that ends each (EDGE_PROFILER_TIMINGS, src/cli/main.ts), in order. */
const stepNames: [mark: string, step: string][] = [
  ['ready', 'Node start + CLI bundle'],
  ['read', 'read'],
  ['decoded', 'decode'],
  ['validated', 'validate'],
  ['inferred', 'infer shapes'],
  ['costed', 'cost'],
  ['scoped', 'scope totals'],
  ['written', 'JSON out'],
];
/** What onnx.load + infer_shapes also do (onnx.load runs no checker; Python's start-up is not in its time). */
const referenceSteps = new Set(['read', 'decode', 'infer shapes']);

/** Each step's duration from the CLI's timings line, or undefined when the line is missing or incomplete. */
function stepTimes(stderr: string): { step: string; ms: number }[] | undefined {
  const line = /timings \(ms since the process started\): (.*)$/m.exec(stderr)?.[1];
  if (!line) return undefined;
  const at = new Map(
    line.split(', ').map((p) => {
      const [mark, value] = p.split(' ');
      return [mark, Number(value)] as const;
    }),
  );
  const out: { step: string; ms: number }[] = [];
  let previous = 0;
  for (const [mark, step] of stepNames) {
    const t = at.get(mark);
    if (t === undefined || !Number.isFinite(t)) return undefined;
    out.push({ step, ms: t - previous });
    previous = t;
  }
  return out;
}

/** A one-line account of the profile's JSON: its size and top-level fields (array lengths in parentheses). */
function describeOutput(stdout: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    return `${stdout.length} bytes, not JSON: ${stdout.slice(0, 200)}`;
  }
  if (!doc || typeof doc !== 'object') return `${stdout.length} bytes of JSON`;
  const fields = Object.entries(doc as Record<string, unknown>).map(([k, v]) =>
    Array.isArray(v)
      ? `${k}(${v.length})`
      : v && typeof v === 'object'
        ? `${k}{${Object.keys(v).slice(0, 8).join(',')}}`
        : k,
  );
  return `${(stdout.length / 2 ** 20).toFixed(1)} MiB of JSON: ${fields.join(', ')}`;
}

function onnxVersion(): string | undefined {
  const r = spawnSync(python, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const ms = (x: number) => (Number.isNaN(x) ? 'n/a' : `${x.toFixed(0)} ms`);
const loadAverage = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (1/5/15 min) on ${availableParallelism()} CPUs`;
const verdict = (ratio: number | undefined, target: number) =>
  ratio === undefined || Number.isNaN(ratio) ? 'n/a' : ratio <= target ? 'PASS' : 'MISS';

/** Runs the profile benchmark, writing its models into `dir` (each deleted after its runs). */
export function runProfileBench(dir: string, options: { runs?: number; kinds?: string[] } = {}): ProfileBenchResult[] {
  const runs = options.runs ?? 3;
  if (!existsSync(cli)) throw new Error(`${cli} does not exist: run npm run build first`);
  const version = onnxVersion();
  console.log('\n== profile: edge-profile profile (whole process) vs python3-onnx load + infer_shapes ==');
  if (!version) console.log(`  ${python} cannot import onnx: reference not measured (apt-get install python3-onnx)`);
  const results: ProfileBenchResult[] = [];
  for (const c of PROFILE_CASES.filter((k) => (options.kinds ? options.kinds.includes(k.kind) : k.byDefault))) {
    const file = join(dir, `${c.kind}.onnx`);
    try {
      const build = measureProcess(
        process.execPath,
        ['--import', 'tsx', join(benchDir, 'buildModel.ts'), c.kind, file],
        {
          cwd: repoRoot,
        },
      );
      if (build.status !== 0) throw new Error(`building ${c.kind} failed:\n${build.stderr}`);
      const built = JSON.parse(build.stdout) as Built;
      const fileBytes = statSync(file).size;
      console.log(
        `\n${c.label}: ${built.description}\n  ${mib(fileBytes)} file, ${built.nodes.toLocaleString('en-US')} nodes, ` +
          `${(built.params / 1e6).toFixed(2)} M float parameters; built in ${ms(build.wallMs)}, builder peak RSS ${mib(build.peakRssBytes)}`,
      );

      // One run first, untimed, to show what the CLI produced (the timed runs send it to /dev/null); it also
      // leaves the file in the page cache and the CLI's code cache written (src/cli/bin.ts), as for any run after
      // a user's first.
      const shownFile = join(dir, `${c.kind}.json`);
      measureProcess(process.execPath, [cli, 'profile', file, '--format', 'json'], { stdoutFile: shownFile });
      const shown = readFileSync(shownFile, 'utf8');
      rmSync(shownFile, { force: true });
      const ours: { wallMs: number; cpuMs: number; peak: number }[] = [];
      const loadBefore = loadAverage();
      const ref: { py: PyResult; wallMs: number; peak: number }[] = [];
      for (let r = 0; r < runs; r++) {
        const o = measureProcess(process.execPath, [cli, 'profile', file, '--format', 'json'], { discardStdout: true });
        if (o.status !== 0) {
          throw new Error(`edge-profile profile ${file} exited with ${o.status}:\n${o.stderr.slice(-2000)}`);
        }
        ours.push({ wallMs: o.wallMs, cpuMs: o.cpuMs, peak: o.peakRssBytes });
        if (version) {
          const p = measureProcess(python, [join(benchDir, 'pyInfer.py'), file]);
          if (p.status !== 0) throw new Error(`pyInfer.py ${file} exited with ${p.status}:\n${p.stderr.slice(-2000)}`);
          const py = JSON.parse(p.stdout) as PyResult;
          ref.push({ py, wallMs: p.wallMs, peak: Number.isNaN(p.peakRssBytes) ? py.peakRssBytes : p.peakRssBytes });
        }
      }
      const res: ProfileBenchResult = {
        kind: c.kind,
        label: c.label,
        fileBytes,
        oursMs: median(ours.map((o) => o.wallMs)),
        oursPeak: median(ours.map((o) => o.peak)),
        oursCpuMs: median(ours.map((o) => o.cpuMs)),
        target: c.target,
      };
      console.log(`  ${loadBefore} before the runs, ${loadAverage()} after`);
      console.log(
        `  edge-profile profile --format json:   ${ms(res.oursMs)} (whole process; CPU ${ms(res.oursCpuMs)})   peak RSS ${mib(res.oursPeak)}`,
      );
      console.log(`  its output: ${describeOutput(shown)}`);
      if (ref.length) {
        res.refMs = median(ref.map((x) => x.py.loadMs + x.py.inferMs));
        res.refWholeMs = median(ref.map((x) => x.wallMs));
        res.refPeak = median(ref.map((x) => x.peak));
        res.refCpuMs = median(ref.map((x) => x.py.cpuMs));
        res.timeRatio = res.oursMs / res.refMs;
        res.cpuRatio = res.oursCpuMs / res.refCpuMs;
        res.memRatio = res.oursPeak / res.refPeak;
        const load = median(ref.map((x) => x.py.loadMs));
        const infer = median(ref.map((x) => x.py.inferMs));
        console.log(
          `  onnx ${version} load + infer_shapes:    ${ms(res.refMs)} (load ${ms(load)}, infer_shapes ${ms(infer)}; ` +
            `CPU ${ms(res.refCpuMs)}; ` +
            `whole process ${ms(res.refWholeMs)})   peak RSS ${mib(res.refPeak)}`,
        );
        console.log(
          `  time ratio:   ${res.timeRatio.toFixed(2)}x (target <= ${c.target.toFixed(1)}x) ${verdict(res.timeRatio, c.target)}` +
            `   [vs the whole Python process: ${(res.oursMs / res.refWholeMs).toFixed(2)}x]`,
        );
        console.log(
          `  CPU-time ratio: ${res.cpuRatio.toFixed(2)}x (not the target's measure: our whole process's user + system ` +
            `time vs Python's over the two calls; less sensitive to how busy the machine is)`,
        );
        console.log(
          `  memory ratio: ${res.memRatio.toFixed(2)}x (target <= ${c.target.toFixed(1)}x) ${verdict(res.memRatio, c.target)}`,
        );
      }
      // Where the time goes: one more run that reports when each step ended (EDGE_PROFILER_TIMINGS).
      const timed = measureProcess(process.execPath, [cli, 'profile', file, '--format', 'json'], {
        discardStdout: true,
        env: { ...process.env, EDGE_PROFILER_TIMINGS: '1' },
      });
      const steps = stepTimes(timed.stderr);
      if (steps) {
        console.log(
          `  where the time goes (one more run, ${ms(timed.wallMs)}): ` +
            steps.map((s) => `${s.step} ${ms(s.ms)}`).join(', '),
        );
        const same = steps.filter((s) => referenceSteps.has(s.step)).reduce((sum, s) => sum + s.ms, 0);
        if (res.refMs !== undefined) {
          console.log(
            `  the steps the reference does too (${[...referenceSteps].join(', ')}): ${ms(same)} = ` +
              `${(same / res.refMs).toFixed(2)}x onnx.load + infer_shapes (not the target's measure)`,
          );
        }
      }
      results.push(res);
    } finally {
      rmSync(file, { force: true });
    }
  }
  if (results.some((r) => r.timeRatio !== undefined)) {
    console.log(`\n  summary (ours / python3-onnx, wall time, median of ${runs} runs; ${loadAverage()}):`);
    for (const r of results) {
      console.log(
        `    ${r.label.padEnd(24)} time ${r.timeRatio?.toFixed(2) ?? 'n/a'}x ${verdict(r.timeRatio, r.target)}` +
          `   (CPU time ${r.cpuRatio?.toFixed(2) ?? 'n/a'}x)` +
          `   memory ${r.memRatio?.toFixed(2) ?? 'n/a'}x ${verdict(r.memRatio, r.target)}   (target <= ${r.target.toFixed(1)}x)`,
      );
    }
  }
  return results;
}
