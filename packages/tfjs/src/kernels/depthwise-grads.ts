// Depthwise-convolution gradient kernels for the wasm backend (which has none), as plain JS over the heap.
import * as tf from '@tensorflow/tfjs';
import { heapF32, newOutput, shape4, type Attrs, type Info, type WasmBackend } from './wasm-backend.js';

function depthwiseInfo(inShape: number[], filterShape: number[], attrs: Attrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs['strides'] as number | [number, number],
    (attrs['dilations'] as number | [number, number] | undefined) ?? 1,
    attrs['pad'] as 'valid' | 'same' | number,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
    true,
  );
}

/**
 * Visits every (output pixel, filter tap) pair that reads a real (non-padding) input pixel, with the offsets of the
 * input pixel, the dy pixel and the tap.
 */
function forEachTap(c: tf.backend_util.Conv2DInfo, visit: (xOff: number, dyOff: number, tap: number) => void): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = c;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const dyOff = ((b * oh + y) * ow + x) * co;
        for (let r = 0; r < kh; r++) {
          const ih = y * sh - c.padInfo.top + r * dh;
          if (ih < 0 || ih >= h) continue;
          for (let s = 0; s < kw; s++) {
            const iw = x * sw - c.padInfo.left + s * dw;
            if (iw < 0 || iw >= w) continue;
            visit(((b * h + ih) * w + iw) * ci, dyOff, r * kw + s);
          }
        }
      }
    }
  }
}

/** DepthwiseConv2dNativeBackpropFilter: dW[r, s, c, q] = sum over pixels of x[.., c] * dy[.., c * m + q]. */
export function depthwiseBackpropFilter(args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info {
  const { inputs, attrs, backend } = args;
  const x = inputs['x']!;
  const dy = inputs['dy']!;
  const filterShape = attrs['filterShape'] as [number, number, number, number];
  const c = depthwiseInfo(shape4(x, 'x'), filterShape, attrs);
  const ci = c.inChannels;
  const m = c.outChannels / ci;
  const acc = new Float64Array(filterShape[0] * filterShape[1] * ci * m);
  const dw = newOutput(backend, [...filterShape]);
  const X = heapF32(backend, x);
  const DY = heapF32(backend, dy);
  forEachTap(c, (xOff, dyOff, tap) => {
    const t = tap * ci * m;
    for (let k = 0; k < ci; k++) {
      const xv = X[xOff + k]!;
      for (let q = 0; q < m; q++) acc[t + k * m + q] += xv * DY[dyOff + k * m + q]!;
    }
  });
  heapF32(backend, dw).set(acc);
  return dw;
}

/** DepthwiseConv2dNativeBackpropInput: dx[.., c] = sum over taps and q of dy[.., c * m + q] * w[r, s, c, q]. */
export function depthwiseBackpropInput(args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info {
  const { inputs, attrs, backend } = args;
  const dy = inputs['dy']!;
  const filter = inputs['filter']!;
  const inputShape = attrs['inputShape'] as [number, number, number, number];
  const c = depthwiseInfo(inputShape, shape4(filter, 'filter'), attrs);
  const ci = c.inChannels;
  const m = c.outChannels / ci;
  const dx = newOutput(backend, [...inputShape]);
  const W = heapF32(backend, filter);
  const DY = heapF32(backend, dy);
  const DX = heapF32(backend, dx);
  DX.fill(0);
  forEachTap(c, (xOff, dyOff, tap) => {
    const t = tap * ci * m;
    for (let k = 0; k < ci; k++) {
      let sum = 0;
      for (let q = 0; q < m; q++) sum += DY[dyOff + k * m + q]! * W[t + k * m + q]!;
      DX[xOff + k] = DX[xOff + k]! + sum;
    }
  });
  return dx;
}
