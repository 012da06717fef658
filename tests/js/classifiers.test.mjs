// The widget's three classifiers give digitlib's scores, to 1e-5, on every MNIST_SAMPLE
// validation digit, with the weights the widget loads (fixtures from tests/js/fixtures.py).
import test from 'node:test';
import assert from 'node:assert/strict';
import { widgetData, needsFixture, fixture, fixtureBytes, assertClose } from './helpers.mjs';
import { modelsFromJSON } from '../../assets/widgets/lib/data.js';
import { classify, sigmoid, mnistDistance } from '../../assets/widgets/lib/classifiers.js';
import { bytesToInk } from '../../assets/widgets/lib/preprocess.js';

const skip = needsFixture('digitlib_scores.json') || needsFixture('valid_pixels.bin');

test('scores equal digitlib\'s on the validation digits (1e-5)', { skip }, () => {
  const models = modelsFromJSON(widgetData('ideal.json'), widgetData('linear.json'), widgetData('simple_net.json'));
  const want = fixture('digitlib_scores.json'), bytes = fixtureBytes('valid_pixels.bin');
  assert.equal(bytes.length, want.n * 784);
  assert.ok(want.n >= 2000, `only ${want.n} validation digits`);
  const got = { d3: [], d7: [], linear: [], net: [], linear_p3: [], net_p3: [] };
  let sameVerdict = 0;
  for (let k = 0; k < want.n; k++) {
    const r = classify(bytesToInk(bytes.subarray(784 * k, 784 * (k + 1))), models);
    got.d3.push(r.pixel.d3); got.d7.push(r.pixel.d7);
    got.linear.push(r.linear.score); got.net.push(r.net.score);
    got.linear_p3.push(r.linear.p3); got.net_p3.push(r.net.p3);
    if (r.pixel.is3 === want.pixel_is3[k]) sameVerdict++;
  }
  for (const key of Object.keys(got)) assertClose(got[key], want[key], 1e-5, key);
  assert.equal(sameVerdict, want.n, 'pixel-similarity verdicts');
});

test('sigmoid is exact in the middle and finite far out', () => {
  assert.equal(sigmoid(0), 0.5);
  assert.ok(Math.abs(sigmoid(2) - 1 / (1 + Math.exp(-2))) < 1e-15);
  assert.equal(sigmoid(1000), 1);
  assert.equal(sigmoid(-1000), 0);
  assert.ok(sigmoid(-100) > 0 && sigmoid(-100) < 1e-40);
  assert.ok(Math.abs(sigmoid(-3) + sigmoid(3) - 1) < 1e-15);
});

test('mnist_distance is the mean absolute difference', () => {
  assert.equal(mnistDistance([0, 0, 1, 1], [1, 0, 0, 1]), 0.5);
  assert.equal(mnistDistance([0.25, 0.5], [0.25, 0.5]), 0);
});
