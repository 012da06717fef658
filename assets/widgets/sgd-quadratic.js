// Gradient descent with a learning-rate slider, on notebook 4's two problems:
// the path of one weight down the loss w**2, and the roller coaster's quadratic a*t**2 + b*t + c.
// Placed by: <div class="widget" data-widget="sgd-quadratic"></div>
//            <script type="module" src="../assets/widgets/sgd-quadratic.js"></script>
import { el, uid, slider, autoMount, fitCanvas, onWidth, fmt } from './lib/ui.js';
import { Plot } from './lib/plot.js';
import { gdPath, sgdQuadratic, quadratic, criticalLr, bestFit } from './lib/sgd.js';
import { loadData } from './lib/data.js';

const W0 = -4;   // where the one-weight problem starts, as in notebook 4's figure

// Slider positions 0..200 on a log scale of learning rates, 10**(lo + (hi - lo) * pos / 200).
const logScale = (lo, hi) => pos => Number((10 ** (lo + (hi - lo) * pos / 200)).toPrecision(2));
const logPos = (lo, hi, lr) => Math.round(200 * (Math.log10(lr) - lo) / (hi - lo));

const PROBLEMS = {
  parabola: { label: 'One weight, loss w²', lr: [-2, Math.log10(1.2)], lr0: 0.3, steps: [1, 30], steps0: 8 },
  coaster: { label: 'Roller coaster: a·t² + b·t + c (notebook 4)', lr: [-6, -4], lr0: 1e-5, steps: [1, 100], steps0: 10 },
};

async function mount(root) {
  const q = await loadData('quadratic.json');
  const best = bestFit(q.time, q.speed), lrMax = criticalLr(q.time);
  let problem = 'parabola';

  const name = uid('dw-problem');
  const radios = Object.entries(PROBLEMS).map(([key, p]) => el('label', {},
    el('input', { type: 'radio', name, value: key, checked: key === problem, onchange: () => choose(key) }), p.label));
  let scale = logScale(...PROBLEMS[problem].lr);   // slider position -> learning rate, per problem
  const lr = slider({ label: 'Learning rate', min: 0, max: 200, step: 1, value: 0, format: v => fmt(v, 2),
                      toValue: pos => scale(pos), onInput: () => draw() });
  const steps = slider({ label: 'Steps', min: 1, max: 30, step: 1, value: 8, onInput: () => draw() });
  const pathCanvas = el('canvas', { class: 'dw-plot', role: 'img', 'data-out': 'path-plot' });
  const lossCanvas = el('canvas', { class: 'dw-plot', role: 'img', 'data-out': 'loss-plot' });
  const status = el('p', { class: 'dw-status', 'aria-live': 'polite', 'data-out': 'status' });
  const hint = el('p', { class: 'dw-help' });

  root.classList.add('dw');
  root.append(
    el('fieldset', { class: 'dw-radios' }, el('legend', { text: 'Problem' }), ...radios),
    lr.root, steps.root, hint,
    el('div', { class: 'dw-row' }, el('div', { class: 'dw-col' }, pathCanvas), el('div', { class: 'dw-col' }, lossCanvas)),
    status);

  function choose(key) {
    problem = key;
    const p = PROBLEMS[key];
    scale = logScale(...p.lr);
    lr.set(logPos(...p.lr, p.lr0));
    steps.input.min = p.steps[0]; steps.input.max = p.steps[1]; steps.set(p.steps0);
    hint.textContent = key === 'parabola'
      ? 'Each step multiplies w by (1 − 2 × learning rate): below 0.5 it creeps towards 0, between 0.5 and 1 it zigzags in, above 1 it zigzags out.'
      : `The steps overshoot once the learning rate passes about ${fmt(lrMax, 2)} (2 divided by the loss's steepest curvature).`;
    draw();
  }

  function drawParabola(lrv, n) {
    const path = gdPath(W0, lrv, n), loss = path.map(w => w * w);
    const lim = Math.min(1e6, Math.max(5, Math.max(...path.map(Math.abs)) + 0.5));
    const xs = Array.from({ length: 201 }, (_, i) => -lim + 2 * lim * i / 200);
    const h = plotHeight();
    const left = new Plot(fitCanvas(pathCanvas, colWidth(), h), colWidth(), h,
      { x: [-lim, lim], y: [-0.05 * lim * lim, lim * lim * 1.05], xlabel: 'weight w', ylabel: 'loss w²', title: 'The path on the loss curve' });
    left.frame();
    left.line(xs, xs.map(x => x * x), { color: '#8c959f', width: 2 });
    left.line(path, loss, { color: '#b3261e', width: 1.5 });
    left.dots(path, loss, { color: '#b3261e', r: 3.5 });
    left.dots([path[0]], [loss[0]], { color: '#1f2328', r: 5, square: true });
    drawLoss(loss, 'loss w² after each step');
    const end = path.at(-1), grows = Math.abs(end) > Math.abs(W0);
    const kind = lrv < 0.5 ? 'creeps towards the minimum from one side' : lrv === 0.5 ? 'jumps straight to the minimum'
      : lrv < 1 ? 'zigzags across the minimum, closing in' : lrv === 1 ? `bounces between ${W0} and ${-W0} for ever` : 'zigzags outwards: it diverges';
    const text = `Learning rate ${fmt(lrv, 2)}, ${n} steps from w = ${W0}: w ends at ${fmt(end, 3)}, loss ${fmt(end * end, 3)}. The path ${kind}.`;
    status.textContent = text;
    pathCanvas.setAttribute('aria-label', `Parabola w squared with the path of gradient descent drawn on it. ${text}`);
    root.dataset.diverged = String(grows);
  }

  function drawCoaster(lrv, n) {
    const run = sgdQuadratic(q.time, q.speed, q.params, lrv, n);
    const shown = run.params.length - 1, p = run.params.at(-1);
    const h = plotHeight();
    const left = new Plot(fitCanvas(pathCanvas, colWidth(), h), colWidth(), h,
      { x: [0, 19], y: [-300, 100], xlabel: 'time (s)', ylabel: 'speed', title: 'The quadratic after each step' });
    left.frame();
    const ts = Array.from({ length: 96 }, (_, i) => i * 19 / 95);
    const every = Math.max(1, Math.ceil(shown / 12));
    for (let i = 0; i < shown; i += every) left.line(ts, quadratic(ts, run.params[i]), { color: '#b3261e', width: 1, alpha: 0.2 + 0.5 * i / Math.max(1, shown) });
    left.line(ts, quadratic(ts, p), { color: '#b3261e', width: 2.5 });
    left.dots(q.time, q.speed, { color: '#0b5cad', r: 3.5 });
    left.legend([['measured', '#0b5cad'], [`after step ${shown}`, '#b3261e'], ['earlier steps', '#e3a19c']], 'bottom-left');
    drawLoss(run.losses, 'MSE before each step', best.loss);
    const last = run.losses.at(-1);
    const text = run.divergedAt !== null
      ? `Learning rate ${fmt(lrv, 2)}: diverged. The loss passed 10¹² at step ${run.divergedAt}; each step overshoots further than the last.`
      : `Learning rate ${fmt(lrv, 2)}, ${n} steps: MSE ${fmt(run.losses[0], 5)} at the start, ${fmt(last, 4)} at the end ` +
        `(the best possible is ${fmt(best.loss, 2)}); a = ${fmt(p[0], 3)}, b = ${fmt(p[1], 3)}, c = ${fmt(p[2], 3)}.` +
        (last > run.losses[0] ? ' The loss grew: the rate is too large.' : '');
    status.textContent = text;
    pathCanvas.setAttribute('aria-label', `The 20 measured speeds and the quadratic after each step of gradient descent. ${text}`);
    root.dataset.diverged = String(run.divergedAt !== null || last > run.losses[0]);
  }

  function drawLoss(losses, ylabel, floor) {
    const h = plotHeight();
    const finite = losses.filter(Number.isFinite);
    const lo = Math.min(...finite, floor ?? Infinity), hi = Math.max(...finite);
    const ylo = 10 ** Math.floor(Math.log10(Math.max(lo, 1e-12))), yhi = 10 ** Math.ceil(Math.log10(Math.max(hi, ylo * 10)));
    const plot = new Plot(fitCanvas(lossCanvas, colWidth(), h), colWidth(), h,
      { x: [0, Math.max(1, losses.length - 1)], y: [ylo, Math.min(yhi, 1e13)], logY: true, xlabel: 'step', ylabel, title: 'The loss per step (log scale)' });
    plot.frame();
    const steps = losses.map((_, i) => i);
    if (floor !== undefined) plot.line([0, losses.length - 1], [floor, floor], { color: '#1f2328', width: 1, dash: [4, 3] });
    plot.line(steps, losses, { color: '#b3261e', width: 2 });
    plot.dots(steps, losses, { color: '#b3261e', r: 2.5 });
    const rising = losses.at(-1) > losses[0];
    lossCanvas.setAttribute('aria-label', `Loss per step on a log scale, from ${fmt(losses[0], 3)} to ${fmt(losses.at(-1), 3)}: ${rising ? 'rising' : 'falling'}.`);
  }

  // Each plot fills its column: side by side on a wide page, one above the other on a phone.
  const colWidth = () => Math.max(200, Math.floor(pathCanvas.parentElement.clientWidth));
  const plotHeight = () => Math.round(Math.min(300, Math.max(220, colWidth() * 0.72)));

  function draw() {
    const lrv = lr.value(), n = steps.value();
    if (problem === 'parabola') drawParabola(lrv, n); else drawCoaster(lrv, n);
  }

  choose(problem);
  onWidth(root, () => draw());
  root.dataset.ready = 'true';
}

autoMount('sgd-quadratic', mount);
