/**
 * Synthetic inputs that look more like real data than uniform noise, for calibrating and validating static
 * quantization in the benchmark when no real data set is available offline. They are NOT real data, and every
 * figure measured on them is labelled so:
 * - naturalImage: a photo-like RGB picture — a smooth colour gradient, multi-scale value noise (blurry shading and
 *   texture, stronger at coarse scales as in photographs), a few flat or striped shapes with sharp edges, and pixel
 *   noise; the colours are drawn around ImageNet's per-channel mean (124, 116, 104) with a spread near its standard
 *   deviation (about 58).
 * - smoothField: a feature map such as a spectrogram or MFCC patch — value noise along the last two axes, mapped
 *   into a stated range, optionally clipped below (ReLU-like features).
 */
import type { Rng } from '../src/core/onnx/builder.js';
import { type RgbImage, resizeBilinear } from '../src/core/transforms/imageInput.js';

const MEAN = [124, 116, 104];

function gaussian(rng: Rng): number {
  const u = Math.max(1e-12, rng.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Value noise: a coarse random grid upsampled bilinearly (one float per pixel and channel, around 0). */
function valueNoise(rng: Rng, width: number, height: number, cells: number, amplitude: number): Float32Array {
  const gw = cells + 1;
  const gh = Math.max(2, Math.round((cells * height) / width) + 1);
  const grid = new Uint8Array(gw * gh * 3);
  for (let i = 0; i < gw * gh; i++) {
    // Channels correlate in photographs: a shared brightness term plus a smaller colour term.
    const luma = gaussian(rng);
    for (let c = 0; c < 3; c++) grid[i * 3 + c] = Math.max(0, Math.min(255, 128 + 40 * (luma + 0.4 * gaussian(rng))));
  }
  const up = resizeBilinear({ width: gw, height: gh, data: grid }, width, height);
  for (let i = 0; i < up.length; i++) up[i] = ((up[i] - 128) / 40) * amplitude;
  return up;
}

/** A deterministic photo-like RGB image (see the module comment). */
export function naturalImage(rng: Rng, width: number, height: number): RgbImage {
  const n = width * height;
  const px = new Float32Array(n * 3);
  // Gradient between two colours along a random direction.
  const a = MEAN.map((m) => m + 45 * gaussian(rng));
  const b = MEAN.map((m) => m + 45 * gaussian(rng));
  const angle = rng.next() * 2 * Math.PI;
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = Math.max(0, Math.min(1, 0.5 + ((x / width - 0.5) * dx + (y / height - 0.5) * dy)));
      for (let c = 0; c < 3; c++) px[(y * width + x) * 3 + c] = a[c] + (b[c] - a[c]) * t;
    }
  }
  // Multi-scale shading and texture, weaker at finer scales.
  for (let o = 0, cells = 3, amp = 28; o < 5 && cells < Math.max(width, height); o++, cells *= 2, amp *= 0.6) {
    const noise = valueNoise(rng, width, height, cells, amp);
    for (let i = 0; i < px.length; i++) px[i] += noise[i];
  }
  // Objects: ellipses and rectangles with their own colour, some striped.
  const shapes = 2 + Math.floor(rng.next() * 5);
  for (let s = 0; s < shapes; s++) {
    const colour = MEAN.map((m) => m + 60 * gaussian(rng));
    const cx = rng.next() * width;
    const cy = rng.next() * height;
    const rx = (0.08 + rng.next() * 0.3) * width;
    const ry = (0.08 + rng.next() * 0.3) * height;
    const ellipse = rng.next() < 0.5;
    const stripes = rng.next() < 0.4 ? 2 + rng.next() * 8 : 0;
    const sa = rng.next() * Math.PI;
    const shade = 0.5 + rng.next();
    for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(height, Math.ceil(cy + ry)); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(width, Math.ceil(cx + rx)); x++) {
        const u = (x - cx) / rx;
        const v = (y - cy) / ry;
        if (ellipse ? u * u + v * v > 1 : Math.abs(u) > 1 || Math.abs(v) > 1) continue;
        const i = (y * width + x) * 3;
        const stripe = stripes ? 25 * Math.sin(((x * Math.cos(sa) + y * Math.sin(sa)) / stripes) * 2 * Math.PI) : 0;
        // Keep some of the background's shading so objects are lit, not pasted.
        for (let c = 0; c < 3; c++) px[i + c] = 0.35 * px[i + c] + 0.65 * colour[c] * shade + stripe;
      }
    }
  }
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < px.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(px[i] + 4 * gaussian(rng))));
  return { width, height, data };
}

/**
 * A smooth random feature map of `shape`: value noise over the last two axes (one independent map per leading
 * index), each mapped to [lo, hi] and then clipped below at `floor` when given.
 */
export function smoothField(rng: Rng, shape: readonly number[], lo: number, hi: number, floor?: number): Float32Array {
  const total = shape.reduce((p, d) => p * d, 1);
  const w = shape.length >= 1 ? shape[shape.length - 1] : 1;
  const h = shape.length >= 2 ? shape[shape.length - 2] : 1;
  const maps = total / (w * h);
  const out = new Float32Array(total);
  for (let m = 0; m < maps; m++) {
    const field = new Float32Array(w * h);
    for (let o = 0, cells = 2, amp = 1; o < 4 && cells <= Math.max(w, h) * 2; o++, cells *= 2, amp *= 0.55) {
      const noise = valueNoise(rng, Math.max(w, 2), Math.max(h, 2), cells, amp);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) field[y * w + x] += noise[(y * Math.max(w, 2) + x) * 3];
    }
    let fmin = Number.POSITIVE_INFINITY;
    let fmax = Number.NEGATIVE_INFINITY;
    for (const v of field) {
      fmin = Math.min(fmin, v);
      fmax = Math.max(fmax, v);
    }
    const span = fmax - fmin || 1;
    for (let i = 0; i < w * h; i++) {
      const v = lo + ((field[i] - fmin) / span) * (hi - lo) + 0.01 * (hi - lo) * gaussian(rng);
      out[m * w * h + i] = floor !== undefined ? Math.max(floor, v) : v;
    }
  }
  return out;
}
