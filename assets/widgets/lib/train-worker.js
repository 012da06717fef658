// The train-live widget's Web Worker: the chapter's loop (lib/train.js) runs here, off the page's main
// thread, so that drawing and scrolling stay smooth while it trains.
// Created by train-live.js as new Worker(new URL('./lib/train-worker.js', import.meta.url), {type: 'module'}).
//
// The logic is pure, so Node can test it without a worker: `createSession(digits)` makes the state,
// `handle(state, message)` answers one message from the page with a list of replies, and
// `runChunk(state, opts)` trains while a time (or batch) budget lasts and returns its replies.
//
// Messages from the page: {type: 'settings', model, lr, bs, shuffle, std, seed} (any subset), 'start',
// 'pause', 'step' (one mini-batch), 'reset' (new random weights), 'snapshot' (the weights now).
// Replies: 'ready', 'reset', 'settings', 'started', 'paused', 'progress' (batch losses and the weights),
// 'batch' (what one step did), 'epoch' (validation accuracy), 'stopped', 'diverged', 'snapshot', 'error'.
import { initLinear, initSimpleNet, BasicOptim, calc_grad, predict, mnist_loss, epochOrder, takeRows, validate_epoch,
         sigmoid, flat_share, generator, decodeDigits } from './train.js';
import { fetchInflated } from './data.js';

export const MODELS = {
  linear: { lr: 1, std: 1, epochs: 400 },          // notebook 6: init_params (std 1), lr 1
  simple_net: { lr: 0.1, std: 0.02, epochs: 60 },   // notebook 8: lr 0.1; std 0.02, about nn.Linear's own start for 784 inputs
};
export const DEFAULTS = { model: 'linear', lr: 1, bs: 256, shuffle: true, std: 1, seed: 42, epochs: MODELS.linear.epochs };

const STALLED = 5;            // epochs without any change in accuracy that count as stuck
export const PACE_MS = 150;   // the shortest epoch the worker allows, in ms of wall time (see below)
const plain = n => n.toLocaleString('en-GB');

// Check settings from the page: a list of messages, empty when every value is usable. (digitlib.core.checks, as on
// train_model: @checks(epochs=positive_int, lr=positive), which refuses lr 0 before any training happens.)
export function checkSettings(s, nTrain) {
  const bad = [];
  if ('model' in s && !(s.model in MODELS)) bad.push(`Unknown model "${s.model}": choose linear or simple_net.`);
  if ('lr' in s && !(Number.isFinite(s.lr) && s.lr > 0))
    bad.push(`The learning rate must be a positive number, got ${s.lr}: ${s.lr === 0 ? 'at 0 no weight ever moves' : s.lr < 0 ? 'a negative one climbs the loss instead of descending it' : 'that is not a number'}.`);
  if ('bs' in s && !(Number.isInteger(s.bs) && s.bs >= 1 && s.bs <= nTrain))
    bad.push(`The batch size must be a whole number from 1 to ${plain(nTrain)} (the training digits), got ${String(s.bs) || 'nothing'}.`);
  if ('std' in s && !(Number.isFinite(s.std) && s.std > 0 && s.std <= 1000)) bad.push(`The init std must be a positive number up to 1,000, got ${s.std}.`);
  if ('epochs' in s && !(Number.isInteger(s.epochs) && s.epochs >= 1)) bad.push(`The number of epochs must be a whole number of at least 1, got ${s.epochs}.`);
  if ('shuffle' in s && typeof s.shuffle !== 'boolean') bad.push('Shuffle must be on or off.');
  if ('seed' in s && !Number.isInteger(s.seed)) bad.push(`The seed must be a whole number, got ${s.seed}.`);
  return bad;
}

// The state of one training run on `digits` ({train, valid} from decodeDigits).
export function createSession(digits, settings = {}) {
  const state = { digits, settings: { ...DEFAULTS }, running: false };
  Object.assign(state.settings, settings);
  initialise(state);
  return state;
}

// Step 1: new random weights, and everything that follows from them.
function initialise(state) {
  const s = state.settings;
  state.model = s.model === 'linear' ? initLinear(s.std, s.seed) : initSimpleNet(s.std, s.seed);
  state.opt = new BasicOptim(state.model.params, s.lr);
  state.rand = generator(s.seed + 1);          // the shuffling order (TensorDataLoader's seeded generator)
  state.epoch = 0;                             // epochs finished
  state.order = null; state.pos = 0; state.bs = s.bs; state.epochLosses = []; state.trainMs = 0;
  state.checked = 0; state.rose = 0;           // steps checked for overshooting, and those that raised their batch's loss
  state.same = 0; state.noted = false;         // epochs in a row with the same validation accuracy
  state.batchesDone = 0;
  state.running = false; state.diverged = null; state.stopped = false;
  state.accuracy = validate_epoch(state.model, state.digits.valid);
}

// The picture of the weights: linear1's 784 weights, or simple_net's w1 (30 rows of 784). A copy.
const weightsView = state => Float32Array.from(state.model.params[0].data);
// simple_net's w2 (30 numbers): the sign of each hidden unit's vote, so the page can colour a unit red where it pushes towards a 3.
const outView = state => state.model.kind === 'simple_net' ? Array.from(state.model.params[2].data) : null;
const batchesPerEpoch = state => Math.ceil(state.digits.train.n / state.bs);
const maxEpochs = state => state.settings.epochs;

function resetReply(state) {
  return { type: 'reset', model: state.settings.model, settings: { ...state.settings }, epoch: 0, accuracy: state.accuracy,
           batches: batchesPerEpoch(state), maxEpochs: maxEpochs(state), weights: weightsView(state), w2: outView(state),
           nTrain: state.digits.train.n, nValid: state.digits.valid.n };
}

// Answer one message from the page.
export function handle(state, msg) {
  switch (msg && msg.type) {
    case 'settings': {
      const s = { ...msg }; delete s.type;
      const bad = checkSettings(s, state.digits.train.n);
      if (bad.length) return [{ type: 'error', message: bad.join(' '), fields: Object.keys(s) }];
      const old = state.settings;
      const restart = ['model', 'std', 'seed'].some(k => k in s && s[k] !== old[k]);
      // a new model starts from its own defaults unless the page says otherwise
      if ('model' in s && s.model !== old.model) {
        if (!('lr' in s)) s.lr = MODELS[s.model].lr;
        if (!('std' in s)) s.std = MODELS[s.model].std;
        if (!('epochs' in s)) s.epochs = MODELS[s.model].epochs;
      }
      state.settings = { ...old, ...s };
      if (restart) { initialise(state); return [resetReply(state)]; }
      state.opt.lr = state.settings.lr;
      const later = ('bs' in s && s.bs !== state.bs) || ('shuffle' in s && s.shuffle !== old.shuffle);
      if (state.order === null) state.bs = state.settings.bs;   // between epochs: at once
      return [{ type: 'settings', settings: { ...state.settings },
                note: later && state.order !== null ? 'The batch size and shuffling change from the next epoch.' : '' }];
    }
    case 'start':
      if (state.diverged) return [divergedReply(state)];
      if (state.stopped) return [stoppedReply(state)];
      state.running = true;
      return [{ type: 'started', epoch: state.epoch }];
    case 'pause':
      state.running = false;
      return [{ type: 'paused', epoch: state.epoch, batch: state.pos === 0 ? 0 : Math.ceil(state.pos / state.bs), batches: batchesPerEpoch(state) }];
    case 'step': {
      state.running = false;
      if (state.diverged) return [divergedReply(state)];
      if (state.stopped) return [stoppedReply(state)];
      return trainBatch(state, true);
    }
    case 'reset':
      initialise(state);
      return [resetReply(state)];
    case 'snapshot':
      return [{ type: 'snapshot', model: state.settings.model, epoch: state.epoch, accuracy: state.accuracy,
                params: Object.fromEntries(state.model.params.map(p => [p.name, Float32Array.from(p.data)])) }];
    default:
      return [{ type: 'error', message: `Unknown message ${JSON.stringify(msg && msg.type)}.` }];
  }
}

const divergedReply = state => ({ type: 'diverged', ...state.diverged });
const stoppedReply = state => ({ type: 'stopped', epoch: state.epoch, accuracy: state.accuracy,
  message: `Stopped after ${state.epoch} epochs (step 7: we chose when to stop). Reset to train again.` });

// One mini-batch: steps 2 to 5, then step 6 (repeat) or, at the end of an epoch, the validation accuracy.
// `detail` adds what each step did, for "Step one batch".
function trainBatch(state, detail = false) {
  const train = state.digits.train, replies = [];
  if (state.order === null) {                                 // a new epoch: its batch order
    state.bs = state.settings.bs;
    state.order = epochOrder(train.n, state.settings.shuffle, state.rand);
    state.pos = 0; state.epochLosses = []; state.trainMs = 0; state.checked = 0; state.rose = 0;
  }
  const t0 = now();
  const rows = state.order.slice(state.pos, state.pos + state.bs);
  const { x, y } = takeRows(train, rows);
  let before = null, predMean = 0;
  if (detail) {
    before = state.model.params.map(p => Float32Array.from(p.data));
    const preds = predict(state.model, x);
    for (let i = 0; i < preds.length; i++) predMean += sigmoid(preds[i]) / preds.length;
  }
  const loss = calc_grad(x, y, state.model);
  let gradSq = 0;
  if (detail) for (const p of state.model.params) for (let i = 0; i < p.grad.length; i++) gradSq += p.grad[i] * p.grad[i];
  state.opt.step();
  state.opt.zero_grad();
  state.trainMs += now() - t0;
  // Did the step overshoot? The same batch's loss after the step, on every 4th batch (and on "Step one batch").
  let after = null;
  if (detail || state.batchesDone % 4 === 0) {
    after = mnist_loss(predict(state.model, x), y);
    state.checked++;
    if (after > loss) state.rose++;
  }
  const batch = Math.floor(state.pos / state.bs) + 1;
  state.pos += rows.length; state.batchesDone++;
  state.epochLosses.push(loss);
  let sum = 0;
  for (const p of state.model.params) for (let i = 0; i < p.data.length; i++) sum += p.data[i];
  if (!Number.isFinite(loss) || !Number.isFinite(sum)) {
    state.running = false;
    state.diverged = { epoch: state.epoch + 1, batch, lr: state.settings.lr, reason: 'nan',
      message: `Diverged in epoch ${state.epoch + 1}, batch ${batch}: the weights grew past what a float32 can hold and the loss ` +
               `is no longer a number. A learning rate of ${state.settings.lr} is too large for this model: press Reset, then try a smaller one.` };
    return [{ type: 'progress', losses: [loss], epoch: state.epoch, batch, batches: batchesPerEpoch(state), weights: weightsView(state), w2: outView(state) },
            divergedReply(state)];
  }
  if (detail) {
    let moved = 0;
    state.model.params.forEach((p, k) => { for (let i = 0; i < p.data.length; i++) moved = Math.max(moved, Math.abs(p.data[i] - before[k][i])); });
    replies.push({ type: 'batch', epoch: state.epoch + 1, batch, batches: batchesPerEpoch(state), n: rows.length, threes: y.reduce((a, b) => a + b, 0),
                   predMean, loss, after, gradNorm: Math.sqrt(gradSq), moved, lr: state.settings.lr });
  }
  if (state.pos >= train.n) replies.push(...endEpoch(state));
  return detail ? [{ type: 'progress', losses: [loss], epoch: state.epoch, batch, batches: batchesPerEpoch(state), weights: weightsView(state), w2: outView(state) }, ...replies]
                : replies;
}

function endEpoch(state) {
  const t0 = now();
  const before = state.accuracy;
  state.accuracy = validate_epoch(state.model, state.digits.valid);
  const validMs = now() - t0;
  state.same = state.accuracy === before ? state.same + 1 : 0;
  state.epoch++;
  state.order = null;
  const mean = state.epochLosses.reduce((a, b) => a + b, 0) / state.epochLosses.length;
  const out = [{ type: 'epoch', epoch: state.epoch, accuracy: state.accuracy, loss: mean, trainMs: state.trainMs, validMs }];
  // mnist_loss stays between 0 and 1, so too large a step shows as steps that make their own batch worse
  if (state.checked >= 2 && state.rose > state.checked / 2) {
    state.running = false;
    state.diverged = { epoch: state.epoch, lr: state.settings.lr, reason: 'overshoot',
      message: `Diverged: in epoch ${state.epoch}, ${state.rose} of the ${state.checked} steps checked made the loss of their own batch larger, ` +
               `not smaller. A learning rate of ${state.settings.lr} overshoots: press Reset, then try a smaller one.` };
    out.push(divergedReply(state));
    return out;
  }
  // Or as an accuracy that no longer moves. Three causes, told apart by what the page changed and by the scores:
  // a start so large that sigmoid is flat for most digits (notebook 6's flat_share), a first step that overshot
  // into the same place, or a learning rate too small to move the weights.
  if (state.same >= STALLED - 1 && state.accuracy < 0.9) {
    const { lr, std, model } = state.settings, usual = MODELS[model].lr;
    const flat = flat_share(predict(state.model, state.digits.valid.x));
    if (std > MODELS[model].std && flat >= 0.5) {
      if (!state.noted) {
        state.noted = true;
        out.push({ type: 'note', message: `For ${STALLED} epochs the validation accuracy has not moved from ${state.accuracy}: sigmoid is ` +
                   `nearly flat for ${Math.round(100 * flat)}% of the validation digits, whose scores are so far from 0 that almost no ` +
                   `gradient comes back (notebook 6 measures the same of the book's start). An init std of ${std} is too large: lower it ` +
                   `and press Reset.` });
      }
    } else if (lr > usual) {
      state.running = false;
      state.diverged = { epoch: state.epoch, lr, reason: 'stalled',
        message: `Diverged: for ${STALLED} epochs the validation accuracy has not moved from ${state.accuracy}. The first steps at a learning rate ` +
                 `of ${lr} overshot so far that learning stopped: the gradient is almost 0 everywhere (scores so large that sigmoid is flat there` +
                 `${state.settings.model === 'simple_net' ? ', or hidden units whose ReLU outputs 0 for every digit' : ''}). Press Reset, then try a smaller rate.` };
      out.push(divergedReply(state));
      return out;
    } else if (!state.noted) {
      state.noted = true;
      out.push({ type: 'note', message: `For ${STALLED} epochs the validation accuracy has not moved from ${state.accuracy}: ` +
                 `a learning rate of ${lr} moves the weights very little. Try a larger one.` });
    }
  }
  if (state.epoch >= maxEpochs(state)) { state.running = false; state.stopped = true; out.push(stoppedReply(state)); }
  return out;
}

// Train while running, until `budgetMs` of time or `maxBatches` batches are spent; one 'progress' reply
// gathers the batch losses, and each finished epoch adds an 'epoch' reply.
export function runChunk(state, { budgetMs = 30, maxBatches = Infinity } = {}) {
  const t0 = now(), losses = [], rest = [];
  let batch = 0;
  while (state.running && losses.length < maxBatches && (losses.length === 0 || now() - t0 < budgetMs)) {
    batch = Math.floor(state.pos / state.bs) + 1;
    const replies = trainBatch(state);
    losses.push(state.epochLosses.at(-1));
    rest.push(...replies.filter(r => r.type !== 'progress'));
  }
  if (!losses.length) return [];
  return [{ type: 'progress', losses, epoch: state.epoch, batch, batches: batchesPerEpoch(state), weights: weightsView(state), w2: outView(state) }, ...rest];
}

function now() { return typeof performance !== 'undefined' ? performance.now() : Date.now(); }

// ---------------------------------------------------------------- the worker itself
if (typeof WorkerGlobalScope !== 'undefined' && typeof self !== 'undefined' && self instanceof WorkerGlobalScope) {
  let state = null, timer = null;
  const queue = [];
  const post = replies => {
    for (const r of replies) self.postMessage(r, r.weights ? [r.weights.buffer] : r.params ? Object.values(r.params).map(a => a.buffer) : []);
  };
  // Paced so that an epoch lasts at least PACE_MS: the curves can be watched (and the live region says each epoch),
  // yet the linear model passes 0.97 within seconds. The time spent computing is reported as measured, unpaced.
  let wait = 0;
  const schedule = () => { if (state && state.running && timer === null) timer = setTimeout(loop, wait); };
  const loop = () => {
    timer = null;
    const t0 = now(), replies = runChunk(state), n = replies[0] ? replies[0].losses.length : 0;
    post(replies);
    wait = Math.max(0, n * PACE_MS / batchesPerEpoch(state) - (now() - t0));
    schedule();
  };
  const take = msg => { post(handle(state, msg)); schedule(); };
  self.onmessage = e => { if (state) take(e.data); else queue.push(e.data); };
  fetchInflated('mnist_sample.bin').then(bytes => {
    state = createSession(decodeDigits(bytes));
    post([{ ...resetReply(state), type: 'ready' }]);
    while (queue.length) take(queue.shift());
  }).catch(err => self.postMessage({ type: 'error', fatal: true, message: `The digits could not be loaded: ${err.message}` }));
}
