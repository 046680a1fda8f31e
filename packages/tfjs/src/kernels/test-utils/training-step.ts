// Test helper: one training step's gradients on the cpu backend and on wasm, compared weight by weight.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { namedWeights } from '../../graph.js';
import { assertClose, on, randomData, type Data } from './backends.js';

/** Cross-entropy gradients of every trainable weight after one forward/backward pass in training mode. */
function gradients(model: tf.LayersModel, x: Data, labels: number[], classes: number): Map<string, Data> {
  const out = new Map<string, Data>();
  tf.tidy(() => {
    const xs = tf.tensor(x.values, x.shape);
    const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar);
    for (const w of namedWeights(model)) {
      const g = grads[w.variable.name];
      if (g !== undefined) out.set(w.name, { shape: [...g.shape], values: new Float32Array(g.dataSync()) });
    }
  });
  return out;
}

/** Compares one step's gradients on cpu and wasm within `tol`; returns how many weight tensors were compared. */
export async function compareTrainingStep(model: tf.LayersModel, inputShape: number[], classes: number, tol: number): Promise<number> {
  const x = randomData(inputShape, 7);
  for (let i = 0; i < x.values.length; i++) x.values[i] = 0.5 * (x.values[i]! + 1); // inputs in [0, 1) like MNIST
  const labels = Array.from({ length: inputShape[0]! }, (_, i) => i % classes);
  const expected = await on('cpu', () => gradients(model, x, labels, classes));
  const actual = await on('wasm', () => gradients(model, x, labels, classes));
  assert.ok(expected.size > 0);
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [name, g] of expected) assertClose(actual.get(name)!, g, tol, `gradient of ${name}`);
  return expected.size;
}

