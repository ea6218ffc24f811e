/**
 * The compare view (webview/compare/main.ts) in headless Chromium, served with its real page (compareHtml.ts,
 * CSP and nonce) and a stub of VS Code's side that answers `ready` with a comparison of two models whose names
 * carry HTML and script: everything shows as text, nothing runs, changed layers are highlighted, and choosing a
 * layer asks the host to reveal it in the right model.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { decodeModel } from '../../src/core/onnx/index.js';
import type { Model } from '../../src/core/onnx/ir.js';
import { compareModels } from '../../src/core/transforms/compare.js';
import { convertToFloat16 } from '../../src/core/transforms/fp16.js';
import { compareGraph } from '../../src/extension/compareGraph.js';
import { compareHtml } from '../../src/extension/compareHtml.js';
import type { CompareData } from '../../webview/compare/protocol.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness.js';
import { bert2k, chain50k, HOSTILE_NODE, hostileModel } from './models.js';

const root = join(import.meta.dirname, '..', '..');

/** The page globals these tests touch, declared here: the tests' tsconfig has no DOM library. */
declare const window: {
  __cmpSent: unknown[];
  __cmpViolations: string[];
  __pwned?: number;
  __cmp: {
    stats(side: 'a' | 'b'): PaneStats | undefined;
    fillOfLayer(side: 'a' | 'b', layer: number): string | null;
    fit(side: 'a' | 'b'): void;
    screenBoxOfLayer(side: 'a' | 'b', layer: number): { x: number; y: number; w: number; h: number } | undefined;
  };
};
interface PaneStats {
  opNodes: number;
  totalOpNodes: number;
  selected: number;
  offset: number;
  busy: boolean;
  timings?: { totalMs: number; layoutMs: number };
}
declare const document: {
  getElementById(id: string): { innerText: string } | null;
  querySelectorAll(selector: string): { length: number };
};

const STUB = `
window.__empTest = true;
window.__cmpSent = [];
window.__cmpViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cmpViolations.push(e.violatedDirective));
window.acquireVsCodeApi = () => ({
  postMessage(message) {
    window.__cmpSent.push(message);
    if (message.type === 'ready' && !window.__cmpAnswered) {
      window.__cmpAnswered = true;
      setTimeout(() => window.postMessage({ type: 'compare', data: window.__cmpData }, '*'), 0);
    }
  },
  getState() { return undefined; },
  setState() {},
});
`;

let server: Server;
let base = '';
let browser: Browser;
let data: CompareData;
/** Other comparisons, served at /view?case=<key>: the sample model and a 2.4k-node one, each against its fp16 copy. */
const cases: Record<string, CompareData> = {};

async function withFp16(name: string, a: Model): Promise<CompareData> {
  const b = (await convertToFloat16(a, { keepIoTypes: true })).model;
  const comparison = compareModels(a, b, { labels: { a: name, b: `${name} (fp16)` } });
  return {
    a: { label: comparison.a.label },
    b: { label: comparison.b.label },
    comparison,
    notes: [],
    graphs: { a: compareGraph(a), b: compareGraph(b) },
  };
}

describe('the compare view in headless Chromium', () => {
  before(async () => {
    assert.ok(existsSync(CHROMIUM_PATH), `no Chromium at ${CHROMIUM_PATH}`);
    const script = join(root, 'dist', 'compare.js');
    assert.ok(existsSync(script), 'dist/compare.js is missing: run `npm run build` first');
    const a = hostileModel();
    const b = (await convertToFloat16(a, { keepIoTypes: true })).model;
    const long = `${'scope/'.repeat(30)}${HOSTILE_NODE}`;
    const comparison = compareModels(a, b, { labels: { a: '<b>a</b>.onnx', b: `<img src=x onerror="x()">.onnx` } });
    // A long layer name, clipped in the table with the full name as its tooltip.
    const first = comparison.layers.find((l) => l.status === 'changed' && l.b);
    assert.ok(first?.b, 'a changed layer to rename');
    first.b.name = long;
    data = {
      a: { label: comparison.a.label },
      b: { label: comparison.b.label },
      comparison,
      validation: {
        ok: false,
        failures: [`output '${HOSTILE_NODE}': cosine similarity 0.5 is below the threshold 0.99`],
        rows: [{ label: 'SNR', value: '∞ dB' }],
        notes: [],
      },
      notes: [`fp16: warning: kept ${HOSTILE_NODE} in float32`],
      graphs: { a: compareGraph(a), b: compareGraph(b) },
    };
    cases.hostile = data;
    const vww = readFileSync(join(root, 'samples', 'vww_96_float.onnx'));
    cases.vww = await withFp16('vww_96_float.onnx', decodeModel(vww, { fileName: 'vww_96_float.onnx' }));
    cases.bert2k = await withFp16('bert2k.onnx', bert2k());
    // Model A over the node limit: its graph is a notice, model B's is drawn.
    const huge = compareGraph(chain50k());
    assert.ok('omitted' in huge, 'a 50k-node graph is left out');
    cases.huge = { ...data, graphs: { a: huge, b: compareGraph(b) } };
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const origin = `http://${req.headers.host}`;
      const send = (type: string, body: string | Buffer) => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (url.pathname === '/view') {
        const nonce = randomBytes(16).toString('base64');
        const html = compareHtml({
          cspSource: origin,
          nonce,
          scriptUri: `${origin}/dist/compare.js`,
          styleUri: `${origin}/media/compare.css`,
        }).replace(
          `<script nonce="${nonce}" src="${origin}/dist/compare.js">`,
          `<script nonce="${nonce}" src="${origin}/stub.js"></script>\n<script nonce="${nonce}" src="${origin}/data.js?case=${encodeURIComponent(url.searchParams.get('case') ?? 'hostile')}"></script>\n<script nonce="${nonce}" src="${origin}/dist/compare.js">`,
        );
        return send('text/html; charset=utf-8', html);
      }
      if (url.pathname === '/stub.js') return send('text/javascript', STUB);
      // A string literal parsed by JSON.parse: no model string is ever code.
      if (url.pathname === '/data.js') {
        const d = cases[url.searchParams.get('case') ?? 'hostile'];
        if (!d) return res.writeHead(404).end();
        return send('text/javascript', `window.__cmpData = JSON.parse(${JSON.stringify(JSON.stringify(d))});`);
      }
      if (url.pathname === '/dist/compare.js') return send('text/javascript', readFileSync(script));
      if (url.pathname === '/media/compare.css')
        return send('text/css', readFileSync(join(root, 'media', 'compare.css')));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  it('shows model strings as text, runs none of them, highlights changed layers and reveals the chosen one', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/view`);
    await page.locator('table.diff').waitFor({ timeout: 10_000 });
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is asserted
    const text = await page.evaluate(() => document.getElementById('app')?.innerText ?? '');
    assert.ok(text.includes('<b>a</b>.onnx'), 'file names are text');
    assert.ok(text.includes(`output '${HOSTILE_NODE}'`), 'the failure is text');
    assert.ok(text.includes(HOSTILE_NODE), 'node names are text');
    assert.match(text, /Validation in ONNX Runtime: FAILED/);
    const injected = await page.evaluate(
      () =>
        document.querySelectorAll('#app img, #app svg, #app iframe, #app b, #app u, #app i, #app style, #app script')
          .length,
    );
    assert.equal(injected, 0, 'no element was made from a model string');

    const s = data.comparison.summary;
    const rows = await page.locator('table.diff tbody tr').count();
    assert.equal(rows, s.changed + s.added + s.removed, 'unchanged layers are hidden by default');
    assert.equal(await page.locator('table.diff tr.status-changed').count(), s.changed, 'changed layers highlighted');
    await page.getByText('Show unchanged layers too').click();
    assert.equal(await page.locator('table.diff tbody tr').count(), data.comparison.layers.length, 'all layers');

    const renamed = data.comparison.layers.find((l) => l.b?.name.startsWith('scope/'));
    const link = page.locator('table.diff button.link', { hasText: /^scope\/scope/ }).first();
    assert.equal(await link.getAttribute('title'), renamed?.b?.name, 'the full name is the tooltip');
    assert.ok(((await link.textContent()) ?? '').length <= 64, 'the long name is clipped');
    await link.click();
    const sent = await page.evaluate(() => window.__cmpSent);
    assert.deepEqual(sent.at(-1), { type: 'reveal', side: 'b', node: renamed?.b?.index }, 'reveal in model B');

    const removedOrA = data.comparison.layers.find((l) => l.a && l.status !== 'same');
    assert.ok(removedOrA?.a);
    await page
      .locator('table.diff tbody tr')
      .nth(data.comparison.layers.indexOf(removedOrA))
      .locator('td')
      .nth(1)
      .locator('button')
      .click();
    assert.deepEqual((await page.evaluate(() => window.__cmpSent)).at(-1), {
      type: 'reveal',
      side: 'a',
      node: removedOrA.a.index,
    });

    await page.mouse.move(10, 10);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no payload ran');
    assert.deepEqual(await page.evaluate(() => window.__cmpViolations), [], 'nothing even tried to run');
    assert.deepEqual(errors, []);
    await page.close();
  });
  it('draws both graphs, highlights changed layers and selects a layer in both from a row or a node', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/view`);
    await page.locator('canvas.graph-canvas[data-rendered]').nth(1).waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('canvas.graph-canvas').count(), 2, 'one canvas per model');
    for (const side of ['a', 'b'] as const) {
      const drawn = await page.getAttribute(`.graph-pane[data-side=${side}] canvas.graph-canvas`, 'data-op-nodes');
      const stats = await page.evaluate((s) => window.__cmp.stats(s), side);
      assert.ok(stats, `stats of graph ${side}`);
      assert.ok(Number(drawn) > 0, `graph ${side} draws op nodes (${drawn})`);
      assert.equal(Number(drawn), stats.opNodes, `graph ${side}: the attribute says what was drawn`);
      assert.equal(stats.totalOpNodes, data.graphs?.[side] && 'model' in data.graphs[side] ? countOps(side) : -1);
    }

    // The changed layer is filled, the unchanged one is not, and the added one differs from both.
    const changed = data.comparison.layers.find((l) => l.status === 'changed' && l.a && l.b);
    const same = data.comparison.layers.find((l) => l.status === 'same' && l.a && l.b);
    const added = data.comparison.layers.find((l) => l.status === 'added' && l.b);
    assert.ok(changed?.a && changed.b && same?.a && same.b && added?.b, 'the comparison has each kind of layer');
    const fill = (side: 'a' | 'b', layer: number) =>
      page.evaluate(([s, l]) => window.__cmp.fillOfLayer(s as 'a' | 'b', l as number), [side, layer] as const);
    const changedFill = await fill('b', changed.b.index);
    assert.ok(changedFill, 'the changed layer has a fill of its own');
    assert.equal(await fill('a', changed.a.index), changedFill, 'in both graphs');
    assert.equal(await fill('b', same.b.index), null, 'an unchanged layer keeps the plain fill');
    const addedFill = await fill('b', added.b.index);
    assert.ok(addedFill && addedFill !== changedFill, 'an added layer has another fill');

    // A row selects its layer in both graphs.
    const rows = data.comparison.layers.filter((l) => l.status !== 'same');
    await page.locator('table.diff tbody tr').nth(rows.indexOf(changed)).locator('td').first().click();
    const selectedIn = async () => {
      const [a, b] = await page.evaluate(() => [window.__cmp.stats('a'), window.__cmp.stats('b')]);
      return { a: (a?.selected ?? -1) - (a?.offset ?? 0), b: (b?.selected ?? -1) - (b?.offset ?? 0) };
    };
    await waitFor(async () => (await selectedIn()).b === changed.b?.index, 'the row selects the layer in B');
    assert.deepEqual(await selectedIn(), { a: changed.a.index, b: changed.b.index }, 'selected in both graphs');
    assert.equal(
      (await page.evaluate(() => window.__cmpSent)).filter((m) => (m as { type: string }).type === 'reveal').length,
      0,
      'with graphs shown, a row click stays in the view',
    );
    const box = await page.evaluate((l) => window.__cmp.screenBoxOfLayer('a', l), changed.a.index);
    assert.ok(box && box.w > 2 && box.h > 2, `the layer is in view in A: ${JSON.stringify(box)}`);

    // A node selects its row and its counterpart in the other graph.
    await page.locator('table.diff tbody tr').nth(rows.indexOf(added)).locator('td').first().click();
    await waitFor(async () => (await selectedIn()).b === added.b?.index, 'the added layer is selected in B');
    assert.equal((await selectedIn()).a, -1 - ((await page.evaluate(() => window.__cmp.stats('a')))?.offset ?? 0));
    await page.evaluate(() => window.__cmp.fit('b'));
    const canvasB = await page.locator('.graph-pane[data-side=b] canvas.graph-canvas').boundingBox();
    const nodeB = await page.evaluate((l) => window.__cmp.screenBoxOfLayer('b', l), changed.b.index);
    assert.ok(canvasB && nodeB, 'the changed node is on screen in B');
    await page.mouse.click(canvasB.x + nodeB.x + nodeB.w / 2, canvasB.y + nodeB.y + nodeB.h / 2);
    await waitFor(async () => (await selectedIn()).a === changed.a?.index, 'the node selects the layer in A');
    assert.equal(await page.locator('table.diff tr.selected').count(), 1, 'one row is selected');
    const rowText = (await page.locator('table.diff tr.selected').textContent()) ?? '';
    assert.ok(rowText.startsWith('changed'), `the changed layer's row is selected: ${rowText.slice(0, 40)}`);

    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no payload ran');
    assert.deepEqual(await page.evaluate(() => window.__cmpViolations), [], 'no CSP violation (worker included)');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('works from the keyboard: the table filter, arrows over rows and over graph nodes, Enter to reveal', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/view`);
    await page.locator('canvas.graph-canvas[data-rendered]').nth(1).waitFor({ timeout: 20_000 });
    const selectedIn = async () => {
      const [a, b] = await page.evaluate(() => [window.__cmp.stats('a'), window.__cmp.stats('b')]);
      return { a: (a?.selected ?? -1) - (a?.offset ?? 0), b: (b?.selected ?? -1) - (b?.offset ?? 0) };
    };

    // The filter narrows the rows to the layers whose names or ops contain the text.
    const shownRows = data.comparison.layers.filter((l) => l.status !== 'same');
    const op = shownRows[0].b?.opType ?? shownRows[0].a?.opType ?? '';
    const expected = shownRows.filter((l) =>
      [l.a?.opType, l.b?.opType, l.a?.name, l.b?.name, l.status].some((x) =>
        x?.toLowerCase().includes(op.toLowerCase()),
      ),
    );
    assert.ok(expected.length > 0 && expected.length < shownRows.length, `'${op}' picks some rows, not all`);
    await page.getByLabel('Filter the layers by name, op type or status').fill(op);
    assert.equal(await page.locator('table.diff tbody tr').count(), expected.length, `rows matching '${op}'`);
    await page.getByLabel('Filter the layers by name, op type or status').fill('no such layer anywhere');
    assert.equal(await page.locator('table.diff').count(), 0, 'nothing matches: no table');
    assert.match((await page.locator('section.layers').textContent()) ?? '', /No layer matches the filter/);
    await page.getByLabel('Filter the layers by name, op type or status').fill('');
    assert.equal(await page.locator('table.diff tbody tr').count(), shownRows.length, 'cleared: all rows again');

    // Tab reaches the first row; ArrowDown selects the next layer in both graphs; End the last; Enter reveals it.
    const firstRow = page.locator('table.diff tbody tr').first();
    assert.equal(await firstRow.getAttribute('tabindex'), '0', 'the first row is in the tab order');
    await firstRow.focus();
    await page.keyboard.press('ArrowDown');
    const second = shownRows[1];
    await waitFor(async () => {
      const now = await selectedIn();
      return second.b ? now.b === second.b.index : now.a === second.a?.index;
    }, 'ArrowDown selects the second layer in the graphs');
    assert.equal(
      await page.locator('table.diff tbody tr').nth(1).getAttribute('class'),
      `status-${second.status} selected`,
    );
    assert.equal(
      await page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { rowIndex: number } } }).document.activeElement
            .rowIndex,
      ),
      2,
      'focus moved to the second body row',
    );
    await page.keyboard.press('End');
    const last = shownRows[shownRows.length - 1];
    await waitFor(
      async () =>
        (await page.locator('table.diff tbody tr').last().getAttribute('class'))?.includes('selected') ?? false,
      'End selects the last row',
    );
    await page.keyboard.press('Enter');
    const side = last.b ? 'b' : 'a';
    assert.deepEqual(
      (await page.evaluate(() => window.__cmpSent)).at(-1),
      { type: 'reveal', side, node: (last.b ?? last.a)?.index },
      'Enter reveals the layer in its model',
    );

    // In a graph: arrows walk the edges, and the table and the other graph follow each step.
    const canvasB = page.locator('.graph-pane[data-side=b] canvas.graph-canvas');
    await canvasB.focus();
    await page.keyboard.press('Escape');
    assert.equal(
      (await selectedIn()).b,
      -1 - ((await page.evaluate(() => window.__cmp.stats('b')))?.offset ?? 0),
      'Escape clears',
    );
    await page.keyboard.press('ArrowDown');
    const start = await page.evaluate(() => window.__cmp.stats('b')?.selected ?? -1);
    assert.ok(start >= 0, 'the first arrow selects the first drawn node');
    let moved = 0;
    let at = start;
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('ArrowDown');
      const now = await page.evaluate(() => window.__cmp.stats('b')?.selected ?? -1);
      if (now !== at) moved++;
      at = now;
    }
    assert.ok(moved >= 2, `ArrowDown moves along the edges (${moved} of 4 steps moved)`);
    const b = await page.evaluate(() => window.__cmp.stats('b'));
    const layer = (b?.selected ?? 0) - (b?.offset ?? 0);
    const diff = data.comparison.layers.find((l) => l.b?.index === layer);
    if (diff?.a) {
      await waitFor(async () => (await selectedIn()).a === diff.a?.index, 'graph A follows the keyboard in B');
    }
    await page.keyboard.press('ArrowUp');
    const up = await page.evaluate(() => window.__cmp.stats('b')?.selected ?? -1);
    assert.notEqual(up, at, 'ArrowUp goes back to a producer');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows a notice instead of the graph of a model over the node limit', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/view?case=huge`);
    await page.locator('.graph-pane[data-side=b] canvas.graph-canvas[data-rendered]').waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('.graph-pane[data-side=a] canvas').count(), 0, 'no canvas for model A');
    const notice = (await page.locator('.graph-pane[data-side=a] .notice').textContent()) ?? '';
    assert.match(notice, /50,0\d\d nodes: too many to draw here/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  for (const key of ['vww', 'bert2k']) {
    it(`draws both graphs of ${key} against its fp16 copy`, async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const started = Date.now();
      await page.goto(`${base}/view?case=${key}`);
      await page.locator('canvas.graph-canvas[data-rendered]').nth(1).waitFor({ timeout: 60_000 });
      await page.locator('.graph-pane[data-side=a] canvas.graph-canvas[data-rendered]').waitFor();
      const wall = Date.now() - started;
      const [a, b] = await page.evaluate(() => [window.__cmp.stats('a'), window.__cmp.stats('b')]);
      assert.ok(a && b && a.opNodes > 0 && b.opNodes > 0, `both graphs draw nodes: ${a?.opNodes}, ${b?.opNodes}`);
      console.log(
        `compare ${key}: ${a.totalOpNodes} and ${b.totalOpNodes} nodes (${a.opNodes} and ${b.opNodes} drawn); ` +
          `A ${a.timings?.totalMs.toFixed(0)} ms (layout ${a.timings?.layoutMs.toFixed(0)}), ` +
          `B ${b.timings?.totalMs.toFixed(0)} ms (layout ${b.timings?.layoutMs.toFixed(0)}); page load to both drawn ${wall} ms`,
      );
      // Side by side when wide, stacked when narrow.
      const top = async (side: string) =>
        (await page.locator(`.graph-pane[data-side=${side}]`).boundingBox())?.y ?? Number.NaN;
      await page.setViewportSize({ width: 1200, height: 800 });
      assert.equal(await top('a'), await top('b'), 'side by side in a wide view');
      await page.setViewportSize({ width: 600, height: 800 });
      assert.ok((await top('b')) > (await top('a')) + 100, 'stacked in a narrow view');
      assert.deepEqual(await page.evaluate(() => window.__cmpViolations), []);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
});

function countOps(side: 'a' | 'b'): number {
  const g = data.graphs?.[side];
  return g && 'model' in g ? g.model.graphs[0].nodes.filter((n) => n.kind === 'op').length : -1;
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
