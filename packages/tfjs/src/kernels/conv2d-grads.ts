// Conv2D gradient kernels for the wasm backend, built on its XNNPACK-backed Conv2D and BatchMatMul.
import * as tf from '@tensorflow/tfjs';
import { heapF32, newOutput, release, runWasm, shape4, withShape, type Attrs, type Info, type WasmBackend } from './wasm-backend.js';

/** Size (floats) of the column-matrix slices worked on at once: about 1 MB, well inside L2. */
const CHUNK_FLOATS = 1 << 18;

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

function checkNhwc(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports dataFormat NHWC only, got ${String(dataFormat)}`);
  }
}

function convInfo(inShape: number[], filterShape: number[], attrs: Attrs, dilations: number | [number, number] = 1): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs['strides'] as number | [number, number],
    dilations,
    attrs['pad'] as Pad,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
}

/**
 * Writes the transposed im2col matrix of `x` for the convolution `c`: one row per filter tap (kh, kw, ci), one
 * column per output pixel (n, oh, ow), zeros where the tap falls into the padding. Rows are written sequentially;
 * the reads stride through one image at a time, which stays in cache.
 */
function im2colT(X: Float32Array, C: Float32Array, c: tf.backend_util.Conv2DInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = c;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c;
  const top = c.padInfo.top;
  const left = c.padInfo.left;
  const pixels = n * oh * ow;
  const xStep = sw * ci;
  for (let r = 0; r < kh; r++) {
    for (let s = 0; s < kw; s++) {
      // Output columns x whose input column x*sw - left + s*dw lies inside [0, w).
      const shift = s * dw - left;
      const x0 = Math.min(ow, Math.max(0, Math.ceil(-shift / sw)));
      const x1 = Math.max(x0, Math.min(ow, Math.floor((w - 1 - shift) / sw) + 1));
      const tapRow = (r * kw + s) * ci * pixels;
      let p = 0;
      // One image row at a time: the [ow, ci] block of x it reads is written transposed into ci rows of C.
      for (let b = 0; b < n; b++) {
        for (let y = 0; y < oh; y++, p += ow) {
          const ih = y * sh - top + r * dh;
          if (ih < 0 || ih >= h) {
            for (let k = 0; k < ci; k++) C.fill(0, tapRow + k * pixels + p, tapRow + k * pixels + p + ow);
            continue;
          }
          const src0 = ((b * h + ih) * w + x0 * sw + shift) * ci;
          for (let k = 0; k < ci; k++) {
            const rowStart = tapRow + k * pixels + p;
            if (x0 > 0) C.fill(0, rowStart, rowStart + x0);
            let dst = rowStart + x0;
            let src = src0 + k;
            for (let x = x0; x < x1; x++) {
              C[dst++] = X[src]!;
              src += xStep;
            }
            if (x1 < ow) C.fill(0, rowStart + x1, rowStart + ow);
          }
        }
      }
    }
  }
}

/**
 * Conv2DBackpropFilter: dW = im2col(x)^T dy as one untransposed matmul (the backend's XNNPACK path), with the
 * transposed im2col written directly so that dy, the smaller operand, is the one the matmul packs.
 */
export function conv2DBackpropFilter(args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info {
  const { inputs, attrs, backend } = args;
  const x = inputs['x']!;
  const dy = inputs['dy']!;
  checkNhwc('Conv2DBackpropFilter', attrs['dataFormat']);
  const filterShape = attrs['filterShape'] as [number, number, number, number];
  const c = convInfo(shape4(x, 'x'), filterShape, attrs);
  const pixels = c.batchSize * c.outHeight * c.outWidth;
  const taps = c.filterHeight * c.filterWidth * c.inChannels;
  const colsT = newOutput(backend, [1, taps, pixels]);
  im2colT(heapF32(backend, x), heapF32(backend, colsT), c);
  const dw = runWasm('BatchMatMul', { a: colsT, b: withShape(dy, [1, pixels, c.outChannels]) }, { transposeA: false, transposeB: false }, backend);
  release(backend, colsT);
  return withShape(dw, [...filterShape]);
}

/**
 * Adds the columns of `DC` (one row per output pixel, one column per filter tap) back onto the input pixels they
 * were read from: the adjoint of im2col. Runs are contiguous in NHWC when the tap row lies inside the image.
 */
function col2imAdd(DC: Float32Array, DX: Float32Array, c: tf.backend_util.Conv2DInfo, firstImage: number, images: number): void {
  const { inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = c;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c;
  const top = c.padInfo.top;
  const left = c.padInfo.left;
  const rowLen = kw * ci;
  let src = 0;
  for (let b = firstImage; b < firstImage + images; b++) {
    const xb = b * h * w * ci;
    for (let y = 0; y < oh; y++) {
      const ih0 = y * sh - top;
      for (let x = 0; x < ow; x++) {
        const iw0 = x * sw - left;
        const contiguous = dw === 1 && iw0 >= 0 && iw0 + kw <= w;
        for (let r = 0; r < kh; r++) {
          const ih = ih0 + r * dh;
          if (ih < 0 || ih >= h) {
            src += rowLen;
            continue;
          }
          const xrow = xb + ih * w * ci;
          if (contiguous) {
            let dst = xrow + iw0 * ci;
            const end = src + rowLen;
            while (src < end) DX[dst] = DX[dst++]! + DC[src++]!;
            continue;
          }
          for (let s = 0; s < kw; s++) {
            const iw = iw0 + s * dw;
            if (iw < 0 || iw >= w) {
              src += ci;
              continue;
            }
            let dst = xrow + iw * ci;
            const end = src + ci;
            while (src < end) DX[dst] = DX[dst++]! + DC[src++]!;
          }
        }
      }
    }
  }
}

/**
 * Conv2DBackpropInput: the column gradients dy W^T as one untransposed matmul (only the small W^T gets packed), then
 * col2im. Exactly the useful multiply-adds, unlike a full convolution of zero-padded dy, and no waste when the input
 * has one channel (the first layer, whose input gradient tfjs's fused conv computes even though nobody needs it).
 */
export function conv2DBackpropInput(args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info {
  const { inputs, attrs, backend } = args;
  const dy = inputs['dy']!;
  const filter = inputs['filter']!;
  checkNhwc('Conv2DBackpropInput', attrs['dataFormat']);
  const inputShape = attrs['inputShape'] as [number, number, number, number];
  const c = convInfo(inputShape, shape4(filter, 'filter'), attrs);
  const taps = c.filterHeight * c.filterWidth * c.inChannels;
  const co = c.outChannels;
  const imagePixels = c.outHeight * c.outWidth;
  const wT = runWasm('Transpose', { x: withShape(filter, [taps, co]) }, { perm: [1, 0] }, backend);
  const b = withShape(wT, [1, co, taps]);
  const dx = newOutput(backend, [...inputShape]);
  heapF32(backend, dx).fill(0);
  // A few images at a time, so the column matrix is still in cache when col2im reads it back.
  const perChunk = Math.max(1, Math.floor(CHUNK_FLOATS / (imagePixels * taps)));
  for (let first = 0; first < c.batchSize; first += perChunk) {
    const images = Math.min(perChunk, c.batchSize - first);
    const rows = images * imagePixels;
    let a = withShape(dy, [1, rows, co]);
    if (images < c.batchSize) {
      a = newOutput(backend, [1, rows, co]);
      heapF32(backend, a).set(heapF32(backend, dy).subarray(first * imagePixels * co, (first + images) * imagePixels * co));
    }
    const cols = runWasm('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }, backend);
    if (images < c.batchSize) release(backend, a);
    col2imAdd(heapF32(backend, cols), heapF32(backend, dx), c, first, images);
    release(backend, cols);
  }
  release(backend, wT);
  return dx;
}
