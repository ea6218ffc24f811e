/**
 * The webview in a real browser: dist/webview.js served with the extension's own page and CSP (harness.ts) to
 * Debian's Chromium, headless, driven by playwright-core; a stub host answers `ready` with the messages the
 * extension would send for real models (the VWW sample, a 2,390-node transformer, a 50,000-node graph, a model
 * with HTML in its names, a model with If/Loop bodies). Screenshots go to .cache/test-artifacts/browser (or
 * $EMP_ARTIFACTS).
 *
 *   npm run test:browser        (builds first)
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { GraphModel, GraphView } from '../../src/core/report/graphModel.js';
import { formatShape } from '../../src/core/report/summary.js';
import type { HostMessage, WebviewMessage } from '../../src/protocol.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, type Harness, startHarness } from './harness.js';
import { HOSTILE_INPUT, HOSTILE_NODE, HOSTILE_OP, HOSTILE_SCOPE, hostMessages } from './models.js';

const root = join(import.meta.dirname, '..', '..');
const artifacts = resolve(process.env.EMP_ARTIFACTS ?? join(root, '.cache', 'test-artifacts', 'browser'));

let harness: Harness;
let browser: Browser;

interface Stats {
  graph: number;
  boxes: number;
  frames: number;
  opNodes: number;
  edges: number;
  totalOpNodes: number;
  view: { x: number; y: number; scale: number };
  selected: number;
  expanded: number[];
  timings?: { indexMs: number; layoutMs: number; paintMs: number };
  hits: number;
  hitCursor: number;
  /** The query the hits are for. */
  query: string;
  overlay: string | null;
  panel: boolean;
}

type Emp = {
  stats(): Stats;
  itemOfNode(name: string): number;
  screenBox(item: number): { x: number; y: number; w: number; h: number } | undefined;
  fillOf(item: number): string | null;
  expandAll(): void;
  layoutsDone(): Promise<void>;
};
/** The page globals these tests touch, declared here: the tests' tsconfig has no DOM library. */
interface PageCanvas {
  getBoundingClientRect(): { left: number; top: number };
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
declare const window: {
  __emp: Emp;
  __empSent: WebviewMessage[];
  __empViolations: string[];
  __pwned?: number;
  postMessage(message: unknown, targetOrigin: string): void;
};
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
};
declare const devicePixelRatio: number;
declare function requestAnimationFrame(callback: () => void): number;

const graphOf = (messages: HostMessage[]): GraphModel => {
  const m = messages.find((x) => x.type === 'graph');
  assert.ok(m && m.type === 'graph', 'the host messages carry a graph');
  return m.graph;
};

async function open(caseName: string, options: { theme?: string; csp?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  (page as Page & { errors: string[] }).errors = errors;
  // The stub host's data is built before the page asks for it (a 50,000-node case takes a while).
  await hostMessages(caseName);
  await page.goto(harness.url(caseName, options), { timeout: 120_000 });
  await page.waitForFunction(() => window.__emp?.stats().timings !== undefined, null, { timeout: 60_000 });
  await idle(page);
  return page;
}

const idle = (page: Page) => page.evaluate(() => window.__emp.layoutsDone());
const stats = (page: Page) => page.evaluate(() => window.__emp.stats());
const errorsOf = (page: Page) => (page as Page & { errors: string[] }).errors;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

/** Centre of an item's box on the page (after revealing it if needed). */
async function centreOf(page: Page, item: number): Promise<{ x: number; y: number }> {
  const box = await page.evaluate((i) => window.__emp.screenBox(i), item);
  assert.ok(box, `item ${item} is not in view`);
  const canvas = await page.locator('canvas.graph-canvas').boundingBox();
  assert.ok(canvas, 'the graph canvas is on the page');
  return { x: canvas.x + box.x + box.w / 2, y: canvas.y + box.y + box.h / 2 };
}

/** The canvas pixel at a page point, as [r, g, b]. */
async function pixel(page: Page, at: { x: number; y: number }): Promise<number[]> {
  return page.evaluate(({ x, y }) => {
    const c = document.querySelector('canvas.graph-canvas') as unknown as PageCanvas;
    const r = c.getBoundingClientRect();
    const d = c
      .getContext('2d')
      .getImageData(Math.round((x - r.left) * devicePixelRatio), Math.round((y - r.top) * devicePixelRatio), 1, 1).data;
    return [d[0], d[1], d[2]];
  }, at);
}

/** What a person sees (table cells apart), not the concatenated text nodes. */
async function seen(page: Page, selector: string): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is asserted
  return page.locator(selector).innerText();
}

async function panelText(page: Page): Promise<string> {
  return seen(page, 'aside.panel');
}

async function search(page: Page, query: string): Promise<void> {
  await page.getByRole('searchbox', { name: /search nodes/i }).fill(query);
  await page.waitForFunction((q) => window.__emp.stats().query === q, query);
}

describe('the model webview in headless Chromium', () => {
  before(async () => {
    assert.ok(existsSync(CHROMIUM_PATH), `no Chromium at ${CHROMIUM_PATH}: run scripts/setup-test-deps.sh`);
    mkdirSync(artifacts, { recursive: true });
    harness = await startHarness();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    console.log(`# screenshots in ${artifacts}`);
  });

  it('shows the VWW sample: its summary, and every node once expanded', async () => {
    const graph = graphOf(await hostMessages('vww')).graphs[0];
    const ops = graph.nodes.filter((n) => n.kind === 'op').length;
    const io = graph.nodes.length - ops;
    const page = await open('vww');
    const s = await stats(page);
    assert.equal(s.totalOpNodes, 59);
    assert.equal(ops, 59);
    await page.evaluate(() => window.__emp.expandAll());
    await idle(page);
    const all = await stats(page);
    assert.equal(all.opNodes, ops, 'every op node is drawn');
    assert.equal(all.boxes, ops + io, 'one box per node, input and output');
    assert.match(await seen(page, '.status'), /59 of 59 nodes shown/);
    const panel = await panelText(page);
    assert.match(panel, /IR version\s+6/);
    assert.match(panel, /input_1\s+float32\s+\[1, 3, 96, 96\]/);
    assert.match(panel, /Conv\s+27/);
    const sent = await page.evaluate(() => window.__empSent);
    assert.equal(sent[0].type, 'ready', 'the webview speaks first');
    const rendered = sent.filter((m: WebviewMessage) => m.type === 'rendered');
    assert.ok(rendered.length >= 2, 'a rendered message per drawn layout');
    assert.ok(
      rendered.some((m: WebviewMessage) => m.type === 'rendered' && m.first),
      'the first layout is marked as the first paint',
    );
    assert.deepEqual(errorsOf(page), []);
    assert.deepEqual(await page.evaluate(() => window.__empViolations), []);
    await shot(page, 'vww-light');
    await page.context().close();
  });

  it('opens a 2,390-node transformer with its scopes collapsed, and expands all of it', async () => {
    const page = await open('bert2k');
    const s = await stats(page);
    assert.equal(s.totalOpNodes, 2390);
    assert.ok(s.boxes <= 150, `the first view shows a readable number of boxes (${s.boxes})`);
    assert.ok(s.timings && s.timings.paintMs < 5000, `first paint in ${s.timings?.paintMs} ms`);
    console.log(`# 2,390 nodes: first paint ${s.timings?.paintMs.toFixed(0)} ms after the graph message`);
    await shot(page, 'bert2k-first');
    await page.getByRole('button', { name: 'Expand all scopes' }).click();
    await idle(page);
    const all = await stats(page);
    assert.equal(all.opNodes, 2390, 'all op nodes drawn');
    assert.equal(all.boxes, 2390 + 3, 'plus two inputs and one output');
    await page.getByRole('button', { name: /fit the graph/i }).click();
    await shot(page, 'bert2k-expanded');
    await page.getByRole('button', { name: 'Collapse all scopes' }).click();
    await idle(page);
    assert.ok((await stats(page)).boxes < 20, 'collapsing all leaves the top level');
    await page.context().close();
  });

  it('finds nodes by name, op type and tensor name, and steps through hits with the keyboard', async () => {
    const graph = graphOf(await hostMessages('bert2k')).graphs[0];
    // Softmax nodes by op type and name, and the MatMuls that read a Softmax's output by tensor name.
    const softmaxes = graph.nodes.filter(
      (n) =>
        n.name.toLowerCase().includes('softmax') ||
        n.opType === 'Softmax' ||
        [...n.inputs, ...n.outputs].some((t) => t >= 0 && graph.tensors[t].name.toLowerCase().includes('softmax')),
    );
    assert.equal(softmaxes.length, 140);
    const page = await open('bert2k');
    await search(page, 'softmax');
    assert.equal(await seen(page, '.search-count'), '0 of 140');
    const input = page.getByRole('searchbox', { name: /search nodes/i });
    await input.press('Enter');
    await idle(page);
    let s = await stats(page);
    assert.equal(s.hitCursor, 0);
    assert.equal(s.selected, await page.evaluate((n) => window.__emp.itemOfNode(n), softmaxes[0].name));
    assert.ok(await page.evaluate((i) => window.__emp.screenBox(i), s.selected), 'the hit is revealed in view');
    assert.match(await panelText(page), new RegExp(softmaxes[0].name.replaceAll('.', '\\.')));
    await input.press('Enter');
    await idle(page);
    s = await stats(page);
    assert.equal(s.selected, await page.evaluate((n) => window.__emp.itemOfNode(n), softmaxes[1].name));
    assert.equal(await seen(page, '.search-count'), '2 of 140');
    await input.press('Shift+Enter');
    await idle(page);
    assert.equal((await stats(page)).hitCursor, 0);
    // A tensor name finds its producer and its consumers.
    const tensor = '/encoder/layer.5/output/Add_output_0';
    await search(page, tensor);
    const t = graph.tensors.findIndex((x) => x.name === tensor);
    const touching = graph.nodes.filter((n) => n.inputs.includes(t) || n.outputs.includes(t)).length;
    assert.equal((await stats(page)).hits, touching);
    // A node's full name finds it, and the node that reads its output (`…/Erf_output_0`).
    const erf = '/encoder/layer.69/intermediate/intermediate_act_fn/Erf';
    await search(page, erf);
    assert.equal((await stats(page)).hits, 2);
    await page.getByRole('searchbox', { name: /search nodes/i }).press('Enter');
    await idle(page);
    assert.equal((await stats(page)).selected, await page.evaluate((n) => window.__emp.itemOfNode(n), erf));
    await shot(page, 'bert2k-search');
    await page.context().close();
  });

  it('shows the shapes of a node clicked on the canvas', async () => {
    const graph: GraphView = graphOf(await hostMessages('vww')).graphs[0];
    const index = graph.nodes.findIndex((n) => n.opType === 'Conv');
    const conv = graph.nodes[index];
    const page = await open('vww');
    await page.mouse.click(...(Object.values(await centreOf(page, index)) as [number, number]));
    assert.equal((await stats(page)).selected, index);
    const details = await seen(page, 'section.details');
    assert.ok(details.includes(conv.name), 'the details name the node');
    for (const t of [...conv.inputs, ...conv.outputs]) {
      const x = graph.tensors[t];
      assert.ok(x.shape, `tensor ${x.name} has a shape`);
      assert.ok(details.includes(x.name), `details list ${x.name}`);
      assert.ok(details.includes(formatShape(x.shape)), `details show ${x.name}'s shape ${formatShape(x.shape)}`);
    }
    assert.match(details, /MACs\s+\d/);
    await shot(page, 'vww-selected');
    await page.context().close();
  });

  it('colours nodes by MACs, bytes and a host-sent category, with a legend', async () => {
    const graph = graphOf(await hostMessages('vww')).graphs[0];
    const conv = graph.nodes.findIndex((n) => n.opType === 'Conv');
    const relu = graph.nodes.findIndex((n) => n.opType === 'Relu');
    const page = await open('vww');
    const at = await centreOf(page, conv);
    // Off the label text: the left edge of the box.
    const box = await page.evaluate((i) => window.__emp.screenBox(i), conv);
    assert.ok(box, 'the Conv is in view');
    const probe = { x: at.x - box.w / 2 + 4, y: at.y + box.h / 2 - 4 };
    const before = await pixel(page, probe);
    await page.getByRole('combobox', { name: 'Colour nodes by' }).selectOption('macs');
    await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => resolve())));
    const after = await pixel(page, probe);
    assert.notDeepEqual(after, before, `the Conv's colour changes under the MACs overlay (${before} -> ${after})`);
    assert.ok(await page.evaluate((i) => window.__emp.fillOf(i), conv), 'the Conv has an overlay colour');
    assert.equal(await page.evaluate((i) => window.__emp.fillOf(i), relu), null, 'a Relu has no MACs');
    assert.match(await seen(page, '.legend'), /MACs[\s\S]*log scale/);
    await shot(page, 'vww-overlay-macs');
    await page.getByRole('combobox', { name: 'Colour nodes by' }).selectOption('activationBytes');
    assert.ok(await page.evaluate((i) => window.__emp.fillOf(i), relu), 'a Relu writes bytes');
    // A later estimator's column: compute- or memory-bound per node.
    const values = graph.nodes.map((n) => (n.kind !== 'op' ? null : n.opType === 'Conv' ? 0 : 1));
    await page.evaluate((v) => {
      window.postMessage(
        {
          type: 'metrics',
          graph: 0,
          metric: { kind: 'category', key: 'bound', label: 'Bound', categories: ['compute', 'memory'] },
          values: v,
        },
        '*',
      );
    }, values);
    await page.getByRole('combobox', { name: 'Colour nodes by' }).selectOption('bound');
    const convFill = await page.evaluate((i) => window.__emp.fillOf(i), conv);
    const reluFill = await page.evaluate((i) => window.__emp.fillOf(i), relu);
    assert.ok(convFill && reluFill && convFill !== reluFill, 'the two categories have two colours');
    assert.match(await seen(page, '.legend'), /Bound[\s\S]*compute[\s\S]*memory/);
    await shot(page, 'vww-overlay-bound');
    await page.context().close();
  });

  for (const csp of [true, false]) {
    it(`shows HTML in model strings as text and runs none of it (${csp ? 'with' : 'even without'} the CSP)`, async () => {
      const page = await open('hostile', { csp });
      await page.evaluate(() => window.__emp.expandAll());
      await idle(page);
      await search(page, 'onerror');
      await page.getByRole('searchbox', { name: /search nodes/i }).press('Enter');
      await idle(page);
      const details = await seen(page, 'section.details');
      assert.ok(details.includes(`/${HOSTILE_SCOPE}/${HOSTILE_NODE}`), `the node's name is shown as text: ${details}`);
      const panel = await panelText(page);
      assert.ok(panel.includes('<img src=x onerror=alert(1)>.onnx'), 'the file name is text');
      assert.ok(panel.includes(HOSTILE_INPUT), 'the input name is text');
      assert.ok(panel.includes(`evil<b>.${HOSTILE_OP}`), 'the op type is text');
      const injected = await page.evaluate(
        () =>
          document.querySelectorAll('#app img, #app svg, #app iframe, #app b, #app u, #app i, #app style, #app script')
            .length,
      );
      assert.equal(injected, 0, 'no element was made from a model string');
      await page.mouse.move(300, 300);
      await page.waitForTimeout(200);
      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no payload ran');
      assert.deepEqual(errorsOf(page), []);
      if (csp) assert.deepEqual(await page.evaluate(() => window.__empViolations), [], 'nothing even tried to run');
      await shot(page, `hostile-${csp ? 'csp' : 'no-csp'}`);
      await page.context().close();
    });
  }

  it('opens If and Loop bodies as graphs of their own, and goes back', async () => {
    const model = graphOf(await hostMessages('control'));
    const main = model.graphs[0];
    const ifNode = main.nodes.findIndex((n) => n.opType === 'If');
    const loopNode = main.nodes.findIndex((n) => n.opType === 'Loop');
    const page = await open('control');
    await page.evaluate(() => window.__emp.expandAll());
    await idle(page);
    const at = await centreOf(page, ifNode);
    await page.mouse.click(at.x, at.y);
    await page.getByRole('button', { name: /Open subgraph else_branch/ }).click();
    await idle(page);
    const elseGraph = model.graphs.findIndex((g) => g.parent?.node === ifNode && g.parent.attribute === 'else_branch');
    let s = await stats(page);
    assert.equal(s.graph, elseGraph);
    assert.equal(s.totalOpNodes, 2, 'else_mul and else_mm');
    assert.match(await seen(page, 'nav.crumbs'), /branch › else_branch/);
    await shot(page, 'control-else-branch');
    await page.locator('canvas.graph-canvas').focus();
    await page.keyboard.press('Backspace');
    await idle(page);
    assert.equal((await stats(page)).graph, 0, 'Backspace goes back to the enclosing graph');
    const loopAt = await centreOf(page, loopNode);
    await page.mouse.dblclick(loopAt.x, loopAt.y);
    await idle(page);
    s = await stats(page);
    assert.equal(model.graphs[s.graph].parent?.attribute, 'body', 'a double click opens the Loop body');
    await page.context().close();
  });

  it('keeps zoom, selection, overlay, expanded scopes and the panel when the tab is hidden and shown', async () => {
    const page = await open('bert2k');
    await search(page, 'layer.3/attention/self/Softmax');
    await page.getByRole('searchbox', { name: /search nodes/i }).press('Enter');
    await idle(page);
    await page.locator('canvas.graph-canvas').focus();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await page.getByRole('combobox', { name: 'Colour nodes by' }).selectOption('flops');
    await page.getByRole('button', { name: 'Details' }).click();
    const before = await stats(page);
    assert.equal(before.panel, false);
    await page.waitForTimeout(400); // state is saved 150 ms after the last change
    // VS Code discards a hidden webview (retainContextWhenHidden: false) and loads it again when shown.
    await page.reload();
    await page.waitForFunction(() => window.__emp?.stats().timings !== undefined, null, { timeout: 60_000 });
    await idle(page);
    const after = await stats(page);
    assert.equal(after.selected, before.selected);
    assert.deepEqual(after.view, before.view);
    assert.equal(after.overlay, 'flops');
    assert.equal(after.panel, false);
    assert.deepEqual([...after.expanded].sort(), [...before.expanded].sort());
    assert.equal(
      await page.getByRole('searchbox', { name: /search nodes/i }).inputValue(),
      'layer.3/attention/self/Softmax',
    );
    assert.ok(await page.locator('aside.panel').isHidden(), 'the panel stays closed');
    await page.context().close();
  });

  it('is usable from the keyboard and labelled for screen readers', async () => {
    const graph = graphOf(await hostMessages('vww')).graphs[0];
    const page = await open('vww');
    const canvas = page.locator('canvas.graph-canvas');
    assert.match((await canvas.getAttribute('aria-label')) ?? '', /59 of 59 nodes shown.*Arrow keys/);
    await canvas.focus();
    await page.keyboard.press('ArrowDown');
    let s = await stats(page);
    assert.ok(s.selected >= 0, 'an arrow key selects a node');
    const first = s.selected;
    await page.keyboard.press('ArrowDown');
    s = await stats(page);
    const consumer = graph.edges.some((e) => e.from === first && e.to === s.selected);
    assert.ok(consumer, `ArrowDown moves to a consumer (${first} -> ${s.selected})`);
    await page.keyboard.press('ArrowUp');
    assert.equal((await stats(page)).selected, first, 'ArrowUp moves back to the producer');
    const scale = (await stats(page)).view.scale;
    await page.keyboard.press('+');
    assert.ok((await stats(page)).view.scale > scale, '+ zooms in');
    await page.keyboard.press('0');
    assert.ok((await stats(page)).view.scale <= 1.25, '0 fits');
    assert.match(await seen(page, '.visually-hidden'), /Selected/);
    for (const name of ['Expand all scopes', 'Collapse all scopes', 'Fit the graph to the view', 'Previous match']) {
      assert.equal(await page.getByRole('button', { name }).count(), 1, `a button named '${name}'`);
    }
    assert.equal(await page.getByRole('toolbar', { name: 'Graph tools' }).count(), 1);
    await page.context().close();
  });

  for (const theme of ['dark', 'hc']) {
    it(`follows the ${theme === 'hc' ? 'high contrast' : 'dark'} theme's colours`, async () => {
      const page = await open('vww', { theme });
      const canvas = await page.locator('canvas.graph-canvas').boundingBox();
      assert.ok(canvas, 'a canvas');
      const bg = await pixel(page, { x: canvas.x + 3, y: canvas.y + canvas.height - 3 });
      assert.deepEqual(bg, theme === 'hc' ? [0, 0, 0] : [0x1f, 0x1f, 0x1f], 'the editor background');
      await shot(page, `vww-${theme}`);
      await page.context().close();
    });
  }

  it('opens a 50,000-node graph and can show every node', { timeout: 180_000 }, async () => {
    const page = await open('chain50k');
    const s = await stats(page);
    assert.equal(s.totalOpNodes, 50_000);
    assert.ok(s.timings && s.timings.paintMs < 10_000, `first paint in ${s.timings?.paintMs} ms`);
    console.log(`# 50,000 nodes: first paint ${s.timings?.paintMs.toFixed(0)} ms after the graph message`);
    await shot(page, 'chain50k-first');
    await page.evaluate(() => window.__emp.expandAll());
    await idle(page);
    const all = await stats(page);
    assert.equal(all.opNodes, 50_000);
    await page.getByRole('button', { name: /fit the graph/i }).click();
    await shot(page, 'chain50k-expanded');
    await page.context().close();
  });
});
