/**
 * The canvas colours and line settings of the current theme, as theme.ts reads them. A file of its own, free of the
 * DOM, so that code also type-checked for Node (the SVG export) can name its parts.
 */
export interface Palette {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  background: string;
  foreground: string;
  muted: string;
  nodeFill: string;
  nodeBorder: string;
  ioFill: string;
  scopeFill: string;
  scopeBorder: string;
  frameFill: string;
  frameBorder: string;
  edge: string;
  selection: string;
  searchHit: string;
  /** Thicker outlines in high contrast themes. */
  lineWidth: number;
  fontFamily: string;
}
