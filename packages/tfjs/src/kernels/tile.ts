// Tile for the wasm backend by block copies (batch-norm gradients tile per-channel vectors to whole activations).
import type * as tf from '@tensorflow/tfjs';
import { type Attrs, type Info, type WasmBackend } from './wasm-backend.js';

type Flat = Float32Array | Int32Array | Uint8Array;

/**
 * Tiles `X` (shape `shape`) by `reps` into `O`, one axis at a time from the innermost: each block of the current
 * result is copied once and then doubled with `copyWithin`, so the work is a few native memory copies per block
 * instead of an index computation per output element.
 */
function tileInto(X: Flat, shape: readonly number[], reps: readonly number[], O: Flat): void {
  let cur: Flat = X;
  const s = [...shape];
  const lastTiled = reps.findIndex((r) => r !== 1);
  if (lastTiled < 0) {
    O.set(X);
    return;
  }
  for (let a = s.length - 1; a >= 0; a--) {
    const r = reps[a]!;
    if (r === 1) continue;
    const outer = s.slice(0, a).reduce((p, d) => p * d, 1);
    const inner = s.slice(a).reduce((p, d) => p * d, 1);
    const block = inner * r;
    const next: Flat = a === lastTiled ? O : new (cur.constructor as new (n: number) => Flat)(outer * block);
    for (let o = 0; o < outer; o++) {
      const base = o * block;
      next.set(cur.subarray(o * inner, (o + 1) * inner), base);
      let filled = inner;
      while (filled < block) {
        const len = Math.min(filled, block - filled);
        next.copyWithin(base + filled, base, base + len);
        filled += len;
      }
    }
    cur = next;
    s[a] = s[a]! * r;
  }
}

/** Wraps the backend's Tile: numeric tensors are tiled by block copies; strings go to the original kernel. */
export function fastTile(original: tf.KernelFunc) {
  return (args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info => {
    const { inputs, attrs, backend } = args;
    const x = inputs['x']!;
    const reps = attrs['reps'] as number[];
    const size = x.shape.reduce((p, d) => p * d, 1);
    if (x.dtype === 'string' || x.dtype === 'complex64' || !Array.isArray(reps) || reps.length !== x.shape.length || size === 0 || reps.some((r) => !(r >= 1))) {
      const out = original({ inputs: inputs as tf.NamedTensorInfoMap, attrs: attrs as tf.NamedAttrMap, backend: backend as unknown as tf.KernelBackend });
      return Array.isArray(out) ? out[0]! : out;
    }
    const out = backend.makeOutput(x.shape.map((d, i) => d * reps[i]!), x.dtype);
    tileInto(backend.typedArrayFromHeap(x), x.shape, reps, backend.typedArrayFromHeap(out));
    return out;
  };
}
