// Conv2D gradient kernels for the wasm backend, built on its XNNPACK-backed Conv2D and BatchMatMul.
import * as tf from '@tensorflow/tfjs';
import { heapF32, newOutput, release, runWasm, shape4, withShape, type Attrs, type Info, type WasmBackend } from './wasm-backend.js';
import { heapLoops } from './heap-loops.js';

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
function im2colT(X: Float32Array, C: Float32Array, c: tf.backend_util.Conv2DInfo, firstImage: number, images: number): void {
  const { inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = c;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c;
  const top = c.padInfo.top;
  const left = c.padInfo.left;
  const pixels = images * oh * ow;
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
      for (let b = firstImage; b < firstImage + images; b++) {
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
 * Conv2DBackpropFilter. Two exact formulations, chosen by measurement on this backend:
 * - stride 1 with several input channels: one XNNPACK Conv2D of x seen as [ci, H, W, N] with dy seen as an
 *   [OH, OW, N, co] filter, giving [ci, kh, kw, co] (three transposes around it). Faster than the matmul below for
 *   LeNet-5's second conv (~11 vs ~13.5 ms per batch of 64) and ResNet blocks;
 * - otherwise (strides, one-channel inputs): dW = im2col(x)^T dy as one untransposed matmul (the XNNPACK path),
 *   with the transposed im2col written directly so that dy, the smaller operand, is the one the matmul packs.
 */
export function conv2DBackpropFilter(args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info {
  const { inputs, attrs, backend } = args;
  const x = inputs['x']!;
  const dy = inputs['dy']!;
  checkNhwc('Conv2DBackpropFilter', attrs['dataFormat']);
  const filterShape = attrs['filterShape'] as [number, number, number, number];
  const c = convInfo(shape4(x, 'x'), filterShape, attrs);
  const viaConv = conv2DBackpropFilterViaConv(x, dy, c, backend);
  if (viaConv !== null) return viaConv;
  const pixels = c.batchSize * c.outHeight * c.outWidth;
  const taps = c.filterHeight * c.filterWidth * c.inChannels;
  // One matmul over the whole batch: splitting it into cache-sized chunks measured slower (more packing and calls).
  const colsT = newOutput(backend, [1, taps, pixels]);
  const loops = heapLoops(backend);
  if (loops !== null) loops.im2colT(x, colsT, c, 0, c.batchSize);
  else im2colT(heapF32(backend, x), heapF32(backend, colsT), c, 0, c.batchSize);
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

/** Writes `w` [kh, kw, ci, co] rotated by 180 degrees with in/out swapped: [kh, kw, co, ci]. */
function flipFilter(W: Float32Array, F: Float32Array, kh: number, kw: number, ci: number, co: number): void {
  for (let r = 0; r < kh; r++) {
    for (let s = 0; s < kw; s++) {
      const src = ((kh - 1 - r) * kw + (kw - 1 - s)) * ci * co;
      const dst = (r * kw + s) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) F[dst + o * ci + i] = W[src + i * co + o]!;
      }
    }
  }
}

/**
 * Conv2DBackpropInput. Two exact formulations, chosen by cost:
 * - stride 1: one forward XNNPACK Conv2D of dy, zero-padded, with the flipped filter. Its multiply-adds exceed the
 *   useful ones by (H W) / (OH OW) (the padding), but it needs no JS pass: best for 'same' convolutions with
 *   several input channels (ResNet blocks);
 * - otherwise: the column gradients dy W^T as XNNPACK matmuls (only the small W^T is packed), a few images at a
 *   time, then col2im in JS: exactly the useful multiply-adds plus one pass over the columns; best for 'valid'
 *   convolutions (LeNet), strided ones, and one-channel inputs (whose gradient tfjs's fused conv computes even
 *   though nobody needs it). The col2im pass costs about as much as 25/co of the matmul.
 */
export function conv2DBackpropInput(args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }): Info {
  const { inputs, attrs, backend } = args;
  const dy = inputs['dy']!;
  const filter = inputs['filter']!;
  checkNhwc('Conv2DBackpropInput', attrs['dataFormat']);
  const inputShape = attrs['inputShape'] as [number, number, number, number];
  const c = convInfo(inputShape, shape4(filter, 'filter'), attrs);
  const viaConv = conv2DBackpropInputViaConv(dy, filter, c, backend);
  if (viaConv !== null) return viaConv;
  const taps = c.filterHeight * c.filterWidth * c.inChannels;
  const co = c.outChannels;
  const imagePixels = c.outHeight * c.outWidth;
  const wT = runWasm('Transpose', { x: withShape(filter, [taps, co]) }, { perm: [1, 0] }, backend);
  const b = withShape(wT, [1, co, taps]);
  const dx = newOutput(backend, [...inputShape]);
  heapF32(backend, dx).fill(0);
  // A few images at a time, so the column matrix is still in cache when col2im reads it back.
  const perChunk = Math.max(1, Math.floor(CHUNK_FLOATS / (imagePixels * taps)));
  const loops = heapLoops(backend);
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
    if (loops !== null) loops.col2imAdd(cols, dx, c, first, images);
    else col2imAdd(heapF32(backend, cols), heapF32(backend, dx), c, first, images);
    release(backend, cols);
  }
  release(backend, wT);
  return dx;
}

/** The stride-1 formulation of Conv2DBackpropInput as one XNNPACK Conv2D, or null when the other one is cheaper. */
function conv2DBackpropInputViaConv(dy: Info, filter: Info, c: tf.backend_util.Conv2DInfo, backend: WasmBackend): Info | null {
  const { inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co, filterHeight: kh, filterWidth: kw } = c;
  if (c.strideHeight !== 1 || c.strideWidth !== 1 || c.dilationHeight !== 1 || c.dilationWidth !== 1 || ci < 4) return null;
  if ((h * w) / (oh * ow) >= 1 + 25 / co) return null;
  const top = kh - 1 - c.padInfo.top;
  const left = kw - 1 - c.padInfo.left;
  const bottom = h - oh + c.padInfo.top;
  const right = w - ow + c.padInfo.left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  const flipped = newOutput(backend, [kh, kw, co, ci]);
  flipFilter(heapF32(backend, filter), heapF32(backend, flipped), kh, kw, ci, co);
  const dx = runWasm(
    'Conv2D',
    { x: dy, filter: flipped },
    { strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] },
    backend,
  );
  release(backend, flipped);
  return dx;
}

/** The stride-1 formulation of Conv2DBackpropFilter as one XNNPACK Conv2D, or null when the matmul one applies. */
function conv2DBackpropFilterViaConv(x: Info, dy: Info, c: tf.backend_util.Conv2DInfo, backend: WasmBackend): Info | null {
  if (c.strideHeight !== 1 || c.strideWidth !== 1 || c.dilationHeight !== 1 || c.dilationWidth !== 1 || c.inChannels < 4) return null;
  const p = c.padInfo;
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) return null;
  const xT = runWasm('Transpose', { x }, { perm: [3, 1, 2, 0] }, backend);
  const dyT = runWasm('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, backend);
  const r = runWasm(
    'Conv2D',
    { x: xT, filter: dyT },
    { strides: [1, 1], pad: [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] },
    backend,
  );
  release(backend, xT);
  release(backend, dyT);
  const dw = runWasm('Transpose', { x: r }, { perm: [1, 2, 0, 3] }, backend);
  release(backend, r);
  return dw;
}
