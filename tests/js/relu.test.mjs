// The ReLU-sum widget's curves are simple_net(1, k, 1)'s, and its "fit" is least squares
// (fixtures from tests/js/fixtures.py).
import test from 'node:test';
import assert from 'node:assert/strict';
import { needsFixture, fixture, assertClose } from './helpers.mjs';
import { curve, fitHeights, linspace, reluSum, TARGETS } from '../../assets/widgets/lib/relu.js';
import { mse } from '../../assets/widgets/lib/sgd.js';

test('a sum of hinges equals simple_net(1, k, 1) with those weights', { skip: needsFixture('relu.json') }, () => {
  const f = fixture('relu.json');
  for (const c of f.cases) {
    const units = c.bends.map((bend, k) => ({ bend, height: c.heights[k] }));
    assertClose(curve(f.xs, units, c.bias), c.ys, 1e-5, `${c.bends.length} units`);
  }
});

test('fitting the heights for fixed bends equals torch.linalg.lstsq', { skip: needsFixture('relu.json') }, () => {
  const f = fixture('relu.json');
  for (const c of f.cases) {
    const fit = fitHeights(f.xs, f.target, c.bends);
    assertClose(fit.heights, c.fit_heights, 1e-5, 'heights');
    assert.ok(Math.abs(fit.bias - c.fit_bias) < 1e-5);
  }
});

test('hinges by hand: a kink at the bend, straight elsewhere; fitted error beats a flat line', () => {
  const units = [{ bend: 0, height: 2 }];
  assert.equal(reluSum(-1, units, 0.5), 0.5);
  assert.equal(reluSum(1.5, units, 0.5), 3.5);
  const xs = linspace(-2, 2, 200), ys = xs.map(TARGETS.wave.f);
  const fit = fitHeights(xs, ys, [-2, -1, 1]);
  const err = mse(curve(xs, fit.heights.map((height, k) => ({ bend: [-2, -1, 1][k], height })), fit.bias), ys);
  assert.ok(err < 0.02 && err < mse(xs.map(() => 0), ys) / 10, `${err}`);
  assert.ok(Number.isFinite(fitHeights(xs, ys, [0, 0, 3]).bias));  // coinciding and idle hinges
});
