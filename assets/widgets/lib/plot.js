// A minimal line-and-dot plotter on a 2-D canvas context (no library, nothing fetched).

// About `n` round tick values between lo and hi.
export function niceTicks(lo, hi, n = 5) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / n, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

const tickText = v => {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-3)) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
};

export class Plot {
  // ctx: a context whose units are CSS pixels; box: {width, height}; opts: {x: [lo, hi],
  // y: [lo, hi], logY, xlabel, ylabel, title}
  constructor(ctx, width, height, opts) {
    Object.assign(this, { ctx, width, height, opts });
    this.m = { left: 52, right: 10, top: opts.title ? 24 : 10, bottom: 38 };
    this.logY = !!opts.logY;
    const [y0, y1] = opts.y;
    this.ylo = this.logY ? Math.log10(y0) : y0;
    this.yhi = this.logY ? Math.log10(y1) : y1;
    [this.xlo, this.xhi] = opts.x;
  }
  X(x) { return this.m.left + (x - this.xlo) / (this.xhi - this.xlo) * (this.width - this.m.left - this.m.right); }
  Y(y) {
    const v = this.logY ? Math.log10(Math.max(y, 1e-300)) : y;
    return this.height - this.m.bottom - (v - this.ylo) / (this.yhi - this.ylo) * (this.height - this.m.top - this.m.bottom);
  }
  // Background, axes, ticks and labels.
  frame() {
    const { ctx, width, height, m, opts } = this;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, width, height);
    ctx.font = '12px system-ui, sans-serif'; ctx.fillStyle = '#444'; ctx.strokeStyle = '#e3e6ea'; ctx.lineWidth = 1;
    ctx.textAlign = 'center'; ctx.textBaseline = 'top';
    for (const t of niceTicks(this.xlo, this.xhi, Math.max(3, Math.floor(width / 80)))) {
      const x = this.X(t);
      ctx.beginPath(); ctx.moveTo(x, m.top); ctx.lineTo(x, height - m.bottom); ctx.stroke();
      ctx.fillText(tickText(t), x, height - m.bottom + 4);
    }
    ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
    const yt = this.logY
      ? niceTicks(Math.ceil(this.ylo), Math.floor(this.yhi), 5).filter(Number.isInteger).map(e => 10 ** e)
      : niceTicks(this.ylo, this.yhi, 5);
    for (const t of yt) {
      const y = this.Y(t);
      ctx.beginPath(); ctx.moveTo(m.left, y); ctx.lineTo(width - m.right, y); ctx.stroke();
      ctx.fillText(tickText(t), m.left - 4, y);
    }
    ctx.strokeStyle = '#666';
    ctx.beginPath(); ctx.moveTo(m.left, m.top); ctx.lineTo(m.left, height - m.bottom); ctx.lineTo(width - m.right, height - m.bottom); ctx.stroke();
    ctx.fillStyle = '#333'; ctx.textAlign = 'center'; ctx.textBaseline = 'bottom';
    if (opts.xlabel) ctx.fillText(opts.xlabel, m.left + (width - m.left - m.right) / 2, height - 2);
    if (opts.title) { ctx.textBaseline = 'top'; ctx.font = '600 13px system-ui, sans-serif'; ctx.fillText(opts.title, width / 2, 4); }
    if (opts.ylabel) {
      ctx.save(); ctx.translate(12, m.top + (height - m.top - m.bottom) / 2); ctx.rotate(-Math.PI / 2);
      ctx.font = '12px system-ui, sans-serif'; ctx.textBaseline = 'middle'; ctx.fillText(opts.ylabel, 0, 0); ctx.restore();
    }
  }
  clip(fn) {
    const { ctx, m } = this;
    ctx.save(); ctx.beginPath();
    ctx.rect(m.left, m.top, this.width - m.left - m.right, this.height - m.top - m.bottom); ctx.clip();
    fn(); ctx.restore();
  }
  line(xs, ys, { color = '#0b5cad', width = 2, dash = [], alpha = 1 } = {}) {
    this.clip(() => {
      const { ctx } = this;
      ctx.globalAlpha = alpha; ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash);
      ctx.beginPath();
      let pen = false;
      xs.forEach((x, i) => {
        const y = ys[i];
        if (!Number.isFinite(y)) { pen = false; return; }
        const px = this.X(x), py = Math.max(-1e4, Math.min(1e4, this.Y(y)));
        if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
        pen = true;
      });
      ctx.stroke(); ctx.setLineDash([]); ctx.globalAlpha = 1;
    });
  }
  dots(xs, ys, { color = '#0b5cad', r = 3, square = false } = {}) {
    this.clip(() => {
      const { ctx } = this;
      ctx.fillStyle = color;
      xs.forEach((x, i) => {
        if (!Number.isFinite(ys[i])) return;
        const px = this.X(x), py = this.Y(ys[i]);
        ctx.beginPath();
        if (square) ctx.rect(px - r, py - r, 2 * r, 2 * r); else ctx.arc(px, py, r, 0, 2 * Math.PI);
        ctx.fill();
      });
    });
  }
  // A legend of [text, color, dashed] entries in a corner: 'top-right', 'bottom-left' or 'bottom-right'.
  legend(entries, corner = 'top-right') {
    const { ctx } = this;
    ctx.font = '12px system-ui, sans-serif'; ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
    const w = Math.max(...entries.map(([t]) => ctx.measureText(t).width)) + 34, h = entries.length * 17 + 6;
    const x0 = corner.endsWith('right') ? this.width - this.m.right - w - 4 : this.m.left + 4;
    const y0 = corner.startsWith('top') ? this.m.top + 4 : this.height - this.m.bottom - h - 4;
    ctx.fillStyle = 'rgba(255,255,255,0.88)'; ctx.fillRect(x0, y0, w, h);
    entries.forEach(([t, color, dashed], i) => {
      const y = y0 + 12 + 17 * i;
      ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.setLineDash(dashed ? [4, 3] : []);
      ctx.beginPath(); ctx.moveTo(x0 + 6, y); ctx.lineTo(x0 + 26, y); ctx.stroke(); ctx.setLineDash([]);
      ctx.fillStyle = '#222'; ctx.fillText(t, x0 + 30, y);
    });
  }
}
