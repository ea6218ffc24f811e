import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BUILTIN_PROFILE_IDS,
  buildHostCpuProfile,
  builtinProfile,
  builtinProfiles,
} from '../../src/core/targets/builtinProfiles.js';
import { JsonSyntaxError, parseJsonc } from '../../src/core/targets/jsonc.js';
import { formatTargetsText, listTargets } from '../../src/core/targets/listTargets.js';
import {
  type HardwareProfile,
  numericLeafPaths,
  peakMacsPerSec,
  uncitedPaths,
  valueAtPath,
} from '../../src/core/targets/profile.js';
import { validateProfile } from '../../src/core/targets/profileSchema.js';
import { CMSIS_NN_SPEEDUP, stackVariants } from '../../src/core/targets/stackVariants.js';
import {
  loadUserProfiles,
  ProfileError,
  parseProfileText,
  profileEntries,
  profileRegistry,
  resolveUserProfiles,
} from '../../src/core/targets/userProfiles.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function get(id: string): HardwareProfile {
  const p = builtinProfile(id);
  assert.ok(p, `built-in profile ${id} exists`);
  return p;
}

/** The error a call throws, asserted to be a ProfileError. */
function profileError(fn: () => unknown): ProfileError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ProfileError, `expected a ProfileError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ProfileError, but nothing was thrown');
}

function close(actual: number | undefined, expected: number, tolerance: number, what: string) {
  assert.ok(actual !== undefined, `${what}: value present`);
  assert.ok(
    Math.abs(actual - expected) <= tolerance * expected,
    `${what}: ${actual} is not within ${tolerance * 100}% of ${expected}`,
  );
}

const issueIds = [
  'jetson-nano',
  'jetson-xavier-nx',
  'jetson-orin-nano',
  'jetson-orin-nx',
  'jetson-agx-orin',
  'cortex-m4',
  'cortex-m7',
  'cortex-m33',
  'cortex-m55',
  'cortex-m85',
  'ethos-u55-128',
  'ethos-u55-256',
  'ethos-u65-512',
  'coral-edgetpu',
  'hailo-8',
  'host-cpu',
];

test('every profile the issue asks for is built in, once', () => {
  const ids = builtinProfiles().map((p) => p.id);
  for (const id of issueIds) assert.ok(ids.includes(id), `missing built-in profile ${id}`);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  assert.deepEqual(ids, [...BUILTIN_PROFILE_IDS], 'listed in BUILTIN_PROFILE_IDS order');
});

test('every built-in profile is complete and consistent', () => {
  for (const p of builtinProfiles()) {
    assert.deepEqual(validateProfile(p), [], `${p.id} validates`);
    assert.ok(Object.keys(p.efficiency).length === 6, `${p.id}: an efficiency per op class`);
    assert.ok(p.memory[p.placement.weights] && p.memory[p.placement.activations], `${p.id}: placement levels exist`);
  }
});

test('every number of every built-in profile is cited, derived or marked assumed', () => {
  for (const p of builtinProfiles()) {
    assert.deepEqual(uncitedPaths(p), [], `${p.id}: numeric fields without a source`);
    for (const path of numericLeafPaths(p)) {
      const note = p.sources[path];
      const marked = /^(derived|assumed|measured|unknown)\b/.exec(note);
      if (marked) {
        // A marked note says why: "assumed: <reason>", "derived: <arithmetic>".
        assert.match(note, /^(derived|assumed|measured|unknown): \S.{8,}/, `${p.id}.${path}: bare note "${note}"`);
      } else {
        assert.ok(note.length >= 12, `${p.id}.${path}: citation too short to be one: "${note}"`);
      }
      if (note.startsWith('derived:')) assert.match(note, /[×÷=/+-]/, `${p.id}.${path}: derived note shows arithmetic`);
    }
    for (const section of ['runtime', 'operators', 'fusions', 'placement', 'dtypes']) {
      assert.ok(p.sources[section], `${p.id}: the ${section} section is cited`);
    }
    // A source key must point at something in the profile, or explain an absent value.
    for (const [key, note] of Object.entries(p.sources)) {
      if (valueAtPath(p, key) === undefined) {
        assert.ok(/^(unknown|assumed):/.test(note), `${p.id}: stale source key ${key}`);
      }
    }
  }
});

test('absent memory sizes and bandwidths say they are unknown', () => {
  for (const p of builtinProfiles()) {
    for (const [level, m] of Object.entries(p.memory)) {
      for (const field of ['bytes', 'bandwidthBytesPerSec'] as const) {
        if (m && m[field] === undefined) {
          const note = p.sources[`memory.${level}.${field}`] ?? '';
          assert.ok(note.startsWith('unknown:'), `${p.id}.memory.${level}.${field} is absent without an unknown: note`);
        }
      }
    }
    if (p.clockMHz === undefined) assert.ok(p.sources.clockMHz?.startsWith('unknown:'), `${p.id}: clock unknown note`);
  }
});

test('per-cycle figures times the clock give the per-second figures', () => {
  for (const p of builtinProfiles()) {
    for (const [dt, c] of Object.entries(p.compute)) {
      if (c?.macsPerCycle !== undefined) {
        close(c.macsPerSec, c.macsPerCycle * (p.clockMHz ?? Number.NaN) * 1e6, 1e-9, `${p.id} ${dt}`);
      }
    }
  }
});

test('numbers agree with published-measurements.md where they overlap', () => {
  // Arm Ethos-U (Vela architecture_features.py / vela.ini).
  assert.equal(get('ethos-u55-128').compute.int8?.macsPerCycle, 128, 'U55-128: 128 MACs/cycle');
  assert.equal(get('ethos-u55-256').compute.int8?.macsPerCycle, 256, 'U55-256: 256 MACs/cycle');
  assert.equal(get('ethos-u65-512').compute.int8?.macsPerCycle, 512, 'U65-512: 512 MACs/cycle');
  for (const id of ['ethos-u55-128', 'ethos-u55-256']) {
    const p = get(id);
    assert.equal(p.clockMHz, 500, `${id}: High_End_Embedded 500 MHz`);
    close(p.memory.sram?.bandwidthBytesPerSec, 4e9, 1e-9, `${id} SRAM 4 GB/s`);
    close(p.memory.flash?.bandwidthBytesPerSec, 0.5e9, 1e-9, `${id} flash 0.5 GB/s`);
  }
  const u65 = get('ethos-u65-512');
  assert.equal(u65.clockMHz, 1000, 'U65 High_End 1 GHz');
  close(u65.memory.sram?.bandwidthBytesPerSec, 16e9, 1e-9, 'U65 SRAM 16 GB/s');
  close(u65.memory.dram?.bandwidthBytesPerSec, 3.75e9, 1e-9, 'U65 DRAM 3.75 GB/s');

  // Jetson memory bandwidths.
  const jetsonBandwidth: Record<string, number> = {
    'jetson-nano': 25.6e9,
    'jetson-xavier-nx': 59.7e9,
    'jetson-orin-nano': 68e9,
    'jetson-orin-nano-super': 102e9,
    'jetson-orin-nx': 102.4e9,
    'jetson-agx-orin': 204.8e9,
  };
  for (const [id, bw] of Object.entries(jetsonBandwidth)) {
    close(get(id).memory.dram?.bandwidthBytesPerSec, bw, 1e-9, `${id} DRAM bandwidth`);
  }
  // Jetson compute, in the vendors' units (ops = 2 × MACs; sparse = 2 × dense).
  close(2 * (get('jetson-nano').compute.float16?.macsPerSec ?? 0), 472e9, 0.01, 'Nano 472 GFLOPS FP16');
  close(2 * (get('jetson-nano').compute.float32?.macsPerSec ?? 0), 236e9, 0.01, 'Nano ≈236 GFLOPS FP32');
  assert.equal(get('jetson-nano').compute.int8, undefined, 'Nano has no INT8 path');
  close(4 * (get('jetson-agx-orin').compute.int8?.macsPerSec ?? 0), 171e12, 0.01, 'AGX Orin GPU 171 sparse TOPS');
  close(2 * (get('jetson-agx-orin').compute.float32?.macsPerSec ?? 0), 5.3e12, 0.01, 'AGX Orin 5.3 FP32 TFLOPS');
  close(2 * (get('jetson-orin-nano').compute.int8?.macsPerSec ?? 0), 20e12, 0.03, 'Orin Nano 20 dense TOPS');
  close(
    4 * (get('jetson-orin-nano-super').compute.int8?.macsPerSec ?? 0),
    67e12,
    0.01,
    'Orin Nano Super 67 sparse TOPS',
  );
  assert.ok(
    2 * (get('jetson-xavier-nx').compute.int8?.macsPerSec ?? 0) < 21e12,
    'Xavier NX GPU alone is below the 21 TOPS that include the DLAs',
  );
  assert.equal(get('jetson-agx-orin').clockMHz, 1300, 'AGX Orin 1.3 GHz');
  assert.equal(get('jetson-orin-nx').clockMHz, 918, 'Orin NX 918 MHz');

  // MCUs.
  const m7 = get('cortex-m7');
  assert.equal(m7.clockMHz, 480, 'STM32H743 480 MHz');
  assert.equal(m7.memory.sram?.bytes, 1 * MiB, 'STM32H743 1 MB SRAM');
  assert.equal(m7.memory.flash?.bytes, 2 * MiB, 'STM32H743 2 MB flash');
  const m4 = get('cortex-m4');
  assert.equal(m4.clockMHz, 120, 'STM32L4R5 120 MHz');
  assert.equal(m4.memory.sram?.bytes, 640 * KiB, 'STM32L4R5 640 KB SRAM');
  assert.equal(m4.memory.flash?.bytes, 2 * MiB, 'STM32L4R5 2 MB flash');
  assert.equal(m4.compute.int16?.macsPerCycle, 2, 'SMLAD: 2 16-bit MACs per instruction');
  assert.equal(get('cortex-m33').clockMHz, 128, 'nRF5340 128 MHz');
  assert.equal(get('cortex-m85').clockMHz, 480, 'RA8D1 480 MHz');
  assert.equal(get('cortex-m55').compute.int8?.macsPerCycle, 8, 'Helium: 8 int8 MACs/cycle');
  assert.equal(get('cortex-m85').compute.int8?.macsPerCycle, 8, 'Helium: 8 int8 MACs/cycle');
  for (const id of ['cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'cortex-m85', 'ethos-u55-128']) {
    assert.equal(get(id).runtimeMemory?.perTensorBytes, 24, `${id}: TFLM 24 B per tensor`);
    assert.equal(get(id).runtimeMemory?.perOpBytes, 56, `${id}: TFLM 56 B per op`);
    assert.equal(get(id).placement.activations, 'sram', `${id}: activations in SRAM`);
  }

  // Accelerators.
  close(2 * (get('coral-edgetpu').compute.int8?.macsPerSec ?? 0), 4e12, 1e-9, 'Edge TPU 4 TOPS');
  assert.deepEqual(get('coral-edgetpu').dtypes, ['int8', 'uint8'], 'Edge TPU: 8-bit only');
  close(2 * (get('hailo-8').compute.int8?.macsPerSec ?? 0), 26e12, 1e-9, 'Hailo-8 26 TOPS');
});

test('fallback rules: Edge TPU splits once to the host, Ethos-U falls back per op to its Cortex-M', () => {
  const tpu = get('coral-edgetpu').operators;
  const f = tpu.fallback;
  assert.ok(f.target === 'host-cpu' && f.partition === 'rest-of-graph', 'to the host, after the first unsupported op');
  assert.ok(f.profileId === 'host-cpu' && f.transferBytesPerSec === 500e6, 'priced on host-cpu, over USB 3');
  const u55 = get('ethos-u55-128').operators;
  assert.equal(u55.mode, 'only', 'Vela lists what it supports');
  assert.ok(u55.ops.includes('Conv') && !u55.ops.includes('LSTM'), 'Conv on the NPU, LSTM on the CPU');
  assert.ok(u55.fallback.target === 'cpu-core' && u55.fallback.profileId === 'cortex-m55', 'CPU fallback to the M55');
  const known = new Set(builtinProfiles().map((p) => p.id));
  for (const p of builtinProfiles()) {
    const f = p.operators.fallback;
    if (f.target !== 'none' && f.profileId)
      assert.ok(known.has(f.profileId), `${p.id}: fallback ${f.profileId} exists`);
  }
});

test('peakMacsPerSec falls back to the nearest computed type', () => {
  const m7 = get('cortex-m7');
  assert.equal(peakMacsPerSec(m7, 'uint8'), m7.compute.int8?.macsPerSec, 'uint8 priced as int8');
  assert.equal(peakMacsPerSec(get('jetson-nano'), 'int8'), undefined, 'no int8 on the Nano');
  assert.equal(peakMacsPerSec(m7, 'float16'), m7.compute.float32?.macsPerSec, 'float16 priced as float32 without fp16');
});

test('host-cpu is built from measured numbers, with assumed placeholders until then', () => {
  const placeholder = buildHostCpuProfile();
  assert.ok(placeholder.sources['compute.float32.macsPerSec'].startsWith('assumed:'), 'placeholder is marked assumed');
  const measured = buildHostCpuProfile({
    peakFlopsPerSec: 1.2e11,
    memoryBandwidthBytesPerSec: 2.5e10,
    memoryBytes: 16 * 1024 * MiB,
    cpuName: 'Test CPU',
    source: 'unit test',
  });
  assert.equal(measured.compute.float32?.macsPerSec, 6e10, 'FLOP/s ÷ 2');
  assert.equal(measured.compute.int8?.macsPerSec, 1.2e11, 'int8 assumed at twice float32');
  assert.equal(measured.memory.dram?.bandwidthBytesPerSec, 2.5e10, 'bandwidth as measured');
  assert.equal(
    measured.sources['compute.float32.macsPerSec'],
    'measured: unit test (120000000000 FLOP/s ÷ 2)',
    'cited',
  );
  assert.deepEqual(validateProfile(measured), [], 'measured host profile validates');
  assert.deepEqual(uncitedPaths(measured), [], 'measured host profile is cited');
  const viaBuiltins = builtinProfiles({ hostCpu: { peakFlopsPerSec: 1e11 } }).find((p) => p.id === 'host-cpu');
  assert.equal(viaBuiltins?.compute.float32?.macsPerSec, 5e10, 'builtinProfiles passes the measurement through');
});

test('listTargets: one row per profile with headline numbers, JSON-ready', () => {
  const rows = listTargets();
  assert.equal(rows.length, BUILTIN_PROFILE_IDS.length, 'a row per built-in');
  const u55 = rows.find((r) => r.id === 'ethos-u55-128');
  assert.ok(u55, 'ethos-u55-128 row');
  assert.equal(u55.peakInt8MacsPerSec, 64e9, '128 MACs/cycle × 500 MHz');
  assert.equal(u55.sramBytes, 2 * MiB, 'SRAM size');
  assert.equal(u55.calibration, 'uncalibrated', 'calibration status');
  assert.deepEqual(JSON.parse(JSON.stringify(rows)), rows, 'rows survive JSON');
  const text = formatTargetsText(rows);
  assert.ok(text.includes('ethos-u55-128') && text.includes('128 GOPS'), 'text table shows ids and ops');
  assert.equal(text.split('\n').length, rows.length + 1, 'header plus one line per row');
});

// ----------------------------------------------------------------------------------------------------------------
// User profiles.

test('the issue example: my-f746 extends cortex-m7 with its own clock, SRAM and flash', () => {
  const [p] = loadUserProfiles(
    '{ "id": "my-f746", "extends": "cortex-m7", "clockMHz": 216, "sramKB": 320, "flashKB": 1024 }',
    'profiles.json',
  );
  const base = get('cortex-m7');
  assert.equal(p.id, 'my-f746', 'id');
  assert.equal(p.clockMHz, 216, 'clock 216 MHz');
  assert.equal(p.memory.sram?.bytes, 320 * KiB, 'SRAM 320 KB');
  assert.equal(p.memory.flash?.bytes, 1 * MiB, 'flash 1 MB');
  // Per-cycle figures follow the clock.
  assert.equal(p.compute.int8?.macsPerSec, 2 * 216e6, 'int8 peak rescaled to 216 MHz');
  assert.equal(p.memory.sram?.bandwidthBytesPerSec, 8 * 216e6, 'SRAM bandwidth rescaled');
  close(p.perOpOverheadSec, 500 / 216e6, 1e-12, 'per-op overhead rescaled');
  // Everything else is inherited.
  assert.deepEqual(p.efficiency, base.efficiency, 'efficiency inherited');
  assert.deepEqual(p.runtime, base.runtime, 'runtime inherited');
  assert.deepEqual(p.operators, base.operators, 'operators inherited');
  assert.equal(p.kind, 'mcu', 'kind inherited');
  // Sources say where each number now comes from.
  assert.equal(p.sources.clockMHz, 'user profile profiles.json', 'clock cited to the user file');
  assert.equal(p.sources['memory.sram.bytes'], 'user profile profiles.json', 'SRAM cited to the user file');
  assert.match(p.sources['compute.int8.macsPerSec'], /^derived: 2 MACs\/cycle × 216 MHz/, 'rescaled peak is derived');
  assert.equal(p.sources['efficiency.conv'], base.sources['efficiency.conv'], 'inherited citations kept');
  assert.deepEqual(uncitedPaths(p), [], 'fully cited');
  assert.equal(p.calibration.status, 'uncalibrated', 'changed numbers make it uncalibrated');
  assert.match(p.name, /my-f746/, 'name says it is the user profile');
});

test('a user profile that changes no number keeps the base calibration; one that does loses it', () => {
  const calibrated: HardwareProfile = {
    ...get('cortex-m4'),
    calibration: { status: 'calibrated', measurements: 4, medianAbsErrorPct: 12, source: 'test' },
  };
  const base = [calibrated];
  const [renamed] = resolveUserProfiles(
    [{ origin: 'a.json', entries: [{ id: 'm4-renamed', extends: 'cortex-m4', name: 'My M4' }] }],
    base,
  );
  assert.equal(renamed.calibration.status, 'calibrated', 'name-only change keeps calibration');
  const [faster] = resolveUserProfiles(
    [{ origin: 'a.json', entries: [{ id: 'm4-fast', extends: 'cortex-m4', clockMHz: 160 }] }],
    base,
  );
  assert.equal(faster.calibration.status, 'uncalibrated', 'a clock change drops calibration');
  const [claimed] = resolveUserProfiles(
    [
      {
        origin: 'a.json',
        entries: [
          {
            id: 'm4-own',
            extends: 'cortex-m4',
            clockMHz: 160,
            calibration: { status: 'calibrated', measurements: 3, medianAbsErrorPct: 9, source: 'my bench' },
          },
        ],
      },
    ],
    base,
  );
  assert.deepEqual(
    claimed.calibration,
    { status: 'calibrated', measurements: 3, medianAbsErrorPct: 9, source: 'my bench' },
    'a stated calibration is kept',
  );
});

test('extends chains through user profiles, in any order and across files', () => {
  const profiles = resolveUserProfiles([
    { origin: 'b.json', entries: [{ id: 'board-b', extends: 'board-a', flashKB: 512 }] },
    { origin: 'a.json', entries: [{ id: 'board-a', extends: 'cortex-m7', clockMHz: 216, sramKB: 320 }] },
  ]);
  const [b, a] = profiles;
  assert.equal(a.id, 'board-a', 'results in input order');
  assert.equal(b.clockMHz, 216, 'clock inherited from board-a');
  assert.equal(b.memory.sram?.bytes, 320 * KiB, 'SRAM inherited from board-a');
  assert.equal(b.memory.flash?.bytes, 512 * KiB, 'own flash');
  assert.equal(b.sources.clockMHz, 'user profile a.json', 'inherited user value keeps its file');
  assert.equal(b.sources['memory.flash.bytes'], 'user profile b.json', 'own value cites its file');
  const registry = profileRegistry([{ origin: 'a.json', entries: [{ id: 'board-a', extends: 'cortex-m7' }] }]);
  assert.ok(registry.has('board-a') && registry.has('cortex-m7'), 'registry holds built-ins and user profiles');
});

test('a complete profile needs no extends', () => {
  const full = structuredClone(get('hailo-8')) as unknown as Record<string, unknown>;
  full.id = 'my-accel';
  const [p] = resolveUserProfiles([{ origin: 'full.json', entries: [full] }]);
  assert.equal(p.id, 'my-accel', 'standalone profile resolves');
  const missing = profileError(() =>
    resolveUserProfiles([{ origin: 'bare.json', entries: [{ id: 'bare', name: 'Bare', kind: 'cpu' }] }]),
  );
  assert.match(missing.message, /^bare\.json: bare\.runtime: required field is missing$/m, 'names a missing field');
  assert.match(missing.message, /bare\.compute: required field is missing/, 'names every missing field');
});

test('cycles and unknown bases are errors that name the profiles', () => {
  const cycle = profileError(() =>
    resolveUserProfiles([
      {
        origin: 'p.json',
        entries: [
          { id: 'a', extends: 'b' },
          { id: 'b', extends: 'a' },
        ],
      },
    ]),
  );
  assert.match(cycle.message, /p\.json: b\.extends: profiles extend each other in a cycle: a -> b -> a/, cycle.message);
  const self = profileError(() => resolveUserProfiles([{ origin: 'p.json', entries: [{ id: 'a', extends: 'a' }] }]));
  assert.match(self.message, /p\.json: a\.extends: profile 'a' extends itself/, self.message);
  const unknown = profileError(() =>
    resolveUserProfiles([{ origin: 'p.json', entries: [{ id: 'x', extends: 'cortex-m77' }] }]),
  );
  assert.match(
    unknown.message,
    /p\.json: x\.extends: unknown profile 'cortex-m77' \(did you mean 'cortex-m7'\?\)/,
    unknown.message,
  );
});

test('wrong types name the field and the value', () => {
  const e = profileError(() =>
    loadUserProfiles(
      JSON.stringify({ id: 'my-f746', extends: 'cortex-m7', memory: { sram: { bytes: 'lots' } } }),
      'profiles.json',
    ),
  );
  assert.equal(
    e.message,
    'profiles.json: my-f746.memory.sram.bytes: expected a positive number, got "lots"',
    'issue example',
  );
  const shorthand = profileError(() =>
    loadUserProfiles('{"id": "my-f746", "extends": "cortex-m7", "sramKB": -5, "kind": "microcontroller"}', 'p.json'),
  );
  assert.match(shorthand.message, /p\.json: my-f746\.sramKB: expected a positive number, got -5/, shorthand.message);
  assert.match(
    shorthand.message,
    /my-f746\.kind: expected one of 'gpu', 'mcu', 'npu', 'cpu', got "microcontroller"/,
    shorthand.message,
  );
  const eff = profileError(() =>
    loadUserProfiles('{"id": "e", "extends": "cortex-m7", "efficiency": {"conv": 1.5}}', 'p.json'),
  );
  assert.match(
    eff.message,
    /e\.efficiency\.conv: expected a number greater than 0 and at most 1, got 1\.5/,
    eff.message,
  );
  const frac = profileError(() =>
    loadUserProfiles('{"id": "f", "extends": "cortex-m7", "memory": {"sram": {"bytes": 1000.5}}}', 'p.json'),
  );
  assert.match(frac.message, /f\.memory\.sram\.bytes: expected a whole number, got 1000\.5/, frac.message);
  const dtype = profileError(() =>
    loadUserProfiles('{"id": "g", "extends": "cortex-m7", "compute": {"int9": {"macsPerSec": 1}}}', 'p.json'),
  );
  assert.match(dtype.message, /g\.compute\.int9: unknown element type 'int9' \(did you mean 'int8'\?\)/, dtype.message);
});

test('unknown fields are errors with a did-you-mean', () => {
  const e = profileError(() =>
    loadUserProfiles('{"id": "my-f746", "extends": "cortex-m7", "clockMhz": 216, "memry": {}}', 'profiles.json'),
  );
  assert.match(e.message, /profiles\.json: my-f746\.clockMhz: unknown field \(did you mean 'clockMHz'\?\)/, e.message);
  assert.match(e.message, /profiles\.json: my-f746\.memry: unknown field \(did you mean 'memory'\?\)/, e.message);
  const nested = profileError(() =>
    loadUserProfiles('{"id": "n", "extends": "cortex-m7", "memory": {"sram": {"byte": 5}}}', 'p.json'),
  );
  assert.match(nested.message, /n\.memory\.sram\.byte: unknown field \(did you mean 'bytes'\?\)/, nested.message);
  const level = profileError(() =>
    loadUserProfiles('{"id": "l", "extends": "cortex-m7", "memory": {"sdram": {"description": "x"}}}', 'p.json'),
  );
  assert.match(level.message, /l\.memory\.sdram: unknown memory level .*did you mean 'sram'/, level.message);
});

test('malformed JSON names the file, line and column', () => {
  const e = profileError(() => loadUserProfiles('{\n  "id": "x",\n  "clockMHz": 216,\n}\n', 'boards/profiles.json'));
  assert.equal(e.problems[0].line, 4, 'line of the stray brace');
  assert.equal(e.problems[0].column, 1, 'column of the stray brace');
  assert.match(
    e.message,
    /^boards\/profiles\.json:4:1: invalid JSON: unexpected '\}' \(expected a quoted key\)$/,
    e.message,
  );
  const unterminated = profileError(() => loadUserProfiles('[{"id": "x"', 'p.json'));
  assert.match(unterminated.message, /^p\.json:1:12: invalid JSON: /, unterminated.message);
  const dup = profileError(() => loadUserProfiles('{"id": "x", "id": "y"}', 'p.json'));
  assert.match(dup.message, /p\.json:1:13: invalid JSON: duplicate key "id"/, dup.message);
  assert.throws(() => parseJsonc('{"a": 01}'), JsonSyntaxError, 'leading zeros are not JSON');
});

test('comments are allowed, and the top level is one profile or an array', () => {
  const text = `// my boards
  [ /* F7 */ { "id": "my-f746", "extends": "cortex-m7", "clockMHz": 216 } ]`;
  const set = parseProfileText(text, 'p.jsonc');
  assert.equal(set.entries.length, 1, 'one entry');
  assert.equal(loadUserProfiles(text, 'p.jsonc')[0].clockMHz, 216, 'comments ignored');
  const top = profileError(() => profileEntries(42, 'settings'));
  assert.equal(top.message, 'settings: expected a profile object or an array of profiles, got 42', 'bad top level');
  const entry = profileError(() => resolveUserProfiles([{ origin: 's', entries: ['cortex-m7'] }]));
  assert.equal(entry.message, 's: [0]: expected a profile object, got "cortex-m7"', 'bad entry');
});

test('ids: required, unique, and not a built-in', () => {
  const missing = profileError(() => resolveUserProfiles([{ origin: 's', entries: [{ extends: 'cortex-m7' }] }]));
  assert.equal(missing.message, 's: [0].id: required field is missing', 'missing id');
  const dup = profileError(() =>
    resolveUserProfiles([
      { origin: 'a.json', entries: [{ id: 'x', extends: 'cortex-m7' }] },
      { origin: 'b.json', entries: [{ id: 'x', extends: 'cortex-m4' }] },
    ]),
  );
  assert.equal(dup.message, "b.json: x.id: profile 'x' is also defined in a.json", 'duplicate id');
  const builtin = profileError(() =>
    resolveUserProfiles([{ origin: 's', entries: [{ id: 'cortex-m7', clockMHz: 216 }] }]),
  );
  assert.match(
    builtin.message,
    /s: cortex-m7\.id: 'cortex-m7' is a built-in profile; give yours another id and add "extends": "cortex-m7"/,
    builtin.message,
  );
});

test('settings values (already parsed) go through the same resolver', () => {
  const setting: unknown = [{ id: 'my-u55', extends: 'ethos-u55-128', sramKB: 512 }];
  const [p] = resolveUserProfiles([
    { origin: 'setting edgeModelProfiler.profiles', entries: profileEntries(setting, 's') },
  ]);
  assert.equal(p.memory.sram?.bytes, 512 * KiB, 'shorthand applied');
  assert.equal(
    p.sources['memory.sram.bytes'],
    'user profile setting edgeModelProfiler.profiles',
    'cited to the setting',
  );
});

test('overrides: per-second figures, removed fields, union replacement, inconsistent rates', () => {
  const [mac] = loadUserProfiles(
    '{"id": "m", "extends": "cortex-m7", "clockMHz": 216, "compute": {"int8": {"macsPerSec": 1e9}}}',
    'p.json',
  );
  assert.equal(mac.compute.int8?.macsPerSec, 1e9, 'stated MAC/s kept despite the clock change');
  assert.equal(mac.compute.int8?.macsPerCycle, undefined, 'the inherited per-cycle figure is dropped');
  assert.equal(mac.sources['compute.int8.macsPerCycle'], undefined, 'and so is its citation');
  assert.equal(mac.compute.int16?.macsPerSec, 2 * 216e6, 'other types still follow the clock');

  const [noFlashBw] = loadUserProfiles(
    '{"id": "n", "extends": "cortex-m7", "memory": {"flash": {"bytesPerCycle": null, "bandwidthBytesPerSec": 1e8}}}',
    'p.json',
  );
  assert.equal(noFlashBw.memory.flash?.bandwidthBytesPerSec, 1e8, 'own bandwidth');
  assert.equal(noFlashBw.memory.flash?.bytesPerCycle, undefined, 'null removed the per-cycle figure');

  const [cpuOnly] = loadUserProfiles(
    '{"id": "c", "extends": "coral-edgetpu", "operators": {"fallback": {"target": "none", "description": "no host fallback"}}}',
    'p.json',
  );
  assert.deepEqual(cpuOnly.operators.fallback, { target: 'none', description: 'no host fallback' }, 'variant replaced');
  assert.equal(cpuOnly.sources.operators, 'user profile p.json', 'section cited to the user');

  const bad = profileError(() =>
    loadUserProfiles(
      '{"id": "b", "extends": "cortex-m7", "compute": {"int8": {"macsPerSec": 1e9, "macsPerCycle": 4}}}',
      'p.json',
    ),
  );
  assert.match(
    bad.message,
    /b\.compute\.int8\.macsPerSec: expected 4 MACs\/cycle × 480 MHz = 1920000000, got 1000000000/,
    bad.message,
  );

  const noDram = profileError(() => loadUserProfiles('{"id": "d", "extends": "cortex-m7", "dramMB": 64}', 'p.json'));
  assert.match(noDram.message, /d\.dramMB: the profile has no dram memory level to size/, noDram.message);

  const both = profileError(() =>
    loadUserProfiles(
      '{"id": "e", "extends": "cortex-m7", "sramKB": 64, "memory": {"sram": {"bytes": 1024}}}',
      'p.json',
    ),
  );
  assert.match(both.message, /e\.sramKB: sets memory\.sram\.bytes, which this profile also sets/, both.message);

  const fallback = profileError(() =>
    loadUserProfiles(
      '{"id": "f", "extends": "ethos-u55-128", "operators": {"fallback": {"profileId": "cortex-m5"}}}',
      'p.json',
    ),
  );
  assert.match(fallback.message, /f\.operators\.fallback\.profileId: unknown profile 'cortex-m5'/, fallback.message);

  const placement = profileError(() =>
    loadUserProfiles('{"id": "g", "extends": "cortex-m7", "placement": {"weights": "dram"}}', 'p.json'),
  );
  assert.match(
    placement.message,
    /g\.placement\.weights: 'dram' is not a memory level of this profile/,
    placement.message,
  );
});

test('every problem in a file is reported at once', () => {
  const e = profileError(() =>
    loadUserProfiles(
      '[{"id": "a", "extends": "cortex-m7", "clockMhz": 1}, {"id": "b", "extends": "nope"}, {"id": "c", "extends": "a"}]',
      'p.json',
    ),
  );
  assert.equal(e.problems.length, 3, e.message);
  assert.match(e.message, /c\.extends: base profile 'a' has errors/, e.message);
});

test('the TFLM reference-kernel variant of cortex-m4 is a cited user profile, CMSIS-NN’s published speed-up slower', () => {
  const builtins = builtinProfiles();
  const m4 = builtins.find((p) => p.id === 'cortex-m4') as HardwareProfile;
  const [ref] = loadUserProfiles(JSON.stringify(stackVariants(m4)), 'stackVariants.ts', builtins);
  assert.equal(ref.id, 'cortex-m4-tflm-ref');
  assert.match(ref.runtime.name, /reference kernels/);
  assert.equal(ref.clockMHz, m4.clockMHz, 'same silicon');
  for (const c of Object.keys(m4.efficiency) as (keyof HardwareProfile['efficiency'])[]) {
    const ratio = m4.efficiency[c] / ref.efficiency[c];
    assert.ok(Math.abs(ratio - CMSIS_NN_SPEEDUP) / CMSIS_NN_SPEEDUP < 0.01, `${c}: ${ratio}`);
    assert.match(ref.sources[`efficiency.${c}`] ?? '', /arXiv:1801\.06601/, `efficiency.${c} cites the CMSIS-NN paper`);
  }
  assert.deepEqual(uncitedPaths(ref), [], 'every number cited');
  assert.deepEqual(validateProfile(ref), [], 'valid');
});
