// MaxPoolGrad for the wasm backend as one pass over the heap (the built-in one is slow for training): in wasm SIMD
// for 2x2 / stride 2 windows (heap-loops.ts), in plain JS otherwise and where the wasm loops are unavailable.
import * as tf from '@tensorflow/tfjs';
import { heapF32, newOutput, shape4, type Attrs, type Info, type WasmBackend } from './wasm-backend.js';
import { heapLoops } from './heap-loops.js';

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
  const p = c.padInfo;
  const twoByTwo = fh === 2 && fw === 2 && sh === 2 && sw === 2 && dh === 1 && dw === 1 && p.top === 0 && p.left === 0 && 2 * oh <= h && 2 * ow <= w;
  const loops = twoByTwo ? heapLoops(backend) : null;
  if (loops !== null) {
    // The wasm pass writes every element of the windows' region; only an odd last row or column needs zeros.
    if (2 * oh < h || 2 * ow < w) heapF32(backend, dx).fill(0);
    loops.maxPoolGrad2x2(input, dy, dx, n, h, w, ch, oh, ow);
    return dx;
  }
  const X = heapF32(backend, input);
  const DY = heapF32(backend, dy);
  const DX = heapF32(backend, dx);
  DX.fill(0);
  if (twoByTwo) {
    maxPoolGrad2x2(X, DY, DX, n, h, w, ch, oh, ow);
    return dx;
  }
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
          const at = pos[k]!;
          DX[at] = DX[at]! + DY[dyOff + k]!;
        }
        dyOff += ch;
      }
    }
  }
  return dx;
}

/**
 * The common 2x2 / stride 2 / no padding case (LeNet, VGG): windows do not overlap, so each dy element is written,
 * not added, and the four candidates are compared inline in the same order as the general path.
 */
function maxPoolGrad2x2(X: Float32Array, DY: Float32Array, DX: Float32Array, n: number, h: number, w: number, ch: number, oh: number, ow: number): void {
  const row = w * ch;
  let dyOff = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      let o00 = (b * h + 2 * y) * row;
      for (let x = 0; x < ow; x++) {
        const o01 = o00 + ch;
        const o10 = o00 + row;
        const o11 = o10 + ch;
        for (let k = 0; k < ch; k++) {
          let at = o00 + k;
          let v = X[at]!;
          const v01 = X[o01 + k]!;
          if (v01 > v) {
            v = v01;
            at = o01 + k;
          }
          const v10 = X[o10 + k]!;
          if (v10 > v) {
            v = v10;
            at = o10 + k;
          }
          if (X[o11 + k]! > v) at = o11 + k;
          DX[at] = DY[dyOff + k]!;
        }
        dyOff += ch;
        o00 += 2 * ch;
      }
    }
  }
}
