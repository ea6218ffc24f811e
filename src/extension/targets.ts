/**
 * The target the estimates are for: built-in profiles plus the user's profiles file (`edgeProfiler.profilesFile`,
 * read through workspace.fs), the current choice (picked in the quick pick or the webview, remembered per
 * workspace; `edgeProfiler.defaultTarget` otherwise), and the status bar item that shows it while an Edge
 * Profiler editor is active.
 */

import * as vscode from 'vscode';
import { builtinProfiles } from '../core/targets/builtinProfiles.js';
import { formatBytes, formatOps } from '../core/targets/listTargets.js';
import { describeCalibration, type HardwareProfile } from '../core/targets/profile.js';
import { didYouMean } from '../core/targets/profileSchema.js';
import { parseProfileText, profileRegistry } from '../core/targets/userProfiles.js';
import type { TargetChoice } from '../protocol.js';
import { readSettings, SETTINGS_SECTION, type Settings } from './settings.js';
import { COMMANDS } from './shared.js';

const STATE_KEY = 'edgeProfiler.currentTarget';

export type TargetLookup = { ok: true; profile: HardwareProfile } | { ok: false; targetId: string; message: string };

export class TargetService implements vscode.Disposable {
  private registry = new Map<string, HardwareProfile>(builtinProfiles().map((p) => [p.id, p]));
  private userIds = new Set<string>();
  /** Why the user profiles could not be read (then only the built-ins are offered). */
  private profilesProblem: string | undefined;
  settings: Settings = readSettings({});
  private readonly changed = new vscode.EventEmitter<{ analysis: boolean }>();
  /** Fires when the target or the profiles change (`analysis`: input shapes or dims changed too). */
  readonly onDidChange = this.changed.event;
  readonly status: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext) {
    this.status = vscode.window.createStatusBarItem('edgeProfiler.target', vscode.StatusBarAlignment.Right, 100);
    this.status.name = 'Edge Profiler Target';
    this.status.command = COMMANDS.selectTarget;
    this.disposables.push(
      this.status,
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SETTINGS_SECTION)) return;
        const analysis =
          e.affectsConfiguration(`${SETTINGS_SECTION}.inputShapes`) ||
          e.affectsConfiguration(`${SETTINGS_SECTION}.dims`);
        void this.reload().then(() => this.changed.fire({ analysis }));
      }),
    );
  }

  /** Reads the settings and the user profiles file. */
  async reload(): Promise<void> {
    const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    this.settings = readSettings({
      defaultTarget: c.get('defaultTarget'),
      profilesFile: c.get('profilesFile'),
      inputShapes: c.get('inputShapes'),
      dims: c.get('dims'),
      sizeThresholdMB: c.get('sizeThresholdMB'),
    });
    if (this.settings.problems.length) {
      void vscode.window.showWarningMessage(`Edge Profiler settings: ${this.settings.problems.join('; ')}`);
    }
    this.profilesProblem = undefined;
    this.userIds = new Set();
    const builtins = builtinProfiles();
    this.registry = new Map(builtins.map((p) => [p.id, p]));
    const file = this.settings.profilesFile;
    if (!file) return;
    const uri = resolvePath(file);
    try {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      const registry = profileRegistry([parseProfileText(text, file)], builtins);
      for (const id of registry.keys()) if (!this.registry.has(id)) this.userIds.add(id);
      this.registry = registry;
    } catch (err) {
      const why =
        err instanceof vscode.FileSystemError
          ? `cannot read ${uri.fsPath || uri.toString()}: ${err.code}`
          : (err as Error).message;
      this.profilesProblem = `edgeProfiler.profilesFile: ${why}`;
      void vscode.window.showErrorMessage(`Edge Profiler: user profiles not loaded. ${this.profilesProblem}`);
    }
  }

  get currentId(): string {
    return this.context.workspaceState.get<string>(STATE_KEY) ?? this.settings.defaultTarget;
  }

  /** The current target's profile, or why there is none. */
  current(): TargetLookup {
    const id = this.currentId;
    const profile = this.registry.get(id);
    if (profile) return { ok: true, profile };
    const ids = [...this.registry.keys()];
    const extra = this.profilesProblem && !this.registry.has(id) ? ` (${this.profilesProblem})` : '';
    return {
      ok: false,
      targetId: id,
      message: `unknown target '${id}'${didYouMean(id, ids)}${extra}; targets: ${ids.join(', ')}`,
    };
  }

  profiles(): HardwareProfile[] {
    return [...this.registry.values()];
  }

  choices(): TargetChoice[] {
    return this.profiles().map((p) => ({
      id: p.id,
      name: p.name,
      kind: p.kind,
      user: this.userIds.has(p.id),
      accuracy: describeCalibration(p.calibration),
    }));
  }

  async select(id: string): Promise<void> {
    if (!this.registry.has(id)) {
      void vscode.window.showErrorMessage(`Edge Profiler: unknown target '${id}'`);
      return;
    }
    if (id === this.currentId) return;
    await this.context.workspaceState.update(STATE_KEY, id);
    this.changed.fire({ analysis: false });
  }

  /** The quick pick of targets; resolves with the id chosen (already selected), or undefined. */
  async pick(): Promise<string | undefined> {
    type Item = vscode.QuickPickItem & { id?: string };
    const items: Item[] = [];
    const groups: [string, HardwareProfile[]][] = [
      ['Your profiles', this.profiles().filter((p) => this.userIds.has(p.id))],
      ['Built-in profiles', this.profiles().filter((p) => !this.userIds.has(p.id))],
    ];
    for (const [label, list] of groups) {
      if (!list.length) continue;
      items.push({ label, kind: vscode.QuickPickItemKind.Separator });
      for (const p of list) {
        const int8 = p.compute.int8?.macsPerSec ?? null;
        const float = Math.max(p.compute.float16?.macsPerSec ?? 0, p.compute.float32?.macsPerSec ?? 0) || null;
        const ram = p.memory[p.placement.activations]?.bytes ?? null;
        items.push({
          id: p.id,
          label: p.id,
          description: `${p.id === this.currentId ? '$(check) ' : ''}${p.name}`,
          detail: `${p.kind} · int8 ${formatOps(int8)} · float ${formatOps(float)} · RAM ${formatBytes(ram)} · ${describeCalibration(p.calibration)}`,
        });
      }
    }
    const chosen = await vscode.window.showQuickPick(items, {
      title: 'Edge Profiler: Select Target',
      placeHolder: `Current target: ${this.currentId}`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!chosen?.id) return undefined;
    await this.select(chosen.id);
    return chosen.id;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** A settings path: absolute, `~/…`, or relative to the first workspace folder. */
function resolvePath(path: string): vscode.Uri {
  if (/^[a-z][\w+.-]+:\/\//i.test(path)) return vscode.Uri.parse(path);
  const home = process.env.HOME ?? process.env.USERPROFILE;
  if (path.startsWith('~/') && home) return vscode.Uri.file(`${home}${path.slice(1)}`);
  if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) return vscode.Uri.file(path);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? vscode.Uri.joinPath(folder, path) : vscode.Uri.file(path);
}
