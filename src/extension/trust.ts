/**
 * Workspace trust for the commands that execute a model in ONNX Runtime (measured profiling, calibration,
 * validation of transforms). Static features (graph, shapes, estimates, comparing two models) never ask.
 */
import * as vscode from 'vscode';

/**
 * True when the workspace is trusted. Otherwise shows why `action` needs trust, offering "Manage Workspace
 * Trust", and returns false at once: the command then does nothing.
 */
export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  const manage = 'Manage Workspace Trust';
  void vscode.window
    .showWarningMessage(
      `${action} runs the model in ONNX Runtime, which Edge Profiler only does in a trusted workspace. The graph, shapes and estimates work without trust.`,
      manage,
    )
    .then((choice) => {
      if (choice === manage) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}
