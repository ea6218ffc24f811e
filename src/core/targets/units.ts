/**
 * How estimates print sizes and times, in one place so the table, the diagnostics and `check` agree. KB, MB and GB
 * are binary (1 KB = 1024 bytes), as microcontroller datasheets and linker maps count them.
 */

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;

/** Rounds up (a need is never printed smaller than it is) to `step`. */
const up = (n: number, step: number) => Math.ceil(n / step - 1e-9) * step;

/** `412 KB` below 10 MB, `24.5 MB` below 10 GB, else `16 GB` (binary units, rounded up). */
export function formatSize(bytes: number): string {
  if (bytes < 10 * MB) return `${Math.ceil(bytes / KB).toLocaleString('en-US')} KB`;
  if (bytes < 10 * GB) return `${Number(up(bytes / MB, 0.1).toFixed(1)).toLocaleString('en-US')} MB`;
  return `${Number(up(bytes / GB, 0.1).toFixed(1)).toLocaleString('en-US')} GB`;
}

/** Milliseconds with three significant digits, trailing zeros dropped (`45.2`, `0.0102`, `618`, `0.01`). */
export function formatMs(ms: number): string {
  if (ms === 0) return '0';
  const digits = Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(ms)))));
  return String(Number(ms.toFixed(digits)));
}

/** A name shortened for a one-line message. */
export function clipName(name: string, max = 60): string {
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}
