// GatherV2 of whole rows (how model.fit slices every batch) for the wasm backend, as one row copy per index.
import type * as tf from '@tensorflow/tfjs';
import { type Attrs, type Info, type WasmBackend } from './wasm-backend.js';

/**
 * Wraps the backend's GatherV2. Gathering along axis 0 with 1-D indices (model.fit's batch slicing) copies each
 * row with one native `set`; the original walks element by element. Every other case, and out-of-range indices
 * (so the original raises its error), go to the original kernel.
 */
export function fastGather(original: tf.KernelFunc) {
  const delegate = (args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info => {
    const out = original({ inputs: args.inputs as tf.NamedTensorInfoMap, attrs: args.attrs as tf.NamedAttrMap, backend: args.backend as unknown as tf.KernelBackend });
    return Array.isArray(out) ? out[0]! : out;
  };
  return (args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info => {
    const { inputs, attrs, backend } = args;
    const x = inputs['x']!;
    const indices = inputs['indices']!;
    const axis = attrs['axis'];
    const batchDims = attrs['batchDims'] ?? 0;
    const axisZero = axis === 0 || (Array.isArray(axis) && axis.length === 1 && axis[0] === 0) || (typeof axis === 'number' && axis === -x.shape.length);
    if (!axisZero || batchDims !== 0 || indices.shape.length !== 1 || indices.dtype !== 'int32' || (x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length < 1) {
      return delegate(args);
    }
    const rows = x.shape[0]!;
    const idx = backend.typedArrayFromHeap(indices) as Int32Array;
    for (let i = 0; i < idx.length; i++) if (!(idx[i]! >= 0 && idx[i]! < rows)) return delegate(args);
    const picks = Int32Array.from(idx); // the heap view dies when makeOutput grows the heap
    const rowSize = x.shape.slice(1).reduce((p, d) => p * d, 1);
    const out = backend.makeOutput([picks.length, ...x.shape.slice(1)], x.dtype);
    const X = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const O = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    for (let i = 0; i < picks.length; i++) {
      const src = picks[i]! * rowSize;
      O.set(X.subarray(src, src + rowSize), i * rowSize);
    }
    return out;
  };
}
