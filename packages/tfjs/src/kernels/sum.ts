// Sum and Mean over the leading axes (bias gradients, batch-norm statistics) for the wasm backend, without a transpose.
import type * as tf from '@tensorflow/tfjs';
import { heapF32, newOutput, type Attrs, type Info, type WasmBackend } from './wasm-backend.js';

function normalizedAxes(axis: unknown, rank: number): number[] | null {
  const list = Array.isArray(axis) ? axis : [axis];
  if (list.some((a) => typeof a !== 'number' || !Number.isInteger(a))) return null;
  return [...new Set((list as number[]).map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
}

/**
 * Wraps the backend's Sum (or Mean, with `mean`). Reducing a float32 tensor over all axes but the last (a bias
 * gradient, a batch-norm moment) is done as one row-by-row pass in float64 accumulators; the backend's own kernels
 * transpose the tensor first. Everything else goes to the original kernel.
 */
export function fastSum(original: tf.KernelFunc, mean = false) {
  return (args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info => {
    const { inputs, attrs, backend } = args;
    const x = inputs['x']!;
    const rank = x.shape.length;
    const axes = normalizedAxes(attrs['axis'], rank);
    const leading = axes !== null && rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
    const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    if (!leading || x.dtype !== 'float32' || rows === 0) {
      const out = original({ inputs: inputs as tf.NamedTensorInfoMap, attrs: attrs as tf.NamedAttrMap, backend: backend as unknown as tf.KernelBackend });
      return Array.isArray(out) ? out[0]! : out;
    }
    const cols = x.shape[rank - 1]!;
    const keepDims = attrs['keepDims'] === true;
    const out = newOutput(backend, keepDims ? [...x.shape.slice(0, -1).map(() => 1), cols] : [cols]);
    const X = heapF32(backend, x);
    const acc = new Float64Array(cols);
    // Four rows per pass over the accumulators: a quarter of the accumulator traffic.
    let off = 0;
    let r = 0;
    const c2 = 2 * cols;
    const c3 = 3 * cols;
    for (; r + 4 <= rows; r += 4, off += 4 * cols) {
      for (let j = 0; j < cols; j++) {
        const o = off + j;
        acc[j] += X[o]! + X[o + cols]! + (X[o + c2]! + X[o + c3]!);
      }
    }
    for (; r < rows; r++, off += cols) {
      for (let j = 0; j < cols; j++) acc[j] += X[off + j]!;
    }
    if (mean) for (let j = 0; j < cols; j++) acc[j] /= rows;
    heapF32(backend, out).set(acc);
    return out;
  };
}
