// Draw a digit and watch the course's three models decide, in the reader's browser.
// Placed by: <div class="widget" data-widget="draw-digit"></div>
//            <script type="module" src="../assets/widgets/draw-digit.js"></script>
// The logic lives in lib/ (tested in Node against digitlib); this file is the page around it.
import { el, uid, autoMount, fmt } from './lib/ui.js';
import { inkFromRGBA, inkToRGBA, toMnist, upscale, bytesToInk, SIZE } from './lib/preprocess.js';
import { classify } from './lib/classifiers.js';
import { loadData, modelsFromJSON, digitsFromJSON } from './lib/data.js';

const PAD = 280;        // the drawing canvas, in canvas pixels (CSS scales it down on phones)
const PEN = 22;         // stroke width in canvas pixels: about 1.6 MNIST pixels after scaling
const verdict = p3 => (p3 >= 0.5 ? '3' : '7');

async function mount(root) {
  const helpId = uid('dw-help');
  const help = el('p', { class: 'dw-help', id: helpId,
    text: 'Draw a 3 or a 7 in the white box with a mouse, pen or finger; the models answer as you draw. ' +
          'No pointer? "Show me a real test digit" steps through 50 real validation digits.' });
  const pad = el('canvas', { class: 'dw-pad', width: PAD, height: PAD, role: 'img', 'aria-describedby': helpId,
    'aria-label': 'Drawing area, empty. Draw a digit here with a mouse, pen or finger.' });
  const clearBtn = el('button', { type: 'button', text: 'Clear' });
  const realBtn = el('button', { type: 'button', text: 'Show me a real test digit', disabled: true });
  const which = el('p', { class: 'dw-help', 'data-out': 'which', text: '' });

  const seen = el('canvas', { width: SIZE, height: SIZE, role: 'img', 'data-out': 'seen',
    'aria-label': 'The 28 by 28 image the models see: empty.' });
  const out = {};
  const model = (key, title) => {
    out[key] = { text: el('p', { 'data-out': `${key}-text`, text: '…' }),
                 verdict: el('span', { class: 'dw-verdict', 'data-out': `${key}-verdict` }),
                 title: el('span', { 'data-out': `${key}-title`, text: title }), bar: el('div') };
    return el('section', { class: 'dw-model', 'aria-label': title },
      el('p', { class: 'dw-model-title' }, out[key].title, ': ', out[key].verdict), out[key].text,
      key === 'pixel' ? null : el('div', { class: 'dw-bar', 'aria-hidden': 'true' }, out[key].bar));
  };
  const live = el('p', { class: 'dw-sr', 'aria-live': 'polite', 'data-out': 'summary' });
  const status = el('p', { class: 'dw-help', text: 'Loading the models…' });

  root.classList.add('dw');
  root.append(help, el('div', { class: 'dw-row' },
    el('div', { class: 'dw-col' }, pad, el('div', { class: 'dw-buttons' }, clearBtn, realBtn), which),
    el('div', { class: 'dw-col' },
      el('figure', { class: 'dw-seen' }, seen, el('figcaption', { text: 'What the models see: your ink cropped, scaled to fit 20×20 and centred in 28×28, as MNIST did.' })),
      model('pixel', 'Pixel similarity'), model('linear', 'Linear model'), model('net', 'simple_net'), status)),
    live);

  const ctx = pad.getContext('2d', { willReadFrequently: true });
  const seenCtx = seen.getContext('2d');
  const blank = () => { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, PAD, PAD); };
  blank();

  let models = null, digits = [], next = 0, pending = false, lastResult = null;

  function show(img) {
    const shown = seenCtx.createImageData(SIZE, SIZE);
    shown.data.set(inkToRGBA(img || new Float32Array(SIZE * SIZE), SIZE, SIZE));
    seenCtx.putImageData(shown, 0, 0);
    if (!img || !models) {
      lastResult = null;
      for (const k of Object.keys(out)) { out[k].text.textContent = img ? '…' : 'Nothing drawn yet.'; out[k].verdict.textContent = ''; out[k].bar.style.width = '0'; }
      seen.setAttribute('aria-label', 'The 28 by 28 image the models see: empty.');
      return;
    }
    const r = classify(img, models);
    lastResult = r;
    out.pixel.verdict.textContent = r.pixel.is3 ? '3' : '7';
    out.pixel.text.textContent = `Mean distance to the ideal 3: ${r.pixel.d3.toFixed(3)}; to the ideal 7: ${r.pixel.d7.toFixed(3)}. ` +
      `Closer to the ideal ${r.pixel.is3 ? '3' : '7'}.`;
    for (const k of ['linear', 'net']) {
      out[k].verdict.textContent = verdict(r[k].p3);
      out[k].text.textContent = `P(3) = ${r[k].p3.toFixed(3)}  (score ${fmt(r[k].score)})`;
      out[k].bar.style.width = `${(100 * r[k].p3).toFixed(1)}%`;
    }
    const ink = img.reduce((s, v) => s + v, 0) / img.length;
    seen.setAttribute('aria-label', `The 28 by 28 image the models see: ${Math.round(100 * ink)}% ink, centred.`);
  }

  function summarise(prefix) {
    const r = lastResult;
    live.textContent = !r ? `${prefix}Nothing drawn.` :
      `${prefix}Pixel similarity says ${r.pixel.is3 ? '3' : '7'} (distance ${r.pixel.d3.toFixed(3)} to the ideal 3, ` +
      `${r.pixel.d7.toFixed(3)} to the ideal 7). Linear model: probability of a 3 is ${r.linear.p3.toFixed(2)}, so ${verdict(r.linear.p3)}. ` +
      `simple_net: ${r.net.p3.toFixed(2)}, so ${verdict(r.net.p3)}.`;
  }

  function update() {
    pending = false;
    const ink = inkFromRGBA(ctx.getImageData(0, 0, PAD, PAD).data, PAD, PAD);
    show(toMnist(ink, PAD, PAD));
  }
  const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(update); } };

  // Drawing with pointer events: one code path for mouse, pen and touch.
  let last = null;
  const at = e => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * PAD / r.width, (e.clientY - r.top) * PAD / r.height];
  };
  const stroke = (from, to) => {
    ctx.strokeStyle = '#000'; ctx.fillStyle = '#000'; ctx.lineWidth = PEN; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
    ctx.beginPath(); ctx.moveTo(...from); ctx.lineTo(...to); ctx.stroke();
  };
  pad.addEventListener('pointerdown', e => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    pad.setPointerCapture?.(e.pointerId);
    last = at(e);
    stroke(last, last);
    which.textContent = '';
    schedule();
  });
  pad.addEventListener('pointermove', e => {
    if (!last) return;
    const events = e.getCoalescedEvents?.() || [e];
    for (const ev of events.length ? events : [e]) { const p = at(ev); stroke(last, p); last = p; }
    schedule();
  });
  const end = () => {
    if (!last) return;
    last = null;
    update();
    pad.setAttribute('aria-label', 'Drawing area with your drawing. Use Clear to start again.');
    summarise('Your drawing: ');
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);

  clearBtn.addEventListener('click', () => {
    blank(); which.textContent = ''; show(null);
    pad.setAttribute('aria-label', 'Drawing area, empty. Draw a digit here with a mouse, pen or finger.');
    live.textContent = 'Cleared.';
  });

  // A real digit goes onto the canvas blown up pixel by pixel, then through the same path as ink.
  realBtn.addEventListener('click', () => {
    const d = digits[next];
    next = (next + 1) % digits.length;
    const big = upscale(bytesToInk(d.bytes), SIZE, PAD);
    const image = ctx.createImageData(PAD, PAD);
    image.data.set(inkToRGBA(big, PAD, PAD));
    ctx.putImageData(image, 0, 0);
    const n = digits.indexOf(d) + 1;
    which.textContent = `Real digit ${n} of ${digits.length}: a ${d.label} from the validation set (number ${d.index} of its ${d.label}s). You can draw over it.`;
    pad.setAttribute('aria-label', `Drawing area showing real validation digit ${n} of ${digits.length}, a ${d.label}.`);
    update();
    summarise(`Real digit ${n} of ${digits.length}, a ${d.label}. `);
  });

  // "Draw with this model" on a train-live figure of the same page: the weights it just trained replace
  // notebook 10's linear model or simple_net here, until "Back to notebook 10's weights".
  const backBtn = el('button', { type: 'button', text: "Back to notebook 10's weights", hidden: true });
  clearBtn.parentElement.append(backBtn);
  const TITLES = { linear: 'Linear model', net: 'simple_net' };
  let saved = null, handed = null;
  function adopt(m) {
    handed = m;
    if (!models) return;                              // taken once the models are loaded
    const key = m.model === 'linear' ? 'linear' : 'net', p = m.params;
    saved = saved || { linear: models.linear, net: models.net };
    models[key] = key === 'linear' ? { weight: Float64Array.from(p.weights), bias: p.bias[0] }
      : { w1: Float64Array.from(p.w1), b1: Float64Array.from(p.b1), w2: Float64Array.from(p.w2), b2: p.b2[0] };
    out[key].title.textContent = `${TITLES[key]} trained on this page (${m.epoch} epochs, validation accuracy ${m.accuracy.toFixed(4)})`;
    backBtn.hidden = false;
    update();
    summarise(`Now with the ${TITLES[key]} trained on this page. `);
  }
  document.addEventListener('digitlib:trained-model', e => adopt(e.detail));
  backBtn.addEventListener('click', () => {
    Object.assign(models, saved); saved = handed = null;
    for (const k of Object.keys(TITLES)) out[k].title.textContent = TITLES[k];
    backBtn.hidden = true;
    update();
    summarise("Back to notebook 10's weights. ");
    clearBtn.focus();
  });

  show(null);
  const [ideal, linear, net, real] = await Promise.all(
    ['ideal.json', 'linear.json', 'simple_net.json', 'digits.json'].map(loadData));
  models = modelsFromJSON(ideal, linear, net);
  digits = digitsFromJSON(real);
  realBtn.disabled = false;
  status.textContent = `Validation accuracy on the 2,038 digits: linear model ${(100 * linear.accuracy).toFixed(1)}%, ` +
    `simple_net ${(100 * net.accuracy).toFixed(1)}%. Their weights are the ones notebook 10 trains.`;
  root.dataset.ready = 'true';
  update();
  if (handed) adopt(handed);
}

autoMount('draw-digit', mount);
