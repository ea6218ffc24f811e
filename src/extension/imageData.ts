/** The graph image the webview sends, checked and turned into the bytes of the file to save. */

import type { ImageFormat } from '../protocol.js';

/** SVG text as UTF-8, a PNG data URL as its bytes; anything else is refused. */
export function imageBytes(format: ImageFormat, data: string): Uint8Array {
  if (format === 'svg') {
    if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(data)) throw new Error('the graph view sent something that is not SVG');
    return new TextEncoder().encode(data);
  }
  const m = /^data:image\/png;base64,([A-Za-z0-9+/=\s]+)$/.exec(data);
  if (!m) throw new Error('the graph view sent something that is not a PNG data URL');
  const bytes = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47) throw new Error('the PNG data is not a PNG image');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
