/**
 * Image files for calibration and validation inputs: PNG (pngjs) and JPEG (jpeg-js) decoded to RGB pixels, which
 * src/core/transforms/imageInput.ts resizes and scales. Errors name the file.
 */
import { promises as fs } from 'node:fs';
import { extname, join } from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbImage } from '../core/transforms/imageInput.js';
import { FileError } from './files.js';

export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
}

/** Larger images are refused rather than decoded (a 100-megapixel photo needs 300 MB of pixels). */
const MAX_MEGAPIXELS = 100;

/**
 * Decodes PNG or JPEG bytes (the format is read from the bytes, not the name) to RGB; alpha is dropped, grey is
 * repeated into the three channels, 16-bit PNG is reduced to 8 bits. Throws FileError naming `name`.
 */
export function decodeImage(name: string, bytes: Uint8Array): RgbImage {
  const isPng = bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) throw new FileError(`${name}: not a PNG or JPEG image`);
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      if (png.width * png.height > MAX_MEGAPIXELS * 1e6) throw new Error(`${png.width}×${png.height} is too large`);
      const rgb = new Uint8Array(png.width * png.height * 3);
      for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
        rgb[j] = png.data[i];
        rgb[j + 1] = png.data[i + 1];
        rgb[j + 2] = png.data[i + 2];
      }
      return { width: png.width, height: png.height, data: rgb, name };
    }
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: MAX_MEGAPIXELS,
      maxMemoryUsageInMB: 1024,
    });
    if (img.data.length !== img.width * img.height * 3) throw new Error('unexpected pixel data length');
    return { width: img.width, height: img.height, data: img.data, name };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new FileError(`${name}: cannot decode the ${isPng ? 'PNG' : 'JPEG'} image (${why})`);
  }
}

export async function readImageFile(path: string): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(path));
  } catch (err) {
    throw new FileError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return decodeImage(path, bytes);
}

/** Image files of a folder (not recursive), in name order (numbers compared as numbers). */
export async function listImageFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    throw new FileError(`${dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return names
    .filter(isImageFile)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((n) => join(dir, n));
}
