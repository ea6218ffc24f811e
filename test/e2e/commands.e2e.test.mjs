// End to end in a real VS Code (code-server): the model commands of src/extension/modelCommands.ts run from the
// command palette on the sample model: FP16 conversion (quick pick, ONNX Runtime in a child process, the new file
// opened in the editor, the compare view), replacing an existing output only after confirmation, and measured
// profiling. Same setup as vscode.e2e.test.mjs (see there for the environment variables).
//
// The packaged extension does not carry onnxruntime-node yet (the .vsix becomes per-platform once it does): until
// then this suite links the working tree's copy into the installed extension, and says so.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
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

const tmp = mkdtempSync(join(tmpdir(), 'emp-e2e-cmds-'));
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

/** Starts code-server; with `trust`, VS Code's workspace trust is on (the folder starts untrusted). */
async function startCodeServer({ trust = false } = {}) {
  serverLog = '';
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
      ...(trust ? [] : ['--disable-workspace-trust']),
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
async function webview(fileName, ready, timeoutMs = 60_000, title = 'Edge Model Profiler') {
  const deadline = performance.now() + timeoutMs;
  let seen = [];
  while (performance.now() < deadline) {
    seen = [];
    for (const frame of page.frames()) {
      const view = await frame
        .evaluate((wanted) => {
          const app = document.querySelector('main#app');
          if (!app || document.title !== wanted) return null;
          // What a person sees, table cells apart ("Conv 27"), not the concatenated text nodes.
          // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is asserted
          return { text: app.innerText, error: app.querySelector('.error')?.textContent ?? null };
        }, title)
        .catch(() => null); // frames come and go while the editor opens
      if (!view) continue;
      seen.push(view.text);
      if (view.text.includes(fileName) && ready(view)) return view;
    }
    await sleep(250);
  }
  throw new Error(
    `no '${title}' webview for ${fileName} in ${timeoutMs / 1000} s; webviews seen:\n${seen.join('\n---\n') || '(none)'}`,
  );
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

/** Brings the model's editor to the front: its tab when it has one, else Quick Open; waits for its summary. */
async function showModel(name) {
  const tab = page.locator('.tabs-container .tab', { hasText: new RegExp(`^${name.replaceAll('.', '\\.')}`) }).first();
  if (await tab.count()) await tab.click();
  else await quickOpen(name);
  return webview(name, (v) => v.text.includes('IR version'));
}

/** Runs a command from the command palette (F1) by its title, the way a person does. */
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
  const row = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await input.press('Enter');
}

/** Chooses the quick pick item whose label contains `label`. */
async function choose(label) {
  const input = page.locator('.quick-input-widget input.input');
  // The command's own quick pick replaces the palette in the same widget: wait for its item first.
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: label })
    .first()
    .waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(label);
  const row = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await input.press('Enter');
}

/** Waits for a notification toast whose text matches `pattern`; returns its text. */
async function notification(pattern, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  let texts = [];
  while (performance.now() < deadline) {
    texts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts();
    const hit = texts.find((t) => pattern.test(t));
    if (hit) return hit;
    await sleep(250);
  }
  throw new Error(`no notification matching ${pattern} in ${timeoutMs / 1000} s; seen:\n${texts.join('\n---\n')}`);
}

async function waitForFile(path, timeoutMs, since = 0) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (existsSync(path) && statSync(path).mtimeMs > since) return;
    await sleep(250);
  }
  throw new Error(`${path} was not written within ${timeoutMs / 1000} s`);
}

describe('Edge Profiler model commands in a real VS Code (code-server)', () => {
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
        const installed = await run(
          process.execPath,
          [codeServerEntry, ...codeServerCommon, '--install-extension', vsix],
          { env: codeServerEnv, timeoutMs: 120_000 },
        );
        assert.match(installed, /successfully installed/i, installed);
        const ext = readdirSync(dirs.extensions).find((n) => n.startsWith(`${extensionId}-`));
        assert.ok(ext, `the installed extension is not in ${dirs.extensions}`);
        const extDir = join(dirs.extensions, ext);
        for (const f of ['dist/ortRunner.js', 'dist/compare.js']) {
          assert.ok(existsSync(join(extDir, f)), `the package lacks ${f} (.vscodeignore must keep it)`);
        }
        const ortTarget = join(extDir, 'node_modules', 'onnxruntime-node');
        if (!existsSync(ortTarget)) {
          mkdirSync(join(extDir, 'node_modules'), { recursive: true });
          symlinkSync(realpathSync(join(root, 'node_modules', 'onnxruntime-node')), ortTarget, 'dir');
          console.log(
            '# the package has no onnxruntime-node: linked the working tree copy into the installed extension',
          );
        }

        t = performance.now();
        const base = await startCodeServer();
        browserServer = await chromium.launchServer({
          executablePath: chromiumPath,
          headless: true,
          args: chromiumArgs,
          env: codeServerEnv,
        });
        browser = await chromium.connect(browserServer.wsEndpoint());
        page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        page.on('pageerror', (err) => pageErrors.push(String(err)));
        // Console errors of every frame, webviews included, go to the evidence kept on a failure.
        page.on('console', (msg) => {
          if (msg.type() === 'error' || msg.type() === 'warning') pageErrors.push(`${msg.type()}: ${msg.text()}`);
        });
        const url = new URL(base);
        url.searchParams.set('folder', dirs.workspace);
        await page.goto(url.href);
        await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
        await page
          .locator('.explorer-folders-view .monaco-list-row', { hasText: sample })
          .waitFor({ state: 'visible', timeout: 60_000 });
        console.log(`# code-server ${base} and the workbench up in ${seconds(t)}`);
        await quickOpen(sample);
        await webview(sample, (v) => v.text.includes('IR version'));
      });
    },
    { timeout: 360_000 },
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

  const fp16 = sample.replace(/\.onnx$/, '.fp16.onnx');

  it('Convert Model to FP16… writes a new validated model, opens it and the comparison', {
    timeout: 180_000,
  }, async () => {
    await withEvidence('fp16', async () => {
      const t = performance.now();
      await runCommand('Edge Profiler: Convert Model to FP16…');
      await choose('Keep float32 inputs and outputs');
      await waitForFile(join(dirs.workspace, fp16), 120_000);
      await webview(fp16, (v) => v.text.includes('IR version'));
      const compare = await webview(fp16, (v) => /Validation in ONNX Runtime/.test(v.text), 120_000, 'Compare models');
      console.log(`# FP16 model written, validated and compared ${seconds(t)} after the command`);
      assert.match(compare.text, /Validation in ONNX Runtime: passed/);
      assert.match(compare.text, /cosine similarity \(worst output\)\s+(0\.999\d+|1\.000000)/);
      assert.match(compare.text, /file size\s+[\d.]+ KB → [\d.]+ KB \((4\d|5\d)\.\d%\)/);
      assert.match(compare.text, /weight bytes/);
      assert.match(compare.text, /changed/);
      // The new model opened in the Edge Model Profiler editor.
      const view = await webview(fp16, (v) => v.text.includes('IR version'));
      assert.equal(view.error, null, `unexpected error: ${view.error}`);
      await notification(/Wrote .*fp16\.onnx.*validation in ONNX Runtime passed/, 30_000);
      // Choosing a layer in the compare view must not break anything (revealing is the editor's part).
      for (const frame of page.frames()) {
        const clicked = await frame
          .evaluate(() => {
            if (document.title !== 'Compare models') return false;
            const b = document.querySelector('table.diff button.link');
            if (!(b instanceof HTMLElement)) return false;
            b.click();
            return true;
          })
          .catch(() => false);
        if (clicked) break;
      }
    });
  });

  it('asks before replacing an existing output; Cancel leaves it untouched, Replace writes it anew', {
    timeout: 180_000,
  }, async () => {
    await withEvidence('replace', async () => {
      const out = join(dirs.workspace, fp16);
      const before = statSync(out).mtimeMs;
      await showModel(sample);
      await runCommand('Edge Profiler: Convert Model to FP16…');
      await choose('Keep float32 inputs and outputs');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 15_000 });
      assert.match((await dialog.textContent()) ?? '', /already exists\. Replace it\?/);
      await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
      await sleep(3000);
      assert.equal(statSync(out).mtimeMs, before, 'Cancel leaves the existing file alone');

      await runCommand('Edge Profiler: Convert Model to FP16…');
      await choose('Keep float32 inputs and outputs');
      await dialog.waitFor({ state: 'visible', timeout: 15_000 });
      await dialog.locator('.monaco-button', { hasText: 'Replace' }).click();
      await waitForFile(out, 120_000, before);
      assert.deepEqual(
        readdirSync(dirs.workspace).filter((f) => f.endsWith('.tmp')),
        [],
        'no temporary files left in the workspace',
      );
    });
  });

  it('Profile on This Machine (measured) runs the model in a child process and reports measured vs estimated', {
    timeout: 180_000,
  }, async () => {
    await withEvidence('measure', async () => {
      await showModel(sample);
      const t = performance.now();
      await runCommand('Edge Profiler: Profile on This Machine (measured)');
      const text = await notification(/ms measured on this machine, .* ms estimated .*Spearman/, 150_000);
      console.log(`# measured profile reported ${seconds(t)} after the command: ${text.split('\n')[0]}`);
      const rho = Number(/Spearman ρ (-?\d+(?:\.\d+)?)/.exec(text)?.[1]);
      assert.ok(rho > 0, `per-layer rank correlation is positive: ${rho}`);
    });
  });

  it('Compare with Another Model… shows both models side by side without running them', {
    timeout: 120_000,
  }, async () => {
    await withEvidence('compare', async () => {
      await showModel(sample);
      await runCommand('Edge Profiler: Compare with Another Model…');
      // The open dialog (VS Code's simple file dialog in code-server): type the other model's path.
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      // The dialog writes its starting folder into the input once it has listed it, which can replace a path typed
      // before that: type it again until it stays.
      const path = join(dirs.workspace, fp16);
      for (let attempt = 1; ; attempt++) {
        await input.fill(path);
        await page
          .locator('.quick-input-list .monaco-list-row', { hasText: fp16 })
          .first()
          .waitFor({ state: 'visible', timeout: 15_000 });
        await sleep(500);
        if ((await input.inputValue()) === path) break;
        if (attempt === 5)
          throw new Error(`the open dialog keeps replacing the typed path: ${await input.inputValue()}`);
      }
      await input.press('Enter');
      // A second compare panel, without a validation section: a plain comparison runs nothing.
      const view = await webview(
        fp16,
        (v) => v.text.includes('Totals') && !v.text.includes('Validation in ONNX Runtime'),
        60_000,
        'Compare models',
      );
      assert.match(view.text, new RegExp(`A: ${sample.replaceAll('.', '\\.')}`));
      assert.match(view.text, /weight bytes\s+824 KB\s+412 KB/);
      assert.match(view.text, /\d+ changed/);
    });
  });

  it('leaves the extension host running', { timeout: 60_000 }, async () => {
    await withEvidence('extension-host', async () => {
      const logs = vscodeLogs();
      const crashes = logs.filter((l) =>
        /extension host.*(terminated|crashed|exited)|exthost.*(crash|exited with code)/i.test(l),
      );
      assert.deepEqual(crashes, [], `extension host trouble in VS Code's logs:\n${crashes.join('\n')}`);
      const toasts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts();
      const bad = toasts.filter((s) => /extension host|terminated unexpectedly|Edge Profiler: ONNX Runtime/i.test(s));
      assert.deepEqual(bad, [], `notifications about failures:\n${bad.join('\n')}`);
    });
  });

  it('in an untrusted workspace, the model shows but running it asks for trust and does nothing', {
    timeout: 240_000,
  }, async () => {
    await withEvidence('untrusted', async () => {
      // Restart VS Code with workspace trust on: the folder has never been trusted.
      await settlesWithin(page.close(), 10_000);
      const exited = new Promise((r) => server.once('exit', r));
      killServer('SIGTERM');
      if (!(await settlesWithin(exited, 10_000))) killServer('SIGKILL');
      rmSync(join(dirs.workspace, fp16), { force: true });
      const base = await startCodeServer({ trust: true });
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.on('pageerror', (err) => pageErrors.push(String(err)));
      const url = new URL(base);
      url.searchParams.set('folder', dirs.workspace);
      await page.goto(url.href);
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
      // VS Code asks whether to trust the folder's authors: no.
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 60_000 });
      await dialog.locator('.monaco-button', { hasText: /No, I don.t trust the authors/ }).click();
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: sample }).waitFor({ timeout: 60_000 });
      await quickOpen(sample);
      const view = await webview(sample, (v) => v.text.includes('IR version'));
      assert.equal(view.error, null, 'the static view works without trust');

      await runCommand('Edge Profiler: Convert Model to FP16…');
      const text = await notification(/needs? a trusted workspace|only does in a trusted workspace/, 20_000);
      assert.match(text, /Manage Workspace Trust/, 'the message offers to manage trust');
      const picks = await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Keep float32' }).count();
      assert.equal(picks, 0, 'no quick pick: the command stopped');
      await runCommand('Edge Profiler: Profile on This Machine (measured)');
      await sleep(3000);
      assert.equal(existsSync(join(dirs.workspace, fp16)), false, 'nothing was written');
      const measuredToasts = await page
        .locator('.notifications-toasts .notification-toast', { hasText: 'measured on this machine' })
        .count();
      assert.equal(measuredToasts, 0, 'nothing was measured');
    });
  });
});
