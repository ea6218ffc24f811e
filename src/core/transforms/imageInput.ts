/**
 * Images as model inputs, for calibration and validation: decoded RGB pixels (the Node side decodes PNG/JPEG files,
 * src/node/images.ts) are resized to the model's input with bilinear interpolation, laid out as NCHW or NHWC, and
 * scaled as the model expects. Pure: no file access, no runtime; the result is plain typed data and a shape.
 *
 * Layout is read from the input's declared shape: a rank-4 shape whose dimension 1 is 1 or 3 is NCHW, one whose last
 * dimension is 1 or 3 is NHWC (when both could be, three channels win, then NCHW). One channel means grey (ITU-R
 * BT.601 luma).
 */

import { DataType, dataTypeName } from '../onnx/dtype.js';
import type { Dim } from '../onnx/ir.js';
import { TransformError } from './types.js';

/** Decoded pixels: 3 bytes per pixel (R, G, B), rows top to bottom. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
  /** Where it came from (a file name), for messages. */
  name?: string;
}

export type ImageLayout = 'nchw' | 'nhwc';

/**
 * Value range of float inputs before mean/std: 'unit' [0, 1] (default), 'byte' [0, 255], 'signed' [-1, 1].
 */
export type PixelScale = 'unit' | 'byte' | 'signed';

export interface ImageInputOptions {
  /** Overrides the layout read from the shape. */
  layout?: ImageLayout;
  scale?: PixelScale;
  /** Subtracted per channel after scaling (in the scaled unit, e.g. 0.485, 0.456, 0.406 for ImageNet on 'unit'). */
  mean?: readonly number[];
  /** Divides per channel after the mean (e.g. 0.229, 0.224, 0.225). */
  std?: readonly number[];
  /** Sizes of symbolic dimensions (a symbolic batch is 1; symbolic height/width must be given). */
  dims?: Record<string, number>;
}

/** What an image input looks like, read from its declared type. */
export interface ImageInputSpec {
  layout: ImageLayout;
  batch: number;
  channels: 1 | 3;
  height: number;
  width: number;
  /** 'float32' (scaled, normalized), 'uint8' (raw pixels) or 'int8' (pixels - 128). */
  type: 'float32' | 'uint8' | 'int8';
  shape: number[];
}

const typeNames: Partial<Record<number, ImageInputSpec['type']>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
};

/**
 * The layout, size and element type of an image input. Throws TransformError (naming the input) when the shape is
 * not rank 4 with 1 or 3 channels, when a height or width is symbolic and not given in `dims`, or when the element
 * type is not float32, uint8 or int8.
 */
export function imageInputSpec(
  name: string,
  elemType: number,
  shape: readonly Dim[] | undefined,
  options: Pick<ImageInputOptions, 'layout' | 'dims'> = {},
): ImageInputSpec {
  const type = typeNames[elemType];
  if (!type) {
    throw new TransformError(
      `input '${name}' is ${dataTypeName(elemType)}; images can feed float32, uint8 or int8 inputs only`,
      'bad-input',
    );
  }
  if (shape?.length !== 4) {
    throw new TransformError(
      `input '${name}' has ${shape ? `rank ${shape.length}` : 'no known shape'}; images need a rank-4 input (NCHW or NHWC)`,
      'bad-input',
    );
  }
  const isChannels = (d: Dim) => d === 1 || d === 3;
  // Both dimension 1 and 3 may look like channels ([1, 1, 2, 3]): three channels is the likelier reading.
  const layout =
    options.layout ??
    (isChannels(shape[1]) && !(shape[1] === 1 && shape[3] === 3) ? 'nchw' : isChannels(shape[3]) ? 'nhwc' : undefined);
  if (!layout) {
    throw new TransformError(
      `input '${name}' [${shape.map(String).join(', ')}] has no channel dimension of 1 or 3 (at 1 for NCHW or 3 for NHWC); it does not look like an image input`,
      'bad-input',
    );
  }
  const [cAt, hAt, wAt] = layout === 'nchw' ? [1, 2, 3] : [3, 1, 2];
  const size = (d: Dim, what: string, fallback?: number): number => {
    if (typeof d === 'number' && d > 0) return d;
    const given = typeof d === 'string' ? options.dims?.[d] : undefined;
    if (given !== undefined) return given;
    if (fallback !== undefined) return fallback;
    throw new TransformError(
      `input '${name}': its ${what} is ${d === null ? 'unknown' : `the symbol '${d}'`}; give its size (--dim ${typeof d === 'string' ? d : 'NAME'}=N)`,
      'bad-input',
    );
  };
  const channels = size(shape[cAt], 'channel count');
  if (channels !== 1 && channels !== 3) {
    throw new TransformError(`input '${name}' has ${channels} channels; images give 1 or 3`, 'bad-input');
  }
  const batch = size(shape[0], 'batch size', 1);
  const height = size(shape[hAt], 'height');
  const width = size(shape[wAt], 'width');
  const dims = layout === 'nchw' ? [batch, channels, height, width] : [batch, height, width, channels];
  return { layout, batch, channels, height, width, type, shape: dims };
}

/**
 * Bilinear resize with half-pixel centres (pixel i covers [i, i + 1), its centre is i + 0.5), clamped at the
 * borders, without antialiasing — what OpenCV's INTER_LINEAR and ONNX Resize (linear, half_pixel) compute.
 * Returns float values per channel (RGB interleaved), not rounded.
 */
export function resizeBilinear(image: RgbImage, width: number, height: number): Float32Array {
  checkImage(image);
  const out = new Float32Array(width * height * 3);
  const sw = image.width;
  const sh = image.height;
  const src = image.data;
  const fx = sw / width;
  const fy = sh / height;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(sh - 1, Math.max(0, (y + 0.5) * fy - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(sw - 1, Math.max(0, (x + 0.5) * fx - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = sx - x0;
      const a = (y0 * sw + x0) * 3;
      const b = (y0 * sw + x1) * 3;
      const c = (y1 * sw + x0) * 3;
      const d = (y1 * sw + x1) * 3;
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * wx;
        const bottom = src[c + k] + (src[d + k] - src[c + k]) * wx;
        out[o + k] = top + (bottom - top) * wy;
      }
    }
  }
  return out;
}

function checkImage(image: RgbImage): void {
  const what = image.name ? `image ${image.name}` : 'image';
  if (!(Number.isInteger(image.width) && image.width > 0 && Number.isInteger(image.height) && image.height > 0)) {
    throw new TransformError(`${what}: size ${image.width}×${image.height} is not valid`, 'bad-input');
  }
  if (image.data.length !== image.width * image.height * 3) {
    throw new TransformError(
      `${what}: ${image.data.length} bytes of pixels for ${image.width}×${image.height} RGB (expected ${image.width * image.height * 3})`,
      'bad-input',
    );
  }
}

function perChannel(values: readonly number[] | undefined, channels: number, what: string, fallback: number): number[] {
  if (!values) return Array(channels).fill(fallback);
  if (values.length === 1) return Array(channels).fill(values[0]);
  if (values.length !== channels) {
    throw new TransformError(
      `${what}: ${values.length} values for ${channels} channel${channels === 1 ? '' : 's'}`,
      'bad-input',
    );
  }
  return [...values];
}

/**
 * One image as the data of an input described by `spec` (the batch filled with copies of it): resized, converted
 * to grey when the input has one channel, laid out, and scaled — float inputs: `(scaled - mean) / std`; uint8: the
 * pixel values rounded; int8: pixel - 128.
 */
export function imageToInput(
  image: RgbImage,
  spec: ImageInputSpec,
  options: Pick<ImageInputOptions, 'scale' | 'mean' | 'std'> = {},
): Float32Array | Uint8Array | Int8Array {
  const { width, height, channels, batch } = spec;
  const pixels = resizeBilinear(image, width, height);
  const plane = width * height;
  const per = plane * channels;
  const mean = perChannel(options.mean, channels, 'mean', 0);
  const std = perChannel(options.std, channels, 'std', 1);
  if (std.some((s) => !(s !== 0 && Number.isFinite(s))))
    throw new TransformError('std: values must be non-zero', 'bad-input');
  if (spec.type !== 'float32' && (options.mean || options.std || (options.scale && options.scale !== 'byte'))) {
    throw new TransformError(
      `the input takes ${spec.type} pixels: scale, mean and std apply to float inputs only`,
      'bad-input',
    );
  }
  const scale = options.scale ?? 'unit';
  const [mul, add] = scale === 'unit' ? [1 / 255, 0] : scale === 'byte' ? [1, 0] : [2 / 255, -1];
  const out =
    spec.type === 'float32'
      ? new Float32Array(per * batch)
      : spec.type === 'uint8'
        ? new Uint8Array(per * batch)
        : new Int8Array(per * batch);
  for (let p = 0; p < plane; p++) {
    const r = pixels[p * 3];
    const g = pixels[p * 3 + 1];
    const b = pixels[p * 3 + 2];
    for (let c = 0; c < channels; c++) {
      const raw = channels === 1 ? 0.299 * r + 0.587 * g + 0.114 * b : c === 0 ? r : c === 1 ? g : b;
      const at = spec.layout === 'nchw' ? c * plane + p : p * channels + c;
      if (spec.type === 'float32') out[at] = (raw * mul + add - mean[c]) / std[c];
      else {
        const q = Math.max(0, Math.min(255, Math.round(raw)));
        out[at] = spec.type === 'uint8' ? q : q - 128;
      }
    }
  }
  for (let n = 1; n < batch; n++) out.copyWithin(n * per, 0, per);
  return out;
}

/** The value of an 'imagenet' preset: mean and std of ImageNet photos in the [0, 1] scale (torchvision's). */
export const IMAGENET_NORMALIZATION = {
  scale: 'unit',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
} as const;
