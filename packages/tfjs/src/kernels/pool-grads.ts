// MaxPoolGrad for the wasm backend as one pass of plain JS over the heap (the built-in one is slow for training).
import * as tf from '@tensorflow/tfjs';
import { heapF32, newOutput, shape4, type Attrs, type Info, type WasmBackend } from './wasm-backend.js';

/**
 * MaxPoolGrad: routes each dy element to the first maximum of its window (row-major scan, strictly greater wins),
 * the same tie rule as the cpu backend, so results match it exactly.
 */
export function maxPoolGrad(args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info {
  const { inputs, attrs, backend } = args;
  const dy = inputs['dy']!;
  const input = inputs['input']!;
  const c = tf.backend_util.computePool2DInfo(
    shape4(input, 'input'),
    attrs['filterSize'] as number | [number, number],
    attrs['strides'] as number | [number, number],
    1,
    attrs['pad'] as 'valid' | 'same' | number,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ch, outHeight: oh, outWidth: ow } = c;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = c;
  const dx = newOutput(backend, [n, h, w, ch]);
  const X = heapF32(backend, input);
  const DY = heapF32(backend, dy);
  const DX = heapF32(backend, dx);
  DX.fill(0);
  const best = new Float32Array(ch);
  const pos = new Int32Array(ch);
  let dyOff = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * ch;
    for (let y = 0; y < oh; y++) {
      const r0 = y * sh - c.padInfo.top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(h, r0 + fh);
      for (let x = 0; x < ow; x++) {
        const c0 = x * sw - c.padInfo.left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(w, c0 + fw);
        // The first tap of the window seeds the running maxima; later taps replace them only when strictly greater.
        let seeded = false;
        for (let r = rMin; r < rMax; r++) {
          if ((r - r0) % dh !== 0) continue;
          for (let s = cMin; s < cMax; s++) {
            if ((s - c0) % dw !== 0) continue;
            const off = xb + (r * w + s) * ch;
            if (!seeded) {
              for (let k = 0; k < ch; k++) {
                best[k] = X[off + k]!;
                pos[k] = off + k;
              }
              seeded = true;
              continue;
            }
            for (let k = 0; k < ch; k++) {
              const v = X[off + k]!;
              if (v > best[k]!) {
                best[k] = v;
                pos[k] = off + k;
              }
            }
          }
        }
        if (!seeded) {
          dyOff += ch;
          continue;
        }
        for (let k = 0; k < ch; k++) {
          const p = pos[k]!;
          DX[p] = DX[p]! + DY[dyOff + k]!;
        }
        dyOff += ch;
      }
    }
  }
  return dx;
}
