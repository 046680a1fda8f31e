// Test helpers for the worker-thread prior: a seeded MLP and data, and a short model.fit with the prior attached.
import * as tf from '@tensorflow/tfjs';
import { GaussianMixturePrior, type GaussianMixturePriorOptions } from '../../index.js';
import { gaussian, rng } from './random.js';

/** A seeded MLP (a 2560-weight kernel takes the table path, the 192-weight one the exact path) and data. */
export function setup(seed: number): { model: tf.LayersModel; x: tf.Tensor2D; y: tf.Tensor2D } {
  const r = rng(seed);
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 64, activation: 'relu', inputShape: [40] }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  model.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => gaussian(r) * 0.2), w.shape)));
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(Float32Array.from({ length: 64 * 40 }, () => gaussian(r)), [64, 40]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: 64 }, () => Math.floor(r() * 3)), 'int32'), 3) as tf.Tensor2D;
  return { model, x, y };
}

/** The prior's options in these tests: 5 components, biases covered, a tau warm-up, fast mixture learning rates. */
export const OPTIONS: GaussianMixturePriorOptions = {
  datasetSize: 64,
  tau: 2,
  components: 5,
  includeBiases: true,
  tauWarmup: { steps: 3 },
  learningRates: { means: 3e-3, logPrecisions: 1e-2, mixingLogits: 1e-2 },
};

/** Trains a fresh seeded model for 2 epochs of 4 batches; `extra` callbacks run after the prior's. */
export async function train(
  parallel: 'auto' | false,
  extra: (model: tf.LayersModel) => tf.Callback[] = () => [],
): Promise<{ weights: Float32Array[]; state: ReturnType<GaussianMixturePrior['state']>; parallelEvaluations: number; deferredEvaluations: number; mainThreadDeferred: number; inPlaceJobs: number; inPlaceGradients: number; steps: number }> {
  const { model, x, y } = setup(7);
  const prior = new GaussianMixturePrior({ ...OPTIONS, parallel }).attach(model);
  await model.fit(x, y, { batchSize: 16, epochs: 2, shuffle: false, verbose: 0, callbacks: [prior.callback(), ...extra(model)] });
  const out = {
    weights: model.getWeights().map((w) => Float32Array.from(w.dataSync())),
    state: prior.state(),
    parallelEvaluations: prior.parallelEvaluations,
    deferredEvaluations: prior.parallelDeferredEvaluations,
    mainThreadDeferred: prior.mainThreadDeferredEvaluations,
    inPlaceJobs: prior.parallelInPlaceJobs,
    inPlaceGradients: prior.parallelInPlaceGradients,
    steps: prior.step,
  };
  prior.detach();
  tf.dispose([x, y]);
  model.dispose();
  return out;
}


/**
 * A callback to run after the prior's: it rescales the first layer's kernel at every other batch start, so the
 * worker's result for that tensor is stale then and must not be used.
 */
export function meddle(model: tf.LayersModel): tf.Callback[] {
  let batch = 0;
  return [
    new tf.CustomCallback({
      onBatchBegin: async () => {
        if (batch++ % 2 === 0) {
          const v = (model.layers[0] as unknown as { kernel: tf.LayerVariable }).kernel;
          v.write(tf.tidy(() => tf.mul(v.read(), 0.99)));
        }
      },
    }) as unknown as tf.Callback,
  ];
}
