// The data files the widgets load (written by notebook 10) have the shapes the code expects.
import test from 'node:test';
import assert from 'node:assert/strict';
import { widgetData } from './helpers.mjs';
import { modelsFromJSON, digitsFromJSON } from '../../assets/widgets/lib/data.js';

test('ideal digits, linear model and simple_net have the right sizes', () => {
  const m = modelsFromJSON(widgetData('ideal.json'), widgetData('linear.json'), widgetData('simple_net.json'));
  assert.equal(m.ideal.ideal3.length, 784);
  assert.equal(m.ideal.ideal7.length, 784);
  assert.equal(m.linear.weight.length, 784);
  assert.equal(typeof m.linear.bias, 'number');
  assert.equal(m.net.w1.length, 30 * 784);
  assert.equal(m.net.b1.length, 30);
  assert.equal(m.net.w2.length, 30);
  assert.equal(typeof m.net.b2, 'number');
  for (const v of [...m.ideal.ideal3, ...m.ideal.ideal7]) assert.ok(v >= 0 && v <= 1);
});

test('about 50 real validation digits, half 3s and half 7s, 784 bytes each', () => {
  const digits = digitsFromJSON(widgetData('digits.json'));
  assert.equal(digits.length, 50);
  assert.equal(digits.filter(d => d.label === 3).length, 25);
  assert.equal(digits.filter(d => d.label === 7).length, 25);
  for (const d of digits) assert.equal(d.bytes.length, 784);
  assert.ok(new Set(digits.map(d => `${d.label}/${d.index}`)).size === 50, 'no digit twice');
});

test("notebook 4's roller coaster: 20 times 0..19, 20 speeds, 3 parameters", () => {
  const q = widgetData('quadratic.json');
  assert.deepEqual(q.time, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(q.speed.length, 20);
  assert.equal(q.params.length, 3);
});
