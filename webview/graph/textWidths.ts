/**
 * String widths for box sizes without a canvas call per string: each printable ASCII character is measured once
 * per font, anything else counts as wide as 'M'. Kerning is ignored; boxes have padding to spare.
 */
import type { TextWidths } from './hierarchy.js';

function table(font: string): (text: string) => number {
  const ctx = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
  ctx.font = font;
  const widths = new Float32Array(128);
  for (let c = 32; c < 127; c++) widths[c] = ctx.measureText(String.fromCharCode(c)).width;
  const wide = ctx.measureText('M').width;
  return (text: string) => {
    let w = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      w += c < 127 && c >= 32 ? widths[c] : wide;
    }
    return w;
  };
}

export function textWidths(fontFamily: string): TextWidths {
  return { title: table(`600 12px ${fontFamily}`), subtitle: table(`10px ${fontFamily}`) };
}
