// useWasmBackend: tfjs's threaded wasm build in Node: the thread count it reports, shared memory, cpu-equal
// gradients for whole training steps, clear errors, and a process that still exits.
import * as tf from '@tensorflow/tfjs';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lenet300100, lenet5Caffe, registerWasmTrainingKernels, useWasmBackend, wasmSharedHeap } from './index.js';
import { on, randomData } from './kernels/test-utils/backends.js';
import { assertLoopPathsAgree } from './kernels/test-utils/loop-paths.js';
import { heapLoops } from './kernels/heap-loops.js';
import type { WasmBackend } from './kernels/wasm-backend.js';
import { compareTrainingStep } from './kernels/test-utils/training-step.js';

const STEP_TOL = 1e-4;

before(async () => {
  registerWasmTrainingKernels();
  assert.deepEqual(await useWasmBackend({ threads: 2 }), { threads: 2, sharedMemory: true });
  await tf.setBackend('cpu');
});

test('the threaded backend runs on shared memory and computes what cpu computes', async () => {
  // The same seeded product on both backends.
  const product = () => tf.tidy(() => tf.matMul(tf.randomNormal([256, 300], 0, 1, 'float32', 1), tf.randomNormal([300, 100], 0, 1, 'float32', 2)).dataSync());
  const wasmValues = await on('wasm', () => {
    assert.ok(wasmSharedHeap() instanceof SharedArrayBuffer);
    return product();
  });
  const cpuValues = await on('cpu', product);
  let err = 0;
  for (let i = 0; i < cpuValues.length; i++) err = Math.max(err, Math.abs(wasmValues[i]! - cpuValues[i]!));
  assert.ok(err < 1e-3, `matMul differs from cpu by ${err}`);
  assert.equal(wasmSharedHeap(), null, 'no shared heap while cpu is active');
});

test('LeNet-5-Caffe and LeNet-300-100: one training step on 2 threads gives the cpu gradients', async () => {
  const a = lenet5Caffe({ seed: 1 });
  assert.equal(await compareTrainingStep(a, [16, 28, 28, 1], 10, STEP_TOL), 8);
  const b = lenet300100({ seed: 2 });
  assert.equal(await compareTrainingStep(b, [32, 784], 10, STEP_TOL), 6);
  a.dispose();
  b.dispose();
});

test('the conv gradient kernels give the same bits with their wasm loops on the shared heap as with the JS loops', async () => {
  await on('wasm', () => {
    assert.notEqual(heapLoops(tf.backend() as unknown as WasmBackend), null);
    const cases = [
      { x: [3, 28, 28, 1], filter: [5, 5, 1, 20], dy: [3, 24, 24, 20], strides: 1, pad: 'valid' },
      { x: [3, 12, 12, 20], filter: [5, 5, 20, 50], dy: [3, 8, 8, 50], strides: 1, pad: 'valid' },
      { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], dy: [2, 5, 5, 4], strides: 2, pad: 'same' },
    ];
    for (const [i, c] of cases.entries()) {
      const what = `x [${c.x.join(', ')}]`;
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
      assertLoopPathsAgree('Conv2DBackpropFilter', { x: randomData(c.x, i), dy: randomData(c.dy, 10 + i) }, { ...attrs, filterShape: c.filter }, what);
      assertLoopPathsAgree('Conv2DBackpropInput', { dy: randomData(c.dy, 10 + i), filter: randomData(c.filter, 20 + i) }, { ...attrs, inputShape: c.x }, what);
    }
  });
  await tf.setBackend('cpu');
});

test('a second call with the same count is a no-op; another count or a bad one is a clear error', async () => {
  assert.deepEqual(await useWasmBackend({ threads: 2 }), { threads: 2, sharedMemory: true });
  assert.equal(tf.getBackend(), 'wasm');
  await assert.rejects(useWasmBackend({ threads: 1 }), /already initialised \(threaded build, 2 thread\(s\)\).*before tf\.setBackend/);
  await assert.rejects(useWasmBackend({ threads: 0 }), (e: Error) => e instanceof RangeError && /threads must be a whole number from 1 to 8/.test(e.message));
  await assert.rejects(useWasmBackend({ threads: 2.5 }), RangeError);
  await tf.setBackend('cpu');
});

test('after the single-threaded backend, useWasmBackend says it is too late; a threaded process exits by itself', () => {
  const fixture = join(dirname(fileURLToPath(import.meta.url)), 'test-utils', 'wasm-threads-fixture.ts');
  const late = spawnSync(process.execPath, ['--import', 'tsx', fixture, 'late'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(late.status, 0, late.stderr);
  assert.match(late.stdout, /rejected: .*already initialised \(single-threaded build, 1 thread\(s\)\)/);
  const exits = spawnSync(process.execPath, ['--import', 'tsx', fixture, 'train'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(exits.signal, null, 'the process did not exit by itself within 60 s');
  assert.equal(exits.status, 0, exits.stderr);
  assert.match(exits.stdout, /threads 2 shared true trained/);
});

test('the README example of useWasmBackend runs', () => {
  const fixture = join(dirname(fileURLToPath(import.meta.url)), 'test-utils', 'wasm-threads-fixture.ts');
  const run = spawnSync(process.execPath, ['--conditions=@softweight/source', '--import', 'tsx', fixture, 'readme'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`^wasm ${Math.min(8, availableParallelism())} true$`, 'm'));
});
