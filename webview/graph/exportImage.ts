/**
 * The graph as an SVG document, written as text from the scene: every model string escaped for XML, so a node
 * named `<img onerror=…>` is text in the file as it is on the canvas. It shows what is laid out now: the expanded
 * scopes, the overlay's colours, the theme's colours. (The PNG comes from the canvas renderer.) No DOM here, so
 * that the tests run it in Node too.
 */
import { formatMetric, type Overlay, textOn } from './overlay.js';
import type { Palette } from './palette.js';
import type { Scene } from './scene.js';

/** The theme colours the picture uses: the part of the canvas palette an SVG needs. */
export type SvgColours = Pick<
  Palette,
  | 'background'
  | 'foreground'
  | 'muted'
  | 'nodeFill'
  | 'nodeBorder'
  | 'ioFill'
  | 'scopeFill'
  | 'scopeBorder'
  | 'frameFill'
  | 'frameBorder'
  | 'edge'
  | 'fontFamily'
>;

/** Whether XML 1.0 allows a code point in a document (controls other than tab and line ends, lone surrogates and
 * U+FFFE/U+FFFF are not allowed, even escaped). */
function xmlChar(c: number): boolean {
  return (
    c === 0x9 ||
    c === 0xa ||
    c === 0xd ||
    (c >= 0x20 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text for XML content and attribute values: markup characters escaped, characters XML forbids dropped. */
export function escapeXml(text: string): string {
  let out = '';
  // for…of walks code points: a surrogate pair is one, a lone surrogate is one of its own (and dropped).
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (!xmlChar(c)) continue;
    out += ENTITIES[ch] ?? ch;
  }
  return out;
}

const n = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** Colours a canvas accepts but an SVG file might not read the same way are passed through as they are. */
function colour(c: string): string {
  return escapeXml(c);
}

export function sceneToSvg(scene: Scene, palette: SvgColours, overlay: Overlay | undefined, title: string): string {
  const s = scene;
  const hier = s.hierarchy;
  const margin = 16;
  const W = s.width + 2 * margin;
  const H = s.height + 2 * margin;
  const font = escapeXml(palette.fontFamily);
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(W)}" height="${n(H)}" viewBox="${n(-margin)} ${n(-margin)} ${n(W)} ${n(H)}" font-family="${font}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="${n(-margin)}" y="${n(-margin)}" width="${n(W)}" height="${n(H)}" fill="${colour(palette.background)}"/>`,
  ];
  for (let k = 0; k < s.frames; k++) {
    const item = s.items[k];
    out.push(
      `<g><rect x="${n(s.x[k])}" y="${n(s.y[k])}" width="${n(s.w[k])}" height="${n(s.h[k])}" fill="${colour(palette.frameFill)}" stroke="${colour(palette.frameBorder)}"/>`,
      `<text x="${n(s.x[k] + 8)}" y="${n(s.y[k] + 16)}" font-size="12" font-weight="600" fill="${colour(palette.muted)}">${escapeXml(hier.title[item])}</text></g>`,
    );
  }
  const pts = s.edgePoints;
  const edges: string[] = [];
  for (let e = 0; e < s.edgeCount; e++) {
    const a = s.edgeStart[e];
    const z = s.edgeStart[e + 1];
    let d = `M${n(pts[a])} ${n(pts[a + 1])}`;
    if (s.edgeCurved[e])
      d += `C${n(pts[a + 2])} ${n(pts[a + 3])} ${n(pts[a + 4])} ${n(pts[a + 5])} ${n(pts[a + 6])} ${n(pts[a + 7])}`;
    else for (let i = a + 2; i < z; i += 2) d += `L${n(pts[i])} ${n(pts[i + 1])}`;
    edges.push(d);
  }
  out.push(
    `<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0L8 4L0 8z" fill="${colour(palette.edge)}"/></marker></defs>`,
  );
  out.push(`<g fill="none" stroke="${colour(palette.edge)}" stroke-width="1.2" marker-end="url(#arrow)">`);
  for (const d of edges) out.push(`<path d="${d}"/>`);
  out.push('</g>');
  for (let k = s.frames; k < s.items.length; k++) {
    const item = s.items[k];
    const kind = hier.kind[item];
    const container = hier.isContainer(item);
    const base =
      kind === 'input' || kind === 'output' ? palette.ioFill : container ? palette.scopeFill : palette.nodeFill;
    const fill = overlay?.fill[item] ?? base;
    const ink = overlay?.fill[item] ? textOn(fill) : palette.foreground;
    let sub = hier.subtitle[item];
    if (overlay && overlay.metric.kind === 'numeric' && !Number.isNaN(overlay.value[item]))
      sub = `${formatMetric(overlay.value[item], overlay.metric.unit)}${sub ? ` · ${sub}` : ''}`;
    else if (overlay && overlay.metric.kind === 'category' && !Number.isNaN(overlay.value[item]))
      sub = `${overlay.metric.categories[overlay.value[item]] ?? '?'}${sub ? ` · ${sub}` : ''}`;
    const name = item < hier.nodeCount ? hier.graph.nodes[item]?.name : hier.path[item];
    out.push(
      `<g><title>${escapeXml(name ?? hier.title[item])}</title>`,
      `<rect x="${n(s.x[k])}" y="${n(s.y[k])}" width="${n(s.w[k])}" height="${n(s.h[k])}" fill="${colour(fill)}" stroke="${colour(container ? palette.scopeBorder : palette.nodeBorder)}"/>`,
      `<text x="${n(s.x[k] + 8)}" y="${n(s.y[k] + 15)}" font-size="12" font-weight="600" fill="${colour(ink)}">${escapeXml(hier.title[item])}</text>`,
    );
    if (sub)
      out.push(
        `<text x="${n(s.x[k] + 8)}" y="${n(s.y[k] + 29)}" font-size="10" fill="${colour(overlay?.fill[item] ? ink : palette.muted)}">${escapeXml(sub)}</text>`,
      );
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
