/**
 * One fuzz case through the whole engine, as the extension and the CLI use it:
 *   decodeModel → validateModel → inferShapes → analyzeModel (cost) → estimateModel on three built-in profiles
 *   → summary text, cost table, cost JSON, estimate JSON.
 * and the checks that make a case pass:
 * - nothing escapes but an OnnxReadError from decodeModel (the documented "cannot read this file" error), whose
 *   message names the problem; every validation problem, inference warning, cost warning and estimate diagnostic
 *   has a message too;
 * - the case finishes within the time limit (the runner's watchdog catches a hang);
 * - memory: the peak growth of the JS heap plus ArrayBuffers, and of the process's resident set, stays within
 *   4 × the input size + MEMORY_MARGIN_BYTES.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { analyzeModel } from '../../src/core/analysis/cost.js';
import { inferShapes } from '../../src/core/analysis/infer.js';
import type { Model } from '../../src/core/onnx/ir.js';
import { decodeModel, OnnxReadError } from '../../src/core/onnx/reader.js';
import { type Problem, validateModel } from '../../src/core/onnx/validate.js';
import { costJson, formatCostTable } from '../../src/core/report/costReport.js';
import { formatSummaryText, summarizeModel } from '../../src/core/report/summary.js';
import { builtinProfile } from '../../src/core/targets/builtinProfiles.js';
import { estimateModel } from '../../src/core/targets/estimate.js';
import type { HardwareProfile } from '../../src/core/targets/profile.js';

/** Fixed part of the memory budget of a case (the rest is 4 × its input size). */
export const MEMORY_MARGIN_BYTES = 64 * 1024 * 1024;
export const MEMORY_INPUT_FACTOR = 4;
export const DEFAULT_TIMEOUT_MS = 5000;

/** An MCU (arena + flash), a GPU, and an NPU with a CPU fallback. */
export const FUZZ_PROFILE_IDS = ['cortex-m4', 'jetson-orin-nano', 'ethos-u55-128'] as const;

/** `harness`: the fuzzer itself failed (a case could not be generated), not the engine. */
export type FailureKind = 'exception' | 'unclear-message' | 'hang' | 'slow' | 'memory' | 'crash' | 'harness';

export interface Failure {
  kind: FailureKind;
  /** Pipeline stage it happened in (`decode`, `infer`, `estimate:cortex-m4`, `report:cost-json`…). */
  stage: string;
  /** Error class, when an exception. */
  error?: string;
  message: string;
  stack?: string;
}

export interface CaseResult {
  label: string;
  /** passed: read and analysed; rejected: refused by the reader with a clear OnnxReadError; failed: see failure. */
  status: 'passed' | 'rejected' | 'failed';
  rejection?: string;
  /** Validation errors of a model that was read (it still went through the whole pipeline). */
  validationErrors?: number;
  failure?: Failure;
  ms: number;
  /**
   * CPU time of the worker process over the case (all its threads). The time limit applies to this: on a shared
   * machine wall time also counts the time other processes had the CPU. The watchdog's hang limit stays wall time.
   */
  cpuMs?: number;
  inputBytes: number;
  /** Peak growth of heap + ArrayBuffers, and of the resident set, over the case (bytes). */
  heapGrowthBytes: number;
  rssGrowthBytes: number;
  memLimitBytes: number;
  seedModel?: string;
  mutations?: string[];
}

export function memoryLimit(inputBytes: number): number {
  return MEMORY_INPUT_FACTOR * inputBytes + MEMORY_MARGIN_BYTES;
}

let profiles: HardwareProfile[] | undefined;
export function fuzzProfiles(): HardwareProfile[] {
  profiles ??= FUZZ_PROFILE_IDS.map((id) => {
    const p = builtinProfile(id);
    if (!p) throw new Error(`built-in profile ${id} is missing`);
    return p;
  });
  return profiles;
}

/** Thrown by the checks when a message does not say what is wrong. */
class UnclearMessage extends Error {}

const readErrorShape = /^(?:[^\n]*: )?(?:empty file: not |not an ONNX model: |not readable as an ONNX model)/;

/** Words that mean a message was built from a missing or non-string value. */
function unclearReason(message: string, input: string): string | undefined {
  if (!message.trim()) return 'empty message';
  if (message.includes('[object Object]')) return "contains '[object Object]'";
  // 'undefined' is also the name of element type 0 and of attribute type 0 ("of type undefined"): allowed there.
  const stripped = message.replace(/\btype '?undefined\b/g, '').replace(/'undefined'/g, '');
  if (/\bundefined\b/.test(stripped) && !input.includes('undefined')) return "contains 'undefined'";
  if (/\bNaN\b/.test(message) && !input.includes('NaN')) return "contains 'NaN'";
  return undefined;
}

function checkMessages(what: string, messages: Iterable<string>, input: string): void {
  for (const m of messages) {
    const why = unclearReason(m, input);
    if (why) throw new UnclearMessage(`${what} message ${why}: ${JSON.stringify(m.slice(0, 300))}`);
  }
}

function checkReadError(message: string, input: string): void {
  const why = unclearReason(message, input);
  if (why) throw new UnclearMessage(`OnnxReadError message ${why}: ${JSON.stringify(message.slice(0, 300))}`);
  if (!readErrorShape.test(message)) {
    throw new UnclearMessage(
      `OnnxReadError message does not say what is wrong: ${JSON.stringify(message.slice(0, 300))}`,
    );
  }
  const detail = /truncated or corrupt\): (.*)$/s.exec(message);
  if (detail && !detail[1].trim())
    throw new UnclearMessage(`OnnxReadError without a reason: ${JSON.stringify(message)}`);
}

export interface PipelineOutcome {
  rejected?: string;
  problems?: Problem[];
}

/**
 * Runs the pipeline; `stage.name` says where it is when something throws. Throws only for a failure (an exception
 * other than the reader's OnnxReadError, or an unclear message).
 */
export function runPipeline(bytes: Uint8Array, stage: { name: string }): PipelineOutcome {
  // Latin-1 view of the input, to tell a message quoting the model's own text from one built from a missing value.
  const input =
    bytes.length <= 4_000_000 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1') : '';
  stage.name = 'decode';
  let model: Model;
  try {
    model = decodeModel(bytes, { fileName: 'case.onnx' });
  } catch (err) {
    if (err instanceof OnnxReadError) {
      stage.name = 'decode (message)';
      checkReadError(err.message, input);
      return { rejected: err.message };
    }
    throw err;
  }
  stage.name = 'validate';
  const problems = validateModel(model);
  checkMessages(
    'validation',
    problems.map((p) => p.message),
    input,
  );
  stage.name = 'infer';
  const inference = inferShapes(model);
  checkMessages(
    'inference',
    inference.warnings.map((w) => w.message),
    input,
  );
  stage.name = 'cost';
  const { profile, facts } = analyzeModel(model);
  checkMessages(
    'cost',
    profile.warnings.map((w) => w.message),
    input,
  );
  const estimates = [];
  for (const p of fuzzProfiles()) {
    stage.name = `estimate:${p.id}`;
    const est = estimateModel(model, profile, facts, p);
    checkMessages(
      `estimate ${p.id}`,
      est.diagnostics.map((d) => d.message),
      input,
    );
    estimates.push(est);
  }
  stage.name = 'report:summary';
  const summary = formatSummaryText(summarizeModel(model, problems, { path: 'case.onnx', bytes: bytes.length }));
  stage.name = 'report:cost-table';
  const table = formatCostTable(profile, { file: 'case.onnx' });
  stage.name = 'report:cost-json';
  const json = JSON.stringify(costJson(profile, { file: 'case.onnx' }));
  stage.name = 'report:estimate-json';
  let estJson = 0;
  for (const est of estimates) estJson += JSON.stringify(est).length;
  stage.name = 'report:check';
  if (!summary || !table || !json || !estJson) throw new UnclearMessage('a report came out empty');
  return { problems };
}

// ---------------------------------------------------------------------------------------------------------------
// Measurement

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

function residentHighWater(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function resetResidentHighWater(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs one case and measures it. The heap peak is exact: heap use only grows between collections, so the peak is
 * either the use just before some collection (V8's GC profiler records it) or the use at the end. ArrayBuffers are
 * sampled at the stage boundaries; the resident-set high-water mark (Linux) catches anything in between.
 */
export function runCase(bytes: Uint8Array, label: string, timeoutMs = DEFAULT_TIMEOUT_MS): CaseResult {
  gc?.();
  const base = process.memoryUsage();
  const rssReset = resetResidentHighWater();
  const rssBase = rssReset ? process.memoryUsage.rss() : 0;
  const profiler = new v8.GCProfiler();
  profiler.start();
  const stage = { name: 'start' };
  let outcome: PipelineOutcome | undefined;
  let failure: Failure | undefined;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  try {
    outcome = runPipeline(bytes, stage);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    failure = {
      kind: err instanceof UnclearMessage ? 'unclear-message' : 'exception',
      stage: stage.name,
      error: err instanceof UnclearMessage ? undefined : e.constructor?.name || e.name,
      message: e.message.slice(0, 2000),
      stack: e.stack?.split('\n').slice(0, 12).join('\n'),
    };
  }
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const end = process.memoryUsage();
  const stats = profiler.stop();
  let heapPeak = end.heapUsed;
  for (const s of stats?.statistics ?? []) heapPeak = Math.max(heapPeak, s.beforeGC.heapStatistics.usedHeapSize);
  const heapGrowthBytes = Math.max(0, heapPeak - base.heapUsed) + Math.max(0, end.arrayBuffers - base.arrayBuffers);
  const hwm = rssReset ? residentHighWater() : undefined;
  const rssGrowthBytes = hwm !== undefined ? Math.max(0, hwm - rssBase) : 0;
  const memLimitBytes = memoryLimit(bytes.length);
  if (!failure && cpuMs > timeoutMs) {
    failure = {
      kind: 'slow',
      stage: 'all',
      message: `took ${cpuMs.toFixed(0)} ms of CPU time, ${ms.toFixed(0)} ms wall (limit ${timeoutMs} ms)`,
    };
  }
  if (!failure && Math.max(heapGrowthBytes, rssGrowthBytes) > memLimitBytes) {
    failure = {
      kind: 'memory',
      stage: 'all',
      message: `memory grew by ${mib(Math.max(heapGrowthBytes, rssGrowthBytes))} (heap+ArrayBuffers ${mib(heapGrowthBytes)}, resident ${mib(rssGrowthBytes)}) for ${bytes.length} input bytes; limit ${mib(memLimitBytes)}`,
    };
  }
  const result: CaseResult = {
    label,
    status: failure ? 'failed' : outcome?.rejected !== undefined ? 'rejected' : 'passed',
    ms,
    cpuMs,
    inputBytes: bytes.length,
    heapGrowthBytes,
    rssGrowthBytes,
    memLimitBytes,
  };
  if (failure) result.failure = failure;
  if (outcome?.rejected !== undefined) result.rejection = outcome.rejected.slice(0, 500);
  if (outcome?.problems) result.validationErrors = outcome.problems.filter((p) => p.severity === 'error').length;
  return result;
}

export function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
