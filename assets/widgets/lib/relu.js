// Universal approximation by hand: a sum of ReLU hinges, as in notebook 8.
// Hidden unit k computes relu(x - bend_k) (first layer weight 1, bias -bend_k); the output
// layer adds them up with weights ("slope changes") height_k and a bias:
//     f(x) = bias + sum_k height_k * relu(x - bend_k)
// which is simple_net(1, K, 1) with those weights. Pure functions, no DOM.

import { lstsq } from './sgd.js';

export const relu = x => (x > 0 ? x : 0);

// The curves the reader can try to fit, on [-2, 2].
export const TARGETS = {
  wave: { label: 'a wave: sin(1.5x)', f: x => Math.sin(1.5 * x) },
  parabola: { label: 'a parabola: x²/2 − 1', f: x => x * x / 2 - 1 },
  bumpy: { label: "notebook 8's bumpy curve: sin(3x) + 0.4 cos(9x)", f: x => Math.sin(3 * x) + 0.4 * Math.cos(9 * x) },
};

// n evenly spaced points from lo to hi, ends included (torch.linspace).
export function linspace(lo, hi, n) {
  return Array.from({ length: n }, (_, i) => lo + (hi - lo) * i / (n - 1));
}

// The sum of hinges at x; units is a list of {bend, height}.
export function reluSum(x, units, bias) {
  let y = bias;
  for (const u of units) y += u.height * relu(x - u.bend);
  return y;
}

export function curve(xs, units, bias) { return xs.map(x => reluSum(x, units, bias)); }

// The heights and bias that fit `target` best (least squares) for the given bends: what
// notebook 8's hinge_net does with torch.linalg.lstsq. Returns {heights, bias}.
export function fitHeights(xs, target, bends) {
  const sol = lstsq(xs.map(x => [...bends.map(c => relu(x - c)), 1]), target, 1e-10);   // the ridge: hinges may coincide
  return { heights: sol.slice(0, -1), bias: sol.at(-1) };
}
