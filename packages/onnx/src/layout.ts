// Layout conversions between tfjs (NHWC, HWIO kernels) and ONNX (NCHW, OIHW kernels), and tfjs padding math.
import type { Padding } from '@softweight/core';

/** A typed array the exporter permutes: weights (float32) or codebook indices. */
export type PermutableArray = Float32Array | Uint16Array | Uint8Array;

/** How a weight is laid out in ONNX. */
export type WeightLayout = 'asIs' | 'oihw' | 'depthwise';

/** `y[j] = x[perm-mapped j]`: the row-major transpose of `data` (shape `shape`) by `perm`, like numpy's. */
export function transpose<T extends PermutableArray>(data: T, shape: readonly number[], perm: readonly number[]): { data: T; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d]!;
  }
  // Strides of the input, visited in output-axis order, so the output is written sequentially.
  const strides = perm.map((p) => inStrides[p]!);
  const out = new (data.constructor as { new (n: number): T })(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let j = 0; j < data.length; j++) {
    out[j] = data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += strides[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= strides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/**
 * Converts a tfjs weight to the ONNX layout: conv HWIO `[kh, kw, in, out]` -> OIHW `[out, in, kh, kw]`;
 * depthwise `[kh, kw, in, mult]` -> `[in * mult, 1, kh, kw]` (output channel `c * mult + m`, as tfjs orders them).
 */
export function toOnnxLayout<T extends PermutableArray>(data: T, shape: readonly number[], layout: WeightLayout): { data: T; shape: number[] } {
  if (layout === 'asIs') return { data, shape: [...shape] };
  if (layout === 'oihw') return transpose(data, shape, [3, 2, 0, 1]);
  const [kh, kw, inC, mult] = shape as [number, number, number, number];
  // [in, mult, kh, kw] in row-major order is already [in * mult, 1, kh, kw].
  const d = transpose(data, shape, [2, 3, 0, 1]);
  return { data: d.data, shape: [inC * mult, 1, kh, kw] };
}

/** `[before, after]` padding of one spatial axis with tfjs semantics (`same`: the odd pixel goes after). */
export function axisPads(size: number, kernel: number, stride: number, dilation: number, padding: Padding): [number, number] {
  if (padding === 'valid') return [0, 0];
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + effective - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** ONNX `pads` (`[top, left, bottom, right]`) for a 2-D window op on an `[h, w]` input. */
export function convPads(
  hw: readonly [number, number],
  kernel: readonly [number, number],
  strides: readonly [number, number],
  dilation: readonly [number, number],
  padding: Padding,
): number[] {
  const [t, b] = axisPads(hw[0], kernel[0], strides[0], dilation[0], padding);
  const [l, r] = axisPads(hw[1], kernel[1], strides[1], dilation[1], padding);
  return [t, l, b, r];
}
