// Universal approximation by hand: a sum of ReLU hinges, as in notebook 8.
// Hidden unit k computes relu(x - bend_k) (first layer weight 1, bias -bend_k); the output
// layer adds them up with weights ("slope changes") height_k and a bias:
//     f(x) = bias + sum_k height_k * relu(x - bend_k)
// which is simple_net(1, K, 1) with those weights. Pure functions, no DOM.

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

// Mean squared error between two lists of numbers: the fit error shown to the reader.
export function mse(ys, target) {
  let s = 0;
  for (let i = 0; i < ys.length; i++) s += (ys[i] - target[i]) ** 2;
  return s / ys.length;
}

// Solve A x = b (A square) by Gaussian elimination with partial pivoting; a tiny ridge keeps
// it solvable when two hinges coincide or one lies right of every x.
function solve(A, b) {
  const n = b.length, M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

// The heights and bias that fit `target` best (least squares) for the given bends: what
// notebook 8's hinge_net does with torch.linalg.lstsq. Returns {heights, bias}.
export function fitHeights(xs, target, bends) {
  const feats = xs.map(x => [...bends.map(c => relu(x - c)), 1]);
  const m = bends.length + 1;
  const A = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) =>
    feats.reduce((s, f) => s + f[i] * f[j], 0) + (i === j ? 1e-10 : 0)));
  const b = Array.from({ length: m }, (_, i) => feats.reduce((s, f, r) => s + f[i] * target[r], 0));
  const sol = solve(A, b);
  return { heights: sol.slice(0, -1), bias: sol[m - 1] };
}
