// Typed access to the sibling packages' public APIs; parts that have not landed yet fail with a clear message.
import type * as tf from '@tensorflow/tfjs';
import * as tfRuntime from '@tensorflow/tfjs';
import type { CompressedModel } from '@softweight/core';
import * as codecNs from '@softweight/codec';
import * as swtfNs from '@softweight/tfjs';
import { CliError } from './errors.js';

function need<T>(ns: unknown, pkg: string, name: string): T {
  const v = (ns as Record<string, unknown>)[name];
  if (v === undefined) throw new CliError(`${pkg} does not export ${name} yet: this command needs a newer ${pkg}`, { code: 'MISSING_API' });
  return v as T;
}

/** Encodes a compressed model as `.sws` bytes (@softweight/codec). */
export function encodeSws(model: CompressedModel): Uint8Array {
  return need<(m: CompressedModel) => Uint8Array>(codecNs, '@softweight/codec', 'encode')(model);
}

/** Decodes `.sws` bytes; a corrupted file becomes a one-line CliError naming the file. */
export function decodeSws(bytes: Uint8Array, path: string): CompressedModel {
  const decode = need<(b: Uint8Array) => CompressedModel>(codecNs, '@softweight/codec', 'decode');
  try {
    return decode(bytes);
  } catch (err) {
    throw new CliError(`${path}: not a valid .sws file: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}

/** Header and per-tensor summary of a `.sws` file without decoding its weights. */
export function inspectSws(bytes: Uint8Array, path: string): unknown {
  const inspect = need<(b: Uint8Array) => unknown>(codecNs, '@softweight/codec', 'inspect');
  try {
    return inspect(bytes);
  } catch (err) {
    throw new CliError(`${path}: not a valid .sws file: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}

/** Builds a runnable tfjs model from a compressed model (@softweight/tfjs `fromCompressed`). */
export function fromCompressed(model: CompressedModel): tf.LayersModel {
  return need<(m: CompressedModel) => tf.LayersModel>(swtfNs, '@softweight/tfjs', 'fromCompressed')(model);
}

/** Writes a compressed model's quantized weights into an existing tfjs model (@softweight/tfjs `applyCompressed`). */
export function applyCompressed(model: tf.LayersModel, compressed: CompressedModel): void {
  const fn = (swtfNs as unknown as Record<string, unknown>)['applyCompressed'];
  if (typeof fn === 'function') {
    (fn as (m: tf.LayersModel, c: CompressedModel) => void)(model, compressed);
    return;
  }
  applyCompressedLocal(model, compressed);
}

/** Stand-in for `applyCompressed` while @softweight/tfjs lacks it: weights named `<layer>/<role>` as toGraph names them. */
function applyCompressedLocal(model: tf.LayersModel, compressed: CompressedModel): void {
  const values = new Map<string, Float32Array>();
  for (const q of compressed.quantized) {
    const cb = compressed.codebooks.find((c) => c.name === q.codebook);
    if (!cb) throw new CliError(`compressed model: tensor ${q.name} refers to a missing codebook ${q.codebook}`);
    const v = new Float32Array(q.indices.length);
    for (let i = 0; i < v.length; i++) v[i] = cb.values[q.indices[i] as number] as number;
    values.set(q.name, v);
  }
  for (const f of compressed.float) values.set(f.name, f.values);
  for (const layer of model.layers) {
    const ws = layer.weights;
    if (ws.length === 0) continue;
    const current = layer.getWeights();
    const next = ws.map((w, i) => {
      const role = w.originalName.split('/').pop() ?? w.originalName;
      const v = values.get(`${layer.name}/${role}`);
      const cur = current[i] as tf.Tensor;
      return v ? tfRuntime.tensor(v, cur.shape) : cur;
    });
    layer.setWeights(next);
    next.forEach((t, i) => {
      if (t !== current[i]) t.dispose();
    });
    current.forEach((t) => t.dispose());
  }
}
