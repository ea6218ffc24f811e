/**
 * What the webview remembers across being hidden and shown again (VS Code's getState/setState): which graph is
 * open, per graph the expanded scopes, the view and the selection, the overlay, the search and whether the side
 * panel is open, and the profiling panel's tab, sort and filter. Everything read back is checked: state from
 * another version of the webview is ignored.
 */
import type { View } from './graph/graphCanvas.js';
import { readProfileState, type SavedProfile } from './profile/profileState.js';

export interface GraphViewState {
  expanded: number[];
  view?: View;
  selected: number;
}

export interface SavedState {
  version: 1;
  fileName: string;
  graph: number;
  graphs: Record<string, GraphViewState>;
  overlay: string | null;
  panel: boolean;
  query: string;
  /** The profiling panel: open or not, its height (percent of the column), its tab, sort and filter. */
  profile?: SavedProfile;
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function graphState(x: unknown): GraphViewState | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const g = x as Record<string, unknown>;
  if (!Array.isArray(g.expanded) || !g.expanded.every(isNum) || !isNum(g.selected)) return undefined;
  const v = g.view as Record<string, unknown> | undefined;
  const view =
    v && isNum(v.x) && isNum(v.y) && isNum(v.scale) && v.scale > 0 ? { x: v.x, y: v.y, scale: v.scale } : undefined;
  return { expanded: g.expanded, selected: g.selected, ...(view ? { view } : {}) };
}

export function readState(raw: unknown, fileName: string): SavedState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Record<string, unknown>;
  if (s.version !== 1 || s.fileName !== fileName || !isNum(s.graph)) return undefined;
  const graphs: Record<string, GraphViewState> = {};
  if (typeof s.graphs === 'object' && s.graphs !== null) {
    for (const [k, v] of Object.entries(s.graphs)) {
      const g = graphState(v);
      if (g) graphs[k] = g;
    }
  }
  return {
    version: 1,
    fileName,
    graph: s.graph,
    graphs,
    overlay: typeof s.overlay === 'string' ? s.overlay : null,
    panel: s.panel !== false,
    query: typeof s.query === 'string' ? s.query : '',
    profile: readProfileState(s.profile),
  };
}
