/** DOM helpers. Every string from a model goes through textContent, never through HTML parsing. */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  cls?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

export function table(header: string[], rows: string[][], caption?: string): HTMLTableElement {
  const t = el('table');
  if (caption) t.createCaption().textContent = caption;
  // Without a header it is a list of facts: labels on the left, values on the right.
  if (!header.some((h) => h !== '')) t.className = 'facts';
  else {
    const head = t.createTHead().insertRow();
    for (const h of header) {
      const th = el('th', h);
      th.scope = 'col';
      head.appendChild(th);
    }
  }
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) tr.insertCell().textContent = c;
  }
  return t;
}

export function button(
  label: string,
  onClick: () => void,
  options: { ariaLabel?: string; cls?: string } = {},
): HTMLButtonElement {
  const b = el('button', label, options.cls);
  b.type = 'button';
  if (options.ariaLabel) b.setAttribute('aria-label', options.ariaLabel);
  b.addEventListener('click', onClick);
  return b;
}
