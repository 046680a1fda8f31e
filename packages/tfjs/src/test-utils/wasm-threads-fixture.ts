// Fixture for wasm-threads.test.ts. `late`: initialises the single-threaded wasm backend first, then asks for threads.
// `train`: fits a small model on 2 threads and returns from the top level; the process must exit by itself.
// `readme`: runs the README's useWasmBackend example (it must start the backend itself, so in a fresh process).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useWasmBackend, wasmBackendStarted } from '../index.js';

if (process.argv[2] === 'readme') {
  const { runReadmeExample } = await import('../../../../scripts/test-helpers/readme-example.js');
  const { fileURLToPath } = await import('node:url');
  for (const line of await runReadmeExample(fileURLToPath(new URL('../..', import.meta.url)), 'All cores in Node')) console.log(line);
} else if (process.argv[2] === 'late') {
  await tf.setBackend('wasm');
  await useWasmBackend({ threads: 2 }).then(
    () => console.log('accepted'),
    (e: Error) => console.log(`rejected: ${e.message}`),
  );
} else {
  // Asking must not start the backend (tf.findBackend would, on the single-threaded build).
  if (wasmBackendStarted()) throw new Error('wasmBackendStarted() before any backend use');
  await new Promise((resolve) => setTimeout(resolve, 20));
  const info = await useWasmBackend({ threads: 2 });
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 32, activation: 'relu', inputShape: [20] }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await model.fit(tf.randomNormal([64, 20]), tf.oneHot(tf.randomUniform([64], 0, 2, 'int32') as tf.Tensor1D, 2), { epochs: 2, verbose: 0 });
  console.log(`threads ${info.threads} shared ${info.sharedMemory} trained`);
}
