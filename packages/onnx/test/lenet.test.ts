// The acceptance check: LeNet-300-100, LeNet-5-Caffe and a residual net agree with tfjs in onnxruntime.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { agreement, reference } from './support/agree.js';
import { lenet300100Graph, lenet5CaffeGraph, quantizeRandomly, residualGraph, tfjsModel } from './support/models.js';

const COUNT = 500;

before(async () => {
  await tf.setBackend('cpu');
});

for (const [label, graph] of [
  ['LeNet-300-100', lenet300100Graph()],
  ['LeNet-5-Caffe', lenet5CaffeGraph()],
  ['residual (conv + batch-norm + add + global average pooling + dense)', residualGraph()],
] as const) {
  describe(label, () => {
    const model = quantizeRandomly(graph, { seed: 7, codes: 16, pruned: 0.9 });
    let ref: ReturnType<typeof reference>;
    before(() => {
      const m = tfjsModel(model);
      ref = reference(model, m, COUNT, 11);
      m.dispose();
    });
    for (const weights of ['dense', 'codebook'] as const) {
      test(`${weights} weights: onnxruntime matches tfjs within 1e-4 and in argmax on ${COUNT} inputs`, async () => {
        const a = await agreement(model, { weights }, ref, COUNT);
        for (const out of a.outputs) {
          assert.ok(out.maxAbs <= 1e-4, `${out.name}: max abs difference ${out.maxAbs}`);
          assert.equal(out.argmaxMismatches, 0, `${out.name}: argmax differs on ${out.argmaxMismatches} inputs`);
        }
      });
    }
  });
}
