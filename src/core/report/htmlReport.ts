/**
 * The report as one self-contained HTML file: inline CSS, inline SVG charts (the layers taking the most time, or
 * the most MACs without a target, and the activation arena over op steps), the per-layer table and the
 * diagnostics. Nothing is loaded from anywhere and the page's own policy forbids scripts; every string that comes
 * from the model (names, op types, messages) goes through `escapeHtml`. Pure data in, text out.
 */

import type { LayerCost, ModelProfile } from '../analysis/cost.js';
import type { Estimate, LayerEstimate } from '../targets/estimate.js';
import { formatMs, formatSize } from '../targets/units.js';
import { costColumns, costRow, inputsLine, modeLine, reportHeading, reportLayers, totalsLines } from './costReport.js';
import { estimateTotalsLines, formatDiagnostic, runsOnText, targetLine } from './estimateReport.js';
import { formatCount } from './summary.js';

export interface HtmlReportInput {
  /** The model's file name (heading and title). */
  file: string;
  profile: ModelProfile;
  estimate?: Estimate;
  /** Lines shown under the heading (e.g. that the view is partial). */
  notes?: string[];
  /** Bars in the top-layers chart (default 15). */
  topLayers?: number;
}

/** Text safe inside HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --rule: #d1d9e0; --bar: #0969da;
  --warn: #9a6700; --err: #cf222e; --line2: #bc4c00; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --rule: #3d444d;
  --bar: #4493f8; --warn: #d29922; --err: #f85149; --line2: #db6d28; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
  margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin-bottom: 0.25rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.lines p { margin: 0.1rem 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.note { color: var(--warn); }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--rule); padding: 2px 6px; text-align: left; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.name { max-width: 28rem; overflow: hidden; text-overflow: ellipsis; }
tfoot td { font-weight: 600; }
svg text { fill: var(--fg); font-size: 11px; font-family: system-ui, sans-serif; }
svg .bar { fill: var(--bar); } svg .axis { stroke: var(--rule); } svg .live { fill: none; stroke: var(--bar); }
svg .high { fill: none; stroke: var(--line2); stroke-dasharray: 4 3; } svg .cap { stroke: var(--err); }
li.error { color: var(--err); } li.warning { color: var(--warn); }
.muted { color: var(--muted); }
`;

const count = (n: number | null) => (n === null ? 'n/a' : formatCount(n));
const pct = (share: number | null) => (share === null ? '' : `${(share * 100).toFixed(1)}%`);

/** A horizontal bar chart of labelled values. */
function barChart(title: string, bars: { label: string; value: number; text: string }[]): string {
  if (!bars.length) return '';
  const labelW = 260;
  const chartW = 560;
  const rowH = 18;
  const height = bars.length * rowH + 8;
  // Loops, not Math.max(...list): a list of a few hundred thousand entries overflows the call stack.
  const max = bars.reduce((m, b) => Math.max(m, b.value), Number.MIN_VALUE);
  const rows = bars.map((b, i) => {
    const y = 4 + i * rowH;
    const w = Math.max(1, (b.value / max) * (chartW - 90));
    const label = b.label.length > 40 ? `${b.label.slice(0, 39)}…` : b.label;
    return (
      `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${escapeHtml(label)}</text>` +
      `<rect class="bar" x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 5}"><title>${escapeHtml(b.label)}: ${escapeHtml(b.text)}</title></rect>` +
      `<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 12}">${escapeHtml(b.text)}</text>`
    );
  });
  return `<figure><svg role="img" aria-label="${escapeHtml(title)}" width="${labelW + chartW}" height="${height}" viewBox="0 0 ${labelW + chartW} ${height}">${rows.join('')}</svg><figcaption class="muted">${escapeHtml(title)}</figcaption></figure>`;
}

/** Bytes alive in the activation arena per op step, the arena's high-water mark, and the RAM capacity. */
function arenaChart(est: Estimate): string {
  const tl = est.arena.timeline;
  if (!tl.length) return '';
  const w = 820;
  const h = 200;
  const pad = { l: 70, r: 10, t: 10, b: 28 };
  const cap = est.totals.ramCapacityBytes;
  const peak = tl.reduce((m, t) => Math.max(m, t.liveBytes, t.highWater), 1);
  const top = cap !== null && cap < peak * 1.5 ? Math.max(peak, cap) : peak;
  const x = (step: number) => pad.l + (tl.length === 1 ? 0 : (step / (tl.length - 1)) * (w - pad.l - pad.r));
  const y = (bytes: number) => pad.t + (1 - bytes / top) * (h - pad.t - pad.b);
  const path = (key: 'liveBytes' | 'highWater') =>
    tl.map((t, i) => `${i ? 'L' : 'M'}${x(t.step).toFixed(1)},${y(t[key]).toFixed(1)}`).join('');
  const capLine =
    cap !== null && cap <= top
      ? `<line class="cap" x1="${pad.l}" x2="${w - pad.r}" y1="${y(cap).toFixed(1)}" y2="${y(cap).toFixed(1)}"/><text x="${w - pad.r}" y="${(y(cap) - 3).toFixed(1)}" text-anchor="end">RAM ${escapeHtml(formatSize(cap))}</text>`
      : '';
  const title = 'Activation arena over op steps (solid: bytes alive; dashed: arena high-water mark)';
  return `<figure><svg role="img" aria-label="${escapeHtml(title)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">
<line class="axis" x1="${pad.l}" x2="${pad.l}" y1="${pad.t}" y2="${h - pad.b}"/><line class="axis" x1="${pad.l}" x2="${w - pad.r}" y1="${h - pad.b}" y2="${h - pad.b}"/>
<text x="${pad.l - 4}" y="${pad.t + 10}" text-anchor="end">${escapeHtml(formatSize(top))}</text><text x="${pad.l - 4}" y="${h - pad.b}" text-anchor="end">0</text>
<text x="${pad.l}" y="${h - 8}">step 0</text><text x="${w - pad.r}" y="${h - 8}" text-anchor="end">step ${tl.length - 1}</text>
<path class="high" d="${path('highWater')}"/><path class="live" d="${path('liveBytes')}"/>${capLine}</svg><figcaption class="muted">${escapeHtml(title)}</figcaption></figure>`;
}

function topBars(p: ModelProfile, est: Estimate | undefined, n: number) {
  if (est) {
    return est.layers
      .filter((l): l is LayerEstimate & { latencyMs: number } => l.latencyMs !== null && l.latencyMs > 0)
      .sort((a, b) => b.latencyMs - a.latencyMs || a.index - b.index)
      .slice(0, n)
      .map((l) => ({ label: `${l.name} (${l.opType})`, value: l.latencyMs, text: `${formatMs(l.latencyMs)} ms` }));
  }
  return reportLayers(p, n)
    .filter((l): l is LayerCost & { macs: number } => l.macs !== null && l.macs > 0)
    .map((l) => ({ label: `${l.name} (${l.opType})`, value: l.macs, text: `${count(l.macs)} MACs` }));
}

function layerTable(p: ModelProfile, est: Estimate | undefined): string {
  const layers = reportLayers(p);
  const byIndex = new Map(est?.layers.map((l) => [l.index, l]) ?? []);
  const estCols = est ? ['latency ms', 'share', 'bound', 'runs on'] : [];
  const numericCols = new Set(['params', 'MACs', 'weight bytes', 'activation bytes', 'latency ms', 'share']);
  const head = ['#', ...costColumns, ...estCols]
    .map((h) => `<th scope="col"${numericCols.has(h) || h === '#' ? ' class="num"' : ''}>${escapeHtml(h)}</th>`)
    .join('');
  const rows = layers.map((l) => {
    const cells = [String(l.index), ...costRow(l)];
    if (est) {
      const e = byIndex.get(l.index);
      if (!e) cells.push('', '', '', '');
      else if (e.fusedInto !== undefined) cells.push('', '', '', runsOnText(e, est));
      else
        cells.push(
          e.latencyMs === null ? 'n/a' : formatMs(e.latencyMs),
          pct(e.share),
          e.bound ?? '',
          runsOnText(e, est),
        );
    }
    const header = ['#', ...costColumns, ...estCols];
    return `<tr>${cells
      .map((c, i) => {
        const cls = numericCols.has(header[i]) || i === 0 ? ' class="num"' : i === 1 ? ' class="name"' : '';
        return `<td${cls}${i === 1 ? ` title="${escapeHtml(c)}"` : ''}>${escapeHtml(c)}</td>`;
      })
      .join('')}</tr>`;
  });
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

export function htmlReport(input: HtmlReportInput): string {
  const { profile: p, estimate: est } = input;
  const lines = [
    ...(est ? [targetLine(est)] : []),
    modeLine(p),
    inputsLine(p),
    ...totalsLines(p.totals),
    ...(est ? estimateTotalsLines(est) : []),
  ];
  const para = (l: string, cls = '') => `<p${cls ? ` class="${cls}"` : ''}>${escapeHtml(l)}</p>`;
  const top = input.topLayers ?? 15;
  const chartTitle = est
    ? `The ${top} layers taking the most time on ${est.target.id} (${est.target.accuracy})`
    : `The ${top} layers with the most MACs`;
  const diagnostics = est?.diagnostics.length
    ? `<h2>Diagnostics</h2><ul>${est.diagnostics.map((d) => `<li class="${d.severity}">${escapeHtml(formatDiagnostic(d))}</li>`).join('')}</ul>`
    : '';
  const warnings = p.warnings.length
    ? `<h2>Warnings</h2><ul>${p.warnings.map((w) => `<li class="warning">${escapeHtml(w.message)}</li>`).join('')}</ul>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="Edge Model Profiler">
<title>${escapeHtml(`${input.file} — Edge Model Profiler report`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(reportHeading(p, { file: input.file }, 0))}</h1>
<div class="lines">${(input.notes ?? []).map((n) => para(n, 'note')).join('')}${lines.map((l) => para(l)).join('')}</div>
<h2>Top layers</h2>
${barChart(chartTitle, topBars(p, est, top))}
${est ? `<h2>Memory over time</h2>\n${arenaChart(est)}` : ''}
${diagnostics}
<h2>Layers</h2>
${layerTable(p, est)}
${warnings}
</body>
</html>
`;
}
