// The learning-rate widget's gradient descent retraces digitlib.sgd (fixtures from tests/js/fixtures.py).
import test from 'node:test';
import assert from 'node:assert/strict';
import { widgetData, needsFixture, fixture, assertClose } from './helpers.mjs';
import { gdPath, sgdQuadratic, quadratic, mse, criticalLr, bestFit, DIVERGED } from '../../assets/widgets/lib/sgd.js';

const q = widgetData('quadratic.json');

test("the starting loss is notebook 4's 25823.8, and 10 steps at lr 1e-5 reach 676.95", () => {
  assert.ok(Math.abs(mse(quadratic(q.time, q.params), q.speed) - 25823.8) < 0.1);
  const run = sgdQuadratic(q.time, q.speed, q.params, 1e-5, 10);
  assert.equal(run.losses.length, 11);
  assert.equal(run.params.length, 11);
  assert.ok(Math.abs(run.losses[10] - 676.95) < 0.01, `${run.losses[10]}`);
  assert.equal(run.divergedAt, null);
});

test('losses and parameters equal digitlib.sgd.sgd_fit at several learning rates', { skip: needsFixture('sgd.json') }, () => {
  for (const r of fixture('sgd.json').quadratic) {
    const run = sgdQuadratic(q.time, q.speed, q.params, r.lr, r.steps);
    const rel = (a, b) => Math.abs(a - b) / Math.max(1, Math.abs(b));
    run.losses.forEach((l, i) => assert.ok(rel(l, r.losses[i]) < 1e-4, `lr ${r.lr} step ${i}: ${l} vs ${r.losses[i]}`));
    run.params.forEach((p, i) => p.forEach((v, k) => assert.ok(Math.abs(v - r.params[i][k]) < 1e-4, `lr ${r.lr} step ${i}`)));
  }
});

test('gradient descent on w**2 follows digitlib.sgd.gd_path', { skip: needsFixture('sgd.json') }, () => {
  for (const r of fixture('sgd.json').parabola) assertClose(gdPath(r.w0, r.lr, r.steps), r.path, 1e-5, `lr ${r.lr}`);
});

test('too large a learning rate diverges, just below the critical one converges', () => {
  const lc = criticalLr(q.time);
  assert.ok(lc > 3e-5 && lc < 5e-5, `${lc}`);
  const below = sgdQuadratic(q.time, q.speed, q.params, 0.95 * lc, 200);
  assert.equal(below.divergedAt, null);
  const above = sgdQuadratic(q.time, q.speed, q.params, 1.2 * lc, 200);
  assert.ok(above.divergedAt !== null && above.divergedAt < 200);
  assert.ok(!(above.losses.at(-1) < DIVERGED));
  assert.ok(Math.abs(gdPath(-4, 1.05, 8).at(-1)) > 4);          // w**2: lr above 1 flies off
  assert.ok(Math.abs(gdPath(-4, 0.3, 8).at(-1) - -4 * 0.4 ** 8) < 1e-12);
});

test("the best possible fit is notebook 4's least squares: MSE about 7.3", () => {
  const best = bestFit(q.time, q.speed);
  assert.ok(Math.abs(best.loss - 7.3) < 0.05, `${best.loss}`);
  const run = sgdQuadratic(q.time, q.speed, q.params, 1e-5, 300);
  assert.ok(run.losses.at(-1) > 50 * best.loss);             // raw time: SGD stalls far above it
});
