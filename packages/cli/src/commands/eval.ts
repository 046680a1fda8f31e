// `softweight eval`: test error of a tfjs model.json or a compressed .sws model on MNIST or an idx directory.
import type * as tf from '@tensorflow/tfjs';
import { useBackend } from '../backend.js';
import { fitInputShape, loadData } from '../data.js';
import { decodeSws, fromCompressed } from '../engine.js';
import { CliError } from '../errors.js';
import { readUserFile } from '../fsutil.js';
import { loadModel } from '../model-io.js';
import type { Output } from '../progress.js';
import { posInt } from '../run-util.js';
import { evaluateError } from '../training.js';

/** Options of `softweight eval`. */
export interface EvalOptions {
  data: string;
  backend: string;
  /** --threads: threads of the wasm backend, 1-8 or 'auto' (default). */
  threads?: string;
  limitTest?: string;
}

/** Result of `softweight eval`. */
export interface EvalResult {
  model: string;
  format: 'tfjs' | 'sws';
  samples: number;
  testError: number;
  accuracy: number;
}

/** Loads a model from `.json` (tfjs) or `.sws` (compressed). */
export async function loadAnyModel(path: string): Promise<{ model: tf.LayersModel; format: 'tfjs' | 'sws' }> {
  if (path.endsWith('.sws')) {
    const compressed = decodeSws(readUserFile(path, 'model file'), path);
    try {
      return { model: fromCompressed(compressed), format: 'sws' };
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`${path}: cannot rebuild the model: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
  }
  if (path.endsWith('.json')) return { model: await loadModel(path), format: 'tfjs' };
  throw new CliError(`${path}: expected a tfjs model.json or a .sws file`);
}

/** Runs `softweight eval`. */
export async function evalCommand(path: string, opts: EvalOptions, out: Output): Promise<EvalResult> {
  await useBackend(opts.backend, opts.threads);
  const { model, format } = await loadAnyModel(path);
  const data = await loadData(opts.data, { train: 1, ...(opts.limitTest ? { test: posInt('--limit-test', opts.limitTest, 0) } : {}) });
  const shape = fitInputShape(model.inputs[0]?.shape ?? [], data.test, `--data ${opts.data}`);
  out.line(`evaluating ${path} on ${data.test.count} test samples (${data.source})`);
  const testError = evaluateError(model, data.test, shape);
  model.dispose();
  return { model: path, format, samples: data.test.count, testError, accuracy: 100 - testError };
}
