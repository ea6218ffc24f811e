// Runs inside the VS Code extension host (loaded by @vscode/test-electron).
const assert = require('node:assert/strict');
const path = require('node:path');
const vscode = require('vscode');

async function openSampleInCustomEditor() {
  const uri = vscode.Uri.file(path.join(__dirname, '..', '..', '..', 'samples', 'vww_96_float.onnx'));
  await vscode.commands.executeCommand('vscode.openWith', uri, 'edgeModelProfiler.model');
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  assert.ok(tab, 'no active tab after opening the sample');
  assert.ok(tab.input instanceof vscode.TabInputCustom, 'the sample did not open in a custom editor');
  assert.equal(tab.input.viewType, 'edgeModelProfiler.model');
  assert.equal(tab.input.uri.fsPath, uri.fsPath);
}

async function defaultEditorForOnnxIsOurs() {
  const uri = vscode.Uri.file(path.join(__dirname, '..', '..', '..', 'samples', 'vww_96_float.onnx'));
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.commands.executeCommand('vscode.open', uri);
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  assert.ok(tab?.input instanceof vscode.TabInputCustom, '.onnx did not open in the custom editor by default');
}

async function hostCommandsAreRegistered() {
  const all = new Set(await vscode.commands.getCommands(true));
  const ours = ['open', 'openSample', 'selectTarget', 'showLayer', 'exportReport'].map((c) => `edgeProfiler.${c}`);
  const missing = ours.filter((c) => !all.has(c));
  assert.deepEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
}

/** Waits until `predicate(diagnostics of uri)` holds (the analysis runs in a worker). */
async function diagnosticsFor(uri, predicate, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = vscode.languages.getDiagnostics(uri);
    if (predicate(list)) return list;
    if (Date.now() > deadline) {
      throw new Error(`diagnostics of ${uri.fsPath} never matched; last: ${list.map((d) => d.message).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function diagnosticsFollowTheTarget() {
  const uri = vscode.Uri.file(path.join(__dirname, '..', '..', '..', 'samples', 'vww_96_float.onnx'));
  const config = vscode.workspace.getConfiguration('edgeProfiler');
  await vscode.commands.executeCommand('vscode.openWith', uri, 'edgeModelProfiler.model');
  try {
    await config.update('defaultTarget', 'ethos-u55-128', vscode.ConfigurationTarget.Global);
    const list = await diagnosticsFor(uri, (l) =>
      l.some((d) => /Transpose not supported on ethos-u55-128/.test(d.message)),
    );
    const transpose = list.find((d) => /Transpose/.test(d.message));
    assert.equal(transpose.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(transpose.range.start.line, 0);
    assert.match(String(transpose.code.target), /^command:edgeProfiler\.showLayer/);
    await config.update('defaultTarget', 'cortex-m4', vscode.ConfigurationTarget.Global);
    await diagnosticsFor(uri, (l) => l.length === 0);
  } finally {
    await config.update('defaultTarget', undefined, vscode.ConfigurationTarget.Global);
  }
}

exports.run = async function run() {
  const tests = {
    openSampleInCustomEditor,
    defaultEditorForOnnxIsOurs,
    hostCommandsAreRegistered,
    diagnosticsFollowTheTarget,
  };
  let failed = 0;
  for (const [name, fn] of Object.entries(tests)) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (err) {
      failed++;
      console.error(`not ok - ${name}: ${err?.stack ?? err}`);
    }
  }
  if (failed) throw new Error(`${failed} VS Code test(s) failed`);
};
