// PyTorch's broadcasting rule, as digitlib.broadcasting.broadcast_shape states it:
// line the shapes up from the right; in each position the sizes must be equal, or 1, or
// missing (a missing size counts as 1); the result takes the size that is not 1.
// Pure functions, no DOM.

// A shape the way Python prints a tuple: (), (5,), (5, 28).
export function formatShape(shape) {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

// Read a shape typed by a reader: "5, 1, 28", "(5, 1, 28)", "[5 1 28]", "torch.Size([5, 28])",
// "()" or nothing for a single number. Returns {shape} or {error} saying what is wrong.
export function parseShape(text) {
  let t = String(text).trim().replace(/^torch\.Size\s*\(\s*\[?/, '(').replace(/\]?\s*\)$/, ')');
  t = t.replace(/^[([]/, '').replace(/[)\]]$/, '').trim();
  if (t === '') return { shape: [] };
  const parts = t.split(/[\s,]+/).filter(p => p !== '');
  const shape = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { error: `"${p}" is not a size: sizes are whole numbers such as 5 or 28` };
    shape.push(Number(p));
  }
  if (shape.length > 8) return { error: 'at most 8 dimensions, please' };
  return { shape };
}

// Broadcast shapes together. {ok: true, shape} or {ok: false, dim, sizes, pair, message}, with
// `dim` counted from the right (-1 is the last dimension) and the message digitlib raises.
export function broadcastShape(...shapes) {
  const n = Math.max(0, ...shapes.map(s => s.length));
  const result = [];
  for (let k = 1; k <= n; k++) {                      // dimension -k
    const sizes = [];
    shapes.forEach((s, i) => { if (s.length >= k && s[s.length - k] !== 1) sizes.push([i, s[s.length - k]]); });
    for (const [j, size] of sizes.slice(1)) {
      if (size !== sizes[0][1]) {
        const [i, first] = sizes[0];
        return {
          ok: false, dim: -k, sizes: [first, size], pair: [i, j],
          message: `cannot broadcast shapes ${formatShape(shapes[i])} and ${formatShape(shapes[j])}: dimension -${k} ` +
                   `has sizes ${first} and ${size}; sizes must be equal or one of them 1`,
        };
      }
    }
    result.push(sizes.length ? sizes[0][1] : 1);
  }
  return { ok: true, shape: result.reverse() };
}

// The picture of the rule: the shapes padded on the left to a common length (null where a
// dimension is missing) and, for each position from the left, what happens there:
// {dim, sizes, result, clash, stretched: [true where that shape's size is stretched]}.
export function alignShapes(...shapes) {
  const n = Math.max(1, ...shapes.map(s => s.length));
  const rows = shapes.map(s => [...Array(n - s.length).fill(null), ...s]);
  const columns = [];
  for (let c = 0; c < n; c++) {
    const sizes = rows.map(r => r[c]);
    const big = [...new Set(sizes.filter(v => v !== null && v !== 1))];
    const clash = big.length > 1;
    const result = clash ? null : big.length ? big[0] : 1;
    columns.push({ dim: c - n, sizes, result, clash,
                   stretched: sizes.map(v => !clash && result !== 1 && (v === null || v === 1)) });
  }
  return { rows, columns };
}
