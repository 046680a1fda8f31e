// Benchmark: model.fit samples/s with the GaussianMixturePrior attached vs without, same model, same backend (wasm).
// LeNet-300-100 (batch 128) and LeNet-5-Caffe (batch 64), measured side by side in one run: without the prior,
// with it (default: computed on a worker thread during the forward and backward passes), and with it on the main thread
// (parallel: false); each at the start of retraining (the paper's initial mixture over the pretrained weights) and
// late in retraining (a sharp mixture: the one a LeNet-300-100 demo run ended with, weights drawn from it).
// A fourth model, "floor", carries a regularizer that does no prior work at all: it hands tfjs a precomputed constant
// gradient for the same kernels, so it costs what delivering any per-weight gradient through a regularizer costs
// (the penalty scalars, their gradient tensors, the additions). A fifth, "A/A control", is a second model without
// the prior, measured against the first like the others: its ratio shows the measurement's own noise.
// How it is timed: this machine's speed drifts by up to 30% over seconds (the same epoch of the same model, run
// again, measured 11.6 to 15.2 ms per step), so the variants are interleaved finely: many short rounds, each one
// epoch of BENCH_BATCHES batches per variant in a fresh random order, each step timed from its onBatchBegin to the
// next (the timer is the first callback, so the prior's callback work counts in its step). A ratio is taken within
// a round and the median over rounds is reported.
// The CPU columns count every thread of the process, so they include the worker's work.
import * as tf from '@tensorflow/tfjs';
import { seededRandom, type MixtureState } from '@softweight/core';
import { GaussianMixturePrior, lenet300100, lenet5Caffe, registerWasmTrainingKernels, useWasmBackend } from '@softweight/tfjs';
import { loadAverage, median, printTable, shuffled, stepTimedFit, syntheticMnist, useWasm, type Throughput } from './tfjs-bench-util.js';

/** Rounds per model (BENCH_ROUNDS overrides both): enough that the median ratio's run-to-run spread is about 0.01. */
const ROUNDS_OVERRIDE = process.env['BENCH_ROUNDS'] === undefined ? null : Number(process.env['BENCH_ROUNDS']);
/** Batches per variant per round: short, so that a round's variants run within about 0.1 s (LeNet-300-100) of each other. */
const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 2);
/** BENCH_MODELS=lenet-300: only the models whose name contains one of the comma-separated words (case-insensitive). */
const MODELS = (process.env['BENCH_MODELS'] ?? '').toLowerCase().split(',').filter((w) => w !== '');
const TARGET = 0.95;

/** The mixture a LeNet-300-100 demo run (`npm run demo`, tau 0.02) ended with after 15 epochs: zero component sigma 0.004, others 0.014-0.025. */
const LATE_MIXTURE: MixtureState = {
  means: Float64Array.from([0, -0.320551, -0.555884, -0.199197, -0.407743, -0.405849, -0.089921, 0.061208, 0.113482, 0.147426, 0.113482, 0.061281, 0.081647, 0.548862, 0.409505, 0.205358, 0.307602]),
  logPrecisions: Float64Array.from([11.070153, 8.483664, 7.769827, 7.652296, 7.826407, 7.900116, 7.491561, 7.824089, 7.82522, 7.675366, 7.82492, 7.82367, 7.633056, 7.828722, 7.888709, 7.567465, 8.05568]),
  mixingLogits: Float64Array.from([0, 1.860082, -0.359966, 2.43814, -1.455146, 0.762902, 2.682043, -2.149326, -0.737475, 2.651042, -0.798846, -2.257561, 2.857682, -2.001107, 0.036482, 2.243507, 1.471303]),
  zeroIndex: 0,
  pi0: 0.999,
  learnPi0: false,
};

/** Overwrites every covered kernel with draws from LATE_MIXTURE (95% from the zero component, as after retraining). */
function drawLateWeights(prior: GaussianMixturePrior, model: tf.LayersModel): void {
  const rand = seededRandom(3);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const m = LATE_MIXTURE;
  const p = Array.from(m.mixingLogits.slice(1), Math.exp);
  const total = p.reduce((a, b) => a + b, 0);
  const names = new Set(prior.covered.map((c) => c.name));
  for (const w of model.weights.filter((v) => names.has(v.name))) {
    const shape = w.shape as number[];
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
      let j = 0;
      if (rand() >= 0.95) {
        let u = rand() * total;
        j = 1;
        while (j < p.length && (u -= p[j - 1]!) > 0) j++;
      }
      return m.means[j]! + normal() * Math.exp(-0.5 * m.logPrecisions[j]!);
    });
    const t = tf.tensor(values, shape);
    w.write(t);
    t.dispose();
  }
}

/** tfjs-layers' (unexported) Regularizer base class. */
const RegularizerBase = Object.getPrototypeOf(tf.regularizers.l1l2().constructor) as new () => object;

/** The "floor": a regularizer with a constant penalty whose gradient is a precomputed constant tensor's values. */
class ConstantGradientRegularizer extends RegularizerBase {
  private readonly gradient: Float32Array;
  constructor(size: number) {
    super();
    this.gradient = new Float32Array(size).fill(1e-7);
  }
  apply(x: tf.Tensor): tf.Scalar {
    const gradient = this.gradient;
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const shape = (args[0] as tf.Tensor).shape;
      return {
        value: tf.scalar(0.5),
        gradFunc: (dy: tf.Tensor) => {
          dy.dataSync();
          return tf.tensor(gradient, shape, 'float32');
        },
      };
    });
    return f(x) as tf.Scalar;
  }
  getConfig(): Record<string, never> {
    return {};
  }
}

/** Puts a ConstantGradientRegularizer on every kernel the prior would cover (the same losses hook the prior uses). */
function attachFloor(model: tf.LayersModel, covered: readonly string[]): void {
  const names = new Set(covered);
  let attached = 0;
  for (const layer of model.layers) {
    for (const v of layer.trainableWeights.filter((w) => names.has(w.name))) {
      const reg = new ConstantGradientRegularizer((v.shape as number[]).reduce((a, b) => a * b, 1));
      (layer.losses as Array<() => tf.Scalar>).push(() => reg.apply(v.read()));
      attached++;
    }
  }
  if (attached !== covered.length) throw new Error(`floor regularizer: attached to ${attached} of ${covered.length} kernels`);
}

type Measured = Throughput;

/** One timed epoch. */
function timedFit(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, batchSize: number, callbacks: tf.Callback[] = []): Promise<Measured> {
  return stepTimedFit(model, x, y, batchSize, callbacks);
}

interface Case {
  name: string;
  batchSize: number;
  rounds: number;
  inputShape: number[];
  build: () => tf.Sequential;
}

const CASES: Case[] = [
  { name: 'LeNet-300-100', batchSize: 128, rounds: 240, inputShape: [784], build: () => lenet300100({ seed: 1 }) },
  { name: 'LeNet-5-Caffe', batchSize: 64, rounds: 80, inputShape: [28, 28, 1], build: () => lenet5Caffe({ seed: 1 }) },
];

interface Result {
  name: string;
  batchSize: number;
  rounds: number;
  weights: number;
  without: Measured[];
  with: Measured[];
  sync: Measured[];
  floor: Measured[];
  lateWith: Measured[];
  lateSync: Measured[];
  /** A second model without the prior (A/A): its ratio to "without" shows the measurement's own noise. */
  control: Measured[];
  /** Covered-tensor evaluations the worker thread did, out of all in the timed epochs (initial, late). */
  parallelShare: number;
  lateParallelShare: number;
}

async function measure(c: Case): Promise<Result> {
  const n = BATCHES * c.batchSize;
  const { x, y } = syntheticMnist(n, c.inputShape);
  const compile = (m: tf.LayersModel) => m.compile({ optimizer: tf.train.adam(5e-4), loss: 'categoricalCrossentropy' });
  // Same seed: the same weights in every model.
  const [plain, regularized, synchronous, floor, late, lateSynchronous, control] = Array.from({ length: 7 }, () => c.build());
  [plain, regularized, synchronous, floor, late, lateSynchronous, control].forEach((m) => compile(m!));
  // The paper's setting: MNIST's 60000 training examples, default tau, 17 components, Dense and Conv kernels.
  const prior = new GaussianMixturePrior({ datasetSize: 60000 }).attach(regularized!);
  const syncPrior = new GaussianMixturePrior({ datasetSize: 60000, parallel: false }).attach(synchronous!);
  const latePrior = new GaussianMixturePrior({ datasetSize: 60000 }).attach(late!);
  const lateSyncPrior = new GaussianMixturePrior({ datasetSize: 60000, parallel: false }).attach(lateSynchronous!);
  for (const [p, m] of [[latePrior, late!], [lateSyncPrior, lateSynchronous!]] as const) {
    drawLateWeights(p, m);
    p.setState(LATE_MIXTURE);
  }
  // The floor covers the same kernels: ask a prior which (variable names differ from model to model), then detach it.
  const probe = new GaussianMixturePrior({ datasetSize: 60000, parallel: false }).attach(floor!);
  const floorCovered = probe.covered.map((w) => w.name);
  probe.detach();
  attachFloor(floor!, floorCovered);
  const runs: Array<[tf.LayersModel, tf.Callback[], keyof Pick<Result, 'without' | 'with' | 'sync' | 'floor' | 'lateWith' | 'lateSync' | 'control'>]> = [
    [plain!, [], 'without'],
    [control!, [], 'control'],
    [regularized!, [prior.callback()], 'with'],
    [synchronous!, [syncPrior.callback()], 'sync'],
    [floor!, [], 'floor'],
    [late!, [latePrior.callback()], 'lateWith'],
    [lateSynchronous!, [lateSyncPrior.callback()], 'lateSync'],
  ];
  const warm = { x: x.slice(0, 2 * c.batchSize), y: y.slice(0, 2 * c.batchSize) };
  for (const [m, cb] of runs) await timedFit(m, warm.x, warm.y, c.batchSize, cb);
  const evaluations0 = prior.parallelEvaluations;
  const lateEvaluations0 = latePrior.parallelEvaluations;
  const rounds = ROUNDS_OVERRIDE ?? c.rounds;
  const result: Result = {
    name: c.name,
    batchSize: c.batchSize,
    rounds,
    weights: prior.covered.reduce((s, w) => s + w.size, 0),
    without: [],
    control: [],
    with: [],
    sync: [],
    floor: [],
    lateWith: [],
    lateSync: [],
    parallelShare: 0,
    lateParallelShare: 0,
  };
  // Interleave finely, in a new order every round, so that the machine's drifts hit all variants alike.
  const rand = seededRandom(11);
  for (let r = 0; r < rounds; r++) for (const [m, cb, key] of shuffled(runs, rand)) result[key].push(await timedFit(m, x, y, c.batchSize, cb));
  const evaluations = rounds * BATCHES * prior.covered.length;
  result.parallelShare = (prior.parallelEvaluations - evaluations0) / evaluations;
  result.lateParallelShare = (latePrior.parallelEvaluations - lateEvaluations0) / evaluations;
  for (const p of [prior, syncPrior, latePrior, lateSyncPrior]) p.detach();
  tf.dispose([x, y, warm.x, warm.y]);
  for (const [m] of runs) m.dispose();
  return result;
}

/** BENCH_THREADS=n: measure on tfjs's threaded wasm build with n threads (default: the single-threaded build). */
const THREADS = process.env['BENCH_THREADS'] === undefined ? null : Number(process.env['BENCH_THREADS']);

async function main(): Promise<void> {
  if (THREADS === null) await useWasm();
  else await useWasmBackend({ threads: THREADS });
  registerWasmTrainingKernels();
  const results: Result[] = [];
  const cases = CASES.filter((c) => MODELS.length === 0 || MODELS.some((w) => c.name.toLowerCase().includes(w)));
  if (cases.length === 0) throw new Error(`BENCH_MODELS=${process.env['BENCH_MODELS']}: matches none of ${CASES.map((c) => c.name).join(', ')}`);
  for (const c of cases) results.push(await measure(c));
  const load = await loadAverage();

  console.log(`model.fit with vs without the GaussianMixturePrior on wasm (${THREADS === null ? 'single-threaded build' : `threaded build, ${THREADS} thread(s)`}), rounds of ${BATCHES} batches per variant in random order (${results.map((r) => `${r.name} ${r.rounds}`).join(', ')} rounds), steps timed, synthetic data`);
  console.log(`load average (1 min) at the end: ${load?.toFixed(2) ?? 'n/a'} (other jobs share the 2-core machine)`);
  type Key = 'with' | 'sync' | 'floor' | 'lateWith' | 'lateSync' | 'control';
  const med = (xs: Measured[], k: keyof Measured) => median(xs.map((t) => t[k]));
  const ratio = (r: Result, k: keyof Measured, w: Key = 'with') => median(r[w].map((t, i) => t[k] / r.without[i]![k]));
  printTable(
    ['model', 'batch', 'covered weights', 'without (samples/s)', 'with prior', 'ratio', 'main-thread prior', 'ratio', 'floor', 'ratio', 'A/A ratio'],
    results.map((r) => [r.name, r.batchSize, r.weights, med(r.without, 'wall'), med(r.with, 'wall'), ratio(r, 'wall'), med(r.sync, 'wall'), ratio(r, 'wall', 'sync'), med(r.floor, 'wall'), ratio(r, 'wall', 'floor'), ratio(r, 'wall', 'control')]),
  );
  console.log('');
  console.log('late in retraining (sharp mixture, clustered weights):');
  printTable(
    ['model', 'without (samples/s)', 'with prior', 'ratio', 'main-thread prior', 'ratio', 'on worker'],
    results.map((r) => [r.name, med(r.without, 'wall'), med(r.lateWith, 'wall'), ratio(r, 'wall', 'lateWith'), med(r.lateSync, 'wall'), ratio(r, 'wall', 'lateSync'), `${(100 * r.lateParallelShare).toFixed(0)}%`]),
  );
  console.log('');
  printTable(
    ['model', 'without (samples/CPU-s)', 'with prior', 'ratio (CPU)', 'main-thread prior', 'ratio (CPU)', 'on worker'],
    results.map((r) => [r.name, med(r.without, 'cpu'), med(r.with, 'cpu'), ratio(r, 'cpu'), med(r.sync, 'cpu'), ratio(r, 'cpu', 'sync'), `${(100 * r.parallelShare).toFixed(0)}%`]),
  );
  console.log(`ratio = median over rounds of (with / without) in the same round, wall clock; target >= ${TARGET}.`);
  console.log('"with prior" is the default (prior on a worker thread during the forward and backward passes); "main-thread prior" is parallel: false.');
  console.log('"floor": a regularizer doing no prior work that hands tfjs a constant gradient for the same kernels: what delivering any per-weight gradient through a regularizer costs.');
  console.log('"A/A": a second model without the prior against the first: 1 up to the measurement\'s own noise.');
  console.log('CPU counts all threads of the process: the worker overlaps, it does not make the prior cheaper.');
  const json = {
    bench: 'tfjs-prior-overhead',
    backend: 'wasm',
    batchesPerEpoch: BATCHES,
    loadAverage1m: load,
    target: TARGET,
    // The headline figures at the top level (scripts/bench-all.mjs prints those): ratio at the start and late in retraining.
    ...Object.fromEntries(results.flatMap((r) => [[`${r.name} ratio`, ratio(r, 'wall')], [`${r.name} late ratio`, ratio(r, 'wall', 'lateWith')]])),
    models: results.map((r) => ({
      model: r.name,
      batchSize: r.batchSize,
      rounds: r.rounds,
      coveredWeights: r.weights,
      withoutSamplesPerSec: med(r.without, 'wall'),
      withSamplesPerSec: med(r.with, 'wall'),
      ratio: ratio(r, 'wall'),
      mainThreadSamplesPerSec: med(r.sync, 'wall'),
      mainThreadRatio: ratio(r, 'wall', 'sync'),
      floorSamplesPerSec: med(r.floor, 'wall'),
      floorRatio: ratio(r, 'wall', 'floor'),
      controlRatio: ratio(r, 'wall', 'control'),
      lateWithSamplesPerSec: med(r.lateWith, 'wall'),
      lateRatio: ratio(r, 'wall', 'lateWith'),
      lateMainThreadSamplesPerSec: med(r.lateSync, 'wall'),
      lateMainThreadRatio: ratio(r, 'wall', 'lateSync'),
      withoutSamplesPerCpuSec: med(r.without, 'cpu'),
      withSamplesPerCpuSec: med(r.with, 'cpu'),
      ratioCpu: ratio(r, 'cpu'),
      mainThreadRatioCpu: ratio(r, 'cpu', 'sync'),
      workerShare: r.parallelShare,
      lateWorkerShare: r.lateParallelShare,
    })),
  };
  console.log(`BENCH_JSON ${JSON.stringify(json)}`);
}

void main();
