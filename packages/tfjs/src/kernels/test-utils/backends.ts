// Test helpers: switch between the cpu and wasm backends, seeded random data, and tolerance checks.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import assert from 'node:assert/strict';
import { registerWasmTrainingKernels } from '../register.js';
import { seededRandom } from '@softweight/core';

/** Plain tensor data, backend-neutral. */
export interface Data {
  shape: number[];
  values: Float32Array;
}

/** Registers the softweight wasm kernels once and returns once both backends are usable. */
export async function setUpBackends(): Promise<void> {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Runs `f` with `backend` active and returns its result. */
export async function on<T>(backend: 'cpu' | 'wasm', f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

/** A seeded uniform generator in [0, 1) (mulberry32), for reproducible test data. */
export const rng = seededRandom;

/** Random data of `shape` with values uniform in [-1, 1). */
export function randomData(shape: number[], seed: number): Data {
  const next = rng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = 2 * next() - 1;
  return { shape, values };
}

/** Runs kernel `name` on the active backend with fresh input tensors; returns the output's data. */
export function runKernel(name: string, inputs: Record<string, Data>, attrs: Record<string, unknown>): Data {
  const ts: Record<string, tf.Tensor> = {};
  for (const [k, d] of Object.entries(inputs)) ts[k] = tf.tensor(d.values, d.shape);
  const out = tf.engine().runKernel(name, ts as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
  const result = { shape: [...out.shape], values: new Float32Array(out.dataSync()) };
  out.dispose();
  tf.dispose(Object.values(ts));
  return result;
}

/** Largest |a - b| relative to max(1, max |b|): the error measure every cpu-vs-wasm check states its tolerance in. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length, 'length');
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

/** Asserts equal shapes and `relativeError(actual, expected) <= tol`. */
export function assertClose(actual: Data, expected: Data, tol: number, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const err = relativeError(actual.values, expected.values);
  assert.ok(err <= tol, `${what}: relative error ${err.toExponential(2)} > ${tol}`);
}
