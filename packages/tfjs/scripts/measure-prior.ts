// Quick measurement: LeNet-300-100 model.fit samples/s on a tfjs backend with and without the mixture prior.
// Run: node --conditions=@softweight/source --import tsx packages/tfjs/scripts/measure-prior.ts [wasm|cpu] [batches]
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { GaussianMixturePrior } from '../src/index.js';

const backend = process.argv[2] ?? 'wasm';
const batches = Number(process.argv[3] ?? 30);
const batchSize = 128;
await tf.setBackend(backend);
await tf.ready();

function lenet300(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 300, activation: 'relu', inputShape: [784] }));
  m.add(tf.layers.dense({ units: 100, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(5e-4), loss: 'categoricalCrossentropy' });
  return m;
}

const n = batches * batchSize;
const x = tf.randomUniform([n, 784]);
const y = tf.oneHot(tf.randomUniform([n], 0, 10, 'int32') as tf.Tensor1D, 10);

async function run(withPrior: boolean, model: tf.Sequential, prior: GaussianMixturePrior | null): Promise<number> {
  const t0 = performance.now();
  await model.fit(x, y, { batchSize, epochs: 1, shuffle: false, verbose: 0, callbacks: withPrior && prior ? [prior.callback()] : [] });
  return (n / (performance.now() - t0)) * 1000;
}

const plain = lenet300();
const withPrior = lenet300();
const prior = new GaussianMixturePrior({ datasetSize: 60000 }).attach(withPrior);
// warm up both
await run(false, plain, null);
await run(true, withPrior, prior);
const rows: { round: number; without: number; with: number }[] = [];
for (let r = 0; r < 3; r++) {
  const a = await run(false, plain, null);
  const b = await run(true, withPrior, prior);
  rows.push({ round: r, without: a, with: b });
}
const med = (v: number[]) => v.sort((p, q) => p - q)[Math.floor(v.length / 2)]!;
const without = med(rows.map((r) => r.without));
const withP = med(rows.map((r) => r.with));
console.table(rows.map((r) => ({ round: r.round, 'without prior (samples/s)': r.without.toFixed(0), 'with prior (samples/s)': r.with.toFixed(0), ratio: (r.with / r.without).toFixed(3) })));
console.log(`backend ${backend}, batch ${batchSize}, LeNet-300-100: without ${without.toFixed(0)} samples/s, with prior ${withP.toFixed(0)} samples/s, ratio ${(withP / without).toFixed(3)}`);
console.log('BENCH_JSON ' + JSON.stringify({ bench: 'prior-quick', backend, batchSize, without, with: withP, ratio: withP / without, tensors: tf.memory().numTensors }));
