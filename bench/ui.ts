/**
 * The graph view in headless Chromium (Debian's, driven by playwright-core) on a 2,390-node transformer and a
 * 50,000-node graph, served by the browser tests' harness (the extension's page and CSP, a stub host speaking the
 * real protocol with messages from the real graphModel.ts):
 *   first paint   from the `graph` message arriving to the first frame of its layout, with the layout worker
 *                 still starting ("cold": the graph follows `ready` at once) and started ("warm": the graph comes
 *                 2 s later, as it does from a host that analyses the model); and from navigation start (cold)
 *   frames        rAF intervals and draw times while real wheel (zoom) and drag (pan) input arrives every frame
 *   memory        JS heap (CDP Performance.getMetrics) and the renderer process' peak RSS (VmHWM)
 * for the first view (scopes collapsed) and with every scope expanded (every node drawn); and the profiling
 * panel's layer table (virtualized): rows in the DOM, sorting every layer by the estimated latency, scrolling.
 * The stub host sends the 50,000-node graph's estimate (Jetson Orin Nano) right after the graph, as a host that
 * has it at hand would; the 2,390-node case has none.
 *
 * Run: npm run bench:ui [-- --runs N] [--cases bert2k,chain50k] [--no-build]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, type Harness, startHarness } from '../test/browser/harness.js';
import { hostScript } from '../test/browser/models.js';
import { median } from './proc.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { runs: { type: 'string' }, cases: { type: 'string' }, 'no-build': { type: 'boolean' } },
});
const runs = values.runs ? Number(values.runs) : 3;
const CASES: { name: string; label: string; paintTargetMs: number }[] = [
  { name: 'bert2k', label: '2,390 nodes (transformer, 70 layers)', paintTargetMs: 1000 },
  { name: 'chain50k', label: '50,000 nodes (residual chain)', paintTargetMs: 3000 },
];
const selected = values.cases ? values.cases.split(',') : CASES.map((c) => c.name);
const WARM_DELAY_MS = 2000;

interface Stats {
  boxes: number;
  opNodes: number;
  totalOpNodes: number;
  edges: number;
  timings?: { indexMs: number; layoutMs: number; paintMs: number };
  view: { scale: number };
}
type Emp = {
  stats(): Stats;
  profile(): { renderedRows: number; firstNodes: number[] };
  expandAll(): void;
  layoutsDone(): Promise<void>;
  frameStats(): { frameTimes: number[]; drawDurations: number[] };
};
/** The page globals used here (the benchmarks' tsconfig has no DOM library). */
declare const window: { __emp: Emp };
declare const performance: { now(): number; getEntriesByName(name: string): { startTime: number }[] };

const root = join(import.meta.dirname, '..');
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

async function load(harness: Harness, browser: Browser, name: string, delayMs: number) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(harness.url(name, { delayMs }), { timeout: 300_000 });
  await page.waitForFunction(() => window.__emp?.stats().timings !== undefined, null, { timeout: 300_000 });
  await page.evaluate(() => window.__emp.layoutsDone());
  const stats = await page.evaluate(() => window.__emp.stats());
  const navToPaint = await page.evaluate(
    () => performance.getEntriesByName('emp:first-paint')[0]?.startTime ?? Number.NaN,
  );
  return { page, stats, navToPaint };
}

/** Frame intervals (rAF) and draw times while real input keeps the view moving for about two seconds. */
/** Records the page's animation-frame times until stopFrameClock; they show the frames a person sees. */
async function startFrameClock(page: Page): Promise<void> {
  // A string: the bundler that runs this file would wrap a named function in a helper the page does not have.
  await page.evaluate(`
    window.__rafTimes = [];
    window.__rafRun = true;
    requestAnimationFrame(function tick(t) {
      window.__rafTimes.push(t);
      if (window.__rafRun) requestAnimationFrame(tick);
    });
  `);
}

/** Stops the clock of startFrameClock and returns the frame times it recorded. */
function stopFrameClock(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const w = window as unknown as { __rafTimes: number[]; __rafRun: boolean };
    w.__rafRun = false;
    return w.__rafTimes;
  });
}

async function frames(page: Page, kind: 'zoom' | 'pan') {
  const canvas = await page.locator('canvas.graph-canvas').boundingBox();
  if (!canvas) throw new Error('no canvas');
  const cx = canvas.x + canvas.width / 2;
  const cy = canvas.y + canvas.height / 2;
  await page.mouse.move(cx, cy);
  const before = await page.evaluate(() => window.__emp.frameStats().frameTimes.length);
  await startFrameClock(page);
  const started = performance.now();
  if (kind === 'zoom') {
    for (let i = 0; performance.now() - started < 2000; i++) await page.mouse.wheel(0, i % 40 < 20 ? -60 : 60);
  } else {
    await page.mouse.down();
    for (let i = 0; performance.now() - started < 2000; i++) {
      const a = (i / 60) * Math.PI;
      await page.mouse.move(cx + 250 * Math.sin(a), cy + 150 * Math.sin(2 * a));
    }
    await page.mouse.up();
  }
  const raf = await stopFrameClock(page);
  const f = await page.evaluate(() => window.__emp.frameStats());
  const draws = f.drawDurations.slice(before);
  const intervals = raf.slice(1).map((t, i) => t - raf[i]);
  const span = raf[raf.length - 1] - raf[0];
  return {
    fps: ((raf.length - 1) / span) * 1000,
    p95Interval: percentile(intervals, 95),
    maxInterval: Math.max(...intervals),
    draws: draws.length,
    drawMean: draws.reduce((a, b) => a + b, 0) / Math.max(1, draws.length),
    drawP95: percentile(draws, 95),
  };
}

/**
 * The layer table: rows in the DOM, one sort of every layer (click to drawn) by the estimated latency (by MACs
 * without an estimate), and frames while it scrolls.
 */
async function table(page: Page, column: string) {
  const before = await page.evaluate(() => window.__emp.profile().firstNodes.join());
  const t = performance.now();
  await page.getByRole('button', { name: `Sort by ${column}` }).click();
  await page.waitForFunction((b) => window.__emp.profile().firstNodes.join() !== b, before);
  const sortMs = performance.now() - t;
  const grid = await page.getByRole('grid', { name: 'Layers' }).boundingBox();
  if (!grid) throw new Error('no layers grid');
  await page.mouse.move(grid.x + grid.width / 2, grid.y + grid.height / 2);
  await startFrameClock(page);
  const started = performance.now();
  while (performance.now() - started < 1500) await page.mouse.wheel(0, 400);
  const raf = await stopFrameClock(page);
  const span = raf[raf.length - 1] - raf[0];
  const rows = await page.evaluate(() => window.__emp.profile().renderedRows);
  return { sortMs, rows, fps: ((raf.length - 1) / span) * 1000 };
}

/** JS heap of the page, and peak resident memory of each renderer process. */
async function memory(page: Page, browserSession: CDPSession) {
  const session = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  const { metrics } = await session.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? Number.NaN;
  const info = (await browserSession.send('SystemInfo.getProcessInfo')) as {
    processInfo: { type: string; id: number }[];
  };
  let rss = 0;
  let hwm = 0;
  for (const p of info.processInfo.filter((x) => x.type === 'renderer')) {
    try {
      const status = readFileSync(`/proc/${p.id}/status`, 'utf8');
      const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
      rss = Math.max(rss, kb('VmRSS'));
      hwm = Math.max(hwm, kb('VmHWM'));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  await session.detach();
  return { heap, rss, hwm };
}

function frameLine(label: string, f: Awaited<ReturnType<typeof frames>>): string {
  return (
    `  ${label.padEnd(30)} ${f.fps.toFixed(1).padStart(5)} fps (p95 frame ${fmt(f.p95Interval)}, worst ${fmt(f.maxInterval)}); ` +
    `draw ${f.drawMean.toFixed(1)} ms mean, ${f.drawP95.toFixed(1)} ms p95 over ${f.draws} frames`
  );
}

async function main(): Promise<void> {
  if (!values['no-build']) {
    const r = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build failed:\n${r.stderr}`);
  }
  const harness = await startHarness();
  const server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const browser = await chromium.connect(server.wsEndpoint());
  const browserSession = await browser.newBrowserCDPSession();
  console.log(`UI benchmark: Chromium ${browser.version()} headless, viewport 1400x900, ${runs} run(s) per case`);
  try {
    for (const c of CASES.filter((x) => selected.includes(x.name))) {
      console.log(`\n${c.label}`);
      // Built before the first page load, so that no load waits for it.
      const script = await hostScript(c.name);
      const cold: number[] = [];
      const warm: number[] = [];
      const nav: number[] = [];
      let last: Awaited<ReturnType<typeof load>> | undefined;
      for (let r = 0; r < runs; r++) {
        const a = await load(harness, browser, c.name, 0);
        cold.push(a.stats.timings?.paintMs ?? Number.NaN);
        nav.push(a.navToPaint);
        await a.page.context().close();
        const b = await load(harness, browser, c.name, WARM_DELAY_MS);
        warm.push(b.stats.timings?.paintMs ?? Number.NaN);
        if (r < runs - 1) await b.page.context().close();
        else last = b;
      }
      console.log(
        `  host side (Node): model -> graph message built in ${fmt(script.graphMs)}` +
          (Object.keys(script.estimates).length
            ? `; estimates and weight statistics for the stub host in ${fmt(script.extraMs)}`
            : ''),
      );
      const verdict = (ms: number) =>
        ms < c.paintTargetMs
          ? `under the ${c.paintTargetMs / 1000} s target`
          : `OVER the ${c.paintTargetMs / 1000} s target`;
      console.log(
        `  first paint, graph message -> frame: cold ${fmt(median(cold))} (runs: ${cold.map(fmt).join(', ')}), ` +
          `warm ${fmt(median(warm))} (runs: ${warm.map(fmt).join(', ')}); ${verdict(median(cold))}`,
      );
      console.log(
        `  first paint from navigation start (cold, includes parsing the test's data script): ${fmt(median(nav))}`,
      );
      const page = (last as NonNullable<typeof last>).page;
      const s = (last as NonNullable<typeof last>).stats;
      console.log(
        `  first view: ${s.boxes} boxes (${s.opNodes} op nodes of ${s.totalOpNodes} shown directly), ${s.edges} edges; ` +
          `hierarchy ${fmt(s.timings?.indexMs ?? Number.NaN)}, layout ${fmt(s.timings?.layoutMs ?? Number.NaN)}`,
      );
      console.log(frameLine('zoom (wheel), first view', await frames(page, 'zoom')));
      console.log(frameLine('pan (drag), first view', await frames(page, 'pan')));
      let m = await memory(page, browserSession);
      console.log(`  memory, first view: JS heap ${mib(m.heap)}, renderer RSS ${mib(m.rss)} (peak ${mib(m.hwm)})`);
      const estimated = script.messages.some((x) => x.type === 'estimate');
      const tb = await table(page, estimated ? 'Latency (est.)' : 'MACs');
      console.log(
        `  layer table: ${s.totalOpNodes} layers, ${tb.rows} rows in the DOM; ` +
          `sort by ${estimated ? 'latency' : 'MACs'} ${fmt(tb.sortMs)} ` +
          `(click to drawn); scrolling ${tb.fps.toFixed(1)} fps`,
      );

      const t = performance.now();
      await page.evaluate(() => window.__emp.expandAll());
      await page.evaluate(() => window.__emp.layoutsDone());
      const expandMs = performance.now() - t;
      const all = await page.evaluate(() => window.__emp.stats());
      console.log(
        `  expand all: ${all.opNodes} op nodes in ${all.boxes} boxes, ${all.edges} edges, laid out and drawn in ${fmt(expandMs)}`,
      );
      await page.getByRole('button', { name: /fit the graph/i }).click();
      console.log(frameLine('zoom (wheel), all, fit', await frames(page, 'zoom')));
      console.log(frameLine('pan (drag), all, fit', await frames(page, 'pan')));
      await page.locator('canvas.graph-canvas').focus();
      for (let i = 0; i < 80 && (await page.evaluate(() => window.__emp.stats())).view.scale < 0.8; i++) {
        await page.keyboard.press('+');
      }
      console.log(frameLine('pan (drag), all, zoomed in', await frames(page, 'pan')));
      m = await memory(page, browserSession);
      console.log(
        `  memory, all expanded: JS heap ${mib(m.heap)}, renderer RSS ${mib(m.rss)} (peak ${mib(m.hwm)}); target < 1024 MiB`,
      );
      await page.context().close();
    }
  } finally {
    await browser.close();
    await server.close();
    await harness.close();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
