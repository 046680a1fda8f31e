// On tfjs's threaded wasm build (shared heap) the prior's worker reads the covered weights in place: the same
// parameters bit for bit as the synchronous path, every job in place; it writes each gradient straight into a
// tfjs tensor there, with no tensor leaks.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels, useWasmBackend, wasmSharedHeap } from '../index.js';
import { meddle, train } from './test-utils/parallel-train.js';

before(async () => {
  await useWasmBackend({ threads: 1 });
  registerWasmTrainingKernels();
});

test('threaded build: the worker reads the weights in place in the shared heap, same parameters bit for bit', async () => {
  assert.ok(wasmSharedHeap() instanceof SharedArrayBuffer);
  const sync = await train(false);
  const parallel = await train('auto');
  assert.equal(sync.parallelEvaluations, 0);
  assert.equal(parallel.steps, 8);
  assert.equal(parallel.parallelEvaluations, 4 * parallel.steps);
  assert.equal(parallel.deferredEvaluations, parallel.parallelEvaluations, 'every worker result reached the optimizer after the backward pass');
  assert.equal(parallel.inPlaceJobs, parallel.steps, 'every job read the weights in place');
  assert.equal(parallel.inPlaceGradients, 4 * parallel.steps, 'every gradient was written into a tfjs tensor');
  assert.deepEqual(parallel.weights, sync.weights);
  assert.deepEqual(parallel.state, sync.state);
  assert.equal(tf.getBackend(), 'wasm');
});

test('threaded build: no tensor leaks with the worker writing gradients into tfjs tensors', async () => {
  const { setup } = await import('./test-utils/parallel-train.js');
  const { GaussianMixturePrior } = await import('../index.js');
  const { model, x, y } = setup(3);
  const prior = new GaussianMixturePrior({ datasetSize: 64 }).attach(model);
  const fit = (epochs: number) => model.fit(x, y, { batchSize: 16, epochs, verbose: 0, callbacks: [prior.callback()] });
  await fit(1);
  const before = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  await fit(3);
  assert.ok(prior.parallelInPlaceJobs > 0);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(tf.engine().backend.numDataIds(), dataIds);
  prior.detach();
  tf.dispose([x, y]);
  model.dispose();
});

test('threaded build: a kernel written after the step began makes the main thread recompute the step, same results', async () => {
  const sync = await train(false, meddle);
  const parallel = await train('auto', meddle);
  // Every other step's worker result is stale (all four tensors: each depends on all covered weights).
  assert.equal(parallel.parallelEvaluations, 4 * 8 - 4 * 4);
  assert.equal(parallel.deferredEvaluations, parallel.parallelEvaluations);
  assert.equal(parallel.mainThreadDeferred, 4 * 4);
  assert.deepEqual(parallel.weights, sync.weights);
  assert.deepEqual(parallel.state, sync.state);
});
