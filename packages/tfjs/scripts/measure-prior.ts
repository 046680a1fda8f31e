// Quick measurement: LeNet-300-100 model.fit samples/s on a tfjs backend with and without the mixture prior.
// Run: node --conditions=@softweight/source --import tsx packages/tfjs/scripts/measure-prior.ts [wasm|cpu] [batches] [rounds] [fast]
// (`fast`: register the package's wasm training kernels first, as bench/tfjs-prior-overhead.ts does)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { GaussianMixturePrior, registerWasmTrainingKernels } from '../src/index.js';

const backend = process.argv[2] ?? 'wasm';
const batches = Number(process.argv[3] ?? 30);
const batchSize = 128;
await tf.setBackend(backend);
await tf.ready();
const fastKernels = process.argv[5] === 'fast';
if (fastKernels && backend === 'wasm') registerWasmTrainingKernels();

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

/** samples/s of one epoch, by wall clock and by this process's CPU time (steadier when the machine is shared). */
async function run(withPrior: boolean, model: tf.Sequential, prior: GaussianMixturePrior | null): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await model.fit(x, y, { batchSize, epochs: 1, shuffle: false, verbose: 0, callbacks: withPrior && prior ? [prior.callback()] : [] });
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall: (n / wall) * 1000, cpu: (n / ((c.user + c.system) / 1000)) * 1000 };
}

const plain = lenet300();
const withPrior = lenet300();
const prior = new GaussianMixturePrior({ datasetSize: 60000 }).attach(withPrior);
// warm up both
await run(false, plain, null);
await run(true, withPrior, prior);
const rounds = Number(process.argv[4] ?? 5);
const rows: { round: number; without: { wall: number; cpu: number }; with: { wall: number; cpu: number } }[] = [];
for (let r = 0; r < rounds; r++) {
  const a = await run(false, plain, null);
  const b = await run(true, withPrior, prior);
  rows.push({ round: r, without: a, with: b });
}
const med = (v: number[]) => v.sort((p, q) => p - q)[Math.floor(v.length / 2)]!;
const summary = (k: 'wall' | 'cpu') => {
  const without = med(rows.map((r) => r.without[k]));
  const withP = med(rows.map((r) => r.with[k]));
  return { without, with: withP, ratio: withP / without, ratioOfMedians: med(rows.map((r) => r.with[k] / r.without[k])) };
};
console.table(
  rows.map((r) => ({
    round: r.round,
    'without (samples/s wall)': r.without.wall.toFixed(0),
    'with prior (wall)': r.with.wall.toFixed(0),
    'ratio wall': (r.with.wall / r.without.wall).toFixed(3),
    'without (samples/cpu-s)': r.without.cpu.toFixed(0),
    'with prior (cpu)': r.with.cpu.toFixed(0),
    'ratio cpu': (r.with.cpu / r.without.cpu).toFixed(3),
  })),
);
const wall = summary('wall');
const cpu = summary('cpu');
console.log(`backend ${backend}${fastKernels ? ' + fast training kernels' : ''}, batch ${batchSize}, LeNet-300-100 (median of ${rounds} interleaved epochs of ${batches} batches):`);
console.log(`  wall: without ${wall.without.toFixed(0)} samples/s, with prior ${wall.with.toFixed(0)}, ratio ${wall.ratio.toFixed(3)}`);
console.log(`  cpu:  without ${cpu.without.toFixed(0)} samples/cpu-s, with prior ${cpu.with.toFixed(0)}, ratio ${cpu.ratio.toFixed(3)}`);
console.log('BENCH_JSON ' + JSON.stringify({ bench: 'prior-quick', backend, fastKernels, batchSize, batches, rounds, wall, cpu, tensors: tf.memory().numTensors }));
