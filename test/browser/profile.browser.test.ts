/**
 * The profiling side of the webview in headless Chromium, with the stub host sending real estimates (the engine's
 * estimateModel + estimateView on real models): the virtualized layer table (50,000 rows, a few dozen in the DOM),
 * sorting, filtering and selection both ways, the gauges and charts, target switching with progress and errors,
 * diagnostics with fixes, weight statistics, graph export as SVG and PNG (hostile names stay text), and the
 * panel's state across a reload. Every page is also checked for CSP violations and script errors.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import type { EstimateView } from '../../src/core/report/estimateView.js';
import type { GraphModel } from '../../src/core/report/graphModel.js';
import type { HostMessage, WebviewMessage } from '../../src/protocol.js';
import { formatMetric } from '../../webview/graph/overlay.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, type Harness, startHarness } from './harness.js';
import { HOSTILE_NODE, hostScript } from './models.js';

const root = join(import.meta.dirname, '..', '..');
const artifacts = resolve(process.env.EMP_ARTIFACTS ?? join(root, '.cache', 'test-artifacts', 'browser'));

let harness: Harness;
let browser: Browser;

interface ProfileStats {
  renderedRows: number;
  firstNodes: number[];
  state: { tab: string; sort: { key: string; dir: number } | null; filter: string };
  open: boolean;
  height: number;
}
type Emp = {
  stats(): { selected: number; graph: number; timings?: unknown; hits: number };
  profile(): ProfileStats;
  layoutsDone(): Promise<void>;
  expandAll(): void;
  fillOf(item: number): string | null;
};
/** The page globals these tests touch (the tests' tsconfig has no DOM library). */
declare const window: {
  __emp: Emp;
  __empSent: WebviewMessage[];
  __empViolations: string[];
  __pwned?: number;
  postMessage(message: unknown, targetOrigin: string): void;
};
declare const document: { querySelector(s: string): { textContent: string | null } | null };
declare class DOMParser {
  parseFromString(
    text: string,
    type: string,
  ): {
    querySelector(s: string): unknown;
    querySelectorAll(s: string): { length: number } & Iterable<{ textContent: string | null; attributes: unknown }>;
    documentElement: { nodeName: string };
  };
}

async function estimateOf(name: string): Promise<EstimateView> {
  const m = (await hostScript(name)).messages.find((x) => x.type === 'estimate');
  assert.ok(m && m.type === 'estimate', `case ${name} has an estimate`);
  return m.estimate;
}
async function graphOf(name: string): Promise<GraphModel> {
  const m = (await hostScript(name)).messages.find((x) => x.type === 'graph');
  assert.ok(m && m.type === 'graph', `case ${name} has a graph`);
  return m.graph;
}

async function open(caseName: string, options: { theme?: string } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  Object.assign(page, { errors, requests });
  // The stub host's data is built before the page asks for it (a 50,000-node case takes a while).
  await hostScript(caseName);
  await page.goto(harness.url(caseName, options), { timeout: 120_000 });
  await page.waitForFunction(() => window.__emp?.stats().timings !== undefined, null, { timeout: 120_000 });
  await idle(page);
  return page;
}
const idle = (page: Page) => page.evaluate(() => window.__emp.layoutsDone());
const stats = (page: Page) => page.evaluate(() => window.__emp.stats());
const profile = (page: Page) => page.evaluate(() => window.__emp.profile());
const sent = (page: Page) => page.evaluate(() => window.__empSent);
const post = (page: Page, message: HostMessage) => page.evaluate((m) => window.postMessage(m, '*'), message);

/** No script error, no CSP violation: checked at the end of every test. */
async function clean(page: Page): Promise<void> {
  assert.deepEqual((page as Page & { errors: string[] }).errors, [], 'no script errors');
  assert.deepEqual(await page.evaluate(() => window.__empViolations), [], 'no CSP violations');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no model string ran as code');
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

/** What a person sees (the rendered text). */
async function seen(page: Page, selector: string): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is asserted
  return page.locator(selector).first().innerText();
}

const grid = (page: Page) => page.getByRole('grid', { name: 'Layers' });

describe('the profiling panel in headless Chromium', () => {
  before(async () => {
    assert.ok(existsSync(CHROMIUM_PATH), `no Chromium at ${CHROMIUM_PATH}: run scripts/setup-test-deps.sh`);
    mkdirSync(artifacts, { recursive: true });
    harness = await startHarness();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
  });

  it('lists every layer with the estimate, sorts by latency and filters', async () => {
    const est = await estimateOf('vww');
    const graph = (await graphOf('vww')).graphs[0];
    const page = await open('vww');
    const banner = await seen(page, '.estimate-banner');
    assert.match(banner, /estimate/);
    assert.ok(banner.includes(est.target.name), `the banner names the target: ${banner}`);
    assert.ok(banner.includes(est.target.accuracy), 'the banner carries the calibration line');
    assert.equal(await grid(page).getAttribute('aria-rowcount'), String(est.layers.length + 1));
    // The components style their shadow trees with constructable stylesheets, which the CSP (no 'unsafe-inline')
    // does not block; a <style> element there would be blocked.
    for (const tag of ['vscode-tabs', 'vscode-tab-header', 'vscode-button', 'vscode-single-select']) {
      const sheets: number[] = await page.evaluate(
        `[document.querySelector('${tag}').shadowRoot.adoptedStyleSheets.length, document.querySelector('${tag}').shadowRoot.querySelectorAll('style').length]`,
      );
      assert.deepEqual(
        sheets.map((n: number) => n > 0),
        [true, false],
        `${tag} uses adopted stylesheets only`,
      );
    }
    await page.getByRole('button', { name: 'Sort by Latency (est.)' }).click();
    const slowest = [...est.layers].sort((a, b) => (b.latencyMs ?? -1) - (a.latencyMs ?? -1));
    let p = await profile(page);
    assert.deepEqual(p.state.sort, { key: 'latencyMs', dir: -1 });
    assert.equal(p.firstNodes[0], slowest[0].node, 'the slowest layer of the payload comes first');
    assert.deepEqual(
      p.firstNodes.slice(0, 5),
      slowest.slice(0, 5).map((l) => l.node),
    );
    const firstRow = page.locator('.grid-rows .grid-row').first();
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is asserted
    const rowText = await firstRow.innerText();
    assert.ok(rowText.includes(graph.nodes[slowest[0].node].name), `the first row names the layer: ${rowText}`);
    assert.ok(
      rowText.includes(formatMetric((slowest[0].latencyMs as number) / 1000, 'seconds')),
      `the first row shows its latency: ${rowText}`,
    );
    const header = page.locator('[role=columnheader][aria-sort=descending]');
    assert.equal(await header.textContent(), 'Latency (est.)', 'the header says how the table is sorted');
    assert.equal(await header.locator('button').getAttribute('data-dir'), '▼', 'with an arrow');
    await page.getByRole('button', { name: 'Sort by Latency (est.)' }).click();
    p = await profile(page);
    const fastest = est.layers
      .filter((l) => l.latencyMs !== null)
      .sort((a, b) => (a.latencyMs as number) - (b.latencyMs as number) || a.node - b.node);
    assert.equal(p.firstNodes[0], fastest[0].node, 'ascending: fastest first (ties in graph order)');

    const conv = graph.nodes.filter((n) => n.kind === 'op' && `${n.name}\n${n.opType}`.toLowerCase().includes('conv'));
    // From the filter, Tab reaches the grid, then its column headers; Enter sorts.
    await page.getByRole('searchbox', { name: /filter layers/i }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.deepEqual((await profile(page)).state.sort, { key: 'op', dir: 1 }, 'the second header sorts by op');
    await page.getByRole('searchbox', { name: /filter layers/i }).fill('conv');
    await page.waitForFunction((n) => window.__emp.profile().state.filter === 'conv' && n > 0, conv.length);
    assert.equal(await grid(page).getAttribute('aria-rowcount'), String(conv.length + 1));
    assert.match(await seen(page, '.filter-bar'), new RegExp(`${conv.length} of ${est.layers.length} layers`));
    await shot(page, 'profile-vww-layers');
    await clean(page);
    await page.context().close();
  });

  it('selects the node of a clicked row, and the row of a node selected in the graph', async () => {
    const graph = (await graphOf('vww')).graphs[0];
    const page = await open('vww');
    const row = page.locator('.grid-rows .grid-row').nth(7);
    const node = Number(await row.getAttribute('data-node'));
    await row.click();
    await idle(page);
    assert.equal((await stats(page)).selected, node, 'the graph selects the row node');
    assert.ok((await seen(page, 'section.details')).includes(graph.nodes[node].name), 'the details show it');
    assert.equal(await row.getAttribute('aria-selected'), 'true');
    assert.match(await seen(page, 'section.details'), /Estimate[\s\S]*estimate \(uncalibrated\)[\s\S]*Latency/);
    await shot(page, 'profile-vww-row-selected');
    const sentNow = await sent(page);
    assert.ok(
      sentNow.some((m) => m.type === 'selected' && m.graph === 0 && m.node === node),
      'the host hears which layer is selected',
    );
    // Keyboard: into the grid, down two rows, Enter.
    await grid(page).focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await idle(page);
    const next = Number(await page.locator('.grid-rows .grid-row').nth(9).getAttribute('data-node'));
    assert.equal((await stats(page)).selected, next, 'arrow keys and Enter pick a row');
    // The other way: the graph's keyboard moves the selection, the table follows.
    await page.locator('canvas.graph-canvas').focus();
    await page.keyboard.press('ArrowDown');
    const moved = (await stats(page)).selected;
    assert.notEqual(moved, next);
    if (graph.nodes[moved].kind === 'op') {
      await page.waitForSelector(`.grid-rows .grid-row[data-node="${moved}"][aria-selected="true"]`);
    }
    // A host `reveal` selects and shows a node.
    const last = graph.nodes.findLastIndex((n) => n.kind === 'op');
    await post(page, { type: 'reveal', graph: 0, node: last });
    await page.waitForFunction((n) => window.__emp.stats().selected === n, last);
    await page.waitForSelector(`.grid-rows .grid-row[data-node="${last}"][aria-selected="true"]`);
    await clean(page);
    await page.context().close();
  });

  it('shows RAM and flash against the capacities, the arena timeline, top layers and the roofline', async () => {
    const est = await estimateOf('vww');
    const page = await open('vww');
    await page.getByRole('tab', { name: 'Memory' }).click();
    const memory = await seen(page, '.memory');
    const ram = formatMetric(est.totals.peakRamBytes, 'bytes');
    assert.ok(memory.includes(ram), `the RAM gauge shows ${ram}: ${memory}`);
    assert.ok(memory.includes(formatMetric(est.totals.ramCapacityBytes as number, 'bytes')), 'and the capacity');
    assert.ok(memory.includes(est.target.accuracy), 'the numbers are marked as an estimate');
    assert.match(memory, est.totals.fits.ram ? /RAM \(peak\)[\s\S]*fits/ : /does not fit/);
    assert.equal(await page.locator('svg.timeline path.series').count(), 2, 'live bytes and high-water');
    assert.equal(await page.locator('svg.timeline line.capacity').count(), 1, 'the capacity line');
    await shot(page, 'profile-vww-memory');
    await page.locator('svg.timeline').screenshot({ path: join(artifacts, 'profile-vww-timeline.png') });
    await page.getByRole('tab', { name: /Top layers/ }).click();
    const bars = page.locator('svg.bars g.bar');
    assert.equal(await bars.count(), Math.min(15, est.layers.filter((l) => (l.latencyMs ?? 0) > 0).length));
    const slowest = [...est.layers].sort((a, b) => (b.latencyMs ?? -1) - (a.latencyMs ?? -1))[0];
    await bars.first().click();
    await idle(page);
    assert.equal((await stats(page)).selected, slowest.node, 'the first bar is the slowest layer');
    assert.ok((await page.locator('svg.roofline circle.point').count()) > 10, 'layers on the roofline');
    const ceilings = [est.roofline.peakMacsPerSec, est.roofline.bandwidthBytesPerSec].filter((c) => c !== null).length;
    assert.ok(ceilings > 0, 'the target publishes a ceiling');
    assert.equal(await page.locator('svg.roofline line.ceiling').count(), ceilings, 'a line per known ceiling');
    await shot(page, 'profile-vww-charts');
    await page.locator('svg.roofline').screenshot({ path: join(artifacts, 'profile-vww-roofline.png') });
    // From the keyboard: focus the roofline, End goes to the point of highest intensity, Enter picks its layer.
    const roofline = page.locator('svg.roofline');
    assert.equal(await roofline.getAttribute('role'), 'listbox');
    await roofline.focus();
    const current = async () => (await roofline.getAttribute('aria-activedescendant')) ?? '';
    const first = await current();
    assert.ok(first, 'focus makes the first point current');
    await page.keyboard.press('ArrowRight');
    assert.notEqual(await current(), first, 'ArrowRight moves to the next point');
    await page.keyboard.press('End');
    const lastId = await current();
    const label = (await page.locator(`[id="${lastId}"]`).getAttribute('aria-label')) ?? '';
    assert.match(label, /MAC\/B, .* MAC\/s, (compute|memory|overhead)-bound$/, `the point reads out: ${label}`);
    await page.keyboard.press('Enter');
    await idle(page);
    const picked = (await stats(page)).selected;
    const names = (await graphOf('vww')).graphs[0].nodes.map((n) => n.name);
    assert.ok(picked >= 0 && label.startsWith(`${names[picked]}:`), `Enter picks the point's layer: ${label}`);
    await clean(page);
    await page.context().close();
  });

  it('lists diagnostics with severity and fixes, and shows their layers', async () => {
    const est = await estimateOf('vww');
    assert.ok(est.diagnostics.length > 0, 'the Ethos-U55 estimate has diagnostics');
    const page = await open('vww');
    await page.getByRole('tab', { name: /Diagnostics/ }).click();
    const items = page.locator('.diagnostic');
    assert.equal(await items.count(), est.diagnostics.length);
    const d = est.diagnostics.find((x) => x.fixes.length && x.nodes.length) ?? est.diagnostics[0];
    const k = est.diagnostics.indexOf(d);
    assert.equal(await items.nth(k).locator('[role=img]').getAttribute('aria-label'), d.severity);
    await items.nth(k).locator('button.diagnostic-message').click();
    await idle(page);
    assert.equal((await stats(page)).selected, d.nodes[0], 'the first layer is revealed');
    assert.equal((await stats(page)).hits, d.nodes.length, 'all its layers are marked');
    await items.nth(k).locator('vscode-button').first().click();
    const fix = (await sent(page)).find((m) => m.type === 'applyFix');
    assert.deepEqual(fix, { type: 'applyFix', fix: d.fixes[0], nodes: d.nodes });
    // The panel's other buttons: host commands and report exports.
    await page.getByRole('button', { name: 'Quantize to INT8', exact: true }).click();
    await page.getByRole('button', { name: 'Export the report as HTML' }).click();
    const rest = (await sent(page)).filter((m) => m.type === 'runCommand' || m.type === 'exportReport');
    assert.deepEqual(rest, [
      { type: 'runCommand', command: 'quantizeInt8' },
      { type: 'exportReport', format: 'html' },
    ]);
    await shot(page, 'profile-vww-diagnostics');
    await clean(page);
    await page.context().close();
  });

  it('switches target from the picker, shows progress, cancels, and says why an estimate is missing', async () => {
    const script = await hostScript('vww');
    const other = script.estimates['jetson-orin-nano'].find((m) => m.type === 'estimate');
    assert.ok(other && other.type === 'estimate', 'an estimate for the second target');
    const page = await open('vww');
    await page.locator('vscode-single-select').click();
    await page.getByRole('option', { name: other.estimate.target.name, exact: true }).click();
    const picked = (await sent(page)).filter((m) => m.type === 'selectTarget');
    assert.deepEqual(picked, [{ type: 'selectTarget', targetId: 'jetson-orin-nano' }]);
    await page.waitForFunction(
      (name) => document.querySelector('.estimate-banner')?.textContent?.includes(name),
      other.estimate.target.name,
    );
    assert.ok((await seen(page, '.estimate-banner')).includes(other.estimate.target.name));
    // Progress with a Cancel button, gone when done.
    await post(page, { type: 'progress', stage: 'Estimating', fraction: 0.4 });
    await page.waitForFunction(() =>
      /Estimating 40%/.test(document.querySelector('.toolbar > .progress')?.textContent ?? ''),
    );
    assert.match(await seen(page, '.toolbar > .progress'), /Estimating 40%/);
    await page.getByRole('button', { name: 'Cancel the running step' }).click();
    assert.ok(
      (await sent(page)).some((m) => m.type === 'cancel'),
      'Cancel posts cancel',
    );
    await post(page, { type: 'progress', stage: 'Estimating', fraction: 1, done: true });
    // Messages arrive as events: wait for the webview to handle it rather than look right away.
    await page.locator('.toolbar > .progress').waitFor({ state: 'hidden', timeout: 10_000 });
    // A target the stub host has no estimate for.
    await page.locator('vscode-single-select').click();
    await page.getByRole('option', { name: /Cortex-M33/ }).click();
    await page.waitForSelector('.notice:not([hidden])');
    assert.match(await seen(page, '.notice'), /No estimate for cortex-m33: the stub host has no estimate/);
    assert.match(await seen(page, '.estimate-banner'), /No estimate/);
    await shot(page, 'profile-vww-estimate-error');
    await clean(page);
    await page.context().close();
  });

  it('colours nodes by the estimated latency and bound, with a legend', async () => {
    const est = await estimateOf('vww');
    const slowest = [...est.layers].sort((a, b) => (b.latencyMs ?? -1) - (a.latencyMs ?? -1))[0];
    const fused = est.layers.find((l) => l.fusedInto !== undefined && l.latencyMs === 0);
    const page = await open('vww');
    const overlay = page.getByRole('combobox', { name: 'Colour nodes by' });
    assert.equal(await page.evaluate((i) => window.__emp.fillOf(i), slowest.node), null, 'no overlay yet');
    await overlay.selectOption('latency');
    assert.ok(await page.evaluate((i) => window.__emp.fillOf(i), slowest.node), 'the slowest layer is coloured');
    if (fused) {
      assert.equal(await page.evaluate((i) => window.__emp.fillOf(i), fused.node), null, 'a fused layer costs 0');
    }
    assert.match(await seen(page, '.legend'), /Estimated latency[\s\S]*log scale[\s\S]*estimate \(uncalibrated\)/);
    await overlay.selectOption('bound');
    assert.match(await seen(page, '.legend'), /Bound[\s\S]*compute[\s\S]*memory[\s\S]*estimate \(uncalibrated\)/);
    await shot(page, 'profile-vww-overlay-latency');
    // A target without an estimate: its columns are dropped, not left showing the previous target's figures.
    const optionKeys = () =>
      page
        .locator('select[aria-label="Colour nodes by"] option')
        .evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    assert.ok((await optionKeys()).includes('latency'), 'latency is an overlay while estimated');
    await page.locator('vscode-single-select').click();
    await page.getByRole('option', { name: /Cortex-M33/ }).click();
    await page.locator('select[aria-label="Colour nodes by"] option[value="bound"]').waitFor({ state: 'detached' });
    const keys = await optionKeys();
    assert.ok(!keys.includes('latency') && !keys.includes('bound'), `estimate overlays dropped: ${keys.join(', ')}`);
    assert.equal(await overlay.inputValue(), '', 'the overlay shows None');
    assert.equal(await page.evaluate((i) => window.__emp.fillOf(i), slowest.node), null, 'no stale latency colour');
    // Back on a target with an estimate: the chosen overlay returns.
    await page.locator('vscode-single-select').click();
    await page.getByRole('option', { name: est.target.name, exact: true }).click();
    await page.locator('select[aria-label="Colour nodes by"] option[value="bound"]').waitFor({ state: 'attached' });
    assert.equal(await overlay.inputValue(), 'bound', 'the bound overlay is back');
    assert.ok(await page.evaluate((i) => window.__emp.fillOf(i), slowest.node), 'coloured again');
    await clean(page);
    await page.context().close();
  });

  it("fetches a weight's statistics on request and draws its histogram", async () => {
    const script = await hostScript('vww');
    const graph = (await graphOf('vww')).graphs[0];
    const conv = graph.nodes.findIndex((n) => n.opType === 'Conv');
    const weight = graph.nodes[conv].inputs.find((t) => t >= 0 && graph.tensors[t].kind === 'initializer');
    assert.ok(weight !== undefined, 'the Conv has a weight');
    const expected = script.weightStats[`0:${weight}`];
    const page = await open('vww');
    await post(page, { type: 'reveal', graph: 0, node: conv });
    await page.waitForFunction((n) => window.__emp.stats().selected === n, conv);
    const details = page.locator('section.details');
    assert.ok((await seen(page, 'section.details')).includes(graph.tensors[weight].name), 'the weight is listed');
    assert.equal((await sent(page)).filter((m) => m.type === 'requestWeightStats').length, 0, 'nothing fetched yet');
    await details.getByRole('button', { name: `Statistics of ${graph.tensors[weight].name}` }).click();
    await page.waitForSelector('section.details svg.histogram');
    assert.deepEqual(
      (await sent(page)).filter((m) => m.type === 'requestWeightStats'),
      [{ type: 'requestWeightStats', graph: 0, tensor: weight }],
    );
    assert.equal(await page.locator('svg.histogram rect.fill').count(), expected.histogram.counts.length);
    const text = await seen(page, '.weight-stats');
    assert.ok(text.includes(Number(expected.min.toPrecision(5)).toString()), `min shown: ${text}`);
    assert.ok(text.includes(Number(expected.std.toPrecision(5)).toString()), `std shown: ${text}`);
    assert.match(text, /Sparsity\s+\d+\.\d\d% zeros/);
    assert.doesNotMatch(text, /Non-finite/, 'finite weights: no such row');
    await details.locator('.weight-stats').screenshot({ path: join(artifacts, 'profile-vww-weight-stats.png') });
    // A weight with NaN or infinite values says how many were left out of the figures.
    await post(page, { type: 'weightStats', graph: 0, tensor: weight, stats: { ...expected, nonFinite: 3 } });
    await page.waitForFunction(() => /Non-finite/.test(document.querySelector('.weight-stats')?.textContent ?? ''));
    assert.match(await seen(page, '.weight-stats'), /Non-finite\s+3 \(NaN or ±∞, left out above\)/);
    await clean(page);
    await page.context().close();
  });

  it('exports the graph as SVG and PNG with hostile names as text, and answers the host', async () => {
    const page = await open('hostile');
    await page.evaluate(() => window.__emp.expandAll());
    await idle(page);
    const before = (page as Page & { requests: string[] }).requests.length;
    await page.getByRole('button', { name: 'Export the graph as SVG' }).click();
    await page.getByRole('button', { name: 'Export the graph as PNG' }).click();
    await post(page, { type: 'exportGraph', requestId: 7, format: 'svg' });
    await page.waitForFunction(() => window.__empSent.filter((m) => m.type === 'graphImage').length === 3);
    const images = (await sent(page)).filter((m) => m.type === 'graphImage');
    const [svg, png, answer] = images;
    assert.ok(svg.type === 'graphImage' && svg.format === 'svg' && svg.requestId === undefined);
    assert.ok(answer.type === 'graphImage' && answer.requestId === 7 && answer.format === 'svg');
    writeFileSync(join(artifacts, 'hostile-graph.svg'), svg.data);
    // Parsed as an SVG document in the page (never inserted into it).
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const texts = [...doc.querySelectorAll('text, title')].map((t) => t.textContent ?? '');
      const all = [...doc.querySelectorAll('*')] as unknown as { nodeName: string; attributes: { name: string }[] }[];
      return {
        root: doc.documentElement.nodeName,
        error: doc.querySelector('parsererror') !== null,
        texts,
        elements: [...new Set(all.map((e) => e.nodeName))],
        handlers: all.flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on')),
      };
    }, svg.data);
    assert.equal(parsed.error, false, 'the SVG parses');
    assert.equal(parsed.root, 'svg');
    assert.ok(
      parsed.texts.some((t) => t.includes(HOSTILE_NODE)),
      `the hostile node name is text in the SVG: ${parsed.texts.join(' | ')}`,
    );
    assert.deepEqual(parsed.handlers, [], 'no event handler attributes');
    for (const e of parsed.elements) {
      assert.ok(
        ['svg', 'title', 'rect', 'text', 'g', 'path', 'defs', 'marker'].includes(e),
        `only drawing elements: ${e}`,
      );
    }
    assert.ok(png.type === 'graphImage' && png.data.startsWith('data:image/png;base64,'), 'a PNG data URL');
    const image = PNG.sync.read(Buffer.from(png.data.slice('data:image/png;base64,'.length), 'base64'));
    assert.ok(image.width > 100 && image.height > 100, `a real picture (${image.width}×${image.height})`);
    writeFileSync(join(artifacts, 'hostile-graph.png'), PNG.sync.write(image));
    await page.waitForTimeout(200);
    assert.deepEqual(
      (page as Page & { requests: string[] }).requests.slice(before),
      [],
      'exporting makes no network request',
    );
    // The diagnostics name the hostile layers as text too.
    await page.getByRole('tab', { name: /Diagnostics/ }).click();
    assert.ok((await seen(page, '.diagnostics')).includes('<svg onload='), 'diagnostic messages are text');
    await shot(page, 'profile-hostile');
    await clean(page);
    await page.context().close();
  });

  it('keeps the tab, sort, filter and panel across a reload', async () => {
    const page = await open('vww');
    await page.getByRole('button', { name: 'Sort by MACs' }).click();
    await page.getByRole('searchbox', { name: /filter layers/i }).fill('depthwise');
    await page.waitForFunction(() => window.__emp.profile().state.filter === 'depthwise');
    await page.getByRole('tab', { name: 'Memory' }).click();
    const splitter = page.getByRole('separator', { name: 'Resize the profiling panel' });
    const panelBefore = await page.locator('section.profile').boundingBox();
    await splitter.focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    assert.equal(await splitter.getAttribute('aria-valuenow'), '52');
    const panelAfter = await page.locator('section.profile').boundingBox();
    assert.ok(panelBefore && panelAfter && panelAfter.height > panelBefore.height + 30, 'the panel grows');
    const before = await profile(page);
    await page.waitForTimeout(400);
    await page.reload();
    await page.waitForFunction(() => window.__emp?.stats().timings !== undefined, null, { timeout: 60_000 });
    await idle(page);
    const after = await profile(page);
    assert.deepEqual(after.state, before.state);
    assert.equal(after.height, 52, 'the panel keeps its height');
    assert.deepEqual(after.state.sort, { key: 'macs', dir: -1 });
    assert.deepEqual(after.firstNodes, before.firstNodes, 'same rows in the same order');
    // In the Layers tab, hidden now: found by its element rather than its (hidden) role.
    assert.equal(await page.locator('.filter-bar input').inputValue(), 'depthwise');
    assert.ok(await page.locator('.memory').isVisible(), 'the Memory tab is shown again');
    await page.getByRole('button', { name: 'Show the profiling panel' }).click();
    await page.waitForTimeout(400);
    await page.reload();
    await page.waitForFunction(() => window.__emp?.stats().timings !== undefined, null, { timeout: 60_000 });
    assert.equal((await profile(page)).open, false, 'a closed panel stays closed');
    assert.ok(await page.locator('section.profile').isHidden());
    await clean(page);
    await page.context().close();
  });

  for (const theme of ['dark', 'hc']) {
    it(`draws the panel in the ${theme === 'hc' ? 'high contrast' : 'dark'} theme`, async () => {
      const page = await open('vww', { theme });
      await page.getByRole('tab', { name: /Top layers/ }).click();
      await shot(page, `profile-vww-${theme}`);
      await clean(page);
      await page.context().close();
    });
  }

  it('virtualizes 50,000 rows: a few dozen in the DOM whatever the scroll', { timeout: 300_000 }, async () => {
    const est = await estimateOf('chain50k');
    const page = await open('chain50k');
    assert.equal(await grid(page).getAttribute('aria-rowcount'), String(50_001));
    let p = await profile(page);
    assert.ok(p.renderedRows > 5 && p.renderedRows < 100, `${p.renderedRows} rows in the DOM`);
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Sort by Latency (est.)' }).click();
    p = await profile(page);
    const sortMs = Date.now() - t0;
    const slowest = [...est.layers].sort((a, b) => (b.latencyMs ?? -1) - (a.latencyMs ?? -1) || a.node - b.node);
    assert.equal(p.firstNodes[0], slowest[0].node, 'the slowest of 50,000 layers first');
    await grid(page).focus();
    await page.keyboard.press('End');
    await page.waitForSelector('.grid-rows .grid-row[aria-rowindex="50001"]');
    p = await profile(page);
    assert.ok(p.renderedRows < 100, `still ${p.renderedRows} rows in the DOM at the end`);
    await page.keyboard.press('Enter');
    await idle(page);
    const lastRow = page.locator('.grid-rows .grid-row[aria-rowindex="50001"]');
    assert.equal((await stats(page)).selected, Number(await lastRow.getAttribute('data-node')));
    await page.getByRole('searchbox', { name: /filter layers/i }).fill('blocks.4999/');
    await page.waitForFunction(() => window.__emp.profile().state.filter === 'blocks.4999/');
    const filtered = Number(await grid(page).getAttribute('aria-rowcount')) - 1;
    assert.equal(filtered, 3, 'the filter narrows 50,000 rows to the Conv, Add and Relu of one block');
    console.log(`# 50,000 layers: sorted by latency in ${sortMs} ms (click to rows drawn)`);
    await shot(page, 'profile-chain50k');
    await clean(page);
    await page.context().close();
  });
});
