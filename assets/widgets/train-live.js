// Train on the page: the chapter's loop (notebook 6's linear1, notebook 8's simple_net) running in the
// reader's browser, on 2,000 of MNIST_SAMPLE's training 3s and 7s, with the seven steps shown as they run.
// Placed by: <div class="widget" data-widget="train-live"></div>
//            <script type="module" src="../assets/widgets/train-live.js"></script>
// The loop is lib/train.js (tested in Node against digitlib, batch by batch); it runs in a Web Worker
// (lib/train-worker.js), so the page stays responsive. This file is the page around it.
import { el, uid, slider, autoMount, fitCanvas, onWidth, fmt } from './lib/ui.js';
import { Plot } from './lib/plot.js';
import { weightsToRGBA, N_PIXELS } from './lib/train.js';

const NET_PREDICT = 'preds = simple_net(xb)';
// Step 1 as notebook 6 (or 8) writes it, with the std: init_params's default of 1 is left out, as the book leaves it out.
const initLine = (model, std) => {
  const p = size => `init_params(${size}${std === 1 ? '' : `, std=${std}`})`;
  return model === 'linear' ? `weights = ${p('(28*28,1)')}; bias = ${p(1)}`
                            : `w1 = ${p('(28*28,30)')}; b1 = ${p(30)}; w2 = ${p('(30,1)')}; b2 = ${p(1)}`;
};
// The seven steps (the book's list), each with the Python line of notebook 6 (or 8) it runs.
const STEPS = [
  ['init', 'Initialise the weights', initLine('linear', 1)],
  ['predict', 'Predict', 'preds = model(xb)'],
  ['loss', 'Calculate the loss', 'loss = mnist_loss(preds, yb)'],
  ['grad', 'Calculate the gradients', 'loss.backward()'],
  ['step', 'Step the weights', 'p.data -= p.grad*lr; p.grad.zero_()'],
  ['repeat', 'Repeat', 'for xb,yb in dl: ...  (next batch, next epoch)'],
  ['stop', 'Stop', 'validate_epoch(model): stop when we choose'],
];
const LR = [-3, 1];          // the learning-rate slider: 10**-3 to 10, on a log scale
const STD = [-3, 1];         // the init std slider, likewise
const POS = 200;
const toLog = ([lo, hi]) => pos => Number((10 ** (lo + (hi - lo) * pos / POS)).toPrecision(2));
const toPos = ([lo, hi], v) => Math.round(POS * (Math.log10(v) - lo) / (hi - lo));
const plain = n => n.toLocaleString('en-GB');

function mount(root) {
  root.classList.add('dw', 'dw-train');
  const state = { worker: null, loaded: false, running: false, model: 'linear', losses: [], accs: [], batches: 10,
                  weights: null, w0: null, w2: null, epoch: 0, accuracy: null, finished: false, walk: null, dirty: false };

  // ---- controls
  const modelName = uid('dw-model');
  const radios = [['linear', 'Linear model (notebook 6)'], ['simple_net', 'simple_net (notebook 8)']].map(([key, label]) =>
    el('label', {}, el('input', { type: 'radio', name: modelName, value: key, checked: key === 'linear',
      onchange: () => send({ type: 'settings', model: key }) }), label));
  const lr = slider({ label: 'Learning rate', min: 0, max: POS, step: 1, value: toPos(LR, 1), toValue: toLog(LR), format: v => fmt(v, 2),
                      onInput: v => send({ type: 'settings', lr: v }) });
  const std = slider({ label: 'Init std', min: 0, max: POS, step: 1, value: toPos(STD, 1), toValue: toLog(STD), format: v => fmt(v, 2),
                       onInput: v => send({ type: 'settings', std: v }) });
  const bsId = uid('dw-bs');
  const bs = el('input', { type: 'number', id: bsId, min: 1, max: 2000, step: 1, value: 256, inputmode: 'numeric',
    onchange: () => send({ type: 'settings', bs: bs.value.trim() === '' ? 0 : Number(bs.value) }) });
  const shuffle = el('input', { type: 'checkbox', checked: true, onchange: () => send({ type: 'settings', shuffle: shuffle.checked }) });
  const btn = (text, onclick) => el('button', { type: 'button', text, disabled: true, onclick });
  const trainBtn = btn('Train', () => send({ type: 'start' }));
  const pauseBtn = btn('Pause', () => send({ type: 'pause' }));
  const stepBtn = btn('Step one batch', () => send({ type: 'step' }));
  const resetBtn = btn('Reset', () => send({ type: 'reset' }));
  const drawBtn = btn('Draw with this model', () => send({ type: 'snapshot' }));

  // ---- the seven steps, with the Python each one runs
  const stepItems = {};
  const stepList = el('ol', { class: 'dw-steps', 'aria-label': 'The seven steps' }, ...STEPS.map(([key, name, py]) => {
    stepItems[key] = { li: null, code: el('code', { text: py }), detail: el('span', { class: 'dw-step-detail' }) };
    return (stepItems[key].li = el('li', { 'data-step': key }, el('span', { class: 'dw-step-name', text: name }), ' ',
                                    stepItems[key].code, stepItems[key].detail));
  }));

  // ---- pictures and text
  const lossCanvas = el('canvas', { class: 'dw-plot', role: 'img', 'data-out': 'loss-plot', 'aria-label': 'Training loss per batch: nothing trained yet.' });
  const accCanvas = el('canvas', { class: 'dw-plot', role: 'img', 'data-out': 'acc-plot', 'aria-label': 'Validation accuracy per epoch: nothing trained yet.' });
  const wCanvas = el('canvas', { class: 'dw-weights', width: 28, height: 28, role: 'img', 'data-out': 'weights', 'aria-label': 'The weights: loading.' });
  const dCanvas = el('canvas', { class: 'dw-weights', width: 28, height: 28, role: 'img', 'data-out': 'added', 'aria-label': 'What training added: loading.' });
  const wCaption = el('figcaption', { class: 'dw-help' }), dCaption = el('figcaption', { class: 'dw-help' });
  const status = el('p', { class: 'dw-status', 'data-out': 'status', text: 'The digits load when this figure comes into view.' });
  const note = el('p', { class: 'dw-help', 'data-out': 'note' });
  const error = el('p', { class: 'dw-error', role: 'alert', 'data-out': 'error' });
  const live = el('p', { class: 'dw-sr', 'aria-live': 'polite', 'data-out': 'live' });

  root.append(
    el('p', { class: 'dw-help', text: 'Press Train and watch the loss fall and the weights learn: the second picture, what training ' +
      'added to the random start, turns into a template, red where ink pushes towards a 3, blue towards a 7. ' +
      '"Step one batch" walks through the seven steps one mini-batch at a time.' }),
    el('div', { class: 'dw-buttons' }, trainBtn, pauseBtn, stepBtn, resetBtn, drawBtn),
    el('div', { class: 'dw-row' },
      el('div', { class: 'dw-col' },
        el('fieldset', { class: 'dw-radios' }, el('legend', { text: 'Model' }), ...radios),
        lr.root, std.root,
        el('div', { class: 'dw-train-opts' },
          el('div', { class: 'dw-field' }, el('label', { for: bsId, text: 'Batch size' }), bs),
          el('label', { class: 'dw-check' }, shuffle, 'Shuffle each epoch'))),
      el('div', { class: 'dw-col' }, stepList)),
    error, status, note,
    el('div', { class: 'dw-row' }, el('div', { class: 'dw-col' }, lossCanvas), el('div', { class: 'dw-col' }, accCanvas)),
    el('div', { class: 'dw-wfigs' }, el('figure', { class: 'dw-wfig' }, wCanvas, wCaption), el('figure', { class: 'dw-wfig' }, dCanvas, dCaption)),
    live);

  // ---- talking to the worker
  function start() {
    if (state.worker) return;
    status.textContent = 'Loading the training and validation digits…';
    state.worker = new Worker(new URL('./lib/train-worker.js', import.meta.url), { type: 'module' });
    state.worker.onmessage = e => receive(e.data);
    state.worker.onerror = e => { e.preventDefault?.(); fatal(`The training worker failed: ${e.message || 'it could not start'}.`); };
  }
  function send(msg) { if (state.worker) state.worker.postMessage(msg); }
  function fatal(message) {
    error.textContent = message;
    for (const b of [trainBtn, pauseBtn, stepBtn, resetBtn, drawBtn]) b.disabled = true;
    root.dataset.state = 'failed';
  }
  const buttons = () => {
    const over = state.finished || root.dataset.state === 'diverged';
    trainBtn.disabled = !state.loaded || state.running || over;
    pauseBtn.disabled = !state.loaded || !state.running;
    stepBtn.disabled = !state.loaded || over;
    resetBtn.disabled = drawBtn.disabled = !state.loaded;
  };
  const setState = s => { root.dataset.state = s; state.running = s === 'running'; buttons(); };

  function receive(m) {
    switch (m.type) {
      case 'ready':
        state.loaded = true;
        root.dataset.loaded = 'true';
        // falls through: 'ready' carries what 'reset' carries
      case 'reset':
        Object.assign(state, { model: m.model, losses: [], accs: [[0, m.accuracy]], batches: m.batches, weights: m.weights,
                               w0: Float32Array.from(m.weights), w2: m.w2,
                               epoch: 0, accuracy: m.accuracy, finished: false, nTrain: m.nTrain, nValid: m.nValid });
        syncControls(m.settings);
        Object.assign(root.dataset, { model: m.model, epoch: '0', accuracy: String(m.accuracy), batches: '0' });
        error.textContent = ''; note.textContent = '';
        setState('idle');
        highlight(['init'], `Random starting weights (std ${fmt(m.settings.std, 2)}): validation accuracy ${m.accuracy.toFixed(4)}, ` +
          `about a coin toss. ${plain(m.nTrain)} training digits: ${m.batches} batches an epoch.`);
        redraw(true);
        return;
      case 'settings':
        error.textContent = '';
        syncControls(m.settings);
        note.textContent = m.note || '';
        return;
      case 'started': setState('running'); highlight(['predict', 'loss', 'grad', 'step', 'repeat']); return;
      case 'paused':
        setState('paused');
        status.textContent = `Paused in epoch ${m.epoch + 1}, after batch ${m.batch} of ${m.batches}. Train goes on from here; Reset starts again.`;
        highlight([]);
        return;
      case 'progress':
        state.losses.push(...m.losses);
        state.batches = m.batches;
        state.weights = m.weights; state.w2 = m.w2;
        root.dataset.batches = String(state.losses.length);
        redraw();
        return;
      case 'batch': walk(m); return;
      case 'epoch': {
        state.epoch = m.epoch; state.accuracy = m.accuracy;
        state.accs.push([m.epoch, m.accuracy]);
        root.dataset.epoch = String(m.epoch); root.dataset.accuracy = String(m.accuracy);
        root.dataset.epochMs = String(m.trainMs);
        const text = `Epoch ${m.epoch}: training loss ${m.loss.toFixed(4)}, validation accuracy ${m.accuracy.toFixed(4)}.`;
        status.textContent = `${text} (This epoch's ${state.batches} batches took ${Math.round(m.trainMs)} ms to compute.)`;
        live.textContent = text;                         // the live region speaks once per epoch, never per batch
        redraw();
        return;
      }
      case 'stopped':
        state.finished = true; setState('stopped');
        highlight(['stop'], m.message);
        status.textContent = m.message;
        return;
      case 'diverged':
        setState('diverged');
        highlight(['stop']);
        error.textContent = m.message;
        live.textContent = m.message;
        return;
      case 'note': note.textContent = m.message; return;
      case 'snapshot': useInDrawWidget(m); return;
      case 'error':
        if (m.fatal) return fatal(m.message);
        error.textContent = m.message;
        syncControls(null);
        return;
    }
  }

  // Put the controls back to what the worker holds (after a model change, or a refused value).
  let held = null;
  function syncControls(s) {
    if (s) held = s;
    if (!held) return;
    for (const r of root.querySelectorAll(`input[name="${modelName}"]`)) r.checked = r.value === held.model;
    lr.set(toPos(LR, held.lr)); std.set(toPos(STD, held.std));
    if (s || document.activeElement !== bs) bs.value = held.bs;
    shuffle.checked = held.shuffle;
    state.model = held.model;
    stepItems.init.code.textContent = initLine(held.model, held.std);
    stepItems.predict.code.textContent = held.model === 'linear' ? STEPS[1][2] : NET_PREDICT;
  }

  // ---- the steps: highlight some, or walk through one batch step by step
  function highlight(keys, text) {
    clearTimeout(state.walk);
    for (const [key] of STEPS) {
      const on = keys.includes(key);
      stepItems[key].li.classList.toggle('dw-on', on);
      if (on && keys.length === 1) stepItems[key].li.setAttribute('aria-current', 'step'); else stepItems[key].li.removeAttribute('aria-current');
      stepItems[key].detail.textContent = '';
    }
    root.dataset.step = keys.join(' ');
    if (text) status.textContent = text;
  }
  function walk(b) {
    if (state.running) setState('paused');             // a step while training pauses it
    const said = {
      predict: `${b.n} digits (${b.threes} of them 3s): mean sigmoid(prediction) ${b.predMean.toFixed(3)}.`,
      loss: `loss ${b.loss.toFixed(4)}.`,
      grad: `size of the gradient ${fmt(b.gradNorm, 3)}.`,
      step: `lr ${fmt(b.lr, 2)}: the largest weight change ${fmt(b.moved, 3)}; this batch's loss is now ${b.after.toFixed(4)}.`,
      repeat: `batch ${b.batch} of ${b.batches}, epoch ${b.epoch}.`,
    };
    const order = ['predict', 'loss', 'grad', 'step', 'repeat'];
    highlight([]);
    status.textContent = `Epoch ${b.epoch}, batch ${b.batch} of ${b.batches}: loss ${b.loss.toFixed(4)} before the step, ${b.after.toFixed(4)} after it.`;
    let k = 0;
    const next = () => {
      for (const key of order) { stepItems[key].li.classList.toggle('dw-on', key === order[k]); stepItems[key].li.removeAttribute('aria-current'); }
      stepItems[order[k]].li.setAttribute('aria-current', 'step');
      stepItems[order[k]].detail.textContent = ` → ${said[order[k]]}`;
      root.dataset.step = order[k];
      if (++k < order.length) state.walk = setTimeout(next, 350);
    };
    next();
  }

  // ---- pictures, redrawn at most once a frame
  let frame = 0;
  function redraw(now) {
    state.dirty = true;
    if (now) return paint();
    if (!frame) frame = requestAnimationFrame(paint);
  }
  function paint() {
    frame = 0;
    if (!state.dirty) return;
    state.dirty = false;
    drawWeights(); drawLoss(); drawAcc();
  }

  const colWidth = () => Math.max(200, Math.floor(lossCanvas.parentElement.clientWidth));
  const plotHeight = () => Math.round(Math.min(240, Math.max(180, colWidth() * 0.6)));

  function drawLoss() {
    const w = colWidth(), h = plotHeight(), L = state.losses, per = state.batches;
    const epochs = Math.max(2, Math.ceil(L.length / per));
    const finite = L.filter(Number.isFinite), top = Math.max(0.6, ...finite.slice(-5 * per));
    const p = new Plot(fitCanvas(lossCanvas, w, h), w, h, { x: [0, epochs], y: [0, Math.min(1, top * 1.05)], xlabel: 'epoch', ylabel: 'loss', title: 'Training loss, each batch' });
    p.frame();
    const every = Math.max(1, Math.floor(L.length / (2 * w)));      // at most two points a pixel
    const xs = [], ys = [];
    for (let i = 0; i < L.length; i += every) { xs.push((i + 1) / per); ys.push(L[i]); }
    p.line(xs, ys, { color: '#b3261e', width: 1.5 });
    lossCanvas.setAttribute('aria-label', L.length ? `Training loss per batch over ${plain(L.length)} batches: from ${fmt(L[0], 3)} to ${fmt(L.at(-1), 3)}.`
                                                   : 'Training loss per batch: nothing trained yet.');
  }
  function drawAcc() {
    const w = colWidth(), h = plotHeight(), A = state.accs, right = Math.max(2, A.length ? A.at(-1)[0] : 0);
    const p = new Plot(fitCanvas(accCanvas, w, h), w, h, { x: [0, right], y: [0.4, 1], xlabel: 'epoch', ylabel: 'accuracy', title: 'Validation accuracy, each epoch' });
    p.frame();
    if (!A.length) return;
    p.line([0, right], [0.97, 0.97], { color: '#57606a', width: 1, dash: [4, 3] });
    p.line(A.map(a => a[0]), A.map(a => a[1]), { color: '#0b5cad', width: 2 });
    if (A.length < 60) p.dots(A.map(a => a[0]), A.map(a => a[1]), { color: '#0b5cad', r: 2.5 });
    p.legend([['validation accuracy', '#0b5cad'], ['0.97', '#57606a', true]], 'bottom-right');
    const last = A.at(-1);
    accCanvas.setAttribute('aria-label', `Validation accuracy per epoch: ${last[1].toFixed(4)} after epoch ${last[0]}` +
                                         (A.length > 1 ? `, from ${A[0][1].toFixed(4)} at the start.` : '.'));
  }

  // Two pictures of the first layer's weights: as they are now, and what training added to them (now minus the random start).
  // The linear model's 784 weights are one 28x28 image; simple_net's 30 hidden units are 30 small ones (6 by 5), each flipped
  // where the unit votes for a 7, so that red always means "a 3". The weights: each unit on its own scale. What training added:
  // one scale for all 30 units, so that a unit that hardly moved stays pale.
  function drawWeights() {
    const W = state.weights, W0 = state.w0;
    if (!W) return;
    const units = W.length / N_PIXELS, flip = u => state.w2 && state.w2[u] < 0;
    const added = W0 && W0.length === W.length ? W.map((v, i) => v - W0[i]) : new Float32Array(W.length);
    let most = 0;
    for (let i = 0; i < added.length; i++) most = Math.max(most, Math.abs(added[i]));
    paintUnits(wCanvas, W, units, flip);
    paintUnits(dCanvas, added, units, flip, units === 1 ? undefined : most);
    caption(units, state.epoch);
  }
  function paintUnits(canvas, W, units, flip, lim) {
    const cols = units === 1 ? 1 : 6, rows = Math.ceil(units / cols), gap = units === 1 ? 0 : 1;
    const cw = cols * 28 + (cols - 1) * gap, ch = rows * 28 + (rows - 1) * gap;
    if (canvas.width !== cw || canvas.height !== ch) { canvas.width = cw; canvas.height = ch; }
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, cw, ch);
    for (let u = 0; u < units; u++) {
      let w = W.subarray(u * N_PIXELS, (u + 1) * N_PIXELS);
      if (flip(u)) w = w.map(v => -v);
      const img = ctx.createImageData(28, 28);
      img.data.set(weightsToRGBA(w, lim));
      ctx.putImageData(img, (u % cols) * (28 + gap), Math.floor(u / cols) * (28 + gap));
    }
    canvas.classList.toggle('dw-units-grid', units > 1);
  }
  function caption(units, epoch) {
    const where = epoch ? `after ${epoch} epoch${epoch === 1 ? '' : 's'}` : 'as initialised';
    const [now, added] = units === 1
      ? [`The linear model's 784 weights, ${where}, as a 28×28 image: red pushes towards a 3, blue towards a 7, white is 0.`,
         `What training added, ${where}: the weights minus their random start. The border stays white: no training digit ` +
         `has ink there, so no gradient reaches those weights.`]
      : [`simple_net's 30 hidden units, ${where}: each unit's 784 weights as a 28×28 image, on its own scale, red where it pushes ` +
         `towards a 3, blue towards a 7.`,
         `What training added to each unit, ${where}: its weights minus their random start, all 30 on one scale, so that a unit ` +
         `that hardly moved stays pale.`];
    wCaption.textContent = now; wCanvas.setAttribute('aria-label', now);
    dCaption.textContent = added; dCanvas.setAttribute('aria-label', added);
  }
  caption(1, 0);                                       // before the digits arrive, so that nothing moves when they do

  // ---- "draw with this model": the draw-a-digit widget on this page takes the weights just trained
  function useInDrawWidget(m) {
    const target = document.querySelector('[data-widget="draw-digit"]');
    if (!target) { status.textContent = 'There is no draw-a-digit figure on this page to hand the weights to.'; return; }
    document.dispatchEvent(new CustomEvent('digitlib:trained-model', { detail: m }));
    status.textContent = `The draw-a-digit figure ${target.compareDocumentPosition(root) & Node.DOCUMENT_POSITION_FOLLOWING ? 'above' : 'below'} ` +
      `now answers with this ${m.model === 'linear' ? 'linear model' : 'simple_net'} (after ${m.epoch} epochs, validation accuracy ${m.accuracy.toFixed(4)}).`;
  }

  // Start the worker, and fetch the digits, when the figure comes near the screen (or at once, without IntersectionObserver).
  if (typeof IntersectionObserver !== 'undefined') {
    const io = new IntersectionObserver(es => { if (es.some(e => e.isIntersecting)) { io.disconnect(); start(); } }, { rootMargin: '300px' });
    io.observe(root);
  } else start();
  root.addEventListener('focusin', start);
  onWidth(root, () => redraw(true));
  root.dataset.ready = 'true';
}

const CSS = `
.dw-train .dw-steps { margin: 0.5rem 0; padding-left: 1.6rem; }
.dw-train .dw-steps li { padding: 0.15rem 0.3rem; border-radius: 4px; border-left: 4px solid transparent; }
.dw-train .dw-steps li.dw-on { background: #fff4d6; border-left-color: #b3261e; }
.dw-train .dw-steps code { font-size: 0.8rem; color: var(--dw-muted); overflow-wrap: anywhere; }
.dw-train .dw-step-name { font-weight: 600; }
.dw-train .dw-step-detail { display: block; font-variant-numeric: tabular-nums; }
.dw-train-opts { display: flex; flex-wrap: wrap; gap: 0.5rem 1.2rem; align-items: end; }
.dw-train-opts input[type=number] { font: inherit; width: 7rem; min-height: 40px; padding: 0.35rem 0.5rem; border: 1px solid #8c959f; border-radius: 6px; }
.dw-check { display: inline-flex; align-items: center; gap: 0.4rem; min-height: 40px; }
/* room for the longest status line, so that the page below does not move when the digits arrive */
.dw-train .dw-status { min-height: 6em; }
.dw-wfigs { display: flex; flex-wrap: wrap; gap: 0.75rem 1.5rem; margin: 0.5rem 0; }
.dw-wfig { margin: 0; flex: 1 1 168px; max-width: 100%; }
.dw-wfig:has(.dw-units-grid) { flex-basis: 346px; }
.dw-weights { display: block; width: 168px; max-width: 100%; image-rendering: pixelated; border: 1px solid #8c959f; }
.dw-weights.dw-units-grid { width: 346px; }
.dw-wfig figcaption { margin-top: 0.35rem; font-size: 0.9rem; }
`;

autoMount('train-live', root => {
  if (!document.getElementById('dw-train-styles')) document.head.append(el('style', { id: 'dw-train-styles', text: CSS }));
  return mount(root);
});
