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

exports.run = async function run() {
  const tests = { openSampleInCustomEditor, defaultEditorForOnnxIsOurs };
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
