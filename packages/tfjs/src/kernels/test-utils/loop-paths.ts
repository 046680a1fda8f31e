// Test helper: runs a kernel on the active wasm backend with the in-heap wasm loops and with the JS loops, and
// asserts the two results are the same bits.
import assert from 'node:assert/strict';
import { setHeapLoopsEnabled } from '../heap-loops.js';
import { runKernel, type Data } from './backends.js';

/** Asserts kernel `name` gives bit-identical results with the wasm loops and the JS loops. */
export function assertLoopPathsAgree(name: string, inputs: Record<string, Data>, attrs: Record<string, unknown>, what: string): void {
  const viaWasm = runKernel(name, inputs, attrs);
  setHeapLoopsEnabled(false);
  let viaJs: Data;
  try {
    viaJs = runKernel(name, inputs, attrs);
  } finally {
    setHeapLoopsEnabled(true);
  }
  assert.deepEqual(viaWasm.shape, viaJs.shape, `${name} ${what}: shape`);
  for (let i = 0; i < viaJs.values.length; i++) {
    if (!Object.is(viaWasm.values[i], viaJs.values[i])) assert.fail(`${name} ${what}: element ${i} is ${viaWasm.values[i]} with the wasm loops, ${viaJs.values[i]} with the JS loops`);
  }
}
