// The train-live widget's loop retraces digitlib's (train_reference.json.gz, which notebook 10 writes): from the same initial
// weights and batch order, the same loss for every batch and the same final weights, for notebook 6's linear1
// and notebook 8's simple_net; its gradients agree with finite differences; the worker's messages behave.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { HERE, WIDGETS } from './helpers.mjs';
import * as T from '../../assets/widgets/lib/train.js';
import { inflate } from '../../assets/widgets/lib/data.js';
import { createSession, handle, runChunk, MODELS } from '../../assets/widgets/lib/train-worker.js';

const digits = T.decodeDigits(await inflate(fs.readFileSync(path.join(WIDGETS, 'data', 'mnist_sample.bin'))));
export const TOL = 1e-4;   // relative
// digitlib's loop on the same digits (notebook 10's `#| assets` cell writes it; `make assets` after changing the loop).
const reference = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(HERE, 'train_reference.json.gz'))));

// |a - b| <= TOL * max(|b|, floor) for each pair; returns the largest relative difference seen.
function assertRel(actual, expected, floor, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const r = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), floor);
    if (!(r <= TOL)) assert.fail(`${what} ${i}: ${actual[i]} but digitlib gives ${expected[i]} (relative ${r.toExponential(2)})`);
    worst = Math.max(worst, r);
  }
  return worst;
}
const maxAbs = a => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

test('the shipped digits: 2,000 training and 1,000 validation digits, balanced, in [0, 1]', () => {
  assert.equal(digits.train.n, 2000); assert.equal(digits.valid.n, 1000);
  const threes = s => s.y.reduce((a, b) => a + b, 0);
  assert.equal(threes(digits.train), 1000); assert.equal(threes(digits.valid), 500);
  assert.ok(digits.train.y.slice(0, 1000).every(v => v === 1), 'all the 3s first, as binary_xy stacks them');
  assert.ok(digits.train.x.every(v => v >= 0 && v <= 1));
});

for (const kind of ['linear', 'simple_net']) {
  test(`${kind}: per-batch losses, first gradients, accuracies and final weights equal digitlib's to 1e-4`,
       () => {
    const f = reference, r = f[kind], data = digits.train;
    const model = T.modelFrom(kind, r.start), opt = new T.BasicOptim(model.params, r.lr);
    const losses = [], accs = [];
    let grad0 = null;
    for (const order of f.orders) {
      for (const { x, y } of T.batches(data, order, f.bs)) {
        losses.push(T.calc_grad(x, y, model));
        if (!grad0) grad0 = Object.fromEntries(model.params.map(p => [p.name, Float64Array.from(p.grad)]));
        opt.step(); opt.zero_grad();
      }
      accs.push(T.validate_epoch(model, digits.valid));
    }
    const worst = { losses: assertRel(losses, r.losses, 1e-6, 'loss of batch') };
    for (const p of model.params) {
      // each weight relative to itself, or to 1% of its tensor's largest (a weight near 0 has no relative size)
      worst[`grad ${p.name}`] = assertRel(grad0[p.name], r.grad0[p.name], 0.01 * maxAbs(r.grad0[p.name]), `first gradient of ${p.name}`);
      worst[p.name] = assertRel(p.data, r.final[p.name], 0.01 * maxAbs(r.final[p.name]), `final ${p.name}`);
    }
    accs.forEach((a, i) => assert.ok(Math.abs(a - r.accs[i]) <= 1.1e-3, `epoch ${i + 1}: accuracy ${a} vs ${r.accs[i]}`));
    console.log(`# ${kind}: largest relative differences ${JSON.stringify(Object.fromEntries(Object.entries(worst).map(([k, v]) => [k, Number(v.toExponential(2))])))}`);
  });
}

// ---------------------------------------------------------------- gradients against finite differences
// As notebook 4 checks digitlib's: nudge one parameter by ±h, and (loss(+h) - loss(-h)) / 2h must be its gradient.
// In float64 (the model's arrays may be either), so that the differences are not float32 rounding.
for (const kind of ['linear', 'simple_net']) {
  test(`${kind}: calc_grad's gradients agree with finite differences`, () => {
    const f32 = kind === 'linear' ? T.initLinear(0.3, 1) : T.initSimpleNet(0.1, 1, 30);
    const model = { kind, params: f32.params.map(p => ({ ...p, data: Float64Array.from(p.data), grad: null })) };
    const { x, y } = T.takeRows(digits.train, T.randperm(digits.train.n, T.generator(3)).slice(0, 64));
    const loss = () => T.mnist_loss(T.predict(model, x), y);
    T.calc_grad(x, y, model);
    const h = 1e-6;
    let checked = 0;
    for (const p of model.params) {
      const g = p.grad;
      // the 8 largest gradients of each parameter, and its first entry
      const picks = new Set([0, ...[...g.keys()].sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 8)]);
      const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (const i of picks) {
        const v = p.data[i];
        p.data[i] = v + h; const up = loss();
        p.data[i] = v - h; const down = loss();
        p.data[i] = v;
        const fd = (up - down) / (2 * h);
        assert.ok(Math.abs(fd - g[i]) <= 1e-5 * scale + 1e-9, `${kind} ${p.name}[${i}]: calc_grad ${g[i]}, finite difference ${fd}`);
        checked++;
      }
    }
    const least = model.params.reduce((a, p) => a + Math.min(8, p.data.length), 0);   // 8 per parameter, or all of a small one
    assert.ok(checked >= least, `${checked} checked, fewer than ${least}`);
  });
}

test('backward adds to .grad, as PyTorch does, and zero_grad forgets it', () => {
  const model = T.initLinear(1, 0);
  const { x, y } = T.takeRows(digits.train, [0, 1, 2, 3]);
  T.calc_grad(x, y, model);
  const first = Float32Array.from(model.params[0].grad);
  T.calc_grad(x, y, model);
  model.params[0].grad.forEach((g, i) => assert.ok(Math.abs(g - 2 * first[i]) <= 1e-6 * Math.abs(first[i]) + 1e-12));
  const opt = new T.BasicOptim(model.params, 1);
  opt.zero_grad();
  assert.ok(model.params.every(p => p.grad === null));
});

test('the pieces: sigmoid never overflows, mnist_loss and batch_accuracy on known cases, seeded shuffles repeat', () => {
  assert.equal(T.sigmoid(1000), 1); assert.equal(T.sigmoid(-1000), 0); assert.equal(T.sigmoid(0), 0.5);
  assert.ok(Math.abs(T.mnist_loss([0, 0], [1, 0]) - 0.5) < 1e-12);
  assert.equal(T.batch_accuracy([5, -5, 5, -5], [1, 0, 0, 0]), 0.75);
  assert.deepEqual(T.randperm(10, T.generator(5)), T.randperm(10, T.generator(5)));
  assert.deepEqual([...T.randperm(50, T.generator(5))].sort((a, b) => a - b), [...Array(50).keys()]);
  assert.deepEqual(T.epochOrder(5, false, T.generator(0)), [0, 1, 2, 3, 4]);
  const sizes = [...T.batches(T.takeRows(digits.train, [...Array(600).keys()]), [...Array(600).keys()], 256)].map(b => b.n);
  assert.deepEqual(sizes, [256, 256, 88]);   // TensorDataLoader: the last batch is smaller
  const w = T.init_params([784, 1], 1, T.generator(0));
  const mean = w.reduce((a, b) => a + b, 0) / w.length, sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(mean) < 0.1 && Math.abs(sd - 1) < 0.1, `${mean} ${sd}`);
  const rgba = T.weightsToRGBA(Float32Array.from([-1, 0, 1]));
  assert.deepEqual([...rgba.slice(0, 3)], [5, 48, 97]); assert.deepEqual([...rgba.slice(4, 7)], [247, 247, 247]); assert.deepEqual([...rgba.slice(8, 11)], [103, 0, 31]);
});

// ---------------------------------------------------------------- the worker's messages
// A smaller training set keeps the runs short; the validation digits are all 1,000.
const small = { train: T.takeRows(digits.train, T.randperm(digits.train.n, T.generator(7)).slice(0, 512)), valid: digits.valid };
small.train.index = new Uint16Array(small.train.n);
const types = replies => replies.map(r => r.type);
const untilIdle = (st, max = 10000) => { const all = []; for (let i = 0; i < max && st.running; i++) all.push(...runChunk(st, { maxBatches: 4 })); return all; };

test('worker: start trains epoch after epoch with falling loss and rising accuracy; pause stops it', () => {
  const st = createSession(small);
  assert.ok(st.accuracy > 0.3 && st.accuracy < 0.7, `untrained: ${st.accuracy}`);
  assert.deepEqual(types(handle(st, { type: 'start' })), ['started']);
  const replies = [];
  while (st.epoch < 20) replies.push(...runChunk(st, { maxBatches: 2 }));
  const epochs = replies.filter(r => r.type === 'epoch');
  assert.equal(epochs.length, 20);
  assert.ok(epochs.at(-1).accuracy > 0.85, `accuracy after 20 epochs ${epochs.at(-1).accuracy}`);
  assert.ok(epochs.at(-1).loss < epochs[0].loss);
  const progress = replies.filter(r => r.type === 'progress');
  assert.equal(progress.reduce((n, r) => n + r.losses.length, 0), 20 * 2);   // 512 digits: 2 batches of 256 an epoch
  assert.ok(progress.every(r => r.weights instanceof Float32Array && r.weights.length === 784 && r.losses.every(Number.isFinite)));
  assert.deepEqual(types(handle(st, { type: 'pause' })), ['paused']);
  assert.deepEqual(runChunk(st), []);                                         // paused: nothing more
});

test('worker: step trains exactly one batch and says what each of steps 2 to 5 did', () => {
  const st = createSession(small);
  handle(st, { type: 'settings', bs: 100 });
  const w0 = Float32Array.from(st.model.params[0].data);
  const r = handle(st, { type: 'step' });
  assert.deepEqual(types(r), ['progress', 'batch']);
  const b = r[1];
  assert.equal(b.n, 100); assert.equal(b.batch, 1); assert.equal(b.batches, 6); assert.equal(b.epoch, 1);
  assert.ok(b.predMean > 0 && b.predMean < 1 && b.gradNorm > 0 && b.moved > 0 && b.after < b.loss, JSON.stringify(b));
  assert.ok(st.model.params[0].data.some((v, i) => v !== w0[i]));
  for (let i = 0; i < 5; i++) handle(st, { type: 'step' });
  const last = handle(st, { type: 'step' });        // batch 1 of epoch 2: epoch 1 ended with the 6th
  assert.equal(st.epoch, 1); assert.equal(last[1].epoch, 2);
  assert.equal(st.running, false);
});

test('worker: reset starts again from the same random weights; settings apply, a new model gets its defaults', () => {
  const st = createSession(small);
  const w0 = Float32Array.from(st.model.params[0].data);
  handle(st, { type: 'start' }); runChunk(st, { maxBatches: 5 });
  const r = handle(st, { type: 'reset' });
  assert.deepEqual(types(r), ['reset']);
  assert.deepEqual(r[0].weights, w0); assert.equal(st.epoch, 0); assert.equal(st.running, false);
  const net = handle(st, { type: 'settings', model: 'simple_net' })[0];
  assert.equal(net.type, 'reset'); assert.equal(net.settings.lr, 0.1); assert.equal(net.settings.std, 0.02);
  assert.equal(net.weights.length, 30 * 784);
  const lr = handle(st, { type: 'settings', lr: 0.5 })[0];
  assert.equal(lr.type, 'settings'); assert.equal(st.opt.lr, 0.5);
  handle(st, { type: 'step' });
  const bs = handle(st, { type: 'settings', bs: 64, shuffle: false })[0];
  assert.match(bs.note, /from the next epoch/);
  const snap = handle(st, { type: 'snapshot' })[0];
  assert.deepEqual(Object.keys(snap.params), ['w1', 'b1', 'w2', 'b2']);
});

test('worker: bad settings get a clear message and change nothing', () => {
  const st = createSession(small);
  const cases = [[{ lr: 0 }, /learning rate must be a positive number, got 0: at 0 no weight ever moves/],
                 [{ lr: -1 }, /negative one climbs the loss/], [{ lr: NaN }, /not a number/],
                 [{ bs: 0 }, /batch size must be a whole number from 1 to 512 .*got 0/], [{ bs: 2.5 }, /got 2.5/],
                 [{ bs: 100000 }, /got 100000/], [{ std: 0 }, /init std must be a positive number/], [{ std: 1e39 }, /up to 1,000/], [{ epochs: 0 }, /epochs must be a whole number/], [{ model: 'resnet' }, /Unknown model/]];
  for (const [s, re] of cases) {
    const r = handle(st, { type: 'settings', ...s });
    assert.equal(r.length, 1); assert.equal(r[0].type, 'error'); assert.match(r[0].message, re);
  }
  assert.deepEqual(st.settings, { model: 'linear', lr: 1, bs: 256, shuffle: true, std: 1, seed: 42, epochs: MODELS.linear.epochs });
  assert.equal(handle(st, { type: 'frobnicate' })[0].type, 'error');
  handle(st, { type: 'start' });
  assert.ok(runChunk(st, { maxBatches: 2 })[0].losses.every(Number.isFinite));   // and training still works
});

test('worker: a learning rate that overshoots says it diverged, and so does a loss that is not a number', () => {
  const st = createSession(small);
  handle(st, { type: 'settings', model: 'simple_net', lr: 10 });
  handle(st, { type: 'start' });
  const replies = untilIdle(st);
  const d = replies.find(r => r.type === 'diverged');
  assert.ok(d, types(replies).join(' '));
  assert.match(d.message, /^Diverged: .*learning rate of 10 .*try a smaller/);
  assert.equal(st.running, false);
  assert.equal(handle(st, { type: 'start' })[0].type, 'diverged');            // it says so again, it does not freeze
  assert.equal(handle(st, { type: 'reset' })[0].type, 'reset');
  assert.equal(handle(st, { type: 'start' })[0].type, 'started');

  const nan = createSession(small);
  nan.model.params[0].data[3] = Infinity;                                       // as a weight past float32's range would be
  handle(nan, { type: 'start' });
  const r = untilIdle(nan);
  assert.equal(r.at(-1).type, 'diverged'); assert.match(r.at(-1).message, /no longer a number/);
  assert.equal(r.filter(x => x.type === 'progress').flatMap(x => x.losses).filter(v => !Number.isFinite(v)).length, 1);
});

test('worker: the usual settings never count as diverged, and training stops after its epochs (step 7)', () => {
  for (const model of ['linear', 'simple_net']) {
    const st = createSession({ train: T.takeRows(small.train, [...Array(256).keys()]), valid: T.takeRows(digits.valid, [...Array(200).keys()]) });
    handle(st, { type: 'settings', model, shuffle: false });
    assert.equal(st.settings.epochs, MODELS[model].epochs);
    handle(st, { type: 'settings', epochs: 12 });
    handle(st, { type: 'start' });
    const replies = untilIdle(st);
    assert.ok(!replies.some(r => r.type === 'diverged'), model);
    assert.equal(replies.at(-1).type, 'stopped');
    assert.equal(st.epoch, 12);
    assert.equal(handle(st, { type: 'start' })[0].type, 'stopped');
  }
});

test('the two weight pictures: from std 1 the weights stay speckled and what training added is the template; from std 0.01 both are', () => {
  // The template: ideal 3 minus ideal 7, the training digits' mean images (notebook 6's comparison, as a correlation).
  const mean = label => {
    const m = new Float64Array(T.N_PIXELS); let n = 0;
    for (let r = 0; r < digits.train.n; r++) if (digits.train.y[r] === label) { n++; for (let i = 0; i < T.N_PIXELS; i++) m[i] += digits.train.x[r * T.N_PIXELS + i]; }
    return m.map(v => v / n);
  };
  const ideal3 = mean(1), ideal7 = mean(0), template = ideal3.map((v, i) => v - ideal7[i]);
  const corr = (a, b) => {
    const n = a.length, ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < n; i++) { const x = a[i] - ma, y = b[i] - mb; ab += x * y; aa += x * x; bb += y * y; }
    return ab / Math.sqrt(aa * bb);
  };
  const agreement = {};
  for (const std of [1, 0.01]) {
    const st = createSession(digits, { std });
    const start = Float32Array.from(st.model.params[0].data);
    handle(st, { type: 'start' });
    while (st.epoch < 5) runChunk(st, { maxBatches: 8 });
    const w = st.model.params[0].data;
    agreement[std] = { weights: corr(w, template), added: corr(w.map((v, i) => v - start[i]), template), accuracy: st.accuracy };
  }
  assert.ok(agreement[1].weights < 0.3 && agreement[1].added > 0.8, JSON.stringify(agreement));
  assert.ok(agreement[0.01].weights > 0.8 && agreement[0.01].accuracy > agreement[1].accuracy, JSON.stringify(agreement));
});

test('worker: a stuck accuracy names its cause: a start too large (sigmoid flat), or a learning rate too small', () => {
  const stuck = settings => {
    const st = createSession(small);
    handle(st, { type: 'settings', ...settings });
    handle(st, { type: 'settings', epochs: 12 });
    handle(st, { type: 'start' });
    return untilIdle(st).filter(r => r.type === 'note' || r.type === 'diverged');
  };
  const [big] = stuck({ std: 100 });
  assert.equal(big.type, 'note');
  assert.match(big.message, /sigmoid is nearly flat for 100% of the validation digits.*init std of 100 is too large/);
  const [slow] = stuck({ lr: 0.001 });
  assert.match(slow.message, /learning rate of 0\.001 moves the weights very little/);
  assert.doesNotMatch(slow.message, /init std/);
});
