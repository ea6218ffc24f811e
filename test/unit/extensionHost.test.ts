/**
 * The extension host's logic that does not need VS Code: settings, the analysis behind an open model (the object
 * the worker runs, on the sample model), the real worker bundle driven through AnalysisClient (transfer, replies,
 * cancel), the Problems panel entries and overlay columns of an estimate, "Show Layer" picks, graph images, and
 * the HTML report's escaping of model strings.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as esbuild from 'esbuild';
import { profileModel } from '../../src/core/analysis/cost.js';
import { decodeModel } from '../../src/core/onnx/reader.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import { htmlReport } from '../../src/core/report/htmlReport.js';
import { builtinProfile } from '../../src/core/targets/builtinProfiles.js';
import type { HardwareProfile } from '../../src/core/targets/profile.js';
import { convertToFloat16 } from '../../src/core/transforms/fp16.js';
import { AnalysisClient, CancelledError } from '../../src/extension/analysisClient.js';
import {
  BOUND_METRIC,
  estimateColumns,
  fixAction,
  layerPicks,
  problemItems,
  statusText,
} from '../../src/extension/diagnosticsView.js';
import { imageBytes } from '../../src/extension/imageData.js';
import { ModelAnalysis, WEIGHTS_NOT_LOADED } from '../../src/extension/modelAnalysis.js';
import { parseShapeText, readSettings, shapesForModel } from '../../src/extension/settings.js';
import { HOSTILE_NODE, HOSTILE_OP, hostileModel } from '../browser/models.js';

const root = join(import.meta.dirname, '..', '..');
const SAMPLE = 'vww_96_float.onnx';
const sampleBytes = () => new Uint8Array(readFileSync(join(root, 'samples', SAMPLE)));
const profile = (id: string): HardwareProfile => {
  const p = builtinProfile(id);
  assert.ok(p, `no built-in profile ${id}`);
  return p;
};
const noShapes = { inputShapes: {}, dims: {} };

describe('settings', () => {
  test('shapes in the forms people write them', () => {
    assert.deepEqual(parseShapeText('1x3x224x224'), [1, 3, 224, 224]);
    assert.deepEqual(parseShapeText('[1, 3, 96, 96]'), [1, 3, 96, 96]);
    assert.deepEqual(parseShapeText('batch x 3 x ?'), ['batch', 3, null]);
    assert.deepEqual(parseShapeText(''), []);
    assert.throws(() => parseShapeText('1x-3'), /dimension 2 \('-3'\)/);
    assert.throws(() => parseShapeText('1xx3'), /dimension 2 is empty/);
  });

  test('good entries apply, each bad one is named and left out', () => {
    const s = readSettings({
      defaultTarget: 'cortex-m4',
      profilesFile: ' profiles.json ',
      inputShapes: { input_1: '1x3x64x64', other: '1 by 3', arr: [1, 2] },
      dims: { batch: 2, seq: '128', bad: -1 },
      sizeThresholdMB: 'big',
    });
    assert.equal(s.defaultTarget, 'cortex-m4');
    assert.equal(s.profilesFile, 'profiles.json');
    assert.deepEqual(s.inputShapes, { input_1: [1, 3, 64, 64], arr: [1, 2] });
    assert.deepEqual(s.dims, { batch: 2, seq: 128 });
    assert.equal(s.sizeThresholdBytes, 256 * 1024 * 1024);
    assert.equal(s.problems.length, 3, s.problems.join('\n'));
    assert.match(s.problems.join('\n'), /edgeProfiler\.inputShapes\.other: .*'1 by 3'/);
    assert.match(s.problems.join('\n'), /edgeProfiler\.dims\.bad: expected a non-negative integer, got -1/);
    assert.match(s.problems.join('\n'), /edgeProfiler\.sizeThresholdMB: .*'big'/);
    assert.deepEqual(readSettings({}).problems, []);
    assert.equal(readSettings({ sizeThresholdMB: 0.5 }).sizeThresholdBytes, 524288);
  });

  test('overrides for inputs a model lacks are set apart', () => {
    const r = shapesForModel({ a: [1], b: [2] }, ['a']);
    assert.deepEqual(r, { shapes: { a: [1] }, unused: ['b'] });
  });
});

describe('the analysis of an open model', () => {
  test('summary, graph, estimate on a target, and its Problems entries', () => {
    const a = ModelAnalysis.load(sampleBytes(), SAMPLE, true);
    assert.equal(a.summary.file, SAMPLE);
    assert.equal(a.summary.opCounts.Conv, 27);
    const { graph } = a.analyze(noShapes);
    assert.equal(graph.graphs[0].nodes.filter((n) => n.kind === 'op').length, a.summary.nodeCount);

    const m4 = a.estimateFor(profile('cortex-m4'));
    const m7 = a.estimateFor(profile('cortex-m7'));
    assert.equal(m4.target.id, 'cortex-m4');
    assert.ok(
      m4.totals.latencyMs !== null && m7.totals.latencyMs !== null && m4.totals.latencyMs > m7.totals.latencyMs,
      `a 120 MHz M4 is slower than a 480 MHz M7: ${m4.totals.latencyMs} vs ${m7.totals.latencyMs}`,
    );
    assert.match(statusText('cortex-m4', m4), /^\$\(chip\) cortex-m4 · [\d.]+ ms$/);
    // Just after a switch the shown estimate is still the old target's: the item says it is estimating instead.
    assert.match(statusText('cortex-m4', m7), /cortex-m4 · .*estimating/);

    // On an int8-only NPU the float model has warnings naming the layer involved; fixes map to commands.
    const npu = a.estimateFor(profile('ethos-u55-128'));
    const items = problemItems(npu, graph);
    assert.ok(items.length >= 2, `diagnostics on ethos-u55-128: ${items.map((i) => i.message).join('\n')}`);
    const transpose = items.find((i) => i.code === 'unsupported-op');
    assert.ok(transpose, 'an unsupported-op diagnostic for Transpose');
    assert.match(transpose.message, /Transpose not supported on ethos-u55-128/);
    assert.equal(graph.graphs[0].nodes[transpose.nodes[0]].opType, 'Transpose');
    assert.ok(transpose.layer && transpose.message.includes(transpose.layer), transpose.message);
    const float = items.find((i) => i.fixes.includes('quantize-int8'));
    assert.ok(float, 'a diagnostic offering int8 quantization');
    assert.deepEqual(fixAction('quantize-int8').run, { command: 'quantizeInt8' });

    // Overlay columns: one value per node of graph 0; seconds, and indices into the bound categories.
    const cols = estimateColumns(graph, m4);
    assert.equal(cols.latency.length, graph.graphs[0].nodes.length);
    const conv = m4.layers.find((l) => l.latencyMs !== null && l.latencyMs > 0);
    assert.ok(conv, 'a layer with a latency');
    assert.equal(cols.latency[conv.node], (conv.latencyMs ?? 0) / 1000);
    assert.equal(BOUND_METRIC.kind === 'category' && BOUND_METRIC.categories[cols.bound[conv.node] ?? -1], conv.bound);
    assert.equal(cols.latency[0], null, 'the graph input has no latency');

    // Show Layer: slowest first, with its latency.
    const picks = layerPicks(graph, m4);
    assert.equal(picks.length, a.summary.nodeCount);
    const slowest = Math.max(...m4.layers.map((l) => l.latencyMs ?? 0));
    assert.equal(m4.layers.find((l) => l.node === picks[0].node)?.latencyMs, slowest);
    assert.match(picks[0].detail ?? '', /ms \(\d+\.\d%\), (compute|memory|overhead)-bound/);
  });

  test('weight statistics of a real initializer, and every report format', async () => {
    const a = ModelAnalysis.load(sampleBytes(), SAMPLE, true);
    const { graph } = a.analyze(noShapes);
    const tensors = graph.graphs[0].tensors;
    const w = tensors.findIndex((t) => t.kind === 'initializer' && (t.shape?.length ?? 0) === 4);
    assert.ok(w >= 0, 'a 4-D weight');
    const s = await a.weightStats(0, w);
    const n = (tensors[w].shape as number[]).reduce((x, y) => x * y, 1);
    assert.equal(s.count, n);
    assert.ok(s.min < s.max && s.std > 0, `stats ${JSON.stringify(s)}`);
    assert.equal(
      s.histogram.counts.reduce((x, y) => x + y, 0),
      n,
    );
    const act = tensors.findIndex((t) => t.kind === 'activation');
    await assert.rejects(a.weightStats(0, act), /is not a stored weight/);

    a.estimateFor(profile('cortex-m4'));
    assert.match(a.report('md'), /target: cortex-m4/);
    assert.match(a.report('csv').split('\n')[0], /latency_ms/);
    assert.equal((JSON.parse(a.report('json')) as { target: { id: string } }).target.id, 'cortex-m4');
    const html = a.report('html');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<svg[^>]+aria-label="The 15 layers taking the most time on cortex-m4/);
    assert.match(html, /<path class="live" d="M/);
    assert.doesNotMatch(html, /<script|src=|href=/i, 'self-contained: nothing loaded, nothing run');
  });

  test('graph only (weights not loaded): same costs and estimate, statistics refused, summary says so', async () => {
    const full = ModelAnalysis.load(sampleBytes(), SAMPLE, true);
    const part = ModelAnalysis.load(sampleBytes(), SAMPLE, false);
    const problem = part.summary.problems.find((p) => p.code === WEIGHTS_NOT_LOADED);
    assert.ok(problem, 'the summary names the partial view');
    assert.match(problem.message, /partial view: the weights of this model were not loaded \(\d+ tensors/);
    assert.equal(
      full.summary.problems.find((p) => p.code === WEIGHTS_NOT_LOADED),
      undefined,
    );
    assert.deepEqual(part.summary.initializers, full.summary.initializers);
    const g1 = full.analyze(noShapes).graph;
    const g2 = part.analyze(noShapes).graph;
    assert.deepEqual(g2.totals, g1.totals);
    const e1 = full.estimateFor(profile('cortex-m4'));
    const e2 = part.estimateFor(profile('cortex-m4'));
    assert.deepEqual(e2.totals, e1.totals);
    // The biggest weight lost its bytes; a small one (constant folding may read it) kept them.
    const size = (t: (typeof g2.graphs)[0]['tensors'][0]) => (t.shape as number[]).reduce((x, y) => x * y, 1);
    const inits = g2.graphs[0].tensors.map((t, i) => ({ t, i })).filter(({ t }) => t.kind === 'initializer');
    const big = inits.reduce((a, b) => (size(b.t) > size(a.t) ? b : a));
    assert.ok(size(big.t) > 4096, `largest weight ${size(big.t)}`);
    await assert.rejects(part.weightStats(0, big.i), /weights of this model were not loaded/);
    const small = inits.find(({ t }) => size(t) <= 16);
    if (small) assert.equal((await part.weightStats(0, small.i)).count, size(small.t));
    assert.match(part.report('html'), /Partial view: weights not loaded/);
  });

  test('a RAM overflow is an error listed first, with its fixes, and the status bar says so', () => {
    const a = ModelAnalysis.load(sampleBytes(), SAMPLE, true);
    const { graph } = a.analyze({ inputShapes: { input_1: [1, 3, 192, 192] }, dims: {} });
    const view = a.estimateFor(profile('cortex-m4'));
    assert.equal(view.totals.fits.ram, false);
    const items = problemItems(view, graph);
    assert.equal(items[0].severity, 'error');
    assert.equal(items[0].code, 'ram-exceeded');
    assert.match(items[0].message, /model needs [\d,]+ KB RAM .*cortex-m4 has 640 KB/);
    assert.deepEqual(
      items[0].fixes.map((f) => fixAction(f).title),
      ['Quantize to INT8…', 'Set Input Shapes…', 'Prune…'],
    );
    assert.match(statusText('cortex-m4', view), /· \$\(warning\) RAM exceeded$/);
  });

  test('input shape overrides change the costs; unknown inputs are noted', () => {
    const a = ModelAnalysis.load(sampleBytes(), SAMPLE, true);
    const base = a.analyze(noShapes);
    const bigger = a.analyze({ inputShapes: { input_1: [1, 3, 192, 192], nope: [1] }, dims: {} });
    const macs = (g: typeof base.graph) => g.totals[0] ?? 0;
    assert.ok(macs(bigger.graph) > 3.5 * macs(base.graph), `${macs(bigger.graph)} vs ${macs(base.graph)}`);
    assert.match(bigger.notes.join('\n'), /this model has no input 'nope' \(inputs: input_1\)/);
  });

  test('a file that is not a model fails naming the file', () => {
    assert.throws(() => ModelAnalysis.load(new Uint8Array([1, 2, 3, 4, 5]), 'junk.onnx', true), /junk\.onnx/);
  });
});

describe('the analysis worker (dist bundle built here)', () => {
  let dir = '';
  let workerPath = '';
  const files = {
    size: async () => 0,
    read: async () => new Uint8Array(0),
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'emp-worker-'));
    workerPath = join(dir, 'analysisWorker.js');
    await esbuild.build({
      entryPoints: [join(root, 'src/extension/analysisWorker.ts')],
      outfile: workerPath,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'warning',
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('load (bytes transferred), analyze, estimate, report; progress arrives', async () => {
    const client = new AnalysisClient(workerPath, files);
    try {
      const bytes = sampleBytes();
      const stages: string[] = [];
      const loaded = await client.request(
        'load',
        { bytes, fileName: SAMPLE, loadWeights: true },
        { transfer: [bytes.buffer as ArrayBuffer], progress: (s) => stages.push(s) },
      );
      assert.equal(bytes.byteLength, 0, 'the file bytes moved to the worker, not copied');
      assert.equal(loaded.summary.opCounts.Conv, 27);
      assert.deepEqual(stages, ['Decoding the model']);
      const { graph } = await client.request('analyze', { options: noShapes });
      assert.ok(graph.nodeCount > 50, `nodes ${graph.nodeCount}`);
      const { estimate } = await client.request('estimate', { profile: profile('cortex-m7'), profiles: [] });
      assert.equal(estimate.target.id, 'cortex-m7');
      const { text } = await client.request('report', { format: 'md' });
      assert.match(text, /target: cortex-m7/);
      await assert.rejects(client.request('weightStats', { graph: 0, tensor: 99_999 }), /no tensor #99999/);
    } finally {
      client.dispose();
    }
  });

  test('compare: two files diffed, estimated and drawn in the worker; graphs only; a bad file named', async () => {
    const client = new AnalysisClient(workerPath, files);
    try {
      const a = sampleBytes();
      const fp16 = await convertToFloat16(decodeModel(sampleBytes()), { keepIoTypes: true });
      const b = encodeModel(fp16.model);
      const stages: string[] = [];
      const r = await client.request(
        'compare',
        { a: { bytes: a, fileName: SAMPLE }, b: { bytes: b, fileName: 'vww.fp16.onnx' }, target: profile('cortex-m7') },
        { transfer: [a.buffer as ArrayBuffer], progress: (s) => stages.push(s) },
      );
      assert.equal(a.byteLength, 0, 'the bytes moved to the worker');
      assert.ok('data' in r, 'the whole comparison');
      const { data, offsets } = r;
      assert.equal(data.a.label, SAMPLE);
      assert.equal(data.b.label, 'vww.fp16.onnx');
      assert.equal(data.comparison.summary.byName > 0, true, 'layers matched by name');
      assert.equal(data.estimate?.target, 'cortex-m7');
      assert.ok(
        (data.estimate?.b.flashBytes ?? 0) < (data.estimate?.a.flashBytes ?? 0),
        'fp16 weights need less flash',
      );
      assert.ok(data.graphs && 'model' in data.graphs.a && 'model' in data.graphs.b, 'both graphs built');
      assert.deepEqual(offsets, { a: 1, b: 1 }, 'one graph input before the op nodes');
      assert.ok(stages.includes('Comparing the layers') && stages.includes('Building both graphs'), stages.join(', '));

      const only = await client.request('compare', {
        a: { bytes: sampleBytes(), fileName: SAMPLE },
        b: { bytes: new Uint8Array([1, 2, 3]), fileName: 'truncated.onnx' },
        graphsOnly: true,
      });
      assert.ok('graphs' in only && 'model' in only.graphs.a, 'graph A built');
      assert.ok('graphs' in only && 'omitted' in only.graphs.b, 'graph B left out');
      assert.match('graphs' in only && 'omitted' in only.graphs.b ? only.graphs.b.omitted : '', /truncated\.onnx/);

      await assert.rejects(
        client.request('compare', {
          a: { bytes: sampleBytes(), fileName: SAMPLE },
          b: { bytes: new Uint8Array(64).fill(0xff), fileName: 'broken.onnx' },
        }),
        /broken\.onnx/,
      );
      assert.equal(client.alive, true, 'a bad file does not kill the worker');
    } finally {
      client.dispose();
    }
  });

  test('cancel ends the worker: the running request and later ones fail as cancelled', async () => {
    const client = new AnalysisClient(workerPath, files);
    const bytes = sampleBytes();
    const loading = client.request('load', { bytes, fileName: SAMPLE, loadWeights: true });
    client.cancel('vww: cancelled');
    await assert.rejects(loading, (e: Error) => e instanceof CancelledError && /cancelled/.test(e.message));
    assert.equal(client.alive, false);
    await assert.rejects(client.request('analyze', { options: noShapes }), CancelledError);
  });

  test('a broken file: the error comes back as a message naming it', async () => {
    const client = new AnalysisClient(workerPath, files);
    try {
      await assert.rejects(
        client.request('load', { bytes: new Uint8Array(64).fill(0xff), fileName: 'broken.onnx', loadWeights: true }),
        /broken\.onnx/,
      );
      assert.equal(client.alive, true, 'a bad file does not kill the worker');
    } finally {
      client.dispose();
    }
  });
});

describe('exports', () => {
  test('graph images: SVG text and PNG data URLs, anything else refused', () => {
    assert.equal(new TextDecoder().decode(imageBytes('svg', '<svg xmlns="x"></svg>')), '<svg xmlns="x"></svg>');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]);
    assert.deepEqual([...imageBytes('png', `data:image/png;base64,${png.toString('base64')}`)], [...png]);
    assert.throws(() => imageBytes('svg', '<html><script>'), /not SVG/);
    assert.throws(() => imageBytes('png', 'data:text/html;base64,AAAA'), /not a PNG data URL/);
    assert.throws(
      () => imageBytes('png', `data:image/png;base64,${Buffer.from('GIF89a..').toString('base64')}`),
      /not a PNG/,
    );
  });

  test('the HTML report shows hostile model strings as text, never as markup', () => {
    const a = ModelAnalysis.load(encodeModel(hostileModel()), '<img src=x onerror=alert(1)>.onnx', true);
    a.analyze(noShapes);
    a.estimateFor(profile('cortex-m7'));
    const html = a.report('html');
    for (const tag of ['<img', '<script', '<svg onload', '<iframe', '<style>*', '<b onmouseover', '<u>', '<i>']) {
      assert.ok(!html.includes(tag), `raw ${tag} in the report`);
    }
    assert.ok(html.includes('&#60;img src=x onerror=&#34;'), 'the node name is shown, escaped');
    assert.ok(html.includes('&#60;img src=x onerror=alert(1)&#62;.onnx'), 'the file name is shown, escaped');
    // Only the report's own elements: style, svg charts, tables.
    const tags = new Set([...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase()));
    const allowed =
      'html head meta title style body h1 h2 div p figure svg text rect title path line figcaption table thead tbody tr th td ul li'.split(
        ' ',
      );
    assert.deepEqual(
      [...tags].filter((t) => !allowed.includes(t)),
      [],
    );
    assert.ok(HOSTILE_NODE.includes('<img') && HOSTILE_OP.includes('<script'), 'the fixture is hostile');
    // Without an estimate: the cost report, with the same escaping.
    const cost = htmlReport({ file: '"><script>x</script>', profile: profileModel(hostileModel()) });
    assert.ok(!cost.includes('<script>x') && cost.includes('&#34;&#62;&#60;script&#62;x'), 'file name escaped');
    assert.ok(!cost.includes('<img'), 'node names escaped in the cost report');
  });
});
