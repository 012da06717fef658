// Small DOM helpers shared by the widgets: elements, labelled sliders, mounting, styles.

let counter = 0;
export const uid = prefix => `${prefix}-${++counter}`;

// el('p', {class: 'x', text: 'hi'}, child, ...): attributes, `text`, event handlers (`on*`).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// A labelled range input with its value shown beside it (and given to screen readers).
// `format` turns the slider's value into the text shown; `toValue` maps the slider position to
// the value passed to `onInput` (for a log scale). Returns {root, input, value(), set(pos)}.
export function slider({ label, min, max, step, value, format = String, toValue = v => v, onInput, name }) {
  const id = uid('dw-slider');
  const input = el('input', { type: 'range', id, min, max, step, value, name });
  const out = el('output', { for: id, class: 'dw-value', 'aria-hidden': 'true' });
  const show = () => {
    const text = format(toValue(Number(input.value)));
    out.textContent = text;
    input.setAttribute('aria-valuetext', text);
  };
  input.addEventListener('input', () => { show(); onInput?.(toValue(Number(input.value))); });
  show();
  const root = el('div', { class: 'dw-slider' }, el('label', { for: id, text: label }), input, out);
  return {
    root, input,
    value: () => toValue(Number(input.value)),
    set(pos) { input.value = pos; show(); },
  };
}

// A number with about `digits` significant digits, in plain or scientific notation.
export function fmt(x, digits = 3) {
  if (!Number.isFinite(x)) return x > 0 ? '∞' : x < 0 ? '−∞' : 'not a number';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(digits - 1).replace('e+', 'e');
  return String(Number(x.toPrecision(digits)));
}

// Mount `mount(container)` on every element with data-widget="name", once each. Module scripts
// run after the page is parsed, so the containers exist; errors are shown in the container.
export function autoMount(name, mount) {
  if (typeof document === 'undefined') return;   // imported by Node: nothing to mount
  injectStyles();
  for (const node of document.querySelectorAll(`[data-widget="${name}"]`)) {
    if (node.dataset.mounted) continue;
    node.dataset.mounted = 'true';
    node.querySelector(':scope > .widget-elsewhere')?.remove();   // the line Colab and Jupyter show instead (tools/colab.py)
    try {
      const done = mount(node);
      if (done && typeof done.catch === 'function') done.catch(err => fail(node, err));
    } catch (err) { fail(node, err); }
  }
}

function fail(node, err) {
  console.error(err);
  node.append(el('p', { class: 'dw-error', role: 'alert', text: `This interactive figure could not start: ${err.message}` }));
}

// Size a canvas for its CSS width and the screen's pixel density; returns its 2-D context
// scaled so that drawing uses CSS pixels.
export function fitCanvas(canvas, cssWidth, cssHeight) {
  const dpr = Math.min(3, window.devicePixelRatio || 1);
  canvas.width = Math.round(cssWidth * dpr);
  canvas.height = Math.round(cssHeight * dpr);
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

// Call `draw(width)` now and whenever `node` changes width (phone rotated, window resized).
export function onWidth(node, draw) {
  let last = -1;
  const run = () => {
    const w = Math.floor(node.clientWidth);
    if (w > 0 && w !== last) { last = w; draw(w); }
  };
  run();
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(run).observe(node);
}

const CSS = `
.dw { --dw-ink: #1f2328; --dw-muted: #57606a; --dw-accent: #0b5cad; --dw-red: #b3261e; --dw-line: #d0d7de;
  border: 1px solid var(--dw-line); border-radius: 8px; padding: 0.9rem; margin: 1rem 0; color: var(--dw-ink);
  background: #fff; font-size: 0.95rem; max-width: 100%; box-sizing: border-box; overflow-wrap: anywhere; }
.dw *, .dw *::before, .dw *::after { box-sizing: border-box; }
.dw p { margin: 0.4rem 0; }
.dw-help { color: var(--dw-muted); }
.dw button { font: inherit; padding: 0.45rem 0.8rem; min-height: 44px; border: 1px solid var(--dw-accent);
  border-radius: 6px; background: #fff; color: var(--dw-accent); cursor: pointer; }
.dw button:hover { background: #eef5fc; }
.dw button:disabled { color: var(--dw-muted); border-color: var(--dw-line); cursor: default; }
.dw :focus-visible { outline: 3px solid #1a56db; outline-offset: 2px; }
.dw-buttons { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.5rem 0; }
.dw-row { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.dw-col { flex: 1 1 260px; min-width: 0; }
.dw-slider { display: grid; grid-template-columns: minmax(6.5rem, auto) 1fr minmax(4.2rem, auto); gap: 0.5rem;
  align-items: center; margin: 0.35rem 0; }
.dw-slider input[type=range] { width: 100%; min-width: 0; min-height: 32px; margin: 0; accent-color: var(--dw-accent); }
.dw-value { font-variant-numeric: tabular-nums; text-align: right; }
.dw fieldset { border: 1px solid var(--dw-line); border-radius: 6px; padding: 0.3rem 0.7rem 0.5rem; margin: 0.5rem 0; min-width: 0; }
/* Bootstrap's reboot (Quarto's theme) floats legends across the whole box: put them back on the border */
.dw legend { float: none; width: auto; margin: 0; font-weight: 600; padding: 0 0.3rem; font-size: 0.9rem; line-height: 1.3; }
.dw legend + * { clear: none; }
.dw label { margin-bottom: 0; }
.dw-radios label { display: inline-flex; align-items: center; gap: 0.35rem; margin: 0.25rem 1rem 0.25rem 0; min-height: 32px; }
.dw select, .dw input[type=text] { font: inherit; padding: 0.35rem 0.5rem; min-height: 40px; border: 1px solid #8c959f;
  border-radius: 6px; max-width: 100%; color: var(--dw-ink); background: #fff; }
.dw-field { display: flex; flex-direction: column; gap: 0.2rem; margin: 0.35rem 0; min-width: 0; }
.dw-plot { display: block; max-width: 100%; }
.dw-status { font-variant-numeric: tabular-nums; }
.dw-error { color: var(--dw-red); font-weight: 600; }
.dw-sr { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
/* draw a digit */
.dw-pad { display: block; width: 100%; max-width: 280px; aspect-ratio: 1; border: 2px solid #8c959f; border-radius: 6px;
  touch-action: none; cursor: crosshair; background: #fff; }
.dw-seen { display: flex; gap: 0.75rem; align-items: center; margin: 0 0 0.5rem; }
.dw-seen canvas { width: 112px; height: 112px; image-rendering: pixelated; border: 1px solid #8c959f; flex: none; }
.dw-seen figcaption { color: var(--dw-muted); font-size: 0.9rem; }
.dw-model { border-top: 1px solid var(--dw-line); padding: 0.45rem 0; }
.dw-model .dw-model-title { margin: 0 0 0.2rem; font-weight: 600; }
.dw-verdict { font-weight: 700; }
.dw-bar { height: 10px; background: #e6eaef; border-radius: 5px; overflow: hidden; margin-top: 0.25rem; }
.dw-bar > div { height: 100%; width: 0; background: var(--dw-accent); }
/* broadcasting */
.dw-bc-inputs { display: flex; flex-wrap: wrap; gap: 0.75rem; }
.dw-bc-inputs .dw-field { flex: 1 1 12rem; }
.dw-table-wrap { overflow-x: auto; max-width: 100%; }
.dw-bc-table { border-collapse: separate; border-spacing: 4px; margin: 0.5rem 0; }
.dw-bc-table th { font-weight: 600; font-size: 0.85rem; color: var(--dw-muted); text-align: right; padding-right: 0.4rem; white-space: nowrap; }
.dw-bc-table thead th { text-align: center; padding: 0; }
.dw-bc-table td { min-width: 2.6rem; text-align: center; padding: 0.35rem 0.3rem; border: 1px solid #8c959f;
  border-radius: 4px; font-variant-numeric: tabular-nums; white-space: nowrap; }
.dw-bc-table td.dw-missing { border-style: dashed; color: var(--dw-muted); }
.dw-bc-table td.dw-stretch { background: #fde2c4; }
.dw-bc-table td.dw-clash { background: #f9d0d0; font-weight: 700; }
.dw-bc-table tr.dw-result td { background: #dcebf9; font-weight: 700; }
.dw-bc-table tr.dw-result td.dw-clash { background: #f9d0d0; }
.dw-examples { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; }
.dw-examples button { min-height: 36px; padding: 0.25rem 0.6rem; font-size: 0.9rem; }
/* relu sum */
.dw-units { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: 0 0.75rem; }
.dw-units .dw-slider { grid-template-columns: 1fr auto; grid-template-areas: "label value" "range range"; gap: 0 0.5rem; }
.dw-units .dw-slider label { grid-area: label; }
.dw-units .dw-slider output { grid-area: value; }
.dw-units .dw-slider input { grid-area: range; }
`;

function injectStyles() {
  if (document.getElementById('dw-styles')) return;
  document.head.append(el('style', { id: 'dw-styles', text: CSS }));
}
