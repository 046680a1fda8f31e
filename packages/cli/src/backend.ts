// Picks the tfjs backend for a command: wasm by default (the fast one on CPU here), on tfjs's threaded build with
// one thread per core unless --threads says otherwise; cpu as the fallback.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { availableParallelism } from 'node:os';
import { useWasmBackend, wasmBackendStarted } from '@softweight/tfjs';
import { CliError } from './errors.js';
import { registerTrainingKernels } from './tfjs-compat.js';

/** Backends the CLI accepts. */
export type BackendName = 'wasm' | 'cpu';

/** Parses `--threads`: 'auto' or a whole number from 1 to 8. */
export function parseThreads(text: string): number | 'auto' {
  if (text === 'auto') return 'auto';
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 8) throw new CliError(`--threads ${text}: expected a whole number from 1 to 8, or auto`, { exitCode: 2 });
  return n;
}

/**
 * Activates `name`; on wasm also registers softweight's wasm training kernels (Conv2DBackpropFilter...) and starts
 * tfjs's threaded wasm build on `threads` threads. `auto` is one thread per core, less `reservedCores` (compress
 * keeps a core for the prior's worker thread: measured, the demo retrains in 34 s on 1 thread + the worker and in
 * 55 s on 2 threads + the worker, on 2 cores). When something in this process already started the wasm backend (an
 * embedding program), `auto` keeps it as it is; an explicit count that differs is an error.
 */
export async function useBackend(name: string, threads = 'auto', reservedCores = 0): Promise<BackendName> {
  if (name !== 'wasm' && name !== 'cpu') throw new CliError(`--backend ${name}: expected wasm or cpu`, { exitCode: 2 });
  const parsed = parseThreads(threads);
  const count = parsed === 'auto' && reservedCores > 0 ? Math.max(1, Math.min(8, availableParallelism() - reservedCores)) : parsed;
  // tfjs greets Node users of the cpu backend on the console; the CLI owns the console, so keep it quiet.
  // Production mode also silences the cpu backend's "install tfjs-node" banner on its first tensor.
  tf.enableProdMode();
  const warn = console.warn;
  console.warn = () => {};
  try {
    if (name === 'wasm') {
      registerTrainingKernels();
      if (parsed === 'auto' && wasmBackendStarted()) await activate('wasm');
      else {
        try {
          await useWasmBackend({ threads: count });
        } catch (e) {
          throw new CliError(`--threads ${threads}: ${(e as Error).message}`);
        }
      }
    } else await activate(name);
    await tf.ready();
  } finally {
    console.warn = warn;
  }
  return name;
}

async function activate(name: BackendName): Promise<void> {
  if (!(await tf.setBackend(name))) throw new CliError(`the ${name} backend failed to initialise`);
}
