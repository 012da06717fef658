// The course's three 3-vs-7 classifiers, on one 28x28 image given as 784 numbers in [0, 1],
// row by row (the order of `img.view(-1, 28*28)` in PyTorch). Pure functions: no DOM.
// Their weights come from the JSON files notebook 10 writes (assets/widgets/data/).

// Mean absolute difference between two images: digitlib.tensors.mnist_distance.
export function mnistDistance(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

// Pixel similarity (notebook 2): the distances to the ideal 3 and the ideal 7; a 3 when the
// ideal 3 is closer (digitlib.tensors.is_3).
export function pixelSimilarity(img, ideal) {
  const d3 = mnistDistance(img, ideal.ideal3), d7 = mnistDistance(img, ideal.ideal7);
  return { d3, d7, is3: d3 < d7 };
}

// sigmoid(x) = 1 / (1 + exp(-x)), computed so that neither side overflows.
export function sigmoid(x) {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

// The linear model's score: weight . pixels + bias (nn.Linear(784, 1)). Positive means "a 3".
export function linearScore(img, model) {
  let s = model.bias;
  const w = model.weight;
  for (let i = 0; i < img.length; i++) s += w[i] * img[i];
  return s;
}

// simple_net's hidden activations: relu(w1 x + b1), one per hidden unit.
export function hiddenActivations(img, net) {
  const nh = net.b1.length, n = img.length, h = new Float64Array(nh);
  for (let j = 0; j < nh; j++) {
    let s = net.b1[j];
    const row = j * n;
    for (let i = 0; i < n; i++) s += net.w1[row + i] * img[i];
    h[j] = s > 0 ? s : 0;
  }
  return h;
}

// simple_net's score: w2 . relu(w1 x + b1) + b2.
export function simpleNetScore(img, net) {
  const h = hiddenActivations(img, net);
  let s = net.b2;
  for (let j = 0; j < h.length; j++) s += net.w2[j] * h[j];
  return s;
}

// Everything the draw-a-digit widget shows about one image.
export function classify(img, models) {
  const pix = pixelSimilarity(img, models.ideal);
  const lin = linearScore(img, models.linear), net = simpleNetScore(img, models.net);
  return {
    pixel: pix,
    linear: { score: lin, p3: sigmoid(lin) },
    net: { score: net, p3: sigmoid(net) },
  };
}
