/**
 * What the compare view shows of two model files, computed in the analysis worker (analysisWorker.ts) so that
 * comparing two big models never freezes the extension host: decoding both, the per-layer diff, their estimates on
 * the current target and both graphs (each of these analyses a model; a 20k-node model takes seconds). Free of
 * `vscode`: the unit tests run it as it is.
 */
import type { CompareData, CompareGraph, EstimateTotals } from '../../webview/compare/protocol.js';
import { analyzeModel } from '../core/analysis/cost.js';
import { decodeModel } from '../core/onnx/index.js';
import type { Model } from '../core/onnx/ir.js';
import { estimateModel } from '../core/targets/estimate.js';
import { describeCalibration, type HardwareProfile } from '../core/targets/profile.js';
import { compareModels } from '../core/transforms/compare.js';
import { inputOffset } from '../node/ortProcess.js';
import { compareGraph } from './compareGraph.js';

/** One model file: its bytes and the name its errors and the view use. */
export interface CompareFile {
  bytes: Uint8Array;
  fileName: string;
}

/** Graph inputs that are not initializers, per model (see compareView.ts). */
export interface InputOffsets {
  a: number;
  b: number;
}

function estimateTotals(model: Model, profile: HardwareProfile): EstimateTotals {
  const { profile: cost, facts } = analyzeModel(model);
  const t = estimateModel(model, cost, facts, profile).totals;
  return {
    latencyMs: t.latencyMs,
    peakRamBytes: t.peakRamBytes,
    flashBytes: t.flashBytes,
    fitsRam: t.fits.ram,
    fitsFlash: t.fits.flash,
  };
}

/**
 * The whole comparison of two files: totals, per-layer diff, the estimates on `target` (when given) and both
 * graphs. Throws an OnnxReadError naming the file that is not a readable model.
 */
export function compareFiles(
  a: CompareFile,
  b: CompareFile,
  target: HardwareProfile | undefined,
  progress: (stage: string) => void = () => undefined,
): { data: CompareData; offsets: InputOffsets } {
  progress(`Reading ${a.fileName} and ${b.fileName}`);
  const ma = decodeModel(a.bytes, { fileName: a.fileName });
  const mb = decodeModel(b.bytes, { fileName: b.fileName });
  progress('Comparing the layers');
  const labels = { a: a.fileName, b: b.fileName };
  const comparison = compareModels(ma, mb, { labels, fileBytes: { a: a.bytes.length, b: b.bytes.length } });
  let estimate: CompareData['estimate'];
  if (target) {
    progress(`Estimating both on ${target.id}`);
    estimate = {
      target: target.id,
      accuracy: `estimate, ${describeCalibration(target.calibration)}`,
      a: estimateTotals(ma, target),
      b: estimateTotals(mb, target),
    };
  }
  progress('Building both graphs');
  return {
    data: {
      a: { label: labels.a },
      b: { label: labels.b },
      comparison,
      ...(estimate ? { estimate } : {}),
      notes: [],
      graphs: { a: compareGraph(ma), b: compareGraph(mb) },
    },
    offsets: { a: inputOffset(ma), b: inputOffset(mb) },
  };
}

/** Both files' graphs for the view; a file that cannot be read gets a notice saying why. */
export function compareGraphsOf(a: CompareFile, b: CompareFile): { a: CompareGraph; b: CompareGraph } {
  const one = (f: CompareFile): CompareGraph => {
    try {
      return compareGraph(decodeModel(f.bytes, { fileName: f.fileName }));
    } catch (err) {
      return { omitted: `The model could not be read: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
  return { a: one(a), b: one(b) };
}
