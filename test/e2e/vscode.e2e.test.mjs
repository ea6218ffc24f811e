// End to end in a real VS Code: the packaged extension (.vsix) installed into code-server (VS Code 1.100.3's
// workbench and Node extension host), driven through Debian's Chromium by playwright-core.
//
//   npm run test:e2e                         (sets up code-server in .cache/code-server, then runs this file)
//   node --test test/e2e/vscode.e2e.test.mjs (after test/e2e/setup-code-server.sh)
//
// Environment: CODE_SERVER_DIR (where the setup script installed code-server), E2E_VSIX (test a prebuilt .vsix
// instead of packaging the working tree), CHROMIUM_PATH (default /usr/bin/chromium), E2E_KEEP=1 (keep the temp
// folder with logs and settings). On a failure a screenshot and the logs are kept and their paths printed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
const codeServerDir = resolve(root, process.env.CODE_SERVER_DIR ?? '.cache/code-server');
const codeServerEntry = join(codeServerDir, 'node_modules/code-server/out/node/entry.js');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const extensionId = 'edge-model-profiler.edge-model-profiler';
const sample = 'vww_96_float.onnx';
const broken = 'broken.onnx';
/** A copy of the sample opened with a size threshold below its size. */
const bigCopy = 'vww_copy_over_threshold.onnx';
// Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const tmp = mkdtempSync(join(tmpdir(), 'emp-e2e-'));
const dirs = {
  user: join(tmp, 'user-data'),
  extensions: join(tmp, 'extensions'),
  workspace: join(tmp, 'workspace'),
  xdg: join(tmp, 'xdg'),
};
// code-server (config file, logs) and Chromium (crash reports) write under the XDG folders: keep those in the
// temp folder, not in $HOME.
const codeServerEnv = {
  ...process.env,
  XDG_CONFIG_HOME: join(dirs.xdg, 'config'),
  XDG_DATA_HOME: join(dirs.xdg, 'data'),
  XDG_CACHE_HOME: join(dirs.xdg, 'cache'),
};
const codeServerCommon = [
  '--config',
  join(tmp, 'code-server.yaml'),
  '--user-data-dir',
  dirs.user,
  '--extensions-dir',
  dirs.extensions,
];

/** @type {import('node:child_process').ChildProcess | undefined} */
let server;
let serverLog = '';
/** @type {import('playwright-core').BrowserServer | undefined} */
let browserServer;
/** @type {import('playwright-core').Browser | undefined} */
let browser;
/** @type {import('playwright-core').Page | undefined} */
let page;
const pageErrors = [];
let failed = false;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Whether `promise` settled within `ms`; its timer does not keep the process alive afterwards. */
async function settlesWithin(promise, ms) {
  let timer;
  const timeout = new Promise((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Runs a command to completion; rejects with its output when it fails or outlives `timeoutMs`. */
function run(command, args, { timeoutMs, ...options }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(output);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/** Ends code-server and everything it started (extension host, file watcher, pty host): they share its group. */
function killServer(signal) {
  if (server?.pid && server.exitCode === null && server.signalCode === null) {
    try {
      process.kill(-server.pid, signal);
    } catch {}
  }
}
process.on('exit', () => killServer('SIGKILL'));

/** Bytes that are not an ONNX model, the same on every run (xorshift32 with a fixed seed). */
function corruptBytes(n) {
  const out = new Uint8Array(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function startCodeServer() {
  const child = spawn(
    process.execPath,
    [
      codeServerEntry,
      ...codeServerCommon,
      '--auth',
      'none',
      '--bind-addr',
      '127.0.0.1:0', // the kernel picks a free port; the server prints it
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      dirs.workspace,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: codeServerEnv },
  );
  server = child;
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start in 60 s:\n${serverLog}`)), 60_000);
    const onData = (d) => {
      serverLog += d;
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(serverLog);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${signal ?? `exit ${code}`}):\n${serverLog}`));
    });
  });
}

/** Opens a workspace file the way a person does: Quick Open (Ctrl+P), type its name, Enter on the match. */
async function quickOpen(name) {
  const input = page.locator('.quick-input-widget input.input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+P');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      break;
    } catch (err) {
      if (attempt === 5) throw err;
    }
  }
  await input.fill(name);
  // The file search runs on the server (ripgrep); wait for the file itself to be listed before choosing it.
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
}

/**
 * The text of our webview showing `fileName`, read inside the nested iframes (`iframe.webview` → `#active-frame`)
 * once `ready(view)` holds; fails with what it last saw after `timeoutMs`.
 */
async function webview(fileName, ready, timeoutMs = 60_000) {
  const deadline = performance.now() + timeoutMs;
  let seen = [];
  while (performance.now() < deadline) {
    seen = [];
    for (const frame of page.frames()) {
      const view = await frame
        .evaluate(() => {
          const app = document.querySelector('main#app');
          if (!app || document.title !== 'Edge Model Profiler') return null;
          // What a person sees, table cells apart ("Conv 27"), not the concatenated text nodes.
          // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is asserted
          return { text: app.innerText, error: app.querySelector('.error')?.textContent ?? null };
        })
        .catch(() => null); // frames come and go while the editor opens
      if (!view) continue;
      seen.push(view.text);
      if (view.text.includes(fileName) && ready(view)) return view;
    }
    await sleep(250);
  }
  throw new Error(
    `no Edge Model Profiler webview for ${fileName} in ${timeoutMs / 1000} s; webviews seen:\n${seen.join('\n---\n') || '(none)'}`,
  );
}

/** Runs a command from the command palette (F1) by its title, e.g. "Edge Profiler: Select Target". */
async function runCommand(title) {
  const input = page.locator('.quick-input-widget input.input');
  // The palette can close again as it opens (a webview that finishes loading takes the focus): then open it again.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(`>${title}`, { timeout: 5_000 });
      break;
    } catch (err) {
      if (attempt === 5) throw err;
    }
  }
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await row.click();
}

/** Picks the row labelled `label` in the quick pick that is open (typing it first to filter). */
async function pickQuickItem(label) {
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(label);
  // Filtered by the id, the target's row is the first (ids are unique and no other id contains another).
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Selects a target the way a person does: the command palette, then the target's row in the quick pick. */
async function selectTarget(id) {
  await runCommand('Edge Profiler: Select Target');
  await pickQuickItem(id);
}

/** The text of our status bar item once it names `targetId` (it shows the estimate's latency too). */
async function statusBarTarget(targetId, timeoutMs = 60_000) {
  const item = page.locator('.statusbar-item', { hasText: targetId });
  await item.first().waitFor({ state: 'visible', timeout: timeoutMs });
  // While the new target is being estimated the item says so; wait for its figures.
  const deadline = performance.now() + timeoutMs;
  let text = '';
  while (performance.now() < deadline) {
    text = ((await item.first().textContent()) ?? '').trim();
    if (!text.includes('estimating')) return text;
    await sleep(100);
  }
  throw new Error(`the status bar still says ${JSON.stringify(text)} after ${timeoutMs / 1000} s`);
}

/** The rows of the Problems panel (opened with its command), as text, once `ready(rows)` holds. */
async function problems(ready, timeoutMs = 60_000) {
  await runCommand('View: Focus Problems');
  const deadline = performance.now() + timeoutMs;
  let rows = [];
  while (performance.now() < deadline) {
    rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
    if (ready(rows)) return rows;
    await sleep(250);
  }
  throw new Error(`the Problems panel never showed what was expected; rows:\n${rows.join('\n---\n') || '(none)'}`);
}

/** Replaces the workspace's settings (.vscode/settings.json, created empty at setup so that it is watched). */
function workspaceSettings(settings) {
  writeFileSync(join(dirs.workspace, '.vscode', 'settings.json'), JSON.stringify(settings));
}

/** Every log line VS Code wrote under the user data folder (server, remote extension host, ...). */
function vscodeLogs() {
  const lines = [];
  const logs = join(dirs.user, 'logs');
  if (!existsSync(logs)) return lines;
  for (const entry of readdirSync(logs, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.log')) {
      const file = join(entry.parentPath ?? entry.path, entry.name);
      for (const line of readFileSync(file, 'utf8').split('\n')) lines.push(`${entry.name}: ${line}`);
    }
  }
  return lines;
}

/** Runs a test body; on failure saves a screenshot and the logs to a folder that outlives the run. */
async function withEvidence(name, body) {
  try {
    await body();
  } catch (err) {
    failed = true;
    const keep = mkdtempSync(join(tmpdir(), 'emp-e2e-failure-'));
    if (page) await page.screenshot({ path: join(keep, `${name}.png`) }).catch(() => {});
    writeFileSync(join(keep, 'code-server.log'), serverLog);
    writeFileSync(join(keep, 'vscode-logs.txt'), vscodeLogs().join('\n'));
    writeFileSync(join(keep, 'page-errors.txt'), pageErrors.join('\n'));
    console.error(`# ${name} failed: screenshot and logs in ${keep}`);
    throw err;
  }
}

describe('Edge Model Profiler in a real VS Code (code-server)', () => {
  before(
    async () => {
      await withEvidence('setup', async () => {
        assert.ok(
          existsSync(codeServerEntry),
          `code-server is not set up in ${codeServerDir}: run test/e2e/setup-code-server.sh (npm run test:e2e does)`,
        );
        assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath}: run test/e2e/setup-code-server.sh`);
        for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
        copyFileSync(join(root, 'samples', sample), join(dirs.workspace, sample));
        writeFileSync(join(dirs.workspace, broken), corruptBytes(4096));
        mkdirSync(join(dirs.workspace, '.vscode'));
        writeFileSync(join(dirs.workspace, '.vscode', 'settings.json'), '{}');
        // Opened later with a size threshold below its size (created now, so Quick Open's file index has it).
        copyFileSync(join(root, 'samples', sample), join(dirs.workspace, bigCopy));
        // A quiet workbench: no welcome page, tips, recommendations, telemetry or update checks.
        mkdirSync(join(dirs.user, 'User'), { recursive: true });
        writeFileSync(
          join(dirs.user, 'User', 'settings.json'),
          JSON.stringify({
            'workbench.startupEditor': 'none',
            'workbench.tips.enabled': false,
            'workbench.enableExperiments': false,
            'extensions.ignoreRecommendations': true,
            'extensions.autoCheckUpdates': false,
            'extensions.autoUpdate': false,
            'telemetry.telemetryLevel': 'off',
            'update.mode': 'none',
            'git.enabled': false,
          }),
        );

        let t = performance.now();
        let vsix = process.env.E2E_VSIX && resolve(process.env.E2E_VSIX);
        if (!vsix) {
          vsix = join(tmp, 'edge-model-profiler.vsix');
          await run('npm', ['run', 'package', '--', '--out', vsix], { cwd: root, timeoutMs: 180_000 });
          console.log(`# packaged the extension in ${seconds(t)}`);
        }
        t = performance.now();
        const installed = await run(
          process.execPath,
          [codeServerEntry, ...codeServerCommon, '--install-extension', vsix],
          {
            env: codeServerEnv,
            timeoutMs: 120_000,
          },
        );
        assert.match(installed, /successfully installed/i, installed);
        console.log(`# installed ${vsix} in ${seconds(t)}`);

        t = performance.now();
        const base = await startCodeServer();
        browserServer = await chromium.launchServer({
          executablePath: chromiumPath,
          headless: true,
          args: chromiumArgs,
          env: codeServerEnv, // Chromium's crash reports go under XDG_CONFIG_HOME: the temp folder, not $HOME
        });
        browser = await chromium.connect(browserServer.wsEndpoint());
        page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        page.on('pageerror', (err) => pageErrors.push(String(err)));
        const url = new URL(base);
        url.searchParams.set('folder', dirs.workspace);
        await page.goto(url.href);
        await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
        // The explorer listing the workspace means the remote file system answers.
        await page
          .locator('.explorer-folders-view .monaco-list-row', { hasText: sample })
          .waitFor({ state: 'visible', timeout: 60_000 });
        console.log(`# code-server ${base} and the workbench up in ${seconds(t)}`);
      });
    },
    { timeout: 300_000 },
  );

  after(
    async () => {
      if (browser) await settlesWithin(browser.close(), 10_000);
      if (browserServer && !(await settlesWithin(browserServer.close(), 10_000))) await browserServer.kill();
      if (server && server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        killServer('SIGTERM');
        if (!(await settlesWithin(exited, 10_000))) {
          killServer('SIGKILL');
          await exited;
        }
      }
      if (failed || process.env.E2E_KEEP) console.error(`# temp folder kept: ${tmp}`);
      else rmSync(tmp, { recursive: true, force: true });
    },
    { timeout: 60_000 },
  );

  it(`opens ${sample} in the Edge Model Profiler editor and shows its summary`, { timeout: 120_000 }, async () => {
    await withEvidence('summary', async () => {
      const t = performance.now();
      await quickOpen(sample);
      const view = await webview(sample, (v) => v.text.includes('IR version'));
      console.log(`# summary shown ${seconds(t)} after Quick Open`);
      assert.equal(view.error, null, `unexpected error: ${view.error}`);
      assert.match(view.text, /IR version\s+6\b/);
      assert.match(view.text, /tflite2onnx/);
      assert.match(view.text, /ai\.onnx 11/);
      assert.match(view.text, /input_1\s+float32\s+\[1, 3, 96, 96\]/);
      assert.match(view.text, /Identity\s+float32\s+\[1, 2\]/);
      assert.match(view.text, /Conv\s+27\b/);
      assert.match(view.text, /Relu\s+27\b/);
      // The tab is the custom editor, not VS Code's "binary file" text editor.
      const tab = page.locator('.tabs-container .tab.active');
      await tab.waitFor({ state: 'visible' });
      assert.match((await tab.textContent()) ?? '', new RegExp(sample.replaceAll('.', '\\.')));
    });
  });

  it(`shows an error naming ${broken} and the problem, not a blank editor`, { timeout: 120_000 }, async () => {
    await withEvidence('broken', async () => {
      await quickOpen(broken);
      const view = await webview(broken, (v) => v.error !== null);
      assert.ok(view.error, 'the error message is empty');
      assert.match(view.error, /broken\.onnx/, `the error does not name the file: ${view.error}`);
      assert.match(
        view.error,
        /not readable|corrupt|truncated|invalid/i,
        `the error does not say what is wrong: ${view.error}`,
      );
      assert.doesNotMatch(view.text, /IR version/);
    });
  });

  it('switches the target through the command palette; the status bar follows', { timeout: 120_000 }, async () => {
    await withEvidence('select-target', async () => {
      await quickOpen(sample);
      await webview(sample, (v) => v.text.includes('IR version'));
      // The default target first, with an estimate (a latency in ms).
      const before = await statusBarTarget('cortex-m7');
      assert.match(before, /cortex-m7 · [\d.,]+ ms/, `status bar: ${before}`);
      const t = performance.now();
      await selectTarget('cortex-m4');
      const after = await statusBarTarget('cortex-m4');
      console.log(`# status bar shows ${JSON.stringify(after)} ${seconds(t)} after picking cortex-m4`);
      const ms = (text) => Number(/· ([\d.,]+) ms/.exec(text)?.[1].replaceAll(',', ''));
      // A 120 MHz Cortex-M4 is much slower than a 480 MHz Cortex-M7 on the same model.
      assert.ok(ms(after) > 5 * ms(before), `cortex-m4 ${after} vs cortex-m7 ${before}`);
      assert.equal(await page.locator('.statusbar-item', { hasText: 'cortex-m7' }).count(), 0);
      // The editor's profiling panel follows too: the new target's estimate, labelled as an estimate.
      const bannerMs = (text) => {
        const m = /latency ([\d.,]+) (ms|s)\b/.exec(text);
        return m ? Number(m[1].replaceAll(',', '')) * (m[2] === 's' ? 1000 : 1) : Number.NaN;
      };
      const shown = await webview(sample, (v) => Math.abs(bannerMs(v.text) - ms(after)) <= 0.01 * ms(after) + 1);
      assert.match(shown.text, /estimate/, 'the figures are labelled as an estimate');
    });
  });

  it("shows the estimate's diagnostics in the Problems panel and updates them on target change", {
    timeout: 120_000,
  }, async () => {
    await withEvidence('problems', async () => {
      await quickOpen(sample);
      await webview(sample, (v) => v.text.includes('IR version'));
      // The float model on an int8-only NPU: a Transpose without a kernel and float layers on the CPU core.
      await selectTarget('ethos-u55-128');
      await statusBarTarget('ethos-u55-128');
      const rows = await problems((r) => r.some((x) => /Transpose not supported on ethos-u55-128/.test(x)));
      const transpose = rows.find((x) => /Transpose not supported/.test(x));
      assert.match(transpose, /layer: /, `the entry names the layer: ${transpose}`);
      assert.ok(
        rows.some((x) => /compute in float32; ethos-u55-128 runs int8/.test(x) && /Quantize to INT8/.test(x)),
        `a float32 entry offering INT8 quantization:\n${rows.join('\n')}`,
      );
      assert.ok(
        rows.some((x) => x.includes(sample)),
        `the entries are under ${sample}:\n${rows.join('\n')}`,
      );
      // On cortex-m4 the model fits and every layer has a kernel: the entries go away.
      await selectTarget('cortex-m4');
      await statusBarTarget('cortex-m4');
      await problems((r) => !r.some((x) => /ethos-u55-128/.test(x)));
    });
  });

  it('exports the HTML report through the command palette and the save dialog', { timeout: 120_000 }, async () => {
    await withEvidence('export', async () => {
      await quickOpen(sample);
      await webview(sample, (v) => v.text.includes('IR version'));
      await statusBarTarget('cortex-m4');
      await runCommand('Edge Profiler: Export Report…');
      // Not pickQuickItem: the save dialog reuses the quick input at once, so it may never be seen hidden.
      const formats = page.locator('.quick-input-widget input.input');
      await formats.fill('HTML report');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'HTML report' }).first().click();
      // code-server's save dialog is a quick input holding the proposed path (next to the model): accept it.
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      const name = 'vww_96_float.cortex-m4.report.html';
      // The dialog fills the path in after it opens (it lists the folder first).
      let proposed = '';
      for (const until = performance.now() + 15_000; performance.now() < until; await sleep(200)) {
        proposed = await input.inputValue().catch(() => '');
        if (proposed.endsWith(name)) break;
      }
      assert.ok(proposed.endsWith(name), `proposed path: ${proposed}`);
      // Accept with the dialog's OK button; a click while it still lists the folder is ignored, so try again.
      const file = join(dirs.workspace, name);
      const ok = page.locator('.quick-input-widget .monaco-button', { hasText: /^OK$/ });
      for (let attempt = 0; attempt < 5 && !existsSync(file); attempt++) {
        if (await ok.isVisible()) await ok.click().catch(() => {});
        for (const until = performance.now() + 3_000; !existsSync(file) && performance.now() < until; )
          await sleep(200);
      }
      assert.ok(existsSync(file), `${file} was not written`);
      const html = readFileSync(file, 'utf8');
      assert.match(html, /^<!DOCTYPE html>/);
      assert.match(html, /target: cortex-m4/);
      assert.match(html, /<svg role="img" aria-label="The 15 layers taking the most time on cortex-m4/);
      assert.doesNotMatch(html, /<script/i);
      // The extension says where it saved it; clear that toast so later checks see only unexpected ones.
      await page
        .locator('.notifications-toasts .notification-toast', { hasText: `Saved ${name}` })
        .waitFor({ state: 'visible', timeout: 10_000 });
      await runCommand('Notifications: Clear All Notifications');
      // No temporary file left next to it.
      assert.deepEqual(
        readdirSync(dirs.workspace).filter((f) => f.endsWith('.tmp')),
        [],
      );
    });
  });

  it('Show Layer lists the layers slowest first with their latency', { timeout: 60_000 }, async () => {
    await withEvidence('show-layer', async () => {
      await quickOpen(sample);
      await webview(sample, (v) => v.text.includes('IR version'));
      await runCommand('Edge Profiler: Show Layer…');
      const rows = page.locator('.quick-input-list .monaco-list-row');
      await rows.first().waitFor({ state: 'visible', timeout: 10_000 });
      const first = (await rows.first().textContent()) ?? '';
      assert.match(first, /Conv.*ms \(\d+\.\d%\), (compute|memory)-bound/, first);
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget input.input').waitFor({ state: 'hidden', timeout: 10_000 });
    });
  });

  it('asks before loading the weights of a model over the size threshold; "Graph Only" still opens it', {
    timeout: 120_000,
  }, async () => {
    await withEvidence('size-threshold', async () => {
      // A workspace setting below the sample's 0.87 MB, for a copy of the sample that has not been opened yet.
      workspaceSettings({ 'edgeProfiler.sizeThresholdMB': 0.5 });
      try {
        // The setting reaches the extension host through a file watcher: if the copy opened before it did, close
        // it and open it again.
        const dialog = page.locator('.monaco-dialog-box');
        for (let attempt = 1; ; attempt++) {
          await sleep(1_000);
          await quickOpen(bigCopy);
          if (
            await dialog.waitFor({ state: 'visible', timeout: 10_000 }).then(
              () => true,
              () => false,
            )
          )
            break;
          assert.ok(attempt < 3, 'no question about loading the weights after three tries');
          await runCommand('View: Close All Editors');
        }
        const text = (await dialog.textContent()) ?? '';
        assert.match(text, new RegExp(`${bigCopy.replaceAll('.', '\\.')} is 0\\.9 MB, over the 0\\.5 MB`), text);
        await dialog.locator('.monaco-button', { hasText: 'Graph Only' }).click();
        const view = await webview(bigCopy, (v) => v.text.includes('IR version'));
        assert.match(view.text, /partial view: the weights of this model were not loaded/);
        assert.match(view.text, /Conv\s+27\b/);
        assert.equal(view.error, null);
        // The estimate still comes: the status bar shows a latency for it.
        assert.match(await statusBarTarget('cortex-m4'), /cortex-m4 · [\d.,]+ ms/);
      } finally {
        workspaceSettings({});
      }
    });
  });

  it('an input shape override that overflows RAM: an error in Problems and a notification offering the fixes', {
    timeout: 120_000,
  }, async () => {
    await withEvidence('ram-error', async () => {
      await quickOpen(sample);
      await webview(sample, (v) => v.text.includes('IR version'));
      await statusBarTarget('cortex-m4');
      // 192×192 instead of 96×96: four times the activations, more than the Cortex-M4's 640 KB of SRAM.
      workspaceSettings({ 'edgeProfiler.inputShapes': { input_1: '1x3x192x192' } });
      try {
        const toast = page.locator('.notifications-toasts .notification-toast', {
          hasText: `${sample} on cortex-m4: model needs`,
        });
        // (The copy opened by the size-threshold test overflows too and shows a notification of its own.)
        await toast.waitFor({ state: 'visible', timeout: 30_000 });
        const text = (await toast.textContent()) ?? '';
        assert.match(text, /vww_96_float\.onnx on cortex-m4: model needs [\d,]+ KB RAM .*cortex-m4 has 640 KB/, text);
        for (const button of ['Quantize to INT8…', 'Set Input Shapes…', 'Prune…', 'Show Layer']) {
          assert.equal(
            await toast.locator('.monaco-button', { hasText: button }).count(),
            1,
            `no '${button}' in ${text}`,
          );
        }
        assert.match(await statusBarTarget('cortex-m4'), /RAM exceeded/);
        const rows = await problems((r) => r.some((x) => /model needs [\d,]+ KB RAM/.test(x)));
        assert.ok(
          rows.some((x) => /Quantize to INT8/.test(x)),
          rows.join('\n'),
        );
        await runCommand('Notifications: Clear All Notifications');
      } finally {
        workspaceSettings({});
      }
      // Back to the model's own 96×96 input: it fits again and the error goes away.
      await problems((r) => !r.some((x) => /model needs [\d,]+ KB RAM/.test(x)));
    });
  });

  it("the walkthrough's command opens the sample model shipped in the extension", { timeout: 60_000 }, async () => {
    await withEvidence('open-sample', async () => {
      const tabs = page.locator('.tabs-container .tab', { hasText: sample });
      const before = await tabs.count();
      await runCommand('Edge Profiler: Open the Sample Model');
      // A second tab of that name: the extension's own copy, not the workspace's.
      for (const until = performance.now() + 30_000; performance.now() < until; await sleep(200)) {
        if ((await tabs.count()) > before) break;
      }
      assert.equal(await tabs.count(), before + 1, 'no new tab for the bundled sample');
      const view = await webview(sample, (v) => v.text.includes('IR version'));
      assert.match(view.text, /Conv\s+27\b/);
    });
  });

  it('the Getting Started walkthrough lists its steps and its button opens the sample', {
    timeout: 90_000,
  }, async () => {
    await withEvidence('walkthrough', async () => {
      await runCommand('Welcome: Open Walkthrough...');
      await pickQuickItem('Get Started with Edge Model Profiler');
      const container = page.locator('.gettingStartedContainer');
      const openButton = container.getByRole('button', { name: 'Open the Sample Model', exact: true });
      await openButton.waitFor({ state: 'visible', timeout: 30_000 });
      const text = (await container.textContent()) ?? '';
      for (const step of [
        'Open a model',
        'Pick a target',
        'Read the profile',
        'Diagnostics and fixes',
        'Share a report',
      ]) {
        assert.ok(text.includes(step), `walkthrough step '${step}' missing: ${text.slice(0, 500)}`);
      }
      // The first step's page (media/walkthrough/open.md) is shown beside it, in a webview of its own.
      let page1 = false;
      for (const until = performance.now() + 30_000; !page1 && performance.now() < until; await sleep(250)) {
        for (const frame of page.frames()) {
          const body = await frame.evaluate(() => document.body?.textContent ?? '').catch(() => '');
          if (body.includes('MLPerf Tiny')) page1 = true;
        }
      }
      assert.ok(page1, "the walkthrough's first page (media/walkthrough/open.md) did not show");
      await openButton.click();
      // The active tab is then the extension's own copy (its tab is described by its folder, …/samples).
      const active = page.locator('.tabs-container .tab.active');
      let label = '';
      for (const until = performance.now() + 30_000; performance.now() < until; await sleep(200)) {
        label = (await active.textContent().catch(() => '')) ?? '';
        if (label.includes(sample)) break;
      }
      assert.ok(label.includes(sample) && label.includes('samples'), `active tab: ${label}`);
      await webview(sample, (v) => v.text.includes('IR version'));
    });
  });

  it('runs in an extension host that neither crashed nor failed to activate the extension', {
    timeout: 60_000,
  }, async () => {
    await withEvidence('extension-host', async () => {
      const toasts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts();
      const bad = toasts.filter((s) =>
        /extension host|terminated|crash|edge model profiler|edge-model-profiler/i.test(s),
      );
      assert.deepEqual(bad, [], `notifications about the extension or its host:\n${bad.join('\n')}`);
      const logs = vscodeLogs();
      const crashes = logs.filter((l) =>
        /extension host.*(terminated|crashed|exited)|exthost.*(crash|exited with code)/i.test(l),
      );
      assert.deepEqual(crashes, [], `extension host trouble in VS Code's logs:\n${crashes.join('\n')}`);
      const ours = logs.filter((l) => l.includes(extensionId) && /\[error\]|failed/i.test(l));
      assert.deepEqual(ours, [], `errors about ${extensionId} in VS Code's logs:\n${ours.join('\n')}`);
      // The extension host activated it for the custom editor (not at startup, not for another reason).
      assert.ok(
        logs.some((l) =>
          /_doActivateExtension edge-model-profiler\.edge-model-profiler\b.*onCustomEditor:edgeModelProfiler\.model/.test(
            l,
          ),
        ),
        `VS Code's logs never show ${extensionId} activated for its custom editor`,
      );
    });
  });
});
