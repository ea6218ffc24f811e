/**
 * The profiling panel's view model in plain Node: the layer table built from a real graph model and a real
 * estimate (the VWW sample on an Ethos-U55 and the hostile-names model), its sorting and filtering, and the XML
 * escaping the SVG export relies on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeXml } from '../../webview/graph/exportImage.js';
import { applyEstimate, buildLayerTable, orderRows, topRows } from '../../webview/profile/layerRows.js';
import { readProfileState } from '../../webview/profile/profileState.js';
import { HOSTILE_NODE, hostScript } from './models.js';

async function vww() {
  const script = await hostScript('vww');
  const graph = script.messages.find((m) => m.type === 'graph');
  const est = script.messages.find((m) => m.type === 'estimate');
  assert.ok(graph?.type === 'graph' && est?.type === 'estimate', 'the VWW case has a graph and an estimate');
  return { graph: graph.graph, estimate: est.estimate, script };
}

describe('the layer table', () => {
  it('has a row per op node, with the cost columns and the estimate', async () => {
    const { graph, estimate } = await vww();
    const t = buildLayerTable(graph, estimate);
    const ops = graph.graphs[0].nodes.map((n, i) => [n, i] as const).filter(([n]) => n.kind === 'op');
    assert.equal(t.node.length, ops.length);
    const macs = graph.metrics.findIndex((m) => m.key === 'macs');
    for (let r = 0; r < ops.length; r++) {
      const [n, i] = ops[r];
      assert.equal(t.node[r], i);
      assert.equal(t.rowOf[i], r);
      assert.equal(t.name[r], n.name);
      const m = n.metrics[macs];
      assert.ok(m === null ? Number.isNaN(t.macs[r]) : t.macs[r] === m, `MACs of ${n.name}`);
    }
    for (const l of estimate.layers) {
      const r = t.rowOf[l.node];
      assert.ok(r >= 0, `layer ${l.node} has a row`);
      assert.ok(l.latencyMs === null ? Number.isNaN(t.latencyMs[r]) : t.latencyMs[r] === l.latencyMs);
      assert.equal(t.runsOn[r], l.runsOn);
      assert.equal(t.bound[r], l.fusedInto !== undefined ? 'fused' : (l.bound ?? ''));
    }
  });

  it('sorts by any column with unknowns last, and filters by every word', async () => {
    const { graph, estimate } = await vww();
    const t = buildLayerTable(graph);
    assert.ok(t.latencyMs.every(Number.isNaN), 'no latency before an estimate');
    applyEstimate(t, estimate);
    const desc = orderRows(t, { key: 'latencyMs', dir: -1 }, '');
    assert.equal(desc.length, t.node.length);
    for (let k = 1; k < desc.length; k++) {
      const a = t.latencyMs[desc[k - 1]];
      const b = t.latencyMs[desc[k]];
      assert.ok(Number.isNaN(b) || a >= b, `descending at ${k}`);
    }
    assert.equal(t.node[desc[0]], t.node[topRows(t.latencyMs, 1)[0]], 'the top row is the slowest layer');
    const byName = orderRows(t, { key: 'name', dir: 1 }, '');
    const names = [...byName].map((r) => t.name[r]);
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
    );
    const filtered = orderRows(t, null, 'RELU  model/');
    assert.ok(filtered.length > 0 && filtered.length < t.node.length, 'the filter keeps some rows');
    for (const r of filtered) assert.ok(t.search[r].includes('relu') && t.search[r].includes('model/'));
    assert.deepEqual([...orderRows(t, null, 'no such layer')], []);
  });
});

describe("the profiling panel's saved state", () => {
  it('reads back what was saved and replaces anything else by the defaults', () => {
    const saved = { open: false, height: 60, tab: 'charts', sort: { key: 'latencyMs', dir: -1 }, filter: 'conv' };
    assert.deepEqual(readProfileState(JSON.parse(JSON.stringify(saved))), saved);
    const defaults = { open: true, height: 42, tab: 'layers', sort: null, filter: '' };
    assert.deepEqual(readProfileState(undefined), defaults);
    assert.deepEqual(readProfileState('junk'), defaults);
    assert.deepEqual(
      readProfileState({ open: 'no', height: 500, tab: '<script>', sort: { key: 'constructor', dir: 1 }, filter: 3 }),
      defaults,
    );
    assert.deepEqual(readProfileState({ sort: { key: 'macs', dir: 2 } }).sort, null, 'a direction is 1 or -1');
  });
});

describe('XML escaping for the SVG export', () => {
  it('turns markup into text and drops what XML cannot hold', () => {
    assert.equal(escapeXml(HOSTILE_NODE), '&lt;img src=x onerror=&quot;window.__pwned=(window.__pwned||0)+1&quot;&gt;');
    assert.equal(escapeXml(`a&b'c`), 'a&amp;b&apos;c');
    assert.equal(escapeXml('tab\tnl\nbell\u0007nul\u0000'), 'tab\tnl\nbellnul');
    assert.equal(escapeXml('pair 😀 lone \ud800 end \udc00'), 'pair 😀 lone  end ');
    assert.equal(escapeXml('\ufffe\uffffok'), 'ok');
  });

  it('escapes every hostile name of the hostile model', async () => {
    const script = await hostScript('hostile');
    const graph = script.messages.find((m) => m.type === 'graph');
    assert.ok(graph?.type === 'graph', 'a graph');
    for (const n of graph.graph.graphs[0].nodes) {
      const e = escapeXml(n.name);
      assert.ok(!/[<>"']/.test(e), `no markup left in ${e}`);
      assert.equal(
        e.replace(
          /&(lt|gt|quot|apos|amp);/g,
          (_, x: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[x] ?? '',
        ),
        n.name,
        'unescaping gives the name back',
      );
    }
  });
});
