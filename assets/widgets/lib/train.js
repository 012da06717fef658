// The chapter's training loop, in plain JavaScript: what notebooks 5, 6 and 8 write with PyTorch.
// Pure functions and small classes, no DOM: the train-live widget runs them in a Web Worker
// (lib/train-worker.js) and tests/js/train.test.mjs checks them against digitlib.
// Each function carries the name of the Python one it mirrors. Numbers are stored as float32
// (Float32Array), as PyTorch stores them; sums are accumulated in float64 and rounded once.
//
// Layouts, one flat Float32Array per parameter:
//  * linear1: weights (784, 1), 784 numbers; bias (1,).
//  * simple_net: nn.Linear's layout, as digitlib.nonlinearity.simple_net() holds it: w1 (30, 784),
//    row j the 784 weights of hidden unit j; b1 (30,); w2 (1, 30); b2 (1,).
// A mini-batch is {x: Float32Array(n*784), y: Uint8Array(n) (1 for a 3, 0 for a 7), n}.

export const N_PIXELS = 28 * 28;

// ---------------------------------------------------------------- random numbers, seeded
// mulberry32: a small seeded generator of uniform numbers in [0, 1). (torch.Generator().manual_seed)
export function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// One standard normal number (Box-Muller). (torch.randn)
export function randn(rand) {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

// A random order of 0..n-1 (Fisher-Yates). (torch.randperm(n, generator=g))
export function randperm(n, rand) {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

// ---------------------------------------------------------------- the model's pieces
// digitlib.loss.init_params(size, std): random parameters from a normal distribution, times std.
export function init_params(size, std = 1.0, rand = generator(0)) {
  const n = Array.isArray(size) ? size.reduce((a, b) => a * b, 1) : size;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = randn(rand) * std;
  return out;
}

// digitlib.loss.linear1(xb, weights, bias): xb@weights + bias, one score per row of xb.
export function linear1(xb, weights, bias) {
  const n = xb.length / N_PIXELS, out = new weights.constructor(n);   // float32, or float64 for the gradient check
  for (let r = 0; r < n; r++) {
    let s = 0;
    const row = r * N_PIXELS;
    for (let i = 0; i < N_PIXELS; i++) s += xb[row + i] * weights[i];
    out[r] = s + bias[0];
  }
  return out;
}

// digitlib.loss.sigmoid(x): 1/(1+exp(-x)), computed through exp(-|x|) so it never overflows.
export function sigmoid(x) {
  const e = Math.exp(-Math.abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

// Its derivative, e/(1+e)**2 with e = exp(-|x|): what autograd gets from digitlib's sigmoid.
export function sigmoidGrad(x) {
  const e = Math.exp(-Math.abs(x));
  return e / ((1 + e) * (1 + e));
}

// Notebook 6's flat_share(scores): the share of scores where sigmoid is nearly flat, its slope s(1-s) below 0.01,
// so that almost no gradient comes back through it.
export function flat_share(scores) {
  let flat = 0;
  for (let i = 0; i < scores.length; i++) if (sigmoidGrad(scores[i]) < 0.01) flat++;
  return flat / scores.length;
}

// digitlib.loss.mnist_loss(predictions, targets): mean of 1-sigmoid(p) for a 3, sigmoid(p) for a 7.
export function mnist_loss(predictions, targets) {
  let s = 0;
  for (let i = 0; i < predictions.length; i++) {
    const p = sigmoid(predictions[i]);
    s += targets[i] === 1 ? 1 - p : p;
  }
  return s / predictions.length;
}

// What mnist_loss(...).backward() sends back to the predictions: d loss / d prediction_i,
// -sigmoid'(p_i)/n for a 3 (raising its score lowers the loss), +sigmoid'(p_i)/n for a 7.
export function mnist_loss_backward(predictions, targets) {
  const n = predictions.length, g = new Float64Array(n);
  for (let i = 0; i < n; i++) g[i] = (targets[i] === 1 ? -1 : 1) * sigmoidGrad(predictions[i]) / n;
  return g;
}

// digitlib.loss.batch_accuracy(preds, yb): share of rows with sigmoid(pred) > 0.5 exactly where yb is 1.
export function batch_accuracy(preds, yb) {
  let right = 0;
  for (let i = 0; i < preds.length; i++) right += ((sigmoid(preds[i]) > 0.5) === (yb[i] === 1)) ? 1 : 0;
  return Math.fround(right / preds.length);
}

// simple_net's forward pass, notebook 8's three lines: res = xb@w1 + b1; res = res.max(0); res@w2 + b2
// (digitlib.nonlinearity.simple_net(): Linear(784, 30), ReLU, Linear(30, 1)). Returns the scores and
// the hidden activations before the ReLU (n rows of 30), which the backward pass needs.
// The sums skip blank pixels (about 80% of an MNIST digit): a 0 adds nothing, so the sums are the same, in the same order.
export function simple_net(xb, { w1, b1, w2, b2 }) {
  const n = xb.length / N_PIXELS, nh = b1.length, nz = inked(xb, n);
  const hidden = new w1.constructor(n * nh), out = new w1.constructor(n);
  for (let r = 0; r < n; r++) {
    const row = r * N_PIXELS, ink = nz[r], m = ink.length;
    let o = 0;
    for (let j = 0; j < nh; j++) {
      let s = 0;
      const wj = j * N_PIXELS;
      for (let k = 0; k < m; k++) { const i = ink[k]; s += xb[row + i] * w1[wj + i]; }
      hidden[r * nh + j] = s + b1[j];
      const h = hidden[r * nh + j];          // rounded as the array stores it
      if (h > 0) o += h * w2[j];            // res.max(tensor(0.0)), then @w2
    }
    out[r] = o + b2[0];
  }
  return { out, hidden, nz };
}

// The positions of the pixels that are not blank, row by row (no Python twin: PyTorch's xb@w1 adds the zeros too).
export function inked(xb, n) {
  const rows = [], buf = new Int32Array(N_PIXELS);
  for (let r = 0; r < n; r++) {
    let m = 0;
    for (let i = 0, row = r * N_PIXELS; i < N_PIXELS; i++) if (xb[row + i] !== 0) buf[m++] = i;
    rows.push(buf.slice(0, m));
  }
  return rows;
}

// ---------------------------------------------------------------- models: parameters with gradients
// A parameter as PyTorch holds one: its numbers (.data) and, after backward, its gradient (.grad).
const param = (name, shape, data) => ({ name, shape, data, grad: null });

// The linear model from init_params, as notebook 6 starts it: weights (784, 1) and bias (1,), both std `std`.
export function initLinear(std = 1.0, seed = 42) {
  const rand = generator(seed);
  return { kind: 'linear', params: [param('weights', [N_PIXELS, 1], init_params([N_PIXELS, 1], std, rand)),
                                    param('bias', [1], init_params(1, std, rand))] };
}

// simple_net from init_params (notebook 8's raw version), every parameter std `std`, held in nn.Linear's layout.
export function initSimpleNet(std = 0.02, seed = 42, nHidden = 30) {
  const rand = generator(seed);
  return { kind: 'simple_net', params: [param('w1', [nHidden, N_PIXELS], init_params([nHidden, N_PIXELS], std, rand)),
    param('b1', [nHidden], init_params(nHidden, std, rand)), param('w2', [1, nHidden], init_params(nHidden, std, rand)),
    param('b2', [1], init_params(1, std, rand))] };
}

// A model from given numbers (e.g. the initial weights digitlib wrote): {kind, weights, bias} or {kind, w1, b1, w2, b2}.
export function modelFrom(kind, arrays) {
  const names = kind === 'linear' ? ['weights', 'bias'] : ['w1', 'b1', 'w2', 'b2'];
  const f = a => Float32Array.from(a);
  const nh = kind === 'linear' ? 0 : arrays.b1.length;
  const shapes = { weights: [N_PIXELS, 1], bias: [1], w1: [nh, N_PIXELS], b1: [nh], w2: [1, nh], b2: [1] };
  return { kind, params: names.map(k => param(k, shapes[k], f(arrays[k]))) };
}

export const paramsOf = model => Object.fromEntries(model.params.map(p => [p.name, p.data]));

// The model's scores for a batch of rows (model(xb) in Python).
export function predict(model, xb) {
  const p = paramsOf(model);
  return model.kind === 'linear' ? linear1(xb, p.weights, p.bias) : simple_net(xb, p).out;
}

// Add g to p.grad, as backward() does (it adds, it does not overwrite: notebook 6 shows it).
function accumulate(p, g) {
  if (!p.grad) p.grad = new p.data.constructor(p.data.length);
  for (let i = 0; i < g.length; i++) p.grad[i] += g[i];
}

// digitlib.optimizer.calc_grad(xb, yb, model): predict, mnist_loss, and backward, the gradient added to
// every parameter's .grad. PyTorch's autograd works the gradient out; here the chain rule is written out.
// Returns the batch's loss (calc_grad throws it away; the widget plots it).
export function calc_grad(xb, yb, model) {
  const n = yb.length;
  if (model.kind === 'linear') {
    const [w, b] = model.params;
    const preds = linear1(xb, w.data, b.data);                  // step 2: predict
    const loss = mnist_loss(preds, yb);                          // step 3: the loss
    const dp = mnist_loss_backward(preds, yb);                   // step 4: the gradient, through the loss ...
    const gw = new Float64Array(N_PIXELS);                       // ... and through xb@weights + bias
    let gb = 0;
    for (let r = 0; r < n; r++) {
      const d = dp[r], row = r * N_PIXELS;
      gb += d;
      if (d !== 0) for (let i = 0; i < N_PIXELS; i++) gw[i] += d * xb[row + i];
    }
    accumulate(w, gw); accumulate(b, [gb]);
    return loss;
  }
  const [w1, b1, w2, b2] = model.params, nh = b1.data.length;
  const { out, hidden, nz } = simple_net(xb, paramsOf(model));
  const loss = mnist_loss(out, yb);
  const dout = mnist_loss_backward(out, yb);
  const gw1 = new Float64Array(nh * N_PIXELS), gb1 = new Float64Array(nh), gw2 = new Float64Array(nh);
  let gb2 = 0;
  for (let r = 0; r < n; r++) {
    const d = dout[r], row = r * N_PIXELS;
    gb2 += d;
    for (let j = 0; j < nh; j++) {
      const h = hidden[r * nh + j];
      if (!(h > 0)) continue;                                    // ReLU: no gradient where it output 0
      gw2[j] += d * h;
      const dh = d * w2.data[j];
      gb1[j] += dh;
      if (dh === 0) continue;
      const wj = j * N_PIXELS, ink = nz[r];
      for (let k = 0; k < ink.length; k++) { const i = ink[k]; gw1[wj + i] += dh * xb[row + i]; }
    }
  }
  accumulate(w1, gw1); accumulate(b1, gb1); accumulate(w2, gw2); accumulate(b2, [gb2]);
  return loss;
}

// digitlib.optimizer.BasicOptim: step moves each parameter against its gradient, p.data -= p.grad.data * lr
// (in float32, as PyTorch); zero_grad forgets the gradients.
export class BasicOptim {
  constructor(params, lr) { this.params = [...params]; this.lr = lr; }
  step() {
    for (const p of this.params) {
      if (!p.grad) continue;
      for (let i = 0; i < p.data.length; i++) p.data[i] -= Math.fround(p.grad[i] * this.lr);
    }
  }
  zero_grad() { for (const p of this.params) p.grad = null; }
}

// ---------------------------------------------------------------- data: mini-batches
// The order of one epoch's rows, as digitlib.loss.TensorDataLoader serves them: in order when shuffle is
// off (the book's DataLoader(dset, batch_size=256)), else a fresh seeded random order each epoch.
export function epochOrder(n, shuffle, rand) {
  return shuffle ? randperm(n, rand) : Array.from({ length: n }, (_, i) => i);
}

// The mini-batches of one epoch over `data` ({x, y, n}) in `order`, `bs` rows each (the last may be
// smaller): TensorDataLoader.__iter__. Yields {x, y, n, rows}.
export function* batches(data, order, bs) {
  for (let s = 0; s < order.length; s += bs) yield takeRows(data, order.slice(s, s + bs));
}

// The rows `rows` of a data set: x[rows], y[rows] in PyTorch.
export function takeRows(data, rows) {
  const x = new Float32Array(rows.length * N_PIXELS), y = new Uint8Array(rows.length);
  rows.forEach((r, k) => { x.set(data.x.subarray(r * N_PIXELS, (r + 1) * N_PIXELS), k * N_PIXELS); y[k] = data.y[r]; });
  return { x, y, n: rows.length, rows };
}

// digitlib.optimizer.train_epoch(model, dl, opt): for every mini-batch, calc_grad, opt.step(), opt.zero_grad().
// Returns the loss of every batch (the Python function returns nothing; the widget plots them).
export function train_epoch(model, dl, opt) {
  const losses = [];
  for (const { x, y } of dl) {
    losses.push(calc_grad(x, y, model));
    opt.step();
    opt.zero_grad();
  }
  return losses;
}

// digitlib.optimizer.validate_epoch(model, dl): the mean batch_accuracy over the validation batches
// (256 each, in order), rounded to 4 decimals.
export function validate_epoch(model, data, bs = 256) {
  const accs = [];
  for (let s = 0; s < data.n; s += bs) {
    const e = Math.min(data.n, s + bs);
    accs.push(batch_accuracy(predict(model, data.x.subarray(s * N_PIXELS, e * N_PIXELS)), data.y.subarray(s, e)));
  }
  const mean = Math.fround(accs.reduce((a, b) => a + b, 0) / accs.length);
  return Math.round(mean * 1e4) / 1e4;
}

// ---------------------------------------------------------------- the shipped digits
// assets/widgets/data/mnist_sample.bin, once inflated (an `#| assets` cell of notebook 10 writes it): "TL37", then n_train, n_valid
// and 784 as uint32; every digit's label (1 for a 3, 0 for a 7, uint8) and its index in MNIST_SAMPLE
// (uint16); then its 784 pixels as bytes, row by row. Training digits first (all 3s, then all 7s).
// The inverse of notebook 10's pack_digits; tests/js/fixtures.py's read_train_digits reads the same file for digitlib.
export function decodeDigits(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const magic = String.fromCharCode(...u8.subarray(0, 4));
  if (magic !== 'TL37') throw new Error('mnist_sample.bin: not the train-live digits file');
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const nTrain = dv.getUint32(4, true), nValid = dv.getUint32(8, true), size = dv.getUint32(12, true);
  if (size !== N_PIXELS) throw new Error(`mnist_sample.bin: ${size} pixels per digit, expected ${N_PIXELS}`);
  const n = nTrain + nValid, labels = u8.subarray(16, 16 + n), idx0 = 16 + n, px0 = idx0 + 2 * n;
  if (u8.length !== px0 + n * N_PIXELS) throw new Error(`mnist_sample.bin: ${u8.length} bytes, expected ${px0 + n * N_PIXELS}`);
  const split = (from, count) => {
    const x = new Float32Array(count * N_PIXELS), y = new Uint8Array(count), index = new Uint16Array(count);
    const px = u8.subarray(px0 + from * N_PIXELS, px0 + (from + count) * N_PIXELS);
    for (let i = 0; i < px.length; i++) x[i] = px[i] / 255;   // float32(byte) / 255, as digitlib's images are
    for (let k = 0; k < count; k++) { y[k] = labels[from + k]; index[k] = dv.getUint16(idx0 + 2 * (from + k), true); }
    return { x, y, index, n: count };
  };
  return { train: split(0, nTrain), valid: split(nTrain, nValid) };
}

// ---------------------------------------------------------------- pictures of weights
// matplotlib's RdBu_r, the course's colours for weights: blue for negative (towards "7"), white for 0,
// red for positive (towards "3").
const RDBU_R = [[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31]];
export function rdbu(t) {   // t in [-1, 1]
  const u = (Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0)) + 1) / 2 * (RDBU_R.length - 1);
  const i = Math.min(RDBU_R.length - 2, Math.floor(u)), f = u - i, a = RDBU_R[i], b = RDBU_R[i + 1];
  return [0, 1, 2].map(c => Math.round(a[c] + (b[c] - a[c]) * f));
}

// 784 weights as RGBA bytes of a 28x28 image, coloured on a scale symmetric about 0 (vmin = -lim, vmax = lim,
// lim the largest |weight| unless given), as notebook 6 shows its template.
// (matplotlib's imshow(w.view(28,28), cmap='RdBu_r', vmin=-lim, vmax=lim), through a table of 511 colours.)
const STEPS = 510, TABLE = Uint8Array.from({ length: 3 * (STEPS + 1) }, (_, k) => rdbu(2 * Math.floor(k / 3) / STEPS - 1)[k % 3]);
export function weightsToRGBA(w, lim) {
  let m = lim;
  if (!(m > 0)) { m = 0; for (let i = 0; i < w.length; i++) if (Math.abs(w[i]) > m) m = Math.abs(w[i]); }
  const out = new Uint8ClampedArray(w.length * 4);
  for (let i = 0; i < w.length; i++) {
    const t = m > 0 && Number.isFinite(w[i]) ? Math.max(-1, Math.min(1, w[i] / m)) : 0, k = 3 * Math.round((t + 1) / 2 * STEPS);
    out[4 * i] = TABLE[k]; out[4 * i + 1] = TABLE[k + 1]; out[4 * i + 2] = TABLE[k + 2]; out[4 * i + 3] = 255;
  }
  return out;
}
