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
import { compareModels } from '../../src/core/transforms/compare.js';
import { convertToFloat16 } from '../../src/core/transforms/fp16.js';
import { compareHtml } from '../../src/extension/compareHtml.js';
import type { CompareData } from '../../webview/compare/protocol.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness.js';
import { HOSTILE_NODE, hostileModel } from './models.js';

const root = join(import.meta.dirname, '..', '..');

/** The page globals these tests touch, declared here: the tests' tsconfig has no DOM library. */
declare const window: { __cmpSent: unknown[]; __cmpViolations: string[]; __pwned?: number };
declare const document: {
  getElementById(id: string): { innerText: string } | null;
  querySelectorAll(selector: string): { length: number };
};

const STUB = `
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
    };
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
          `<script nonce="${nonce}" src="${origin}/stub.js"></script>\n<script nonce="${nonce}" src="${origin}/data.js"></script>\n<script nonce="${nonce}" src="${origin}/dist/compare.js">`,
        );
        return send('text/html; charset=utf-8', html);
      }
      if (url.pathname === '/stub.js') return send('text/javascript', STUB);
      // A string literal parsed by JSON.parse: no model string is ever code.
      if (url.pathname === '/data.js')
        return send('text/javascript', `window.__cmpData = JSON.parse(${JSON.stringify(JSON.stringify(data))});`);
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
});
