// The drawing path: from canvas pixels to the 28x28 image the models see.
import test from 'node:test';
import assert from 'node:assert/strict';
import { widgetData, needsFixture, fixture, fixtureBytes } from './helpers.mjs';
import * as P from '../../assets/widgets/lib/preprocess.js';
import { modelsFromJSON } from '../../assets/widgets/lib/data.js';
import { classify } from '../../assets/widgets/lib/classifiers.js';

const CANVAS = 280;  // the widget's canvas, in canvas pixels

// A w x h ink image with one filled rectangle.
function rect(w, h, x0, y0, x1, y1, v = 1) {
  const img = new Float32Array(w * h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) img[y * w + x] = v;
  return img;
}
const sum = a => a.reduce((s, v) => s + v, 0);

test('canvas bytes to ink and back', () => {
  const ink = Float32Array.from([0, 1, 0.2, 0.6]);
  const back = P.inkFromRGBA(P.inkToRGBA(ink, 2, 2), 2, 2);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(back[i] - ink[i]) <= 0.5 / 255);
  assert.deepEqual([...P.inkFromRGBA(Uint8ClampedArray.from([255, 255, 255, 255, 0, 0, 0, 255]), 2, 1)], [0, 1]);
});

test('the ink box is the smallest rectangle around the ink', () => {
  assert.equal(P.inkBox(new Float32Array(100), 10, 10), null);
  assert.deepEqual(P.inkBox(rect(10, 10, 2, 3, 5, 9), 10, 10), { x0: 2, y0: 3, x1: 5, y1: 9 });
});

test('area resampling keeps the mean ink and exact multiples exactly', () => {
  const img = Float32Array.from({ length: 7 * 5 }, (_, i) => (i * 37 % 11) / 10);
  const small = P.resizeArea(img, 7, 5, 3, 2);
  assert.ok(Math.abs(sum(small) / 6 - sum(img) / 35) < 1e-6);
  const big = P.upscale(Float32Array.from([0, 0.5, 1, 0.25]), 2, 6);
  assert.deepEqual([...P.resizeArea(big, 6, 6, 2, 2)], [0, 0.5, 1, 0.25]);
});

test('a drawn blob fills 20 pixels along its long side and is centred on pixel (14, 14)', () => {
  const ink = rect(CANVAS, CANVAS, 30, 100, 130, 150);          // 100 wide, 50 tall, off centre
  const img = P.toMnist(ink, CANVAS, CANVAS);
  assert.equal(img.length, 784);
  const box = P.inkBox(img, 28, 28);
  assert.equal(box.x1 - box.x0, 20);
  assert.equal(box.y1 - box.y0, 10);                           // aspect ratio kept
  const c = P.centreOfMass(img, 28, 28);
  assert.ok(Math.abs(c.x - 14) <= 0.5 && Math.abs(c.y - 14) <= 0.5, JSON.stringify(c));
  assert.ok(Math.max(...img) <= 1 && Math.min(...img) >= 0);
  assert.equal(P.toMnist(new Float32Array(CANVAS * CANVAS), CANVAS, CANVAS), null);  // nothing drawn
});

test('the same digit drawn smaller or elsewhere gives the same 28x28 image', () => {
  const a = P.toMnist(rect(CANVAS, CANVAS, 40, 40, 80, 240), CANVAS, CANVAS);
  const b = P.toMnist(rect(CANVAS, CANVAS, 200, 10, 210, 60), CANVAS, CANVAS);
  for (let i = 0; i < 784; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
});

// The 99% test: real digits, blown up to the canvas exactly as the "real test digit" button
// does, through the canvas bytes and the MNIST preprocessing, classified by the page's code,
// against digitlib's verdict on the original 28x28 image.
test('real validation digits through the drawing path: >= 99% same prediction as digitlib', { skip: needsFixture('digitlib_scores.json') || needsFixture('valid_pixels.bin') }, () => {
  const models = modelsFromJSON(widgetData('ideal.json'), widgetData('linear.json'), widgetData('simple_net.json'));
  const want = fixture('digitlib_scores.json'), bytes = fixtureBytes('valid_pixels.bin');
  const same = { pixel: 0, linear: 0, net: 0 };
  for (let k = 0; k < want.n; k++) {
    const img = P.realDigitThroughCanvas(P.bytesToInk(bytes.subarray(784 * k, 784 * (k + 1))), CANVAS);
    const r = classify(img, models);
    if (r.pixel.is3 === want.pixel_is3[k]) same.pixel++;
    if ((r.linear.score > 0) === (want.linear[k] > 0)) same.linear++;
    if ((r.net.score > 0) === (want.net[k] > 0)) same.net++;
  }
  const pct = Object.fromEntries(Object.entries(same).map(([k, v]) => [k, +(100 * v / want.n).toFixed(2)]));
  console.log(`# drawing path vs digitlib on ${want.n} validation digits, % same prediction: ${JSON.stringify(pct)}`);
  for (const [k, v] of Object.entries(same)) assert.ok(v >= 0.99 * want.n, `${k}: ${pct[k]}% < 99%`);
});
