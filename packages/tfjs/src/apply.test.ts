// applyCompressed and fromCompressed: quantized weights written back, models rebuilt from a CompressedModel alone.
import * as tf from '@tensorflow/tfjs';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphValidationError, type CompressedModel } from '@softweight/core';
import { applyCompressed, fromCompressed, lenet300100, lenet5Caffe, smallResNet, toGraph, WeightMismatchError } from './index.js';
import { randomData, setUpBackends } from './kernels/test-utils/backends.js';

before(setUpBackends);

const CODEBOOK = new Float32Array([0, -0.08, -0.03, 0.03, 0.08]);

/** A CompressedModel of `model`: kernels snapped to the nearest codebook value (if `quantize`), the rest float. */
function compress(model: tf.LayersModel, quantize: boolean): CompressedModel {
  const { graph, weights } = toGraph(model);
  const compressed: CompressedModel = { graph, codebooks: [{ name: 'shared', values: CODEBOOK, zeroIndex: 0 }], quantized: [], float: [] };
  for (const [name, w] of weights) {
    if (!quantize || !/kernel$/.test(name)) {
      compressed.float.push({ name, shape: w.shape, values: w.values });
      continue;
    }
    const indices = new Uint16Array(w.values.length);
    for (let i = 0; i < indices.length; i++) {
      let best = 0;
      for (let k = 1; k < CODEBOOK.length; k++) if (Math.abs(CODEBOOK[k]! - w.values[i]!) < Math.abs(CODEBOOK[best]! - w.values[i]!)) best = k;
      indices[i] = best;
    }
    compressed.quantized.push({ name, shape: w.shape, codebook: 'shared', indices });
  }
  if (!quantize) compressed.codebooks = [];
  return compressed;
}

function predict(model: tf.LayersModel, shape: number[]): Float32Array {
  return tf.tidy(() => {
    const x = randomData(shape, 5);
    return new Float32Array((model.predict(tf.tensor(x.values, x.shape)) as tf.Tensor).dataSync());
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

test('fromCompressed of an unquantized model predicts what the original predicts', () => {
  for (const [model, shape] of [
    [lenet300100({ seed: 1 }), [4, 784]],
    [lenet5Caffe({ seed: 2 }), [3, 28, 28, 1]],
    [smallResNet({ seed: 3, inputShape: [8, 8, 3], filters: 4 }), [3, 8, 8, 3]],
  ] as const) {
    const before = tf.memory().numTensors;
    const rebuilt = fromCompressed(compress(model, false));
    assert.ok(maxDiff(predict(rebuilt, [...shape]), predict(model, [...shape])) < 1e-6, model.name);
    rebuilt.dispose();
    assert.equal(tf.memory().numTensors, before, `${model.name}: fromCompressed + dispose leaks`);
    model.dispose();
  }
});

test('applyCompressed writes the dequantized weights; fromCompressed rebuilds the same quantized network', () => {
  const model = lenet5Caffe({ seed: 4 });
  const original = predict(model, [3, 28, 28, 1]);
  const compressed = compress(model, true);
  const before = tf.memory().numTensors;
  applyCompressed(model, compressed);
  assert.equal(tf.memory().numTensors, before, 'applyCompressed leaks tensors');
  const kernel = model.getLayer('fc1').getWeights()[0]!.dataSync();
  assert.ok(kernel.every((v) => CODEBOOK.includes(v)), 'fc1 kernel holds only codebook values');
  const quantized = predict(model, [3, 28, 28, 1]);
  assert.ok(maxDiff(quantized, original) > 1e-4, 'quantization changed the predictions');
  const rebuilt = fromCompressed(compressed);
  assert.ok(maxDiff(predict(rebuilt, [3, 28, 28, 1]), quantized) < 1e-6);
  rebuilt.dispose();
  model.dispose();
});

test('applyCompressed names every missing, unknown and mis-shaped tensor, and writes nothing', () => {
  const target = lenet300100({ seed: 5, classes: 5 });
  const source = lenet300100({ seed: 6, classes: 10 });
  const kernelBefore = target.getLayer('fc1').getWeights()[0]!.dataSync().slice();
  assert.throws(() => applyCompressed(target, compress(source, true)), (err: unknown) => {
    assert.ok(err instanceof WeightMismatchError);
    assert.deepEqual(err.shapes.map((s) => s.name), ['fc3/kernel', 'fc3/bias']);
    assert.deepEqual(err.shapes[0]!.model, [100, 5]);
    assert.match(err.message, /"fc3\/kernel" has shape \[100, 10\] in the compressed model but \[100, 5\]/);
    return true;
  });
  assert.deepEqual(target.getLayer('fc1').getWeights()[0]!.dataSync(), kernelBefore);
  const conv = lenet5Caffe({ seed: 7 });
  assert.throws(() => applyCompressed(conv, compress(source, false)), (err: unknown) => {
    assert.ok(err instanceof WeightMismatchError);
    assert.ok(err.missing.includes('conv1/kernel'));
    assert.ok(err.unknown.length === 0 || err.unknown.every((n) => !n.startsWith('conv')));
    return true;
  });
  [target, source, conv].forEach((m) => m.dispose());
});

test('a malformed CompressedModel is rejected by core validation before anything is written', () => {
  const model = lenet300100({ seed: 8 });
  const compressed = compress(model, false);
  compressed.float = compressed.float.filter((t) => t.name !== 'fc2/bias');
  assert.throws(() => applyCompressed(model, compressed), GraphValidationError);
  assert.throws(() => fromCompressed(compressed), GraphValidationError);
  model.dispose();
});
