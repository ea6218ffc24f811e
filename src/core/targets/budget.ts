/**
 * Budgets for `edge-profile check`: parsing sizes and times as a user writes them, and checking an estimate against
 * them and against the target's own capacities. Pure: data in, lines of text out.
 *
 * Sizes: `256KB`, `1MB`, `1.5MiB`, `512k`, plain bytes (`262144`). KB and KiB both mean 1024 bytes (MB and MiB
 * 1024², GB and GiB 1024³), as microcontroller datasheets and linker maps count them. Times: `50ms`, `0.2s`, `800us`.
 */

import type { Estimate } from './estimate.js';
import { describeCalibration } from './profile.js';
import { formatMs, formatSize } from './units.js';

export class BudgetSyntaxError extends Error {
  override name = 'BudgetSyntaxError';
}

const sizeUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Bytes from `256KB`, `1.5MiB`, `1MB`, `4096`… (KB = KiB = 1024 bytes). Throws BudgetSyntaxError. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? sizeUnits[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new BudgetSyntaxError(`'${text}' is not a size: expected e.g. 256KB, 1MB, 1.5MiB or a number of bytes`);
  }
  const bytes = Number(m[1]) * unit;
  if (!Number.isFinite(bytes) || bytes <= 0) throw new BudgetSyntaxError(`'${text}': a size must be positive`);
  return Math.round(bytes);
}

const timeUnits: Record<string, number> = { s: 1000, ms: 1, us: 1e-3, µs: 1e-3 };

/** Milliseconds from `50ms`, `0.2s`, `800us`. A unit is required. Throws BudgetSyntaxError. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(s|ms|us|µs)\s*$/i.exec(text);
  if (!m) throw new BudgetSyntaxError(`'${text}' is not a time: expected e.g. 50ms or 0.2s`);
  const ms = Number(m[1]) * timeUnits[m[2].toLowerCase()];
  if (!(ms > 0)) throw new BudgetSyntaxError(`'${text}': a time must be positive`);
  return ms;
}

export interface Budgets {
  ramBytes?: number;
  flashBytes?: number;
  latencyMs?: number;
}

/** A budget as given: whole MB or KB when exact, else bytes. */
function formatBudgetBytes(bytes: number): string {
  if (bytes % 1024 ** 2 === 0) return `${(bytes / 1024 ** 2).toLocaleString('en-US')} MB`;
  if (bytes % 1024 === 0) return `${(bytes / 1024).toLocaleString('en-US')} KB`;
  return `${bytes.toLocaleString('en-US')} B`;
}

export interface CheckResult {
  /** One line per violation; empty when the model is within every budget and the target's capacities. */
  violations: string[];
  /** One line saying what was checked, for a passing run. */
  summary: string;
}

/**
 * Checks an estimate: the budgets given, and the target itself (RAM and flash capacity, ops without a kernel, every
 * `error` diagnostic). `modelWeightBytes` is what a flash budget is compared with on targets that keep weights
 * outside flash (the model must still be stored somewhere).
 */
export function checkBudgets(est: Estimate, budgets: Budgets, modelWeightBytes: number): CheckResult {
  const tag = `estimate, ${describeCalibration(est.target.calibration)}`;
  const t = est.totals;
  const violations: string[] = [];
  const setDims = 'give symbolic dimensions a size with --dim or --input';

  if (budgets.ramBytes !== undefined) {
    const budget = formatBudgetBytes(budgets.ramBytes);
    if (t.peakRamBytes > budgets.ramBytes) {
      violations.push(`RAM ${formatSize(t.peakRamBytes)} > budget ${budget} (${tag})`);
    } else if (t.unsizedTensors > 0) {
      violations.push(
        `RAM unknown: at least ${formatSize(t.peakRamBytes)}, but ${t.unsizedTensors} tensor${t.unsizedTensors === 1 ? ' has' : 's have'} unknown size (${setDims}); cannot check budget ${budget}`,
      );
    }
  }

  if (budgets.flashBytes !== undefined) {
    const budget = formatBudgetBytes(budgets.flashBytes);
    const inFlash = est.target.placement.weights === 'flash';
    const need = inFlash ? t.flashBytes : modelWeightBytes;
    if (need > budgets.flashBytes) {
      const what = inFlash
        ? `flash ${formatSize(need)} (weights ${formatSize(t.flash.weightBytes)} + runtime code ${formatSize(t.flash.runtimeCodeBytes)})`
        : `flash ${formatSize(need)} (model weights; ${est.target.id} loads them into ${est.target.placement.weights})`;
      violations.push(`${what} > budget ${budget} (${tag})`);
    }
  }

  if (budgets.latencyMs !== undefined) {
    const budget = `${formatMs(budgets.latencyMs)} ms`;
    if (t.latencyMs === null) {
      const noKernel = est.layers.filter((l) => l.runsOn === 'unsupported');
      const unknown = est.layers.filter((l) => l.latencyMs === null && l.runsOn !== 'unsupported');
      const why: string[] = [];
      if (noKernel.length) {
        const ops = [...new Set(noKernel.map((l) => l.opType))].join(', ');
        why.push(
          `${noKernel.length} layer${noKernel.length === 1 ? ' has' : 's have'} no kernel on ${est.target.id} (${ops})`,
        );
      }
      if (unknown.length) {
        why.push(
          `${unknown.length} layer${unknown.length === 1 ? ' has' : 's have'} unknown cost (shapes unknown: ${setDims})`,
        );
      }
      violations.push(
        `latency n/a (at least ${formatMs(t.knownLatencyMs + t.perInferenceMs)} ms): ${why.join('; ')}; cannot check budget ${budget}`,
      );
    } else if (t.latencyMs > budgets.latencyMs) {
      violations.push(`latency ${formatMs(t.latencyMs)} ms > budget ${budget} (${tag})`);
    }
  }

  // The target's own limits: RAM and flash capacity, unsupported ops without a fallback.
  for (const d of est.diagnostics) if (d.severity === 'error') violations.push(d.message);

  const within = (v: number | undefined, f: (n: number) => string) => (v === undefined ? '' : ` (budget ${f(v)})`);
  const parts = [
    (t.latencyMs === null ? 'latency n/a' : `latency ${formatMs(t.latencyMs)} ms`) +
      within(budgets.latencyMs, (v) => `${formatMs(v)} ms`),
    `RAM ${formatSize(t.peakRamBytes)}${t.ramCapacityBytes !== null ? ` of ${formatSize(t.ramCapacityBytes)}` : ''}` +
      within(budgets.ramBytes, formatBudgetBytes),
  ];
  if (est.target.placement.weights === 'flash') {
    parts.push(
      `flash ${formatSize(t.flashBytes)}${t.flashCapacityBytes !== null ? ` of ${formatSize(t.flashCapacityBytes)}` : ''}` +
        within(budgets.flashBytes, formatBudgetBytes),
    );
  } else if (budgets.flashBytes !== undefined) {
    parts.push(`weights ${formatSize(modelWeightBytes)}${within(budgets.flashBytes, formatBudgetBytes)}`);
  }
  const summary = `ok: ${est.target.id}: ${parts.join(', ')} (${tag})`;
  return { violations, summary };
}
