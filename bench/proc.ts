/**
 * Whole-process measurements for the benchmarks: wall time with process.hrtime around the child's whole life
 * (spawn to exit, as the parent sees it), and peak resident memory from GNU time (`/usr/bin/time -f %M`, Debian's
 * `time` package), which reports the ru_maxrss that wait4() returns for the child — the kernel's own high-water
 * mark, so nothing between two samples is missed, and it covers the process to its last instruction. GNU time also
 * gives the CPU time (%U user + %S system, from the same wait4(), all threads included, 10 ms resolution): on a
 * busy machine the wall time mostly says how long the scheduler kept the process waiting, the CPU time does not.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';
export const hasGnuTime = existsSync(GNU_TIME);

export interface ProcessMeasure {
  wallMs: number;
  /** NaN when GNU time is not installed. */
  peakRssBytes: number;
  /** CPU time of the child and its threads in user and kernel mode (GNU time's %U + %S); NaN without GNU time. */
  cpuMs: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

export function measureProcess(
  command: string,
  args: string[],
  options: {
    discardStdout?: boolean;
    stdoutFile?: string;
    cwd?: string;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
  } = {},
): ProcessMeasure {
  const dir = mkdtempSync(join(tmpdir(), 'emp-time-'));
  const report = join(dir, 'time.txt');
  const out = options.stdoutFile ?? (options.discardStdout ? '/dev/null' : undefined);
  const outFd = out === undefined ? undefined : openSync(out, 'w');
  try {
    const [cmd, argv] = hasGnuTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', report, command, ...args]] : [command, args];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, argv, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', outFd ?? 'pipe', 'pipe'],
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: options.timeoutMs ?? 600_000,
    });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.error) throw new Error(`${command} ${args.join(' ')}: ${r.error.message}`);
    let peakRssBytes = Number.NaN;
    let cpuMs = Number.NaN;
    if (hasGnuTime && existsSync(report)) {
      // With a non-zero exit status GNU time writes "Command exited with non-zero status N" first.
      const last = readFileSync(report, 'utf8').trim().split('\n').pop() ?? '';
      const m = /^(\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(last);
      if (m) {
        peakRssBytes = Number(m[1]) * 1024;
        cpuMs = (Number(m[2]) + Number(m[3])) * 1000;
      }
    }
    return { wallMs, peakRssBytes, cpuMs, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  } finally {
    if (outFd !== undefined) closeSync(outFd);
    rmSync(dir, { recursive: true, force: true });
  }
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const mib = (bytes: number): string => (Number.isNaN(bytes) ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
