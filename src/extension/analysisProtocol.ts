/**
 * Messages between the extension host and its analysis worker (analysisWorker.ts). Requests carry an id that the
 * reply repeats; the worker may send `progress` for a request while it runs, and asks the host (`io`) for byte
 * ranges of external data files, which only the host can read (through workspace.fs, remote and virtual files
 * included).
 */

import type { CompareData, CompareGraph } from '../../webview/compare/protocol.js';
import type { WeightStatistics } from '../core/analysis/weightStats.js';
import type { EstimateView } from '../core/report/estimateView.js';
import type { GraphModel } from '../core/report/graphModel.js';
import type { ModelSummary } from '../core/report/summary.js';
import type { HardwareProfile } from '../core/targets/profile.js';
import type { ReportFormat } from '../protocol.js';
import type { CompareFile, InputOffsets } from './compareData.js';
import type { AnalysisOptions } from './modelAnalysis.js';

export type WorkerRequest =
  /** Decode the file (its bytes are transferred, not copied). */
  | { id: number; type: 'load'; bytes: Uint8Array; fileName: string; loadWeights: boolean }
  /** Shapes, costs and the graph model for these input shapes. */
  | { id: number; type: 'analyze'; options: AnalysisOptions }
  /** The estimate on `profile`; `profiles` price fallbacks onto other profiles. */
  | { id: number; type: 'estimate'; profile: HardwareProfile; profiles: HardwareProfile[] }
  | { id: number; type: 'weightStats'; graph: number; tensor: number }
  | { id: number; type: 'report'; format: ReportFormat }
  /**
   * Compare two model files (their bytes transferred): everything the compare view shows (`graphsOnly`: only the
   * two graphs, as after a transform, whose diff and validation come from the ONNX Runtime job). Needs no `load`.
   */
  | {
      id: number;
      type: 'compare';
      a: CompareFile;
      b: CompareFile;
      target?: HardwareProfile;
      graphsOnly?: boolean;
    };

export type WorkerResult =
  | { type: 'load'; summary: ModelSummary; notes: string[] }
  | { type: 'analyze'; graph: GraphModel; notes: string[] }
  | { type: 'estimate'; estimate: EstimateView }
  | { type: 'weightStats'; stats: WeightStatistics }
  | { type: 'report'; text: string }
  | { type: 'compare'; graphs: { a: CompareGraph; b: CompareGraph } }
  | { type: 'compare'; data: CompareData; offsets: InputOffsets };

/** An answer from the host to an `io` request. */
export type IoReply =
  | { type: 'io'; ioId: number; ok: true; size?: number; bytes?: Uint8Array }
  | {
      type: 'io';
      ioId: number;
      ok: false;
      message: string;
    };

export type ToWorker = WorkerRequest | IoReply;

export type FromWorker =
  | { type: 'reply'; id: number; ok: true; result: WorkerResult }
  | { type: 'reply'; id: number; ok: false; message: string }
  | { type: 'progress'; id: number; stage: string; fraction: number | null }
  /** The size of, or a byte range of, an external data file next to the model. */
  | { type: 'io'; ioId: number; op: 'size'; location: string }
  | { type: 'io'; ioId: number; op: 'read'; location: string; offset: number; length: number };
