// Fixture for parallel.test.ts: trains with the prior on the worker thread and never detaches; the process must still exit.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { GaussianMixturePrior } from '../../index.js';

await tf.setBackend(process.argv[2] ?? 'cpu');
const model = tf.sequential();
model.add(tf.layers.dense({ units: 64, activation: 'relu', inputShape: [40] }));
model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
const x = tf.randomNormal([64, 40], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.randomUniform([64], 0, 3, 'int32', 2) as tf.Tensor1D, 3);
const prior = new GaussianMixturePrior({ datasetSize: 64 }).attach(model);
await model.fit(x, y, { batchSize: 16, epochs: 2, verbose: 0, callbacks: [prior.callback()] });
console.log(`parallel evaluations ${prior.parallelEvaluations}`);
