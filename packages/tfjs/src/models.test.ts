// The model builders: paper sizes, and one training step on wasm giving the cpu backend's gradients.
import * as tf from '@tensorflow/tfjs';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lenet300100, lenet5Caffe, namedWeights, smallResNet } from './index.js';
import { on, setUpBackends } from './kernels/test-utils/backends.js';
import { compareTrainingStep } from './kernels/test-utils/training-step.js';

before(setUpBackends);

function counts(model: tf.LayersModel): { kernels: number; biases: number } {
  let kernels = 0;
  let biases = 0;
  for (const w of namedWeights(model)) {
    const n = w.variable.shape.reduce((p: number, d) => p * (d ?? 1), 1);
    if (w.role === 'kernel') kernels += n;
    if (w.role === 'bias') biases += n;
  }
  return { kernels, biases };
}

test('LeNet-300-100 and LeNet-5-Caffe have the paper sizes (PAPER.md section 6)', () => {
  const a = lenet300100();
  const b = lenet5Caffe();
  const c = lenet300100({ imageInput: true });
  assert.deepEqual(counts(a), { kernels: 266_200, biases: 410 });
  assert.deepEqual(counts(b), { kernels: 430_500, biases: 580 });
  assert.deepEqual(c.inputs[0]!.shape, [null, 28, 28, 1]);
  assert.deepEqual(b.layers.map((l) => l.name), ['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'fc1', 'fc2']);
  // No ReLU after the convolutions, as in Caffe.
  assert.equal(b.getLayer('conv1').getConfig()['activation'], 'linear');
  assert.equal(b.getLayer('conv2').getConfig()['activation'], 'linear');
  [a, b, c].forEach((m) => m.dispose());
});

// Gradients of a whole network accumulate more float32 rounding than single kernels: 1e-4 of the largest entry.
const STEP_TOL = 1e-4;

test('LeNet-5-Caffe: one training step on wasm gives the cpu gradients', async () => {
  const model = lenet5Caffe({ seed: 1 });
  assert.equal(await compareTrainingStep(model, [4, 28, 28, 1], 10, STEP_TOL), 8);
  model.dispose();
});

test('LeNet-300-100: one training step on wasm gives the cpu gradients', async () => {
  const model = lenet300100({ seed: 2 });
  assert.equal(await compareTrainingStep(model, [16, 784], 10, STEP_TOL), 6);
  model.dispose();
});

test('small ResNet with BatchNorm: one training step on wasm gives the cpu gradients', async () => {
  const model = smallResNet({ seed: 3, inputShape: [12, 12, 3], filters: 4, stages: 2 });
  const n = await compareTrainingStep(model, [6, 12, 12, 3], 10, STEP_TOL);
  assert.ok(n >= 12, `${n} trainable tensors`);
  model.dispose();
});

test('model.fit on wasm leaks no tensors across epochs', async () => {
  await on('wasm', async () => {
    const model = lenet5Caffe({ seed: 4 });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const xs = tf.randomUniform([16, 28, 28, 1]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10);
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0 });
    const tensors = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0 });
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(tf.engine().backend.numDataIds(), dataIds);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
