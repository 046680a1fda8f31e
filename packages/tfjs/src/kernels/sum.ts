// Sum over the leading axes (every bias gradient) for the wasm backend, without the transpose its own Sum does.
import type * as tf from '@tensorflow/tfjs';
import { heapF32, newOutput, type Attrs, type Info, type WasmBackend } from './wasm-backend.js';

function normalizedAxes(axis: unknown, rank: number): number[] | null {
  const list = Array.isArray(axis) ? axis : [axis];
  if (list.some((a) => typeof a !== 'number' || !Number.isInteger(a))) return null;
  return [...new Set((list as number[]).map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
}

/**
 * Wraps the backend's Sum. Reducing a float32 tensor over all axes but the last (a bias gradient) is done as one
 * row-by-row pass in float64 accumulators; everything else goes to the original kernel.
 */
export function fastSum(original: tf.KernelFunc) {
  return (args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info => {
    const { inputs, attrs, backend } = args;
    const x = inputs['x']!;
    const rank = x.shape.length;
    const axes = normalizedAxes(attrs['axis'], rank);
    const leading = axes !== null && rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') {
      const out = original({ inputs: inputs as tf.NamedTensorInfoMap, attrs: attrs as tf.NamedAttrMap, backend: backend as unknown as tf.KernelBackend });
      return Array.isArray(out) ? out[0]! : out;
    }
    const cols = x.shape[rank - 1]!;
    const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const keepDims = attrs['keepDims'] === true;
    const out = newOutput(backend, keepDims ? [...x.shape.slice(0, -1).map(() => 1), cols] : [cols]);
    const X = heapF32(backend, x);
    const acc = new Float64Array(cols);
    let off = 0;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) acc[j] += X[off + j]!;
      off += cols;
    }
    heapF32(backend, out).set(acc);
    return out;
  };
}
