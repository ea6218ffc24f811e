/**
 * The profiling panel's charts as SVG built element by element (createElementNS; text only through textContent):
 * capacity gauges, a bar chart of the top layers, the arena timeline, the roofline plot and a weight histogram.
 * Colours come from classes in webview.css that read VS Code's chart colours, so the charts follow the theme.
 */

const NS = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number>;

export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, text?: string) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** An SVG with a viewBox (it scales to its container's width) and a label for screen readers. */
function chart(width: number, height: number, label: string, cls: string): SVGSVGElement {
  const s = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: `chart ${cls}` });
  s.setAttribute('aria-label', label);
  s.append(svgEl('title', {}, label));
  return s;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
let clipIds = 0;

/** A clip path for the plot area, so that lines running past the axes end at the frame. */
function plotClip(s: SVGSVGElement, box: { l: number; t: number; r: number; b: number }): string {
  const id = `emp-clip-${++clipIds}`;
  const clip = svgEl('clipPath', { id });
  clip.append(svgEl('rect', { x: box.l, y: box.t, width: box.r - box.l, height: box.b - box.t }));
  s.append(svgEl('defs'));
  (s.lastChild as SVGDefsElement).append(clip);
  return `url(#${id})`;
}

/** A horizontal gauge: the used share of a capacity, red past it; the figures as text beside it. */
export function gauge(
  label: string,
  used: number,
  capacity: number | null,
  fits: boolean | null,
  format: (v: number) => string,
): HTMLElement {
  const box = document.createElement('div');
  box.className = 'gauge';
  const verdict = fits === null ? 'unknown' : fits ? 'fits' : 'does not fit';
  const figures = capacity ? `${format(used)} of ${format(capacity)} (${fmt((100 * used) / capacity)}%)` : format(used);
  const head = document.createElement('div');
  head.className = 'gauge-head';
  const name = document.createElement('span');
  name.className = 'gauge-label';
  name.textContent = label;
  const fig = document.createElement('span');
  fig.className = 'gauge-figures';
  fig.textContent = figures;
  const v = document.createElement('span');
  v.className = `gauge-verdict ${fits === false ? 'bad' : fits ? 'good' : 'unknown'}`;
  v.textContent = capacity ? verdict : 'capacity not published';
  head.append(name, fig, v);
  const W = 300;
  const H = 14;
  const s = chart(W, H, `${label}: ${figures}, ${capacity ? verdict : 'capacity not published'}`, 'gauge-bar');
  s.append(svgEl('rect', { x: 0, y: 0, width: W, height: H, class: 'track' }));
  if (capacity && capacity > 0) {
    const share = used / capacity;
    s.append(
      svgEl('rect', {
        x: 0,
        y: 0,
        width: (W * Math.min(1, share)).toFixed(1),
        height: H,
        class: share > 1 || fits === false ? 'fill bad' : 'fill',
      }),
    );
  }
  box.append(head, s);
  return box;
}

export interface Bar {
  label: string;
  value: number;
  /** Text after the bar. */
  text: string;
}

/** Horizontal bars, largest first; each bar is a button (click, Enter or Space) when `onPick` is given. */
export function barChart(title: string, bars: Bar[], onPick?: (i: number) => void): SVGSVGElement {
  const rowH = 18;
  const labelW = 220;
  const W = 640;
  const barW = W - labelW - 90;
  const H = Math.max(rowH, bars.length * rowH) + 4;
  const s = chart(W, H, title, 'bars');
  const max = Math.max(...bars.map((b) => b.value), 0);
  bars.forEach((b, i) => {
    const g = svgEl('g', { class: 'bar', transform: `translate(0 ${i * rowH + 2})` });
    const w = max > 0 ? Math.max(1, (barW * b.value) / max) : 0;
    // Layer names often share a long prefix: their ends tell them apart.
    const name = b.label.length > 34 ? `…${b.label.slice(-33)}` : b.label;
    g.append(
      svgEl('text', { x: labelW - 6, y: rowH - 6, 'text-anchor': 'end', class: 'label' }, name),
      svgEl('rect', { x: labelW, y: 2, width: w.toFixed(1), height: rowH - 5, class: 'fill' }),
      svgEl('text', { x: labelW + w + 4, y: rowH - 6, class: 'value' }, b.text),
    );
    if (onPick) {
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'button');
      g.setAttribute('aria-label', `${b.label}: ${b.text}`);
      g.addEventListener('click', () => onPick(i));
      g.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onPick(i);
        }
      });
    }
    s.append(g);
  });
  return s;
}

interface Axis {
  /** Value to pixel. */
  map(v: number): number;
  ticks: { v: number; label: string }[];
}

function linearAxis(min: number, max: number, from: number, to: number, format: (v: number) => string): Axis {
  const span = max - min || 1;
  const step = 10 ** Math.floor(Math.log10(span / 4));
  const nice = [1, 2, 5, 10].map((k) => k * step).find((k) => span / k <= 6) ?? step * 10;
  const ticks: { v: number; label: string }[] = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + 1e-9; v += nice) ticks.push({ v, label: format(v) });
  return { map: (v) => from + ((v - min) / span) * (to - from), ticks };
}

function logAxis(min: number, max: number, from: number, to: number, format: (v: number) => string): Axis {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const span = Math.max(1, hi - lo);
  const ticks: { v: number; label: string }[] = [];
  const every = Math.ceil(span / 7);
  for (let e = lo; e <= hi; e += every) ticks.push({ v: 10 ** e, label: format(10 ** e) });
  return {
    map: (v) => from + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / span) * (to - from),
    ticks,
  };
}

/** Axes, grid lines and their labels. */
function axes(
  s: SVGSVGElement,
  x: Axis,
  y: Axis,
  box: { l: number; t: number; r: number; b: number },
  labels: [string, string],
) {
  const g = svgEl('g', { class: 'axes' });
  for (const t of x.ticks) {
    const px = x.map(t.v);
    g.append(
      svgEl('line', { x1: px, y1: box.t, x2: px, y2: box.b, class: 'grid' }),
      svgEl('text', { x: px, y: box.b + 14, 'text-anchor': 'middle' }, t.label),
    );
  }
  for (const t of y.ticks) {
    const py = y.map(t.v);
    g.append(
      svgEl('line', { x1: box.l, y1: py, x2: box.r, y2: py, class: 'grid' }),
      svgEl('text', { x: box.l - 4, y: py + 4, 'text-anchor': 'end' }, t.label),
    );
  }
  g.append(
    svgEl('rect', { x: box.l, y: box.t, width: box.r - box.l, height: box.b - box.t, class: 'frame' }),
    svgEl('text', { x: (box.l + box.r) / 2, y: box.b + 30, 'text-anchor': 'middle', class: 'axis-title' }, labels[0]),
    svgEl(
      'text',
      {
        x: 12,
        y: (box.t + box.b) / 2,
        'text-anchor': 'middle',
        class: 'axis-title',
        transform: `rotate(-90 12 ${(box.t + box.b) / 2})`,
      },
      labels[1],
    ),
  );
  s.append(g);
}

/** The arena's live bytes and high-water mark per op step, with the RAM capacity as a line. */
export function timelineChart(
  title: string,
  points: { step: number; liveBytes: number; highWater: number }[],
  capacity: number | null,
  format: (v: number) => string,
): SVGSVGElement {
  const W = 640;
  const H = 236;
  const box = { l: 70, t: 10, r: W - 10, b: H - 56 };
  const s = chart(W, H, title, 'timeline');
  // Loops, not spreads: a 50,000-step timeline is too many arguments for Math.max.
  let maxStep = 1;
  let maxY = Math.max(1, capacity ?? 0);
  for (const p of points) {
    maxStep = Math.max(maxStep, p.step);
    maxY = Math.max(maxY, p.liveBytes, p.highWater);
  }
  maxY *= 1.05;
  const x = linearAxis(0, maxStep, box.l, box.r, (v) => String(Math.round(v)));
  const y = linearAxis(0, maxY, box.b, box.t, format);
  axes(s, x, y, box, ['op step', 'arena bytes']);
  // At most ~2 points per pixel column: a 50k-step timeline stays a small path.
  const stride = Math.max(1, Math.floor(points.length / ((box.r - box.l) * 2)));
  const path = (pick: (p: (typeof points)[number]) => number, stepped: boolean) => {
    let d = '';
    let prev = Number.NaN;
    for (let i = 0; i < points.length; i += stride) {
      let v = pick(points[i]);
      // Keep peaks that the stride would skip.
      for (let j = i + 1; j < Math.min(points.length, i + stride); j++) v = Math.max(v, pick(points[j]));
      const px = x.map(points[i].step).toFixed(1);
      const py = y.map(v).toFixed(1);
      if (!d) d = `M${px} ${py}`;
      else d += stepped ? `H${px}V${py}` : `L${px} ${py}`;
      prev = v;
    }
    if (d && Number.isFinite(prev)) d += `H${box.r}`;
    return d;
  };
  s.append(
    svgEl('path', { d: path((p) => p.liveBytes, true), class: 'series live' }),
    svgEl('path', { d: path((p) => p.highWater, true), class: 'series high' }),
  );
  if (capacity) {
    const py = y.map(capacity);
    s.append(
      svgEl('line', { x1: box.l, y1: py, x2: box.r, y2: py, class: 'capacity' }),
      svgEl('text', { x: box.r - 4, y: py - 4, 'text-anchor': 'end', class: 'capacity-label' }, 'RAM capacity'),
    );
  }
  // Under the plot, right of the axis title: never over the lines.
  const legend = svgEl('g', { class: 'chart-legend', transform: `translate(${box.r - 200} ${H - 4})` });
  legend.append(
    svgEl('line', { x1: 0, y1: -4, x2: 16, y2: -4, class: 'series live' }),
    svgEl('text', { x: 20, y: 0 }, 'live bytes'),
    svgEl('line', { x1: 100, y1: -4, x2: 116, y2: -4, class: 'series high' }),
    svgEl('text', { x: 120, y: 0 }, 'high-water'),
  );
  s.append(legend);
  return s;
}

export interface RooflinePoint {
  /** MACs per byte of memory traffic. */
  intensity: number;
  /** MACs per second the estimate attains. */
  macsPerSec: number;
  label: string;
  bound: string;
}

/** Layers as points (log-log) under the two ceilings: peak MAC/s and bandwidth × intensity. */
export function rooflineChart(
  title: string,
  points: RooflinePoint[],
  peakMacsPerSec: number | null,
  bandwidth: number | null,
  format: (v: number) => string,
  onPick?: (i: number) => void,
): SVGSVGElement {
  const W = 640;
  const H = 300;
  const box = { l: 70, t: 10, r: W - 10, b: H - 40 };
  const s = chart(W, H, title, 'roofline');
  const xs = points.map((p) => p.intensity).filter((v) => v > 0);
  const ys = points.map((p) => p.macsPerSec).filter((v) => v > 0);
  if (peakMacsPerSec) ys.push(peakMacsPerSec);
  if (peakMacsPerSec && bandwidth) xs.push(peakMacsPerSec / bandwidth);
  if (!xs.length || !ys.length) {
    s.append(svgEl('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no layers with known MACs and time'));
    return s;
  }
  const x = logAxis(Math.min(...xs) / 2, Math.max(...xs) * 2, box.l, box.r, format);
  const y = logAxis(Math.min(...ys) / 2, Math.max(...ys) * 2, box.b, box.t, format);
  axes(s, x, y, box, ['intensity (MAC per byte)', 'attained MAC/s']);
  const plot = svgEl('g', { 'clip-path': plotClip(s, box) });
  const [x0, x1] = [x.ticks[0].v, x.ticks[x.ticks.length - 1].v];
  if (bandwidth) {
    const knee = peakMacsPerSec ? peakMacsPerSec / bandwidth : x1;
    const end = Math.min(knee, x1 * 10);
    plot.append(
      svgEl('line', {
        x1: x.map(x0),
        y1: y.map(bandwidth * x0),
        x2: x.map(end),
        y2: y.map(bandwidth * end),
        class: 'ceiling memory',
      }),
    );
  }
  if (peakMacsPerSec) {
    const knee = bandwidth ? peakMacsPerSec / bandwidth : x0;
    plot.append(
      svgEl('line', {
        x1: x.map(knee),
        y1: y.map(peakMacsPerSec),
        x2: box.r,
        y2: y.map(peakMacsPerSec),
        class: 'ceiling compute',
      }),
      svgEl(
        'text',
        { x: box.r - 4, y: y.map(peakMacsPerSec) - 4, 'text-anchor': 'end', class: 'capacity-label' },
        `peak ${format(peakMacsPerSec)} MAC/s`,
      ),
    );
  }
  const circles: { c: SVGCircleElement; i: number; intensity: number; macsPerSec: number }[] = [];
  const id = `emp-roofline-${++clipIds}`;
  points.forEach((p, i) => {
    if (!(p.intensity > 0 && p.macsPerSec > 0)) return;
    const c = svgEl('circle', {
      cx: x.map(p.intensity).toFixed(1),
      cy: y.map(p.macsPerSec).toFixed(1),
      r: 3,
      class: `point ${p.bound}`,
    });
    const text = `${p.label}: ${format(p.intensity)} MAC/B, ${format(p.macsPerSec)} MAC/s, ${p.bound}-bound`;
    c.append(svgEl('title', {}, text));
    if (onPick) {
      c.addEventListener('click', () => onPick(i));
      c.id = `${id}-${i}`;
      c.setAttribute('role', 'option');
      c.setAttribute('aria-label', text);
      c.setAttribute('aria-selected', 'false');
    }
    circles.push({ c, i, intensity: p.intensity, macsPerSec: p.macsPerSec });
    plot.append(c);
  });
  s.append(plot);
  if (onPick && circles.length) keyboardPoints(s, circles, onPick);
  return s;
}

/**
 * The roofline from the keyboard: the chart is a list box of its points, left to right (by intensity); arrows,
 * Home and End move the current point (ringed, and read out through aria-activedescendant), Enter or Space picks it.
 */
function keyboardPoints(
  s: SVGSVGElement,
  circles: { c: SVGCircleElement; i: number; intensity: number; macsPerSec: number }[],
  onPick: (i: number) => void,
): void {
  const order = [...circles].sort((a, b) => a.intensity - b.intensity || a.macsPerSec - b.macsPerSec);
  s.setAttribute('role', 'listbox');
  s.setAttribute('tabindex', '0');
  s.setAttribute('aria-keyshortcuts', 'ArrowLeft ArrowRight Home End Enter');
  let at = -1;
  const move = (to: number) => {
    if (at >= 0) {
      order[at].c.classList.remove('current');
      order[at].c.setAttribute('aria-selected', 'false');
      order[at].c.setAttribute('r', '3');
    }
    at = Math.max(0, Math.min(order.length - 1, to));
    const c = order[at].c;
    c.classList.add('current');
    c.setAttribute('aria-selected', 'true');
    c.setAttribute('r', '5');
    // Drawn last, so that the ring is not hidden under its neighbours.
    c.parentNode?.append(c);
    s.setAttribute('aria-activedescendant', c.id);
  };
  s.addEventListener('focus', () => {
    if (at < 0) move(0);
  });
  s.addEventListener('keydown', (e) => {
    const to =
      e.key === 'ArrowRight' || e.key === 'ArrowUp'
        ? at + 1
        : e.key === 'ArrowLeft' || e.key === 'ArrowDown'
          ? at - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? order.length - 1
              : null;
    if (to !== null) move(to);
    else if ((e.key === 'Enter' || e.key === ' ') && at >= 0) onPick(order[at].i);
    else return;
    e.preventDefault();
  });
}

/** Counts per equal-width bin between `min` and `max`. */
export function histogramChart(
  title: string,
  counts: number[],
  min: number,
  max: number,
  format: (v: number) => string,
): SVGSVGElement {
  const W = 320;
  const H = 140;
  const box = { l: 40, t: 6, r: W - 6, b: H - 36 };
  const s = chart(W, H, title, 'histogram');
  const top = Math.max(1, ...counts);
  const bw = (box.r - box.l) / Math.max(1, counts.length);
  const g = svgEl('g', { class: 'bins' });
  counts.forEach((c, i) => {
    const h = ((box.b - box.t) * c) / top;
    const r = svgEl('rect', {
      x: (box.l + i * bw).toFixed(1),
      y: (box.b - h).toFixed(1),
      width: Math.max(0.5, bw - 0.5).toFixed(1),
      height: h.toFixed(1),
      class: 'fill',
    });
    r.append(svgEl('title', {}, `${c}`));
    g.append(r);
  });
  s.append(
    g,
    svgEl('line', { x1: box.l, y1: box.b, x2: box.r, y2: box.b, class: 'frame' }),
    svgEl('text', { x: box.l, y: box.b + 14, 'text-anchor': 'start' }, format(min)),
    svgEl('text', { x: box.r, y: box.b + 14, 'text-anchor': 'end' }, format(max)),
    svgEl('text', { x: box.l - 4, y: box.t + 8, 'text-anchor': 'end' }, String(top)),
    svgEl('text', { x: (box.l + box.r) / 2, y: box.b + 30, 'text-anchor': 'middle', class: 'axis-title' }, 'value'),
  );
  return s;
}
