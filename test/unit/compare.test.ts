import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCompare } from '../../src/cli/transformCommands.js';
import { encodeModel, type Model } from '../../src/core/onnx/index.js';
import { mobileNetLike } from '../../src/core/onnx/syntheticModels.js';
import { compareModels, formatComparisonText } from '../../src/core/transforms/compare.js';
import { pruneModel } from '../../src/core/transforms/prune.js';

const dir = mkdtempSync(join(tmpdir(), 'emp-compare-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every node and every intermediate value gets a new name; inputs, outputs and initializers keep theirs. */
function renamed(m: Model): Model {
  const keep = new Set([
    ...m.graph.inputs.map((v) => v.name),
    ...m.graph.outputs.map((v) => v.name),
    ...m.graph.initializers.map((t) => t.name),
  ]);
  const map = new Map<string, string>();
  const rename = (v: string) => {
    if (!v || keep.has(v)) return v;
    if (!map.has(v)) map.set(v, `value_${map.size}`);
    return map.get(v) as string;
  };
  const nodes = m.graph.nodes.map((n, i) => ({
    ...n,
    name: `layer_${i}`,
    inputs: n.inputs.map(rename),
    outputs: n.outputs.map(rename),
  }));
  const valueInfo = m.graph.valueInfo.map((v) => ({ ...v, name: rename(v.name) }));
  return { ...m, graph: { ...m.graph, nodes, valueInfo } };
}

test('renamed layers are matched by structure, and an identical model shows no change', () => {
  const m = mobileNetLike();
  const c = compareModels(m, renamed(m));
  assert.equal(c.summary.byName, 0, 'no names in common');
  assert.equal(c.summary.byStructure, m.graph.nodes.length, 'every layer matched by structure');
  assert.equal(c.summary.same, m.graph.nodes.length, 'all unchanged');
  const stem = c.layers.find((l) => l.a?.name === 'stem.conv');
  assert.equal(stem?.b?.name, 'layer_0', 'stem.conv ↔ layer_0');
  const fc = c.layers.find((l) => l.a?.name === 'fc');
  assert.equal(
    fc?.b?.name,
    `layer_${m.graph.nodes.findIndex((n) => n.name === 'fc')}`,
    'fc matched to its renamed self',
  );
  for (const row of c.totals) assert.equal(row.delta, 0, `${row.metric} unchanged`);
});

test('a pruned and renamed model: layers matched structurally, changes per layer, totals side by side', async () => {
  const m = mobileNetLike();
  const pruned = (await pruneModel(m, { sparsity: 0.5, structured: true })).model;
  const c = compareModels(m, renamed(pruned));
  assert.equal(c.summary.byStructure, m.graph.nodes.length, 'all matched by structure');
  assert.equal(c.summary.added + c.summary.removed, 0, 'nothing added or removed');
  const stem = c.layers.find((l) => l.a?.name === 'stem.conv');
  assert.equal(stem?.status, 'changed', 'stem changed');
  assert.equal(stem?.b?.name, 'layer_0', 'matched to layer_0');
  assert.ok(stem?.changes.includes('MACs 55,296 → 27,648'), `MACs change listed: ${stem?.changes.join('; ')}`);
  assert.ok(
    stem?.changes.some((x) => x.includes('[1, 8, 16, 16] → [1, 4, 16, 16]')),
    'output shape change listed',
  );
  const macs = c.totals.find((r) => r.metric === 'MACs');
  assert.deepEqual([macs?.a, macs?.b], [128672, 54096], 'MAC totals side by side');
  const text = formatComparisonText(c);
  assert.ok(text.includes('matched by name') && text.includes('by structure'), 'text summary');
  assert.ok(/stem\.conv\s+layer_0/.test(text), 'text lists both names');
});

test('an inserted node is reported as added and a removed one as removed', () => {
  const m = mobileNetLike();
  const b = structuredClone(m);
  // Insert an Identity between stem.relu and its consumers; drop nothing.
  const relu = b.graph.nodes.findIndex((n) => n.name === 'stem.relu');
  const out = b.graph.nodes[relu].outputs[0];
  for (const n of b.graph.nodes) n.inputs = n.inputs.map((x) => (x === out ? 'stem.relu.copy' : x));
  b.graph.nodes.splice(relu + 1, 0, {
    name: 'inserted',
    opType: 'Identity',
    domain: '',
    inputs: [out],
    outputs: ['stem.relu.copy'],
    attributes: [],
  });
  const c = compareModels(m, b);
  assert.equal(c.summary.added, 1, 'one added');
  assert.equal(c.layers.find((l) => l.status === 'added')?.b?.name, 'inserted', 'the Identity');
  const reverse = compareModels(b, m);
  assert.equal(reverse.summary.removed, 1, 'one removed the other way round');
  assert.deepEqual(c.opCounts, [{ opType: 'Identity', a: 0, b: 1 }], 'op counts that differ');
});

test('compare CLI: text and JSON, exit codes', async () => {
  const a = join(dir, 'a.onnx');
  const b = join(dir, 'b.onnx');
  writeFileSync(a, encodeModel(mobileNetLike()));
  writeFileSync(
    b,
    encodeModel(renamed((await pruneModel(mobileNetLike(), { sparsity: 0.5, structured: true })).model)),
  );
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
  assert.equal(await runCompare([a, b, '--format', 'json'], io), 0, 'exit 0');
  const json = JSON.parse(out.join(''));
  assert.equal(json.summary.byStructure, 27, 'structure matches in JSON');
  assert.ok(
    json.totals.some((r: { metric: string }) => r.metric === 'file bytes'),
    'file sizes included',
  );
  out.length = 0;
  assert.equal(await runCompare([a, b], io), 0, 'text exit 0');
  assert.ok(out.join('').includes('MACs'), 'text totals');
  assert.equal(await runCompare([a], io), 2, 'one model is a usage error');
  assert.equal(await runCompare([a, join(dir, 'missing.onnx')], io), 2, 'unreadable file');
  assert.ok(
    err.some((e) => e.includes('missing.onnx')),
    'the error names the file',
  );
  assert.equal(await runCompare([a, b, '--format', 'xml'], io), 2, 'bad format');
});
