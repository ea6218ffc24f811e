/**
 * The fuzz CI job: every minimized crashing input in test/fixtures/fuzz goes through the whole engine pipeline
 * without a failure, and so do 1,000 fresh fuzz cases of a fixed seed (test/fuzz: worker processes with a watchdog,
 * a time limit of 5 s and a memory budget of 4 × input + 64 MiB per case). Longer runs: `npm run fuzz`.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_TIMEOUT_MS } from '../fuzz/harness.js';
import { fileJobs, formatFailure, formatSummary, generatedJobs, summarize, WorkerPool } from '../fuzz/runner.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'fuzz');
/** The seed of the CI run; a failure is reproduced with `npm run fuzz -- --seed 7 --start <case> --count 1`. */
const CI_SEED = 7;
const CI_CASES = 1000;

describe('fuzz regression', () => {
  const pool = new WorkerPool(2, DEFAULT_TIMEOUT_MS);
  after(() => pool.close());

  test('every minimized crashing input in test/fixtures/fuzz now passes', { timeout: 120_000 }, async (t) => {
    const jobs = fileJobs([FIXTURES]);
    assert.ok(jobs.length >= 10, `expected the fuzz fixtures in ${FIXTURES}, found ${jobs.length}`);
    const results = await pool.runAll(jobs);
    const failed = results.filter((r) => r.status === 'failed');
    assert.equal(failed.length, 0, `fixtures failing:\n${failed.map(formatFailure).join('\n')}`);
    t.diagnostic(`${results.length} fixtures, slowest ${Math.max(...results.map((r) => r.ms)).toFixed(0)} ms`);
  });

  test('the runner reports a case that hangs and a worker that dies, and goes on', { timeout: 60_000 }, async () => {
    const quick = new WorkerPool(1, 200);
    try {
      const [hang, die, after] = await quick.runAll([
        { kind: 'selftest', label: 'hangs', what: 'hang' },
        { kind: 'selftest', label: 'dies', what: 'die' },
        { kind: 'generated', seed: CI_SEED, index: 0 },
      ]);
      assert.equal(hang.failure?.kind, 'hang', `a hang is reported as one: ${JSON.stringify(hang.failure)}`);
      assert.equal(die.failure?.kind, 'crash', `a dead worker is reported as a crash: ${JSON.stringify(die.failure)}`);
      assert.match(die.failure?.message ?? '', /exit code 3/, 'the exit code is in the message');
      assert.ok(after.status !== 'failed' || after.failure?.kind === 'slow', `the next case runs: ${after.status}`);
    } finally {
      await quick.close();
    }
  });

  test(`${CI_CASES} fresh cases of seed ${CI_SEED}`, { timeout: 300_000 }, async (t) => {
    const start = performance.now();
    const results = await pool.runAll(generatedJobs(CI_SEED, CI_CASES));
    const wall = performance.now() - start;
    const summary = summarize(results);
    assert.equal(summary.cases, CI_CASES, 'every case ran');
    assert.equal(summary.failed, 0, formatSummary(summary, wall));
    assert.ok(summary.passed > CI_CASES / 4, `most cases should get through the reader: ${summary.passed} passed`);
    for (const line of formatSummary(summary, wall).split('\n')) t.diagnostic(line);
  });
});
