import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { readCalibrationFolder, runQuantize } from '../../src/cli/transformCommands.js';
import { GraphBuilder, Rng } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import { imageInputSpec, imageToInput, type RgbImage, resizeBilinear } from '../../src/core/transforms/imageInput.js';
import { TransformError } from '../../src/core/transforms/types.js';
import { FileError } from '../../src/node/files.js';
import { decodeImage } from '../../src/node/images.js';

/** An RGB image whose three channels all hold `grey` (row-major values). */
function greyImage(width: number, height: number, grey: number[]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (const [i, v] of grey.entries()) data.fill(v, i * 3, i * 3 + 3);
  return { width, height, data };
}

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-4): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `element ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('bilinear resize of a 2×2 image to 4×4 gives the hand-computed half-pixel values', () => {
  // Source columns sit at x = 0.5 and 1.5; destination centres map to -0.25 (clamped to 0), 0.25, 0.75, 1.25
  // (clamped to 1) in source pixel coordinates, and the same for rows.
  const out = resizeBilinear(greyImage(2, 2, [0, 100, 200, 40]), 4, 4);
  const red = Array.from({ length: 16 }, (_, i) => out[i * 3]);
  close(
    red,
    [
      // row at y = 0 (clamped): the top source row
      0, 25, 75, 100,
      // y = 0.25: a quarter of the way to the bottom row [200, 160, 80, 40]
      50, 58.75, 76.25, 85,
      // y = 0.75
      150, 126.25, 78.75, 55,
      // y = 1 (clamped): the bottom row
      200, 160, 80, 40,
    ],
  );
  assert.ok(
    out.every((v, i) => v === out[i - (i % 3)]),
    'the three channels of a grey image stay equal',
  );
});

test('same-size resize keeps the pixels exactly', () => {
  const img: RgbImage = { width: 2, height: 1, data: Uint8Array.of(1, 2, 3, 250, 251, 252) };
  close(resizeBilinear(img, 2, 1), [1, 2, 3, 250, 251, 252], 0);
});

test('the layout is read from the shape: channels at 1 is NCHW, channels last is NHWC', () => {
  const nchw = imageInputSpec('x', DataType.FLOAT, [1, 3, 224, 160]);
  assert.deepEqual([nchw.layout, nchw.channels, nchw.height, nchw.width], ['nchw', 3, 224, 160]);
  const nhwc = imageInputSpec('x', DataType.UINT8, [1, 96, 64, 1]);
  assert.deepEqual([nhwc.layout, nhwc.channels, nhwc.height, nhwc.width, nhwc.type], ['nhwc', 1, 96, 64, 'uint8']);
  assert.equal(imageInputSpec('x', DataType.FLOAT, [1, 1, 2, 3]).layout, 'nhwc', 'three channels last beat one first');
  assert.equal(imageInputSpec('x', DataType.FLOAT, [1, 3, 2, 3]).layout, 'nchw', 'NCHW when both have three');
  const symbolicBatch = imageInputSpec('x', DataType.FLOAT, ['N', 3, 8, 8]);
  assert.deepEqual(symbolicBatch.shape, [1, 3, 8, 8]);
  assert.throws(
    () => imageInputSpec('feat', DataType.FLOAT, [1, 48, 32, 32]),
    (e: Error) => e instanceof TransformError && /feat.*channel dimension of 1 or 3/.test(e.message),
  );
  assert.throws(
    () => imageInputSpec('x', DataType.FLOAT, [1, 3, 'h', 'w']),
    (e: Error) => e instanceof TransformError && /symbol 'h'.*--dim h=N/.test(e.message),
  );
  assert.deepEqual(imageInputSpec('x', DataType.FLOAT, [1, 3, 'h', 'w'], { dims: { h: 4, w: 5 } }).shape, [1, 3, 4, 5]);
  assert.throws(
    () => imageInputSpec('x', DataType.INT64, [1, 3, 8, 8]),
    (e: Error) => e instanceof TransformError && /INT64/i.test(e.message),
  );
});

test('NCHW puts each channel in its own plane, NHWC interleaves them; float values are scaled to [0, 1]', () => {
  // 2×1 image: pixel 0 = (255, 0, 51), pixel 1 = (102, 153, 204)
  const img: RgbImage = { width: 2, height: 1, data: Uint8Array.of(255, 0, 51, 102, 153, 204) };
  const v = (x: number) => x / 255;
  const nchw = imageToInput(img, imageInputSpec('x', DataType.FLOAT, [1, 3, 1, 2]));
  close(nchw, [v(255), v(102), v(0), v(153), v(51), v(204)]);
  const nhwc = imageToInput(img, imageInputSpec('x', DataType.FLOAT, [1, 1, 2, 3]));
  close(nhwc, [v(255), v(0), v(51), v(102), v(153), v(204)]);
  const signed = imageToInput(img, imageInputSpec('x', DataType.FLOAT, [1, 3, 1, 2]), { scale: 'signed' });
  close(signed, [1, (2 * 102) / 255 - 1, -1, (2 * 153) / 255 - 1, (2 * 51) / 255 - 1, (2 * 204) / 255 - 1]);
  const norm = imageToInput(img, imageInputSpec('x', DataType.FLOAT, [1, 3, 1, 2]), {
    mean: [0.5, 0.25, 0],
    std: [0.5, 0.25, 2],
  });
  close(norm, [(1 - 0.5) / 0.5, (v(102) - 0.5) / 0.5, -1, (v(153) - 0.25) / 0.25, v(51) / 2, v(204) / 2]);
});

test('one-channel inputs get luma; uint8 inputs raw pixels, int8 pixels - 128; a batch repeats the image', () => {
  const img: RgbImage = { width: 1, height: 1, data: Uint8Array.of(200, 100, 50) };
  const luma = 0.299 * 200 + 0.587 * 100 + 0.114 * 50;
  close(imageToInput(img, imageInputSpec('x', DataType.FLOAT, [1, 1, 1, 1]), { scale: 'byte' }), [luma]);
  const u8 = imageToInput(img, imageInputSpec('x', DataType.UINT8, [2, 1, 1, 3]));
  assert.ok(u8 instanceof Uint8Array, 'uint8 data');
  assert.deepEqual([...u8], [200, 100, 50, 200, 100, 50]);
  const i8 = imageToInput(img, imageInputSpec('x', DataType.INT8, [1, 3, 1, 1]));
  assert.ok(i8 instanceof Int8Array, 'int8 data');
  assert.deepEqual([...i8], [72, -28, -78]);
  assert.throws(
    () => imageToInput(img, imageInputSpec('x', DataType.UINT8, [1, 3, 1, 1]), { mean: [0.5] }),
    (e: Error) => e instanceof TransformError && /float inputs only/.test(e.message),
  );
  assert.throws(
    () =>
      imageToInput(
        { width: 2, height: 2, data: new Uint8Array(5), name: 'odd.png' },
        imageInputSpec('x', 1, [1, 3, 2, 2]),
      ),
    (e: Error) => e instanceof TransformError && /odd\.png/.test(e.message),
  );
});

test('PNG and JPEG files decode to RGB; a bad file is refused with its name', () => {
  const png = new PNG({ width: 2, height: 1 });
  png.data.set([10, 20, 30, 255, 40, 50, 60, 0]);
  const fromPng = decodeImage('a.png', new Uint8Array(PNG.sync.write(png)));
  assert.deepEqual([fromPng.width, fromPng.height, ...fromPng.data], [2, 1, 10, 20, 30, 40, 50, 60]);

  const rgba = new Uint8Array(8 * 8 * 4);
  for (let i = 0; i < 64; i++) rgba.set([200, 120, 40, 255], i * 4);
  const jpg = jpeg.encode({ width: 8, height: 8, data: rgba }, 95);
  const fromJpeg = decodeImage('b.jpg', new Uint8Array(jpg.data));
  assert.equal(fromJpeg.data.length, 8 * 8 * 3);
  close([fromJpeg.data[0], fromJpeg.data[1], fromJpeg.data[2]], [200, 120, 40], 4);

  assert.throws(
    () => decodeImage('notes.png', new TextEncoder().encode('hello, not an image')),
    (e: Error) => e instanceof FileError && /notes\.png: not a PNG or JPEG/.test(e.message),
  );
  const truncated = new Uint8Array(PNG.sync.write(png)).slice(0, 30);
  assert.throws(
    () => decodeImage('cut.png', truncated),
    (e: Error) => e instanceof FileError && /cut\.png: cannot decode the PNG/.test(e.message),
  );
});

test('a folder of images becomes calibration samples of the input shape; a broken image names the file', async () => {
  const b = new GraphBuilder({ opset: 13 });
  const x = b.input('image', DataType.FLOAT, ['N', 4, 6, 3]);
  b.output(b.node('Relu', [x]), DataType.FLOAT, ['N', 4, 6, 3]);
  const model = b.build();
  const dir = await mkdtemp(join(tmpdir(), 'emp-img-'));
  try {
    for (const [k, grey] of [
      [1, 0],
      [2, 255],
    ]) {
      const png = new PNG({ width: 12, height: 8 });
      png.data.fill(grey);
      for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
      await writeFile(join(dir, `img${k}.png`), PNG.sync.write(png));
    }
    const samples = await readCalibrationFolder(dir, model, { mean: [0.5], std: [0.5] });
    assert.equal(samples.length, 2);
    const t = samples[0].image;
    assert.deepEqual(t.dims, [1, 4, 6, 3]);
    assert.equal(t.type, 'float32');
    assert.ok(
      (t.data as Float32Array).every((v) => v === -1),
      'black is -1 after mean 0.5 / std 0.5',
    );
    assert.ok(
      (samples[1].image.data as Float32Array).every((v) => v === 1),
      'white is 1',
    );
    await writeFile(join(dir, 'img3.jpg'), 'not a jpeg');
    await assert.rejects(readCalibrationFolder(dir, model), (e: Error) => /img3\.jpg/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('edge-profile quantize --mode static --calibration DIR of images calibrates on them and validates', async () => {
  const rng = new Rng(3);
  const b = new GraphBuilder({ opset: 13 });
  const x = b.input('x', DataType.FLOAT, [1, 3, 16, 16]);
  const w = b.initializer('w', DataType.FLOAT, [8, 3, 3, 3], rng.uniformArray(216, -0.4, 0.4));
  const bias = b.initializer('b', DataType.FLOAT, [8], rng.uniformArray(8, -0.1, 0.1));
  const c = b.node('Conv', [x, w, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
  const y = b.node('Relu', [c], {}, { name: 'relu' });
  b.output(y, DataType.FLOAT, [1, 8, 16, 16]);
  const dir = await mkdtemp(join(tmpdir(), 'emp-cli-img-'));
  try {
    const modelPath = join(dir, 'm.onnx');
    await writeFile(modelPath, encodeModel(b.build()));
    const images = join(dir, 'images');
    await mkdir(images);
    for (let k = 0; k < 3; k++) {
      const png = new PNG({ width: 24, height: 20 });
      for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : Math.floor(rng.next() * 256);
      await writeFile(join(images, `s${k}.png`), PNG.sync.write(png));
    }
    const out: string[] = [];
    const err: string[] = [];
    const code = await runQuantize(
      [
        modelPath,
        '--mode',
        'static',
        '--calibration',
        images,
        '--format',
        'json',
        '--runs',
        '0',
        '--mean',
        '0.5',
        '--std',
        '0.25',
      ],
      { out: (t) => out.push(t), err: (t) => err.push(t) },
    );
    assert.equal(code, 0, `exit code (stderr: ${err.join('')})`);
    const report = JSON.parse(out.join(''));
    assert.ok(report.validation.cosine >= 0.99, `cosine ${report.validation.cosine}`);
    assert.equal(report.validation.inputs.samples, 3, 'validation ran on the three images');
    const notes = report.transforms.flatMap((t: { notes: string[] }) => t.notes).join(' | ');
    assert.ok(/on 3 samples/.test(notes), `calibrated on the images: ${notes}`);
    const bad = await runQuantize([modelPath, '--mode', 'static', '--calibration', images, '--scale', 'huge'], {
      out: () => undefined,
      err: (t) => err.push(t),
    });
    assert.equal(bad, 2, 'a bad --scale is a usage error');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
