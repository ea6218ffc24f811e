/**
 * What the extension's parts share: command ids, and the open model webviews by document URI so that a command
 * (measured profiling, a transform) can post results to the editor of the model it ran on.
 */
import type * as vscode from 'vscode';
import type { HostMessage } from '../protocol.js';

/** Command ids (all in the "Edge Profiler" category of the command palette). */
export const COMMANDS = {
  open: 'edgeProfiler.open',
  /** Opens the bundled sample model (the Getting Started walkthrough). */
  openSample: 'edgeProfiler.openSample',
  selectTarget: 'edgeProfiler.selectTarget',
  showLayer: 'edgeProfiler.showLayer',
  exportReport: 'edgeProfiler.exportReport',
  measure: 'edgeProfiler.measure',
  compare: 'edgeProfiler.compare',
  quantizeInt8: 'edgeProfiler.quantizeInt8',
  convertFp16: 'edgeProfiler.convertFp16',
  prune: 'edgeProfiler.prune',
} as const;

const panels = new Map<string, Set<vscode.Webview>>();

/** Registers a webview showing the model at `uri`; the returned function unregisters it. */
export function registerModelWebview(uri: vscode.Uri, webview: vscode.Webview): () => void {
  const key = uri.toString();
  let set = panels.get(key);
  if (!set) {
    set = new Set();
    panels.set(key, set);
  }
  set.add(webview);
  return () => {
    const s = panels.get(key);
    s?.delete(webview);
    if (s && s.size === 0) panels.delete(key);
  };
}

/** Posts `msg` to every open webview of the model at `uri`; false when none is open. */
export function postToModel(uri: vscode.Uri, msg: HostMessage): boolean {
  const set = panels.get(uri.toString());
  if (!set || set.size === 0) return false;
  for (const w of set) void w.postMessage(msg);
  return true;
}

let currentTarget: () => string | undefined = () => undefined;

/** Sets where the selected target is read from (the target service, once activated). */
export function setCurrentTarget(get: () => string | undefined): void {
  currentTarget = get;
}

/** The target selected for estimates (status bar, quick pick, webview picker), if any. */
export function currentTargetId(): string | undefined {
  return currentTarget();
}
