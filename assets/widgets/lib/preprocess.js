// From what the reader draws to the 28x28 image the models were trained on.
// Pure functions on arrays (no DOM), so Node tests run exactly the code the page runs.
//
// MNIST's digits were made this way: each handwritten digit was scaled to fit a 20x20 box,
// keeping its aspect ratio, and placed in a 28x28 image so that its centre of mass sits at
// the centre. A digit drawn on a 280x280 canvas must go through the same steps, or the
// models see something unlike anything they were trained on.

export const SIZE = 28;          // side of an MNIST image
export const BOX = 20;           // side of the box the ink is scaled to fit
export const INK_THRESHOLD = 0;  // a pixel is ink when its value is above this
export const CENTRE = 14;        // MNIST's centre of mass: pixel (14, 14), counting from 0

// Ink in [0, 1] (0 = white paper, 1 = black ink) from canvas RGBA bytes of dark ink on white.
export function inkFromRGBA(rgba, width, height) {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) {
    const grey = (rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3;
    ink[i] = (255 - grey) / 255;
  }
  return ink;
}

// Canvas RGBA bytes (grey ink on white, opaque) for an ink image: the inverse of inkFromRGBA.
export function inkToRGBA(ink, width, height) {
  const rgba = new Uint8ClampedArray(4 * width * height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.round(255 * (1 - ink[i]));
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

// The smallest rectangle holding every ink pixel: {x0, y0, x1, y1} with x1, y1 exclusive,
// or null when there is no ink at all.
export function inkBox(ink, width, height, threshold = INK_THRESHOLD) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

// For each of `dst` output cells along one axis, the source cells it covers and by how much:
// output cell j covers source interval [j*s, (j+1)*s) with s = src/dst.
function areaWeights(src, dst) {
  const s = src / dst, out = [];
  for (let j = 0; j < dst; j++) {
    const lo = j * s, hi = (j + 1) * s, parts = [];
    for (let i = Math.floor(lo); i < Math.min(src, Math.ceil(hi)); i++) {
      const w = Math.min(hi, i + 1) - Math.max(lo, i);
      if (w > 1e-12) parts.push([i, w / s]);
    }
    out.push(parts);
  }
  return out;
}

// Resample an image to dw x dh by area averaging: each output pixel is the mean of the
// part of the input it covers (what shrinking a photo does; no aliasing, no overshoot).
export function resizeArea(src, sw, sh, dw, dh) {
  const wx = areaWeights(sw, dw), wy = areaWeights(sh, dh);
  const rows = new Float64Array(sh * dw);  // first along x, then along y
  for (let y = 0; y < sh; y++)
    for (let j = 0; j < dw; j++) {
      let acc = 0;
      for (const [i, w] of wx[j]) acc += w * src[y * sw + i];
      rows[y * dw + j] = acc;
    }
  const out = new Float32Array(dw * dh);
  for (let k = 0; k < dh; k++)
    for (let j = 0; j < dw; j++) {
      let acc = 0;
      for (const [i, w] of wy[k]) acc += w * rows[i * dw + j];
      out[k * dw + j] = acc;
    }
  return out;
}

// Centre of mass of the ink, {x, y}, in pixel indices (the first pixel is 0).
export function centreOfMass(img, width, height) {
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = img[y * width + x];
      m += v; mx += v * x; my += v * y;
    }
  return m > 0 ? { x: mx / m, y: my / m } : { x: (width - 1) / 2, y: (height - 1) / 2 };
}

// The whole MNIST preprocessing of an ink image (width x height, values in [0, 1]):
// crop to the ink, scale to fit BOX x BOX keeping the aspect ratio, and place it in a
// SIZE x SIZE image with its centre of mass on pixel (14, 14), where MNIST puts it
// (the mean centre of mass of MNIST_SAMPLE's validation digits is (14.0, 14.0)); whole-pixel shifts.
// Returns a Float32Array of SIZE*SIZE values in [0, 1], row by row, or null without ink.
export function toMnist(ink, width, height) {
  const box = inkBox(ink, width, height);
  if (!box) return null;
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const scale = BOX / Math.max(bw, bh);
  const dw = Math.max(1, Math.round(bw * scale)), dh = Math.max(1, Math.round(bh * scale));
  const crop = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++)
    for (let x = 0; x < bw; x++) crop[y * bw + x] = ink[(box.y0 + y) * width + box.x0 + x];
  const small = resizeArea(crop, bw, bh, dw, dh);
  const c = centreOfMass(small, dw, dh);
  const ox = Math.round(CENTRE - c.x), oy = Math.round(CENTRE - c.y);
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < dh; y++)
    for (let x = 0; x < dw; x++) {
      const tx = x + ox, ty = y + oy;
      if (tx >= 0 && tx < SIZE && ty >= 0 && ty < SIZE) out[ty * SIZE + tx] = Math.min(1, Math.max(0, small[y * dw + x]));
    }
  return out;
}

// Blow a small image up to `size` x `size` by repeating each pixel (nearest neighbour):
// how a real 28x28 digit is put on the canvas, so it goes through the drawing path unchanged.
export function upscale(img, n, size) {
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const sy = Math.min(n - 1, Math.floor(y * n / size));
    for (let x = 0; x < size; x++) out[y * size + x] = img[sy * n + Math.min(n - 1, Math.floor(x * n / size))];
  }
  return out;
}

// MNIST pixels 0-255 (a Uint8Array, e.g. decoded from the widget's digits.json) as ink in [0, 1].
export function bytesToInk(bytes) {
  const ink = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) ink[i] = bytes[i] / 255;
  return ink;
}

// The drawing path for a real digit: blow it up onto a canvas-sized image, through the canvas
// bytes and back (8-bit, as the browser stores it), then the MNIST preprocessing.
export function realDigitThroughCanvas(img28, canvasSize) {
  const big = upscale(img28, SIZE, canvasSize);
  const ink = inkFromRGBA(inkToRGBA(big, canvasSize, canvasSize), canvasSize, canvasSize);
  return toMnist(ink, canvasSize, canvasSize);
}
