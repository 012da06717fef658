// The train-live widget's loop (assets/widgets/lib/train.js) timed in Node: milliseconds per epoch of
// train_epoch on the shipped 2,000 training digits, mini-batches of 256, shuffled. Prints JSON for
// tools/bench_widgets.py, which sets it beside digitlib's PyTorch loop. Usage: node tools/bench_widgets.mjs [epochs]
import fs from 'node:fs';
import * as T from '../assets/widgets/lib/train.js';
import { inflate } from '../assets/widgets/lib/data.js';

const file = new URL('../assets/widgets/data/mnist_sample.bin', import.meta.url);
const digits = T.decodeDigits(await inflate(fs.readFileSync(file)));
const epochs = Number(process.argv[2] || 5), out = {};
for (const [kind, lr, std] of [['linear', 1, 1], ['simple_net', 0.1, 0.02]]) {
  const model = kind === 'linear' ? T.initLinear(std, 42) : T.initSimpleNet(std, 42);
  const opt = new T.BasicOptim(model.params, lr), rand = T.generator(43), ms = [];
  for (let e = 0; e <= epochs; e++) {               // epoch 0 warms the JIT up and is not counted
    const t0 = performance.now();
    T.train_epoch(model, T.batches(digits.train, T.epochOrder(digits.train.n, true, rand), 256), opt);
    if (e > 0) ms.push(performance.now() - t0);
  }
  out[kind] = { ms, accuracy: T.validate_epoch(model, digits.valid) };
}
console.log(JSON.stringify(out));
