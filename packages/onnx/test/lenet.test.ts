// The acceptance check, through the real tfjs adapter: LeNet-300-100, LeNet-5-Caffe and a functional
// residual net, quantized, agree between tfjs and onnxruntime-node on 500 inputs in both weight modes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { lenet300100, lenet5Caffe } from '@softweight/tfjs';
import { agreement, reference } from './support/agree.js';
import { compressTfjsModel } from './support/pipeline.js';

const COUNT = 500;

before(async () => {
  await tf.setBackend('cpu');
});

/** conv + batch-norm + relu, a skip connection (add), global average pooling, dense softmax. */
function residual(): tf.LayersModel {
  const x = tf.input({ name: 'x', shape: [12, 12, 3] });
  const apply = (layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor => layer.apply(input) as tf.SymbolicTensor;
  const stem = apply(tf.layers.conv2d({ name: 'stem', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }), x);
  let y = apply(tf.layers.conv2d({ name: 'c1', filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }), stem);
  y = apply(tf.layers.batchNormalization({ name: 'bn1', movingMeanInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: 3 }), movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 4 }), gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 5 }), betaInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 6 }) }), y);
  y = apply(tf.layers.activation({ name: 'relu1', activation: 'relu' }), y);
  const sum = apply(tf.layers.add({ name: 'skip' }), [y, stem]);
  const gap = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), sum);
  const out = apply(tf.layers.dense({ name: 'logits', units: 5, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }), gap);
  return tf.model({ name: 'residual', inputs: x, outputs: out });
}

const CASES: [string, () => tf.LayersModel, number][] = [
  ['LeNet-300-100', () => lenet300100({ imageInput: true, seed: 1 }), 0.05],
  ['LeNet-5-Caffe', () => lenet5Caffe({ seed: 2 }), 0.1],
  ['residual (conv + batch-norm + add + global average pooling + dense)', residual, 0.5],
];

for (const [label, build, nonZero] of CASES) {
  describe(label, () => {
    let model: tf.LayersModel;
    let compressed: ReturnType<typeof compressTfjsModel>;
    let ref: ReturnType<typeof reference>;
    before(() => {
      model = build();
      compressed = compressTfjsModel(model, { codes: 16, nonZero });
      ref = reference(compressed, model, COUNT, 11);
    });
    after(() => model.dispose());
    for (const weights of ['dense', 'codebook'] as const) {
      test(`${weights} weights: onnxruntime matches tfjs within 1e-4 and in argmax on ${COUNT} inputs`, async () => {
        const a = await agreement(compressed, { weights }, ref, COUNT);
        for (const out of a.outputs) {
          assert.ok(out.maxAbs <= 1e-4, `${out.name}: max abs difference ${out.maxAbs}`);
          assert.equal(out.argmaxMismatches, 0, `${out.name}: argmax differs on ${out.argmaxMismatches} inputs`);
        }
      });
    }
  });
}
