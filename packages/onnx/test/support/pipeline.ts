// The real adapter path: a tfjs model -> @softweight/tfjs toGraph -> quantized kernels -> applyCompressed back into tfjs.
import type * as tf from '@tensorflow/tfjs';
import type { CompressedModel, FloatTensor, QuantizedTensor } from '@softweight/core';
import { applyCompressed, toGraph } from '@softweight/tfjs';

/** Options of `compressTfjsModel`. */
export interface PipelineOptions {
  /** Codebook size including the zero. */
  codes: number;
  /** Fraction of kernel weights kept (not pruned). */
  nonZero: number;
}

/**
 * Prunes the smallest-magnitude kernel weights and rounds the rest to the nearest of `codes - 1` evenly spaced
 * shared values (a stand-in for the mixture's codebook), then writes the quantized weights back into `model`
 * with `applyCompressed`, so tfjs and the export compute with the very same numbers.
 */
export function compressTfjsModel(model: tf.LayersModel, opts: PipelineOptions): CompressedModel {
  const { graph, weights } = toGraph(model);
  const kernels = new Set(graph.nodes.flatMap((n) => ('kernel' in n ? [n.kernel] : [])));
  const all = [...kernels].flatMap((k) => Array.from(weights.get(k)!.values, Math.abs)).sort((a, b) => a - b);
  const threshold = all[Math.floor(all.length * (1 - opts.nonZero))] ?? 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const k of kernels) for (const v of weights.get(k)!.values) if (Math.abs(v) >= threshold) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const levels = Array.from({ length: opts.codes - 1 }, (_, i) => lo + ((hi - lo) * i) / (opts.codes - 2)).filter((v) => v !== 0);
  const values = Float32Array.from([0, ...levels]);
  const quantized: QuantizedTensor[] = [];
  const float: FloatTensor[] = [];
  for (const [name, w] of weights) {
    if (!kernels.has(name)) {
      float.push({ name, shape: w.shape, values: w.values });
      continue;
    }
    const indices = new Uint16Array(w.values.length);
    w.values.forEach((v, i) => {
      if (Math.abs(v) < threshold) return; // index 0 = the zero = pruned
      let best = 1;
      for (let k = 2; k < values.length; k++) if (Math.abs(values[k]! - v) < Math.abs(values[best]! - v)) best = k;
      indices[i] = best;
    });
    quantized.push({ name, shape: w.shape, codebook: 'mixture', indices });
  }
  const compressed: CompressedModel = { graph, codebooks: [{ name: 'mixture', values, zeroIndex: 0 }], quantized, float };
  applyCompressed(model, compressed);
  return compressed;
}
