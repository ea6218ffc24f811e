/**
 * What `edge-profile targets [--format json]` shows: one row per profile with its headline numbers, in base
 * units (MAC/s, bytes, MHz) so JSON consumers never parse "4 TOPS"; `formatTargetsText` renders the table.
 */

import { builtinProfiles } from './builtinProfiles.js';
import { describeCalibration, type HardwareProfile } from './profile.js';

export interface TargetRow {
  id: string;
  name: string;
  kind: HardwareProfile['kind'];
  /** Runtime stack and version, e.g. `TensorRT (GPU only; DLA not modelled) 10.3 (JetPack 6.1 / 6.2)`. */
  runtime: string;
  clockMHz: number | null;
  peakInt8MacsPerSec: number | null;
  peakFloat16MacsPerSec: number | null;
  peakFloat32MacsPerSec: number | null;
  sramBytes: number | null;
  dramBytes: number | null;
  flashBytes: number | null;
  /** `uncalibrated`, or `calibrated: N measurements, median |error| E%`. */
  calibration: string;
}

export function listTargets(profiles: Iterable<HardwareProfile> = builtinProfiles()): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const p of profiles) {
    rows.push({
      id: p.id,
      name: p.name,
      kind: p.kind,
      runtime: `${p.runtime.name} ${p.runtime.version}`,
      clockMHz: p.clockMHz ?? null,
      peakInt8MacsPerSec: p.compute.int8?.macsPerSec ?? null,
      peakFloat16MacsPerSec: p.compute.float16?.macsPerSec ?? null,
      peakFloat32MacsPerSec: p.compute.float32?.macsPerSec ?? null,
      sramBytes: p.memory.sram?.bytes ?? null,
      dramBytes: p.memory.dram?.bytes ?? null,
      flashBytes: p.memory.flash?.bytes ?? null,
      calibration: describeCalibration(p.calibration),
    });
  }
  return rows;
}

/** Ops per second (2 per MAC) with an SI prefix: `472 GOPS`, `4 TOPS`. */
export function formatOps(macsPerSec: number | null): string {
  if (macsPerSec === null) return '-';
  const ops = 2 * macsPerSec;
  for (const [scale, unit] of [
    [1e12, 'TOPS'],
    [1e9, 'GOPS'],
    [1e6, 'MOPS'],
  ] as const) {
    if (ops >= scale) return `${Number((ops / scale).toPrecision(3))} ${unit}`;
  }
  return `${ops} OPS`;
}

/** Bytes in binary units: `640 KiB`, `2 MiB`, `64 GiB`. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  for (const [scale, unit] of [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ] as const) {
    if (bytes >= scale) return `${Number((bytes / scale).toPrecision(4))} ${unit}`;
  }
  return `${bytes} B`;
}

/** A plain-text table of the rows (float column: the faster of float16 and float32). */
export function formatTargetsText(rows: readonly TargetRow[]): string {
  const header = ['id', 'kind', 'clock', 'int8', 'float', 'SRAM', 'DRAM', 'flash', 'calibration', 'runtime'];
  const body = rows.map((r) => {
    const float = Math.max(r.peakFloat16MacsPerSec ?? 0, r.peakFloat32MacsPerSec ?? 0);
    return [
      r.id,
      r.kind,
      r.clockMHz === null ? '-' : `${r.clockMHz} MHz`,
      formatOps(r.peakInt8MacsPerSec),
      formatOps(float > 0 ? float : null),
      formatBytes(r.sramBytes),
      formatBytes(r.dramBytes),
      formatBytes(r.flashBytes),
      r.calibration,
      r.runtime,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}
