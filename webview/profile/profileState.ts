/**
 * What the profiling panel remembers across the webview being hidden and shown: its tab, the table's sort and
 * filter, whether it is open and how tall. Read back with every field checked (state may come from another
 * version of the webview). No DOM here.
 */
import { COLUMNS, type SortSpec } from './layerRows.js';

export const TABS = ['layers', 'memory', 'charts', 'diagnostics'] as const;
export type ProfileTab = (typeof TABS)[number];

export interface ProfileState {
  tab: ProfileTab;
  sort: SortSpec | null;
  filter: string;
}

export interface SavedProfile extends ProfileState {
  open: boolean;
  /** Percent of the column's height, 10..90. */
  height: number;
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function readProfileState(x: unknown): SavedProfile {
  const p = (typeof x === 'object' && x !== null ? x : {}) as Record<string, unknown>;
  const tab = TABS.find((t) => t === p.tab) ?? 'layers';
  const sortRaw = p.sort as Record<string, unknown> | null | undefined;
  const key = COLUMNS.find((c) => c.key === sortRaw?.key)?.key;
  const sort: SortSpec | null = key && (sortRaw?.dir === 1 || sortRaw?.dir === -1) ? { key, dir: sortRaw.dir } : null;
  const height = isNum(p.height) && p.height >= 10 && p.height <= 90 ? p.height : 42;
  return { open: p.open !== false, height, tab, sort, filter: typeof p.filter === 'string' ? p.filter : '' };
}
