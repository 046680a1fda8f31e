// The shared epoch loop (pretrain and compress): seeded shuffling, fitDataset over typed-array batches, evaluation.
import * as tf from '@tensorflow/tfjs';
import type { Split } from './data.js';
import { epochPermutation } from './rng.js';

/** What one epoch of training needs. */
export interface EpochOptions {
  batchSize: number;
  seed: number;
  /** 0-based epoch index (selects the shuffle). */
  epoch: number;
  /** Input shape with batch dim -1, e.g. `[-1, 784]`. */
  inputShape: number[];
  /** Extra tfjs callbacks (e.g. the prior's). */
  callbacks?: tf.Callback[];
  /** Called after each batch with the running mean loss. */
  onBatch?: (batch: number, loss: number) => void;
}

/** Number of batches per epoch. */
export function batchesPerEpoch(n: number, batchSize: number): number {
  return Math.ceil(n / batchSize);
}

/** Trains `model` (already compiled) for one epoch in a seeded order; returns the mean training loss. */
export async function trainEpoch(model: tf.LayersModel, split: Split, opts: EpochOptions): Promise<number> {
  const order = epochPermutation(split.count, opts.seed, opts.epoch);
  const per = split.images.length / split.count;
  const nb = batchesPerEpoch(split.count, opts.batchSize);
  const featShape = opts.inputShape.slice(1);
  function* batches(): Generator<tf.TensorContainer> {
    for (let b = 0; b < nb; b++) {
      const start = b * opts.batchSize;
      const end = Math.min(split.count, start + opts.batchSize);
      const m = end - start;
      const xs = new Float32Array(m * per);
      const ys = new Float32Array(m);
      for (let i = 0; i < m; i++) {
        const s = order[start + i] as number;
        xs.set(split.images.subarray(s * per, (s + 1) * per), i * per);
        ys[i] = split.labels[s] as number;
      }
      yield { xs: tf.tensor(xs, [m, ...featShape]), ys: tf.tensor1d(ys) };
    }
  }
  let sum = 0;
  let seen = 0;
  const own = new tf.CustomCallback({
    onBatchEnd: async (batch, logs) => {
      const loss = logs?.loss ?? NaN;
      sum += loss;
      seen += 1;
      opts.onBatch?.(batch + 1, sum / seen);
    },
  });
  const ds = tf.data.generator(batches);
  await model.fitDataset(ds, { epochs: 1, batchesPerEpoch: nb, verbose: 0, callbacks: [...(opts.callbacks ?? []), own] });
  return sum / Math.max(1, seen);
}

/** Test error in percent (argmax of the model output vs labels), in batches. */
export function evaluateError(model: tf.LayersModel, split: Split, inputShape: number[], batchSize = 1000): number {
  const per = split.images.length / split.count;
  let wrong = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const m = Math.min(batchSize, split.count - start);
    const pred = tf.tidy(() => {
      const x = tf.tensor(split.images.subarray(start * per, (start + m) * per), [m, ...inputShape.slice(1)]);
      const out = model.predict(x) as tf.Tensor;
      return out.argMax(-1);
    });
    const arg = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < m; i++) if (arg[i] !== split.labels[start + i]) wrong += 1;
  }
  return (100 * wrong) / Math.max(1, split.count);
}
