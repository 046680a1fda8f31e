// Benchmark: model.fit samples/s with the GaussianMixturePrior attached vs without, same model, same backend (wasm).
// LeNet-300-100 (batch 128) and LeNet-5-Caffe (batch 64), measured side by side in one run, interleaved: without the
// prior, with it (default: computed on a worker thread during the forward pass), and with it on the main thread
// (parallel: false). The CPU columns count every thread of the process, so they include the worker's work.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { GaussianMixturePrior, lenet300100, lenet5Caffe, registerWasmTrainingKernels } from '@softweight/tfjs';
import { fitThroughput, loadAverage, median, printTable, syntheticMnist, useWasm, type Throughput } from './tfjs-bench-util.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 20);
const TARGET = 0.95;

/**
 * CPU time of the main thread alone in ms (Linux: /proc schedstat), or NaN elsewhere. On an idle machine the
 * wall time of a step is about the main thread's CPU time when the worker keeps up, so this shows what the
 * overlap gives when the machine's other jobs (which share the CPUs with the worker) are not running.
 */
function mainThreadCpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

/** fitThroughput plus samples per second of main-thread CPU (`main`). */
async function timedFit(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, batchSize: number, callbacks: tf.Callback[] = []): Promise<Measured> {
  const m0 = mainThreadCpuMs();
  const t = await fitThroughput(model, x, y, batchSize, callbacks);
  return { ...t, main: (x.shape[0]! / (mainThreadCpuMs() - m0)) * 1000 };
}

type Measured = Throughput & { main: number };

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
  without: Measured[];
  with: Measured[];
  sync: Measured[];
  /** Covered-tensor evaluations the worker thread did, out of all in the timed epochs. */
  parallelShare: number;
}

async function measure(c: Case): Promise<Result> {
  const n = BATCHES * c.batchSize;
  const { x, y } = syntheticMnist(n, c.inputShape);
  const compile = (m: tf.Sequential) => m.compile({ optimizer: tf.train.adam(5e-4), loss: 'categoricalCrossentropy' });
  const plain = c.build();
  const regularized = c.build(); // same seed: the same weights
  const synchronous = c.build();
  compile(plain);
  compile(regularized);
  compile(synchronous);
  // The paper's setting: MNIST's 60000 training examples, default tau, 17 components, Dense and Conv kernels.
  const prior = new GaussianMixturePrior({ datasetSize: 60000 }).attach(regularized);
  const syncPrior = new GaussianMixturePrior({ datasetSize: 60000, parallel: false }).attach(synchronous);
  const callbacks = [prior.callback()];
  const syncCallbacks = [syncPrior.callback()];
  const warm = { x: x.slice(0, 2 * c.batchSize), y: y.slice(0, 2 * c.batchSize) };
  await fitThroughput(plain, warm.x, warm.y, c.batchSize);
  await fitThroughput(regularized, warm.x, warm.y, c.batchSize, callbacks);
  await fitThroughput(synchronous, warm.x, warm.y, c.batchSize, syncCallbacks);
  const evaluations0 = prior.parallelEvaluations;
  const result: Result = {
    name: c.name,
    batchSize: c.batchSize,
    weights: prior.covered.reduce((s, w) => s + w.size, 0),
    without: [],
    with: [],
    sync: [],
    parallelShare: 0,
  };
  // Interleave so machine load hits all alike.
  for (let r = 0; r < ROUNDS; r++) {
    result.without.push(await timedFit(plain, x, y, c.batchSize));
    result.with.push(await timedFit(regularized, x, y, c.batchSize, callbacks));
    result.sync.push(await timedFit(synchronous, x, y, c.batchSize, syncCallbacks));
  }
  result.parallelShare = (prior.parallelEvaluations - evaluations0) / (ROUNDS * BATCHES * prior.covered.length);
  prior.detach();
  syncPrior.detach();
  tf.dispose([x, y, warm.x, warm.y]);
  plain.dispose();
  regularized.dispose();
  synchronous.dispose();
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
  const med = (xs: Measured[], k: keyof Measured) => median(xs.map((t) => t[k]));
  const ratio = (r: Result, k: keyof Measured, w: 'with' | 'sync' = 'with') => median(r[w].map((t, i) => t[k] / r.without[i]![k]));
  printTable(
    ['model', 'batch', 'covered weights', 'without (samples/s)', 'with prior', 'ratio (wall)', 'main-thread prior', 'ratio (wall)'],
    results.map((r) => [r.name, r.batchSize, r.weights, med(r.without, 'wall'), med(r.with, 'wall'), ratio(r, 'wall'), med(r.sync, 'wall'), ratio(r, 'wall', 'sync')]),
  );
  console.log('');
  printTable(
    ['model', 'without (samples/CPU-s)', 'with prior', 'ratio (CPU)', 'main-thread prior', 'ratio (CPU)', 'on worker'],
    results.map((r) => [r.name, med(r.without, 'cpu'), med(r.with, 'cpu'), ratio(r, 'cpu'), med(r.sync, 'cpu'), ratio(r, 'cpu', 'sync'), `${(100 * r.parallelShare).toFixed(0)}%`]),
  );
  console.log('');
  printTable(
    ['model', 'without (samples per main-thread CPU-s)', 'with prior', 'ratio', 'main-thread prior', 'ratio'],
    results.map((r) => [r.name, med(r.without, 'main'), med(r.with, 'main'), ratio(r, 'main'), med(r.sync, 'main'), ratio(r, 'main', 'sync')]),
  );
  console.log(`ratio = median over rounds of (with / without) in the same round; target >= ${TARGET} (wall).`);
  console.log('"with prior" is the default (prior on a worker thread during the forward pass); "main-thread prior" is parallel: false.');
  console.log('CPU counts all threads of the process: the worker overlaps, it does not make the prior cheaper.');
  console.log('Main-thread CPU (Linux only): what bounds the wall time when the second core is free for the worker.');
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
      mainThreadSamplesPerSec: med(r.sync, 'wall'),
      mainThreadRatio: ratio(r, 'wall', 'sync'),
      mainThreadSamplesPerCpuSec: med(r.sync, 'cpu'),
      mainThreadRatioCpu: ratio(r, 'cpu', 'sync'),
      workerShare: r.parallelShare,
      withoutSamplesPerMainThreadCpuSec: med(r.without, 'main'),
      withSamplesPerMainThreadCpuSec: med(r.with, 'main'),
      ratioMainThreadCpu: ratio(r, 'main'),
      mainThreadPriorRatioMainThreadCpu: ratio(r, 'main', 'sync'),
    })),
  };
  console.log(`BENCH_JSON ${JSON.stringify(json)}`);
}

void main();
