// Benchmark: model.fit samples/s with the GaussianMixturePrior attached vs without, same model, same backend (wasm).
// LeNet-300-100 (batch 128) and LeNet-5-Caffe (batch 64), the two measured side by side in one run, interleaved.
import * as tf from '@tensorflow/tfjs';
import { GaussianMixturePrior, lenet300100, lenet5Caffe, registerWasmTrainingKernels } from '@softweight/tfjs';
import { fitThroughput, loadAverage, median, printTable, syntheticMnist, useWasm, type Throughput } from './tfjs-bench-util.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 20);
const TARGET = 0.95;

interface Case {
  name: string;
  batchSize: number;
  inputShape: number[];
  build: () => tf.Sequential;
}

const CASES: Case[] = [
  { name: 'LeNet-300-100', batchSize: 128, inputShape: [784], build: () => lenet300100({ seed: 1 }) },
  { name: 'LeNet-5-Caffe', batchSize: 64, inputShape: [28, 28, 1], build: () => lenet5Caffe({ seed: 1 }) },
];

interface Result {
  name: string;
  batchSize: number;
  weights: number;
  without: Throughput[];
  with: Throughput[];
}

async function measure(c: Case): Promise<Result> {
  const n = BATCHES * c.batchSize;
  const { x, y } = syntheticMnist(n, c.inputShape);
  const compile = (m: tf.Sequential) => m.compile({ optimizer: tf.train.adam(5e-4), loss: 'categoricalCrossentropy' });
  const plain = c.build();
  const regularized = c.build(); // same seed: the same weights
  compile(plain);
  compile(regularized);
  // The paper's setting: MNIST's 60000 training examples, default tau, 17 components, Dense and Conv kernels.
  const prior = new GaussianMixturePrior({ datasetSize: 60000 }).attach(regularized);
  const callbacks = [prior.callback()];
  const warm = { x: x.slice(0, 2 * c.batchSize), y: y.slice(0, 2 * c.batchSize) };
  await fitThroughput(plain, warm.x, warm.y, c.batchSize);
  await fitThroughput(regularized, warm.x, warm.y, c.batchSize, callbacks);
  const result: Result = { name: c.name, batchSize: c.batchSize, weights: prior.covered.reduce((s, w) => s + w.size, 0), without: [], with: [] };
  // Interleave so machine load hits both alike.
  for (let r = 0; r < ROUNDS; r++) {
    result.without.push(await fitThroughput(plain, x, y, c.batchSize));
    result.with.push(await fitThroughput(regularized, x, y, c.batchSize, callbacks));
  }
  prior.detach();
  tf.dispose([x, y, warm.x, warm.y]);
  plain.dispose();
  regularized.dispose();
  return result;
}

async function main(): Promise<void> {
  await useWasm();
  registerWasmTrainingKernels();
  const results: Result[] = [];
  for (const c of CASES) results.push(await measure(c));
  const load = await loadAverage();

  console.log(`model.fit with vs without the GaussianMixturePrior on wasm, ${BATCHES} batches/epoch, median of ${ROUNDS} interleaved epochs, synthetic data`);
  console.log(`load average (1 min) at the end: ${load?.toFixed(2) ?? 'n/a'} (other jobs share the 2-core machine)`);
  const med = (xs: Throughput[], k: keyof Throughput) => median(xs.map((t) => t[k]));
  const ratio = (r: Result, k: keyof Throughput) => median(r.with.map((t, i) => t[k] / r.without[i]![k]));
  printTable(
    ['model', 'batch', 'covered weights', 'without (samples/s)', 'with prior', 'ratio (wall)', 'without (samples/CPU-s)', 'with prior', 'ratio (CPU)'],
    results.map((r) => [r.name, r.batchSize, r.weights, med(r.without, 'wall'), med(r.with, 'wall'), ratio(r, 'wall'), med(r.without, 'cpu'), med(r.with, 'cpu'), ratio(r, 'cpu')]),
  );
  console.log(`ratio = median over rounds of (with / without) in the same round; target >= ${TARGET}.`);
  const json = {
    bench: 'tfjs-prior-overhead',
    backend: 'wasm',
    rounds: ROUNDS,
    batchesPerEpoch: BATCHES,
    loadAverage1m: load,
    target: TARGET,
    models: results.map((r) => ({
      model: r.name,
      batchSize: r.batchSize,
      coveredWeights: r.weights,
      withoutSamplesPerSec: med(r.without, 'wall'),
      withSamplesPerSec: med(r.with, 'wall'),
      ratio: ratio(r, 'wall'),
      withoutSamplesPerCpuSec: med(r.without, 'cpu'),
      withSamplesPerCpuSec: med(r.with, 'cpu'),
      ratioCpu: ratio(r, 'cpu'),
    })),
  };
  console.log(`BENCH_JSON ${JSON.stringify(json)}`);
}

void main();
