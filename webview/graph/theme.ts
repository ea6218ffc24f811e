/**
 * Canvas colours from VS Code's theme variables (light, dark and high contrast alike), read again whenever the
 * theme changes, with plain fallbacks for a page outside VS Code.
 */

import type { Palette } from './palette.js';

export type { Palette };

function themeKind(): Palette['kind'] {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-dark')) return 'dark';
  if (c.contains('vscode-light')) return 'light';
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function readPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  const bodyStyle = getComputedStyle(document.body);
  const v = (name: string, fallback: string) =>
    style.getPropertyValue(name).trim() || bodyStyle.getPropertyValue(name).trim() || fallback;
  const kind = themeKind();
  const dark = kind === 'dark' || kind === 'high-contrast';
  const hc = kind === 'high-contrast' || kind === 'high-contrast-light';
  const background = v('--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff');
  const foreground = v('--vscode-editor-foreground', v('--vscode-foreground', dark ? '#cccccc' : '#333333'));
  const contrast = v('--vscode-contrastBorder', '');
  const border = hc && contrast ? contrast : v('--vscode-editorWidget-border', dark ? '#555555' : '#c8c8c8');
  return {
    kind,
    background,
    foreground,
    muted: v('--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171'),
    nodeFill: v('--vscode-editorWidget-background', dark ? '#252526' : '#f3f3f3'),
    nodeBorder: border,
    ioFill: v('--vscode-badge-background', dark ? '#4d4d4d' : '#c4c4c4'),
    scopeFill: v('--vscode-sideBar-background', dark ? '#2b2b2b' : '#eaeaea'),
    scopeBorder: hc && contrast ? contrast : v('--vscode-panel-border', dark ? '#6b6b6b' : '#a0a0a0'),
    frameFill: v('--vscode-editorGroupHeader-tabsBackground', dark ? '#232323' : '#f8f8f8'),
    frameBorder: hc && contrast ? contrast : v('--vscode-editorIndentGuide-background1', dark ? '#404040' : '#d3d3d3'),
    edge: v('--vscode-editorLineNumber-foreground', dark ? '#858585' : '#8a8a8a'),
    selection: v('--vscode-focusBorder', '#0078d4'),
    searchHit: v('--vscode-editor-findMatchHighlightBackground', 'rgba(234, 92, 0, 0.33)'),
    lineWidth: hc ? 2 : 1,
    fontFamily: v('--vscode-font-family', bodyStyle.fontFamily || 'sans-serif'),
  };
}

/** Calls `onChange` when VS Code switches theme (it changes the body's classes and the root's variables). */
export function watchTheme(onChange: () => void): void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}
