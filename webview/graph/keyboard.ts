/**
 * Keyboard use of a drawn graph, shared by the model editor and the compare view: arrows move the selection along
 * the edges (producers up, consumers down) and among siblings (left, right), or pan with Shift or when nothing is
 * selected; + / - / 0 zoom and fit; Enter or Space activates (expands or collapses a scope); Escape clears the
 * selection. DOM-free apart from the KeyboardEvent fields it reads.
 */
import type { Hierarchy } from './hierarchy.js';
import type { Scene } from './scene.js';

/** What a key can do to the graph it was pressed on. */
export interface GraphKeyTarget {
  readonly hier: Hierarchy;
  /** What is drawn (undefined until the first layout). */
  readonly scene: Scene | undefined;
  /** The selected item, -1 for none. */
  readonly selected: number;
  /** The canvas's view (GraphCanvas). */
  readonly view: { zoomAt(factor: number): void; panBy(dx: number, dy: number): void; fit(): void };
  select(item: number, reveal: boolean): void;
  activate(item: number): void;
  /** Backspace; absent where there is nothing to go back to. */
  back?(): void;
}

const PAN_STEP = 80;

/** The item an arrow key moves to from `item`: producers up, consumers down, siblings left and right; -1: none. */
export function neighbourItem(hier: Hierarchy, s: Scene, item: number, key: string): number {
  const k = s.indexOf[item];
  if (k === undefined || k < 0) return -1;
  if (key === 'ArrowUp' || key === 'ArrowDown') {
    const up = key === 'ArrowUp';
    let best = -1;
    for (let e = 0; e < s.edgeCount; e++) {
      const from = s.edgeEnds[2 * e];
      const to = s.edgeEnds[2 * e + 1];
      const other = up ? (to === k ? from : -1) : from === k ? to : -1;
      if (other >= 0 && (best < 0 || s.x[other] < s.x[best])) best = other;
    }
    return best >= 0 ? s.items[best] : -1;
  }
  const siblings = hier.children[hier.parent[item]] ?? [];
  const i = siblings.indexOf(item) + (key === 'ArrowLeft' ? -1 : 1);
  return i >= 0 && i < siblings.length ? siblings[i] : -1;
}

/** Applies a key to the graph; true when the key was one of the graph's (the caller then prevents its default). */
export function handleGraphKey(e: Pick<KeyboardEvent, 'key' | 'shiftKey'>, g: GraphKeyTarget): boolean {
  const s = g.scene;
  const sel = g.selected;
  switch (e.key) {
    case '+':
    case '=':
      g.view.zoomAt(1.25);
      return true;
    case '-':
    case '_':
      g.view.zoomAt(0.8);
      return true;
    case '0':
      g.view.fit();
      return true;
    case 'Enter':
    case ' ':
      if (sel >= 0) g.activate(sel);
      return true;
    case 'Escape':
      g.select(-1, false);
      return true;
    case 'Backspace':
      if (!g.back) return false;
      g.back();
      return true;
    case 'ArrowUp':
    case 'ArrowDown':
    case 'ArrowLeft':
    case 'ArrowRight': {
      if (e.shiftKey || sel < 0 || !s) {
        const d = {
          ArrowUp: [0, PAN_STEP],
          ArrowDown: [0, -PAN_STEP],
          ArrowLeft: [PAN_STEP, 0],
          ArrowRight: [-PAN_STEP, 0],
        }[e.key];
        g.view.panBy(d[0], d[1]);
        // The first arrow on a graph with nothing selected selects its first drawn node.
        if (sel < 0 && !e.shiftKey && s && s.items.length > s.frames) g.select(s.items[s.frames], true);
        return true;
      }
      const next = neighbourItem(g.hier, s, sel, e.key);
      if (next >= 0) g.select(next, true);
      return true;
    }
    default:
      return false;
  }
}
