// BatchMatMul for the wasm backend that keeps transposed products (every Dense gradient) on the fast XNNPACK path.
import type * as tf from '@tensorflow/tfjs';
import { release, runWasm, withShape, type Attrs, type Info, type WasmBackend } from './wasm-backend.js';

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

function transpose2d(backend: WasmBackend, x: Info, rows: number, cols: number): Info {
  return runWasm('Transpose', { x: withShape(x, [rows, cols]) }, { perm: [1, 0] }, backend);
}

/**
 * Wraps the backend's own BatchMatMul. Its untransposed path runs on XNNPACK, which packs the second operand on
 * every call (weights change every step); its transposed paths are naive loops about 10x slower. So transposed
 * products are rewritten as untransposed ones, choosing the form whose second operand is small:
 * A B^T is computed either as A (B^T) or as (B A^T)^T, whichever moves fewer elements; A^T B as (A^T) B;
 * A^T B^T as (B A)^T.
 */
export function fastBatchMatMul(original: tf.KernelFunc) {
  return (args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info => {
    const { inputs, attrs, backend } = args;
    const transposeA = attrs['transposeA'] === true;
    const transposeB = attrs['transposeB'] === true;
    const a = inputs['a']!;
    const b = inputs['b']!;
    const call = (x: Info, y: Info): Info => {
      const out = original({
        inputs: { a: x, b: y },
        attrs: { ...attrs, transposeA: false, transposeB: false },
        backend: backend as unknown as tf.KernelBackend,
      });
      return Array.isArray(out) ? out[0]! : out;
    };
    if (!transposeA && !transposeB) return call(a, b);
    if (a.dtype !== 'float32' || b.dtype !== 'float32') {
      const out = original({ inputs: { a, b }, attrs: attrs as tf.NamedAttrMap, backend: backend as unknown as tf.KernelBackend });
      return Array.isArray(out) ? out[0]! : out;
    }
    const ra = a.shape.length;
    const rb = b.shape.length;
    const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    if (batchA === 1 && batchB === 1) {
      // Plain matrices: pick the cheaper untransposed form.
      const [m, k] = transposeA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
      const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
      const outShape = [...(ra >= rb ? a.shape : b.shape).slice(0, -2), m, n];
      if (transposeA && transposeB) {
        const ct = call(withShape(b, [1, n, k]), withShape(a, [1, k, m]));
        const c = transpose2d(backend, ct, n, m);
        release(backend, ct);
        return withShape(c, outShape);
      }
      if (transposeA) {
        const at = transpose2d(backend, a, k, m);
        const c = call(withShape(at, [1, m, k]), withShape(b, [1, k, n]));
        release(backend, at);
        return withShape(c, outShape);
      }
      if (2 * k * n <= 2 * m * k + m * n) {
        const bt = transpose2d(backend, b, n, k);
        const c = call(withShape(a, [1, m, k]), withShape(bt, [1, k, n]));
        release(backend, bt);
        return withShape(c, outShape);
      }
      const at = transpose2d(backend, a, m, k);
      const ct = call(withShape(b, [1, n, k]), withShape(at, [1, k, m]));
      release(backend, at);
      const c = transpose2d(backend, ct, n, m);
      release(backend, ct);
      return withShape(c, outShape);
    }
    const temps: Info[] = [];
    let x = a;
    let y = b;
    if (transposeA) {
      x = runWasm('Transpose', { x: a }, { perm: swapLastTwo(ra) }, backend);
      temps.push(x);
    }
    if (transposeB) {
      y = runWasm('Transpose', { x: b }, { perm: swapLastTwo(rb) }, backend);
      temps.push(y);
    }
    const out = call(x, y);
    for (const t of temps) release(backend, t);
    return out;
  };
}
