// Universal approximation by hand: move the bends and slopes of 3 to 5 ReLU hinges until
// their sum follows a target curve, and watch the fit error.
// Placed by: <div class="widget" data-widget="relu-sum"></div>
//            <script type="module" src="../assets/widgets/relu-sum.js"></script>
import { el, uid, slider, autoMount, fitCanvas, onWidth, fmt } from './lib/ui.js';
import { Plot } from './lib/plot.js';
import { TARGETS, linspace, curve, relu, fitHeights } from './lib/relu.js';
import { mse } from './lib/sgd.js';

const XS = linspace(-2, 2, 200);          // where the fit error is measured, as in notebook 8
const MAX_UNITS = 5;
const MAX_SLOPE = 6;
// n hinges, flat (height 0), their bends spread evenly from the left edge: -2, -2 + 4/n, ...
const start = n => Array.from({ length: MAX_UNITS }, (_, k) => ({ bend: k < n ? Number((-2 + 4 * k / n).toFixed(2)) : 0, height: 0 }));

function mount(root) {
  let target = 'wave', n = 3, units = start(n), bias = 0;

  const targetId = uid('dw-target'), countId = uid('dw-count');
  const targetSelect = el('select', { id: targetId, onchange: () => { target = targetSelect.value; draw(); } },
    ...Object.entries(TARGETS).map(([k, t]) => el('option', { value: k, selected: k === target, text: t.label })));
  const countSelect = el('select', { id: countId, onchange: () => { n = Number(countSelect.value); reset(); layout(); } },
    ...[3, 4, 5].map(k => el('option', { value: k, selected: k === n, text: String(k) })));

  // One fieldset of two sliders per hinge; sliders work in hundredths.
  const unitSliders = units.map((u, k) => {
    const bend = slider({ label: 'bend at x =', min: -200, max: 200, step: 5, value: Math.round(100 * u.bend),
      toValue: v => v / 100, format: v => v.toFixed(2), onInput: v => { units[k].bend = v; draw(); } });
    const height = slider({ label: 'slope change', min: -100 * MAX_SLOPE, max: 100 * MAX_SLOPE, step: 5, value: Math.round(100 * u.height),
      toValue: v => v / 100, format: v => v.toFixed(2), onInput: v => { units[k].height = v; draw(); } });
    const box = el('fieldset', {}, el('legend', { text: `ReLU ${k + 1}` }), bend.root, height.root);
    return { bend, height, box };
  });
  const biasSlider = slider({ label: 'bias (height at the left)', min: -200, max: 200, step: 5, value: 0,
    toValue: v => v / 100, format: v => v.toFixed(2), onInput: v => { bias = v; draw(); } });
  const unitsBox = el('div', { class: 'dw-units' });

  const fitBtn = el('button', { type: 'button', text: 'Fit the slopes for me',
    onclick: () => {
      const active = units.slice(0, n), fit = fitHeights(XS, XS.map(TARGETS[target].f), active.map(u => u.bend));
      const clamp = v => Math.max(-MAX_SLOPE, Math.min(MAX_SLOPE, v));
      fit.heights.forEach((h, k) => { units[k].height = clamp(Math.round(100 * h) / 100); unitSliders[k].height.set(Math.round(100 * units[k].height)); });
      bias = Math.max(-2, Math.min(2, Math.round(100 * fit.bias) / 100)); biasSlider.set(Math.round(100 * bias));
      draw();
    } });
  const resetBtn = el('button', { type: 'button', text: 'Reset', onclick: () => reset() });
  function reset() {
    units = start(n); bias = 0;
    units.forEach((u, k) => { unitSliders[k].bend.set(Math.round(100 * u.bend)); unitSliders[k].height.set(0); });
    biasSlider.set(0); draw();
  }

  const canvas = el('canvas', { class: 'dw-plot', role: 'img', 'data-out': 'plot' });
  const status = el('p', { class: 'dw-status', 'aria-live': 'polite', 'data-out': 'status' });
  const plotBox = el('div', {}, canvas);

  root.classList.add('dw');
  root.append(
    el('p', { class: 'dw-help', text: 'Each ReLU adds a hinge: flat left of its bend, then a straight line whose slope is its "slope change". Move the sliders so that the red sum follows the grey target; the fit error is the mean squared difference over 200 points from −2 to 2. Changing the number of ReLUs starts again with flat hinges.' }),
    el('div', { class: 'dw-row' },
      el('div', { class: 'dw-field' }, el('label', { for: targetId, text: 'Target curve' }), targetSelect),
      el('div', { class: 'dw-field' }, el('label', { for: countId, text: 'Number of ReLUs' }), countSelect)),
    plotBox, status, biasSlider.root, unitsBox, el('div', { class: 'dw-buttons' }, fitBtn, resetBtn));

  function layout() { unitsBox.replaceChildren(...unitSliders.slice(0, n).map(s => s.box)); }

  function draw() {
    const active = units.slice(0, n), f = TARGETS[target].f;
    const goal = XS.map(f), ys = curve(XS, active, bias), err = mse(ys, goal);
    const w = Math.max(200, Math.floor(plotBox.clientWidth)), h = Math.round(Math.min(320, Math.max(220, w * 0.55)));
    const lo = Math.min(-1.5, ...goal) - 0.3, hi = Math.max(1.5, ...goal) + 0.3;
    const plot = new Plot(fitCanvas(canvas, w, h), w, h, { x: [-2, 2], y: [lo, hi], xlabel: 'x', ylabel: 'y' });
    plot.frame();
    for (const u of active) plot.line(XS, XS.map(x => u.height * relu(x - u.bend)), { color: '#57606a', width: 1, dash: [3, 3] });
    plot.line(XS, goal, { color: '#8c959f', width: 5, alpha: 0.7 });
    plot.line(XS, ys, { color: '#b3261e', width: 2.5 });
    plot.dots(active.map(u => u.bend), active.map(u => bias + active.reduce((s, v) => s + v.height * relu(u.bend - v.bend), 0)),
      { color: '#b3261e', r: 4 });
    plot.legend([['target', '#8c959f'], ['sum of ReLUs', '#b3261e'], ['each ReLU', '#57606a', true]], 'bottom-right');
    const text = `Fit error (mean squared error): ${fmt(err, 3)} with ${n} ReLUs.`;
    status.textContent = text;
    root.dataset.error = String(err);
    canvas.setAttribute('aria-label', `${TARGETS[target].label} in grey and the sum of ${n} ReLUs in red, with bends at ` +
      `${active.map(u => u.bend.toFixed(2)).join(', ')}. ${text}`);
  }

  layout();
  onWidth(root, () => draw());
  root.dataset.ready = 'true';
}

autoMount('relu-sum', mount);
