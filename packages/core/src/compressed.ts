// What compression produces: a graph plus codebooks, quantized tensors and float pass-through tensors.
import type { ModelGraph } from './graph.js';
import { CompressedModelError } from './errors.js';

/** A JSON value (metadata carried in `.sws` files and reports). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The shared values a quantized tensor indexes; `values[zeroIndex]` is exactly 0 (the pruned value). */
export interface Codebook {
  /** Unique name, referenced by `QuantizedTensor.codebook`. */
  name: string;
  /** The K shared values (float32). */
  values: Float32Array;
  /** Index of the value 0: elements with this index are pruned. */
  zeroIndex: number;
}

/** A weight tensor stored as one codebook index per element (row-major, tfjs layout). */
export interface QuantizedTensor {
  /** Weight name, as referenced by graph nodes. */
  name: string;
  /** Shape in tfjs layout (dense `[in, out]`, conv HWIO). */
  shape: number[];
  /** Name of the codebook the indices refer to. */
  codebook: string;
  /** One index per element, `indices.length === product(shape)`; the codebook's `zeroIndex` means pruned. */
  indices: Uint16Array;
}

/** A tensor kept in float32 (biases, batch-norm statistics, anything the prior did not cover). */
export interface FloatTensor {
  /** Weight name, as referenced by graph nodes. */
  name: string;
  /** Shape in tfjs layout. */
  shape: number[];
  /** Row-major values, `values.length === product(shape)`. */
  values: Float32Array;
}

/** A compressed model: everything needed to rebuild the quantized network without the original. */
export interface CompressedModel {
  /** The network's structure. */
  graph: ModelGraph;
  /** Codebooks referenced by the quantized tensors. */
  codebooks: Codebook[];
  /** Weight tensors stored as codebook indices. */
  quantized: QuantizedTensor[];
  /** Weight tensors stored as float32. */
  float: FloatTensor[];
  /** Free-form metadata (training settings, measured accuracy...). */
  metadata?: { [key: string]: JsonValue };
}

/** How a weight matrix is laid out for the paper's sparse accounting. */
export type MatrixKind = 'dense' | 'conv';

/** Bits of one stream or of a whole tensor under the paper's (Deep Compression) accounting. */
export interface StreamBits {
  /** Bits of the relative-position (gap) stream, Huffman coded, including filler entries. */
  positions: number;
  /** Bits of the codebook-index stream, Huffman coded. */
  indices: number;
  /** Bits of the float32 codebook. */
  codebook: number;
  /** Sum of the three. */
  total: number;
}

/** Compression figures of one quantized tensor. */
export interface TensorReport {
  /** Tensor name. */
  name: string;
  /** Accounting orientation: `dense` (5-bit gaps, matrix `[out, in]`) or `conv` (8-bit gaps, matrix `[out, in*kh*kw]`). */
  matrixKind: MatrixKind;
  /** Shape in tfjs layout. */
  shape: number[];
  /** Number of weights. */
  weights: number;
  /** Number of non-zero (unpruned) weights. */
  nonZeros: number;
  /** `100 * nonZeros / weights`. */
  nonZeroPercent: number;
  /** Number of distinct values among the weights (including 0 when any are pruned). */
  distinctValues: number;
  /** Filler entries inserted for gaps too long for the fixed gap width. */
  fillers: number;
  /** Bits under the paper's accounting. */
  bits: StreamBits;
  /** Empirical entropy (bits, total over the stream) of the gap and index streams: what an ideal coder reaches. */
  entropyBits: { positions: number; indices: number };
  /** `32 * weights / bits.total`. */
  compressionRate: number;
}

/** Compression figures of a whole model, per quantized tensor and in total. */
export interface CompressionReport {
  /** One row per quantized tensor. */
  tensors: TensorReport[];
  /** Totals over the quantized tensors (the paper's CR counts these only). */
  total: {
    /** Number of quantized weights. */
    weights: number;
    /** Number of non-zero quantized weights. */
    nonZeros: number;
    /** `100 * nonZeros / weights`. */
    nonZeroPercent: number;
    /** Sum of the tensors' bits. */
    bits: StreamBits;
    /** `32 * weights / bits.total`: the paper's compression rate. */
    compressionRate: number;
  };
  /** Float pass-through tensors (biases, batch-norm), not counted in the paper's CR. */
  float: {
    /** Number of float tensors. */
    tensors: number;
    /** Number of float values. */
    values: number;
    /** `32 * values`. */
    bits: number;
  };
}

/** Product of a shape's dimensions (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A named tensor's dense float32 values in tfjs layout. */
export interface DenseTensor {
  /** Shape in tfjs layout. */
  shape: number[];
  /** Row-major values. */
  values: Float32Array;
}

/**
 * Every tensor of a compressed model as dense float32 values, quantized ones looked up in their codebook.
 * Float tensors are shared, not copied. Throws `CompressedModelError` naming the tensor for a missing
 * codebook or an index outside it.
 */
export function dequantize(compressed: CompressedModel): Map<string, DenseTensor> {
  const books = new Map(compressed.codebooks.map((c) => [c.name, c]));
  const out = new Map<string, DenseTensor>();
  for (const t of compressed.quantized) {
    const cb = books.get(t.codebook);
    if (cb === undefined) throw new CompressedModelError(t.name, `refers to codebook "${t.codebook}", which the model does not have`);
    const values = new Float32Array(t.indices.length);
    const book = cb.values;
    for (let i = 0; i < values.length; i++) {
      const k = t.indices[i]!;
      if (k >= book.length) throw new CompressedModelError(t.name, `index ${k} at element ${i} is outside codebook "${cb.name}" (${book.length} values)`);
      values[i] = book[k]!;
    }
    out.set(t.name, { shape: [...t.shape], values });
  }
  for (const t of compressed.float) out.set(t.name, { shape: [...t.shape], values: t.values });
  return out;
}
