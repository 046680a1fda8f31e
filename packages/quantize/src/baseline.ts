// The classic Deep Compression pipeline (Han et al. 2016) without retraining, to compare against soft weight-sharing.
import type { Codebook, CompressedModel, CompressionReport, FloatTensor, QuantizedTensor } from '@softweight/core';
import { QuantizeError } from './errors.js';
import { resolveInput, type QuantizeInput } from './input.js';
import { compressionReport, type CompressionReportOptions } from './report.js';

/** Options of `deepCompressionBaseline`. */
export interface DeepCompressionOptions {
  /** Fraction of covered weights pruned by magnitude, in [0, 1) (e.g. 0.92 leaves 8% non-zero, Han et al.'s LeNet figure). */
  sparsity: number;
  /** Number of non-zero shared values (k-means clusters) per codebook (default 16, comparable to a 17-component mixture). */
  clusters?: number;
  /**
   * `per-tensor` (default, as Han et al.): each tensor is pruned to `sparsity` and clustered with its own
   * codebook. `global`: one magnitude threshold and one codebook over all covered tensors.
   */
  scope?: 'per-tensor' | 'global';
  /** Maximum Lloyd iterations (default 100; 1-D k-means usually settles in far fewer). */
  maxIterations?: number;
  /** Options passed to `compressionReport`. */
  report?: CompressionReportOptions;
}

/** What the baseline did to one codebook's weights. */
export interface BaselineGroup {
  /** Codebook name (`<tensor>/codebook` per tensor, or `shared`). */
  codebook: string;
  /** Tensors clustered together. */
  tensors: string[];
  /** Magnitude threshold: weights with |w| below it were pruned (ties at it pruned in element order). */
  threshold: number;
  /** Weights pruned. */
  pruned: number;
  /** Lloyd iterations run. */
  iterations: number;
  /** Final non-zero centroids (ascending, empty clusters dropped), before float32 rounding. */
  centroids: number[];
}

/** Result of `deepCompressionBaseline`. */
export interface DeepCompressionResult {
  /** The compressed model (valid for core's `validateCompressedModel`, encodable by the codec). */
  compressed: CompressedModel;
  /** The paper's accounting of `compressed`. */
  report: CompressionReport;
  /** Per-codebook details. */
  groups: BaselineGroup[];
}

/** Indices of the `count` smallest |w| (ties broken by position) and the magnitude at the cut. */
function pruneMask(values: Float32Array[], count: number): { mask: Uint8Array[]; threshold: number } {
  const mask = values.map((v) => new Uint8Array(v.length));
  if (count === 0) return { mask, threshold: 0 };
  let n = 0;
  for (const v of values) n += v.length;
  const mags = new Float32Array(n);
  let p = 0;
  for (const v of values) for (let i = 0; i < v.length; i++) mags[p++] = Math.abs(v[i]!);
  mags.sort();
  const threshold = mags[count - 1]!;
  let left = count;
  for (let t = 0; t < values.length; t++) {
    const v = values[t]!;
    const m = mask[t]!;
    for (let i = 0; i < v.length; i++) if (Math.abs(v[i]!) < threshold) { m[i] = 1; left--; }
  }
  for (let t = 0; t < values.length && left > 0; t++) {
    const v = values[t]!;
    const m = mask[t]!;
    for (let i = 0; i < v.length && left > 0; i++) if (Math.abs(v[i]!) === threshold) { m[i] = 1; left--; }
  }
  return { mask, threshold };
}

/** First index in sorted `v` with v[i] >= x. */
function lowerBound(v: Float64Array, x: number): number {
  let lo = 0;
  let hi = v.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * 1-D k-means (Lloyd) on sorted values with Han et al.'s linear initialisation (centroids evenly spaced over
 * [min, max]). In one dimension each cluster is a contiguous run of the sorted values, so one iteration is
 * K binary searches plus prefix sums. Empty clusters keep their centroid and are dropped at the end.
 */
function kmeans1d(sorted: Float64Array, K: number, maxIterations: number): { centroids: number[]; iterations: number } {
  const n = sorted.length;
  if (n === 0) return { centroids: [], iterations: 0 };
  const lo = sorted[0]!;
  const hi = sorted[n - 1]!;
  let c: number[] = [];
  for (let k = 0; k < K; k++) c.push(K === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * k) / (K - 1));
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + sorted[i]!;
  let starts: number[] = [];
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    c.sort((a, b) => a - b);
    const s = [0];
    for (let k = 0; k + 1 < c.length; k++) s.push(lowerBound(sorted, c[k]! + (c[k + 1]! - c[k]!) / 2));
    s.push(n);
    if (starts.length === s.length && s.every((x, i) => x === starts[i])) break;
    starts = s;
    c = c.map((ck, k) => {
      const a = s[k]!;
      const b = s[k + 1]!;
      return b > a ? (prefix[b]! - prefix[a]!) / (b - a) : ck;
    });
  }
  // Keep clusters that hold values.
  c.sort((a, b) => a - b);
  const out: number[] = [];
  const s = [0];
  for (let k = 0; k + 1 < c.length; k++) s.push(lowerBound(sorted, c[k]! + (c[k + 1]! - c[k]!) / 2));
  s.push(n);
  for (let k = 0; k < c.length; k++) if (s[k + 1]! > s[k]!) out.push(c[k]!);
  return { centroids: out, iterations };
}

/**
 * Deep Compression without retraining on the same input `quantize` takes: magnitude pruning of the covered
 * weights to `sparsity`, then k-means with `clusters` linearly initialised centroids on the surviving
 * weights; every surviving weight takes its nearest centroid (float32). Tensors not covered pass through.
 * Han et al. retrain the pruned network and fine-tune the centroids; this baseline does neither, so it
 * shows what the classic pipeline gives on your weights with no extra training.
 */
export function deepCompressionBaseline(input: QuantizeInput, options: DeepCompressionOptions): DeepCompressionResult {
  const { sparsity } = options;
  const K = options.clusters ?? 16;
  const scope = options.scope ?? 'per-tensor';
  const maxIterations = options.maxIterations ?? 100;
  if (!(sparsity >= 0 && sparsity < 1)) throw new QuantizeError('sparsity', `is ${sparsity}, expected a fraction in [0, 1)`);
  if (!Number.isInteger(K) || K < 1 || K > 65535) throw new QuantizeError('clusters', `is ${K}, expected an integer in [1, 65535]`);
  if (scope !== 'per-tensor' && scope !== 'global') throw new QuantizeError('scope', `is "${String(scope)}", expected "per-tensor" or "global"`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new QuantizeError('maxIterations', `is ${maxIterations}, expected a positive integer`);
  const { tensors } = resolveInput(input);
  const covered = tensors.filter((t) => t.covered);
  const sets = scope === 'global' ? [covered] : covered.map((t) => [t]);

  const codebooks: Codebook[] = [];
  const groups: BaselineGroup[] = [];
  const indicesOf = new Map<string, Uint16Array>();
  for (const set of sets) {
    if (set.length === 0) continue;
    const name = scope === 'global' ? 'shared' : `${set[0]!.name}/codebook`;
    const values = set.map((t) => t.values);
    let n = 0;
    for (const v of values) n += v.length;
    const { mask, threshold } = pruneMask(values, Math.round(sparsity * n));
    const surviving: number[] = [];
    let pruned = 0;
    values.forEach((v, t) => {
      const m = mask[t]!;
      for (let i = 0; i < v.length; i++) {
        if (m[i] === 1) pruned++;
        else surviving.push(v[i]!);
      }
    });
    const sorted = Float64Array.from(surviving).sort();
    const { centroids, iterations } = kmeans1d(sorted, K, maxIterations);
    // Codebook: float32 centroids plus 0, unique and ascending; boundaries at float64 centroid midpoints.
    const cbValues = Float32Array.from([...new Set([0, ...centroids.map((x) => Math.fround(x) + 0)])].sort((a, b) => a - b));
    const pos = new Map<number, number>();
    cbValues.forEach((v, i) => pos.set(v, i));
    const centroidIndex = centroids.map((x) => pos.get(Math.fround(x) + 0)!);
    const bounds = Float64Array.from(centroids.slice(1).map((x, k) => centroids[k]! + (x - centroids[k]!) / 2));
    const zeroIndex = pos.get(0)!;
    set.forEach((t, ti) => {
      const v = t.values;
      const m = mask[ti]!;
      const idx = new Uint16Array(v.length);
      for (let i = 0; i < v.length; i++) {
        if (m[i] === 1 || centroids.length === 0) idx[i] = zeroIndex;
        else {
          // Index of the cluster holding v[i]: number of boundaries <= v[i], as in the k-means runs.
          let lo = 0;
          let hi = bounds.length;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (bounds[mid]! <= v[i]!) lo = mid + 1;
            else hi = mid;
          }
          idx[i] = centroidIndex[lo]!;
        }
      }
      indicesOf.set(t.name, idx);
    });
    codebooks.push({ name, values: cbValues, zeroIndex });
    groups.push({ codebook: name, tensors: set.map((t) => t.name), threshold, pruned, iterations, centroids });
  }

  const quantized: QuantizedTensor[] = [];
  const float: FloatTensor[] = [];
  for (const t of tensors) {
    const idx = indicesOf.get(t.name);
    if (idx === undefined) float.push({ name: t.name, shape: t.shape, values: Float32Array.from(t.values) });
    else quantized.push({ name: t.name, shape: t.shape, codebook: groups.find((g) => g.tensors.includes(t.name))!.codebook, indices: idx });
  }
  const compressed: CompressedModel = { graph: input.graph, codebooks, quantized, float };
  return { compressed, report: compressionReport(compressed, options.report), groups };
}
