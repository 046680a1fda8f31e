// The paper's compression accounting (Deep Compression scheme): sparse gap + index streams, Huffman coded.
import { entropyBits, huffmanBits, shapeSize, type Codebook, type CompressedModel, type CompressionReport, type GraphNode, type MatrixKind, type StreamBits, type TensorReport } from '@softweight/core';
import { QuantizeError } from './errors.js';

/**
 * How a tensor's elements are read into the matrix the accounting scans row by row.
 * - `dense-kernel`: tfjs `[in, out]` read as the `[out, in]` matrix (Caffe/PyTorch orientation, one row per unit).
 * - `conv-kernel`: tfjs HWIO `[kh, kw, in, out]` read as `[out, in*kh*kw]`, each row in (in, kh, kw) order (OIHW flattened).
 * - `depthwise-kernel`: tfjs `[kh, kw, in, mult]` read as `[in*mult, kh*kw]` (one row per output channel).
 * - `flat`: the tensor's own row-major order (biases and anything that is not a kernel).
 */
export type MatrixLayout = 'dense-kernel' | 'conv-kernel' | 'depthwise-kernel' | 'flat';

/** Options of `compressionReport`. */
export interface CompressionReportOptions {
  /** Bits per relative-position gap (defaults: dense 5, conv 8, as Han et al.). */
  gapBits?: { dense?: number; conv?: number };
  /**
   * How both streams are coded (default `huffman`, the paper's). `fixed` counts `gapBits` per gap and
   * `ceil(log2 K)` bits per index (K = the tensor's distinct values, at least 1 bit): the stage before Huffman.
   */
  coding?: 'huffman' | 'fixed';
}

/** The two streams of the sparse layout of one tensor. */
export interface SparseStreams {
  /** Zeros skipped before each stored entry, each in `[0, 2^gapBits - 1]`. */
  gaps: Uint16Array;
  /** Codebook index of each stored entry (the codebook's `zeroIndex` for fillers). */
  indices: Uint16Array;
  /** How many of the entries are fillers. */
  fillers: number;
}

/** Which matrix layout and gap width (dense or conv) a tensor gets, from the graph node that uses it. */
export function matrixLayoutOf(graph: CompressedModel['graph'], tensor: string): { layout: MatrixLayout; kind: MatrixKind } {
  for (const node of graph.nodes as GraphNode[]) {
    if (node.kind === 'dense' && node.kernel === tensor) return { layout: 'dense-kernel', kind: 'dense' };
    if (node.kind === 'conv2d' && node.kernel === tensor) return { layout: 'conv-kernel', kind: 'conv' };
    if (node.kind === 'depthwiseConv2d' && node.kernel === tensor) return { layout: 'depthwise-kernel', kind: 'conv' };
  }
  return { layout: 'flat', kind: 'dense' };
}

/**
 * Element order (indices into the tfjs row-major tensor) in which the accounting scans a tensor:
 * row by row through the matrix `layout` describes.
 */
export function scanOrder(shape: readonly number[], layout: MatrixLayout): Uint32Array {
  const n = shapeSize(shape);
  const order = new Uint32Array(n);
  let p = 0;
  if (layout === 'dense-kernel' && shape.length === 2) {
    const [ni, no] = shape as [number, number];
    for (let o = 0; o < no; o++) for (let i = 0; i < ni; i++) order[p++] = i * no + o;
  } else if ((layout === 'conv-kernel' || layout === 'depthwise-kernel') && shape.length === 4) {
    const [kh, kw, ci, co] = shape as [number, number, number, number];
    if (layout === 'conv-kernel') {
      for (let o = 0; o < co; o++) for (let c = 0; c < ci; c++) for (let h = 0; h < kh; h++) for (let w = 0; w < kw; w++) order[p++] = ((h * kw + w) * ci + c) * co + o;
    } else {
      for (let c = 0; c < ci; c++) for (let m = 0; m < co; m++) for (let h = 0; h < kh; h++) for (let w = 0; w < kw; w++) order[p++] = ((h * kw + w) * ci + c) * co + m;
    }
  } else {
    for (let i = 0; i < n; i++) order[i] = i;
  }
  return order;
}

/**
 * The sparse layout of Han et al. (Deep Compression, Fig. 2) over one flattened matrix: for every non-zero,
 * in scan order, the number of zeros skipped since the previous stored entry (the first counts from the
 * start) and its codebook index. A run of zeros longer than `2^gapBits - 1` is bridged by filler entries
 * (gap `2^gapBits - 1`, index `zeroIndex`), one per `2^gapBits` zeros. One stream covers the whole matrix:
 * rows are not marked (no row pointers), so trailing zeros after the last entry cost nothing.
 */
export function sparseStreams(indices: Uint16Array, codebook: Codebook, order: Uint32Array, gapBits: number): SparseStreams {
  if (!Number.isInteger(gapBits) || gapBits < 1 || gapBits > 16) throw new QuantizeError('gapBits', `is ${gapBits}, expected an integer in [1, 16]`);
  const maxGap = 2 ** gapBits - 1;
  const isZero = codebook.values.map((v) => (v === 0 ? 1 : 0));
  const gaps: number[] = [];
  const idx: number[] = [];
  let fillers = 0;
  let run = 0;
  for (let p = 0; p < order.length; p++) {
    const k = indices[order[p]!]!;
    if (isZero[k] === 1) {
      run++;
      continue;
    }
    while (run > maxGap) {
      gaps.push(maxGap);
      idx.push(codebook.zeroIndex);
      fillers++;
      run -= maxGap + 1;
    }
    gaps.push(run);
    idx.push(k);
    run = 0;
  }
  return { gaps: Uint16Array.from(gaps), indices: Uint16Array.from(idx), fillers };
}

function histogram(symbols: Uint16Array, size: number): Float64Array {
  const h = new Float64Array(size);
  for (let i = 0; i < symbols.length; i++) h[symbols[i]!]++;
  return h;
}

function addBits(a: StreamBits, b: StreamBits): StreamBits {
  return { positions: a.positions + b.positions, indices: a.indices + b.indices, codebook: a.codebook + b.codebook, total: a.total + b.total };
}

/**
 * Compression figures of every quantized tensor and in total under the paper's accounting (PAPER.md
 * section 6): relative-position gaps of 5 bits (dense) or 8 bits (conv) with fillers, codebook indices,
 * both streams Huffman coded with their own per-tensor code (code tables not counted, as in the paper),
 * plus 32 bits per value of the tensor's own codebook (its distinct values, 0 included when anything is
 * pruned; Han et al. keep one codebook per layer, so a shared codebook is charged once per tensor).
 * `CR = 32 * weights / bits`. Float pass-through tensors are reported apart and not counted in CR.
 */
export function compressionReport(compressed: CompressedModel, options: CompressionReportOptions = {}): CompressionReport {
  const gapDense = options.gapBits?.dense ?? 5;
  const gapConv = options.gapBits?.conv ?? 8;
  const coding = options.coding ?? 'huffman';
  if (coding !== 'huffman' && coding !== 'fixed') throw new QuantizeError('coding', `is "${String(coding)}", expected "huffman" or "fixed"`);
  const books = new Map(compressed.codebooks.map((c) => [c.name, c]));
  const tensors: TensorReport[] = [];
  let total: StreamBits = { positions: 0, indices: 0, codebook: 0, total: 0 };
  let weights = 0;
  let nonZeros = 0;
  for (const t of compressed.quantized) {
    const cb = books.get(t.codebook);
    if (cb === undefined) throw new QuantizeError(t.name, `refers to codebook "${t.codebook}", which the model does not have`);
    const K = cb.values.length;
    const n = t.indices.length;
    if (n !== shapeSize(t.shape)) throw new QuantizeError(t.name, `has ${n} indices but shape [${t.shape.join(', ')}] needs ${shapeSize(t.shape)}`);
    const used = new Uint8Array(K);
    let nz = 0;
    for (let i = 0; i < n; i++) {
      const k = t.indices[i]!;
      if (k >= K) throw new QuantizeError(t.name, `index ${k} at element ${i} is outside codebook "${cb.name}" (${K} values)`);
      used[k] = 1;
      if (cb.values[k] !== 0) nz++;
    }
    const distinct = new Set<number>();
    for (let k = 0; k < K; k++) if (used[k] === 1) distinct.add(cb.values[k]! + 0);
    const { layout, kind } = matrixLayoutOf(compressed.graph, t.name);
    const gapBits = kind === 'conv' ? gapConv : gapDense;
    const streams = sparseStreams(t.indices, cb, scanOrder(t.shape, layout), gapBits);
    const gapHist = histogram(streams.gaps, 2 ** gapBits);
    const idxHist = histogram(streams.indices, K);
    const entries = streams.gaps.length;
    const bits: StreamBits =
      coding === 'huffman'
        ? { positions: huffmanBits(gapHist), indices: huffmanBits(idxHist), codebook: 32 * distinct.size, total: 0 }
        : { positions: gapBits * entries, indices: Math.max(1, Math.ceil(Math.log2(distinct.size))) * entries, codebook: 32 * distinct.size, total: 0 };
    bits.total = bits.positions + bits.indices + bits.codebook;
    tensors.push({
      name: t.name,
      matrixKind: kind,
      shape: [...t.shape],
      weights: n,
      nonZeros: nz,
      nonZeroPercent: n === 0 ? 0 : (100 * nz) / n,
      distinctValues: distinct.size,
      fillers: streams.fillers,
      bits,
      entropyBits: { positions: entropyBits(gapHist), indices: entropyBits(idxHist) },
      compressionRate: bits.total === 0 ? 0 : (32 * n) / bits.total,
    });
    total = addBits(total, bits);
    weights += n;
    nonZeros += nz;
  }
  let floatValues = 0;
  for (const f of compressed.float) floatValues += f.values.length;
  return {
    tensors,
    total: {
      weights,
      nonZeros,
      nonZeroPercent: weights === 0 ? 0 : (100 * nonZeros) / weights,
      bits: total,
      compressionRate: total.total === 0 ? 0 : (32 * weights) / total.total,
    },
    float: { tensors: compressed.float.length, values: floatValues, bits: 32 * floatValues },
  };
}
