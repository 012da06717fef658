// The widgets' data: small JSON files written by notebook 10 into assets/widgets/data/, and the
// train-live widget's digits, bytes compressed with zlib (mnist_sample.bin, written by notebook 10 too).
// They are fetched from the site itself (a URL relative to this module), never from elsewhere.

// Decode base64 into bytes (atob exists in browsers and in Node 16+).
export function base64ToBytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// The JSON of ideal.json, linear.json and simple_net.json as the classifiers want them.
export function modelsFromJSON(ideal, linear, net) {
  return {
    ideal: { ideal3: Float64Array.from(ideal.ideal3), ideal7: Float64Array.from(ideal.ideal7) },
    linear: { weight: Float64Array.from(linear.weight), bias: linear.bias, accuracy: linear.accuracy },
    net: { w1: Float64Array.from(net.w1), b1: Float64Array.from(net.b1), w2: Float64Array.from(net.w2), b2: net.b2,
           accuracy: net.accuracy },
  };
}

// digits.json as a list of {label, index, bytes}: the real validation digits, 784 bytes each.
export function digitsFromJSON(json) {
  return json.digits.map(d => ({ label: d.label, index: d.index, bytes: base64ToBytes(d.pixels) }));
}

// Fetch one of the data files next to the widgets (browser only).
export async function fetchData(name) {
  const url = new URL(`../data/${name}`, import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.pathname} (HTTP ${res.status})`);
  return res.json();
}

// Undo zlib.compress (Python): DecompressionStream('deflate') exists in browsers, their workers and Node 18+.
export async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Fetch a zlib-compressed data file and inflate it (browser or worker).
export async function fetchInflated(name) {
  const url = new URL(`../data/${name}`, import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.pathname} (HTTP ${res.status})`);
  return inflate(new Uint8Array(await res.arrayBuffer()));
}

// Each file is fetched once per page, however many widgets ask for it.
const cache = new Map();
export function loadData(name) {
  if (!cache.has(name)) cache.set(name, fetchData(name));
  return cache.get(name);
}
