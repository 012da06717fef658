// Gradient descent on notebook 4's two problems, as digitlib.sgd does it. Pure functions.
//  * one weight, loss f(w) = w**2: gradient 2w, so each step multiplies w by (1 - 2 lr);
//  * the roller coaster: quadratic(t) = a*t**2 + b*t + c fitted to 20 speeds by mean squared error.

// Losses above this count as diverged (the plots could not show them anyway).
export const DIVERGED = 1e12;

// Positions of gradient descent on f(w) = w**2 from w0: steps + 1 numbers (digitlib.sgd.gd_path).
export function gdPath(w0, lr, steps) {
  const path = [w0];
  let w = w0;
  for (let i = 0; i < steps; i++) {
    w = w - lr * 2 * w;
    path.push(w);
  }
  return path;
}

// a*t**2 + b*t + c for every t (digitlib.sgd.quadratic).
export function quadratic(time, params) {
  const [a, b, c] = params;
  return time.map(t => a * t * t + b * t + c);
}

// Mean squared error (digitlib.sgd.mse).
export function mse(preds, targets) {
  let s = 0;
  for (let i = 0; i < preds.length; i++) s += (preds[i] - targets[i]) ** 2;
  return s / preds.length;
}

// The loss of the quadratic and its gradient with respect to (a, b, c), worked out by hand:
// d/da mean((pred - y)**2) = mean(2 (pred - y) t**2), and t, 1 in place of t**2 for b and c.
export function lossAndGrad(time, speed, params) {
  const preds = quadratic(time, params), n = time.length, g = [0, 0, 0];
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const r = preds[i] - speed[i], t = time[i];
    loss += r * r;
    g[0] += 2 * r * t * t; g[1] += 2 * r * t; g[2] += 2 * r;
  }
  return { loss: loss / n, grad: g.map(v => v / n) };
}

// `steps` steps of gradient descent on the roller coaster from params0 (digitlib.sgd.sgd_fit):
// losses[i] is the loss before step i and losses[steps] the loss after the last step;
// params[i] the parameters before step i. Stops early when the loss passes DIVERGED:
// `divergedAt` is then the step where it did (null otherwise).
export function sgdQuadratic(time, speed, params0, lr, steps) {
  let p = [...params0];
  const losses = [], params = [p];
  for (let i = 0; i < steps; i++) {
    const { loss, grad } = lossAndGrad(time, speed, p);
    losses.push(loss);
    if (!(loss < DIVERGED)) return { losses, params, divergedAt: i };
    p = p.map((v, k) => v - lr * grad[k]);
    params.push(p);
  }
  const last = lossAndGrad(time, speed, p).loss;
  losses.push(last);
  return { losses, params, divergedAt: last < DIVERGED ? null : steps };
}

// The largest learning rate that does not diverge on the roller coaster: 2 / (the largest
// curvature of the loss), the largest eigenvalue of its Hessian (2/n) X^T X, X = [t**2, t, 1].
export function criticalLr(time) {
  const n = time.length, X = time.map(t => [t * t, t, 1]);
  const H = [0, 1, 2].map(i => [0, 1, 2].map(j => 2 / n * X.reduce((s, r) => s + r[i] * r[j], 0)));
  let v = [1, 1, 1], lambda = 0;
  for (let it = 0; it < 200; it++) {                 // power iteration
    const w = H.map(row => row.reduce((s, h, j) => s + h * v[j], 0));
    lambda = Math.hypot(...w);
    v = w.map(x => x / lambda);
  }
  return 2 / lambda;
}

// Least squares (torch.linalg.lstsq): the coefficients p minimising the squared error of rows @ p against y,
// from the normal equations (X^T X + ridge I) p = X^T y, solved by Gaussian elimination with partial pivoting.
// A tiny `ridge` keeps them solvable when two columns coincide (notebook 8's hinges can).
export function lstsq(rows, y, ridge = 0) {
  const m = rows[0].length;
  const M = Array.from({ length: m }, (_, i) => [
    ...Array.from({ length: m }, (_, j) => rows.reduce((s, r) => s + r[i] * r[j], 0) + (i === j ? ridge : 0)),
    rows.reduce((s, r, k) => s + r[i] * y[k], 0)]);
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < m; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= m; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array(m).fill(0);
  for (let r = m - 1; r >= 0; r--) {
    let s = M[r][m];
    for (let k = r + 1; k < m; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

// The best possible fit of the quadratic (what notebook 4 gets from torch.linalg.lstsq): {params, loss}.
export function bestFit(time, speed) {
  const p = lstsq(time.map(t => [t * t, t, 1]), speed);
  return { params: p, loss: mse(quadratic(time, p), speed) };
}
