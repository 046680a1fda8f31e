// Picks the tfjs backend for a command: wasm by default (the fast one on CPU here), cpu as the fallback.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { CliError } from './errors.js';
import { registerTrainingKernels } from './tfjs-compat.js';

/** Backends the CLI accepts. */
export type BackendName = 'wasm' | 'cpu';

/** Activates `name`; on wasm also registers softweight's wasm training kernels (Conv2DBackpropFilter...). */
export async function useBackend(name: string): Promise<BackendName> {
  if (name !== 'wasm' && name !== 'cpu') throw new CliError(`--backend ${name}: expected wasm or cpu`, { exitCode: 2 });
  // tfjs greets Node users of the cpu backend on the console; the CLI owns the console, so keep it quiet.
  // Production mode also silences the cpu backend's "install tfjs-node" banner on its first tensor.
  tf.enableProdMode();
  const warn = console.warn;
  console.warn = () => {};
  try {
    if (name === 'wasm') registerTrainingKernels();
    const ok = await tf.setBackend(name);
    if (!ok) throw new CliError(`the ${name} backend failed to initialise`);
    await tf.ready();
  } finally {
    console.warn = warn;
  }
  return name;
}
