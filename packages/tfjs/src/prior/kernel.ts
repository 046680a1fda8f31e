// The prior's per-tensor kernel (log-prior and all its gradients over float32 weights, cubic Hermite tables), as one self-contained factory.
//
// Why a table: for a fixed mixture, log p(w) and d log p/dw are one smooth function of the weight's value, and
// the mixture gradients are sums over weights of smooth functions of w. So per call (per tensor and step) we
//   1. split [min w, max w] into NC coarse cells; per cell keep only the components that can matter there
//      (upper bound of the log-joint within CUT = 30 nats of a lower bound of the best one: the dropped ones
//      have responsibility < e^-30 (1e-13) everywhere in the cell);
//   2. choose the fine spacing so that on every sub-cell each log-odds a_j(w) - a_k(w) between two kept
//      components changes by at most THETA: h * max|a_j' - a_k'| <= THETA (a_j' = -lambda_j (w - mu_j) is
//      linear, so its spread over a cell is attained at the cell's ends): each coarse cell c needs need_c
//      sub-cells. Either one uniform spacing, the finest any cell needs (one index per weight: the fastest
//      per-weight pass), or an adaptive grid, 2 need_c sub-cells in cell c (a two-level index, 1.6x the cost
//      per weight, far fewer nodes when a few sharp switches set the finest spacing, as late in training;
//      twice the need because THETA met exactly in every cell puts errors at the bound below, which the
//      uniform grid, over-resolving all but its sharpest cell, stays well under). A cost model picks the
//      cheaper. Where one component alone matters g is linear and f quadratic, so no resolution is spent there;
//   3. evaluate f = log p, g = f', g' = f'' exactly (float64, max-subtracted logsumexp) at every node;
//   4. per weight: g(w) by cubic Hermite interpolation (from g and g'), and the moments sum t^k, k = 0..3, of
//      the weights' positions t in each sub-cell;
//   5. sum_i log p(w_i) and the mixture sums sum_i h(w_i) from the moments: the same cubic Hermite rule applied
//      to f (with f' = g) and to each component's h (with its analytic derivative).
// A coarse cell that would need more than MAX_SUB (adaptive: MAX_SUB_ADAPTIVE) sub-cells, a tensor
// smaller than EXACT_BELOW, a tensor whose table would cost more than the exact path (method 'auto': few
// weights under sharp components), or method 'exact' uses the exact per-weight computation over all components.
// Cost: two passes over the weights (min/max, then one fused interpolate-and-count loop) plus
// (nodes x kept components) exp calls, nodes being a few hundred to a few thousand in practice.
// mixturePriorTermsShared does steps 1-3 once for several tensors under the same mixture (a model's covered kernels
// in one training step): one table over all their weights' range, then steps 4-5 per tensor. Late in training a
// sharp mixture needs thousands of nodes, which LeNet-300-100's smaller kernels would otherwise each pay for (or
// take the exact path): measured there, 4.4-5.6 -> 3.5-4.6 ms per step for the three kernels (bench/prior-kernel.ts).
//
// Error bound (tested in fast.test.ts against core's float64 reference, random mixtures with sigma down to
// 1e-3 and a late-training one on the adaptive grid; worst measured weight-gradient error 0.18 of the bound):
// with THETA = 1/2 the weight gradient satisfies
// |g~(w) - g(w)| <= 1e-5 * S(w) + float32 rounding of g, where S(w) = sum_j r_j(w) lambda_j (|w - mu_j| + sigma_j)
// is the gradient's natural scale at w (the components' pulls, plus one sigma so that it does not vanish at a
// component's centre); sum log p and the mixture sums are within 1e-5 of the sum of their terms' absolute
// values (+ 1e-9 per weight); the logit and pi0 gradients, derived from the responsibilities, within 2e-5 n
// and 1e-5 n (1/pi0 + 1/(1 - pi0)).
//
// Why a factory: everything the kernel needs is inside createPriorKernel (no imports, no module state), so
// its source text (Function.prototype.toString, also after a bundler renames things) runs unchanged in a
// worker thread (prior/parallel.ts), and both threads compute bit for bit the same results.

/** How `mixturePriorTerms` computes: `auto` (table for large tensors), or force `table` / `exact`. */
export type PriorMethod = 'auto' | 'table' | 'exact';

/** A mixture in the form the kernels need: means, precisions and per-component log normalisers. */
export interface PreparedMixture {
  /** Number of components J. */
  readonly count: number;
  /** Component means mu_j. */
  readonly means: Float64Array;
  /** Precisions lambda_j = exp(gamma_j). */
  readonly precisions: Float64Array;
  /** log pi_j + 0.5 gamma_j - 0.5 log(2 pi): a_j(w) = logNorm_j - 0.5 lambda_j (w - mu_j)^2. */
  readonly logNorm: Float64Array;
}

/** Result of `mixturePriorTerms`: the log-prior of one weight tensor and the sums its gradients need. */
export interface PriorTerms {
  /** sum_i log p(w_i). */
  logDensity: number;
  /** gradScale * d/dw_i sum log p, one per weight. */
  gradient: Float32Array;
  /** sum_i r_ij lambda_j (w_i - mu_j): d/dmu_j of sum log p. */
  means: Float64Array;
  /** sum_i r_ij (1/2 - lambda_j (w_i - mu_j)^2 / 2): d/dgamma_j of sum log p. */
  logPrecisions: Float64Array;
  /** sum_i r_ij: the total responsibility of every component. */
  responsibility: Float64Array;
  /** How many weights took the exact path. */
  exactWeights: number;
  /** How many table nodes were evaluated. */
  nodes: number;
  /** Which grid the table used: `uniform` or `adaptive` (see the file header), or `exact` when no table was built. */
  grid: 'uniform' | 'adaptive' | 'exact';
}

/** Options of `mixturePriorTerms`. */
export interface PriorTermsOptions {
  /** Multiplies the weight gradient before it is stored (default 1). */
  gradScale?: number;
  /** Computation method (default `auto`). */
  method?: PriorMethod;
  /** Write the gradient here instead of a new array (length must match). */
  out?: Float32Array;
  /**
   * [min, max] of the same tensor's weights at the previous call, updated in place (start with NaNs). The
   * grid is then built on that range padded by 1/16 on each side and the weights' true range is tracked in
   * the main loop, which saves a pass over the weights; a weight outside the padded range makes the call
   * start over on the true range, so the result never depends on the hint.
   */
  rangeHint?: Float64Array;
}

/** The kernel's entry point: see the file header. */
export type MixturePriorTermsFn = (weights: Float32Array, mix: PreparedMixture, options?: PriorTermsOptions) => PriorTerms;

/** Options of `mixturePriorTermsShared`. */
export interface SharedPriorTermsOptions {
  /** Multiplies every weight gradient before it is stored (default 1). */
  gradScale?: number;
  /** Computation method (default `auto`; decided once, for all the tensors' weights together). */
  method?: PriorMethod;
  /** Per tensor: write its gradient here instead of a new array (an entry's length must match its tensor). */
  outs?: ReadonlyArray<Float32Array | undefined>;
  /** [min, max] of all the tensors' weights at the previous call, updated in place: as `PriorTermsOptions.rangeHint`. */
  rangeHint?: Float64Array;
}

/**
 * The kernel over several tensors under one mixture (a model's covered kernels in one training step): one
 * table over all their weights' range, built once, then one per-weight pass per tensor. The same error bound
 * as `MixturePriorTermsFn` (it holds on any table), for a fraction of the cost when the mixture is sharp
 * (late in training a table has thousands of nodes, which small tensors would otherwise pay for each, or
 * take the exact path). Each result is a function of all the tensors' weights, the mixture, gradScale and method.
 */
export type MixturePriorTermsSharedFn = (tensors: readonly Float32Array[], mix: PreparedMixture, options?: SharedPriorTermsOptions) => PriorTerms[];

/**
 * Builds the kernel. `makeError(subject, message)` makes the error thrown for invalid input (a `PriorError` on the
 * main thread). `wasmBytes`: the compiled interpolate.wat, which then runs the per-weight loop (about 2x faster
 * than the JS loop; null, or a runtime without WebAssembly, keeps the JS loop). Must stay self-contained: it is
 * also run from its source text in a worker.
 */
export function createPriorKernel(
  makeError: (subject: string, message: string) => Error,
  wasmBytes: Uint8Array | null = null,
): { mixturePriorTerms: MixturePriorTermsFn; mixturePriorTermsShared: MixturePriorTermsSharedFn; usesWasm: boolean } {
  /** Components more than this many nats below the best one over a whole cell are dropped there. */
  const CUT = 30;
  /** Largest log-odds change allowed across one sub-cell. */
  const THETA = 0.5;
  /** A coarse cell needing more sub-cells than this is computed exactly, weight by weight (caps the grid at 256 x 256). */
  const MAX_SUB = 256;
  /** Tensors smaller than this are computed exactly (the table would cost more than it saves). */
  const EXACT_BELOW = 256;
  /** The adaptive grid's cap per coarse cell, and on its total (a cell above the cap goes to the exact path). */
  const MAX_SUB_ADAPTIVE = 2048;
  const MAX_NODES_ADAPTIVE = 65536;
  /**
   * Costs for choosing a path, in units of one component of one weight on the exact path (measured here): a
   * table node per kept component (its share of step 5 included), and the per-weight pass per weight on the
   * uniform and on the adaptive grid.
   */
  const NODE_COST = 1.6;
  const WEIGHT_COST = 0.2;
  const WEIGHT_COST_ADAPTIVE = 0.3;
  /** Weights per call of the wasm loop: input and gradient chunks stay in the core's L2 cache. */
  const CHUNK = 32768;
  /** Byte offsets in the wasm memory: weight chunk, gradient chunk, range (2 doubles), cells (16 bytes each), then the tables. */
  const GRAD_AT = 4 * CHUNK;
  const RANGE_AT = 8 * CHUNK;
  const CELLS_AT = 8 * CHUNK + 64;
  const TABLES_AT = CELLS_AT + 16 * 272;

  // The WebAssembly API, typed structurally (the package's TypeScript lib has no DOM or Node types).
  type InterpolateFn = (w: number, n: number, lo: number, invh: number, pm: number, mb: number, g: number, maxk: number, range: number) => void;
  type InterpolateCellsFn = (w: number, n: number, lo: number, invdc: number, pm: number, mb: number, g: number, maxk: number, range: number, cells: number, maxc: number) => void;
  interface WasmMemory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  interface WasmApi {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: object) => { exports: { memory: WasmMemory; interpolate: InterpolateFn; interpolate_cells: InterpolateCellsFn } };
  }
  let wasm: { memory: WasmMemory; interpolate: InterpolateFn; interpolateCells: InterpolateCellsFn } | null = null;
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasmBytes !== null && api !== undefined) {
    try {
      // About 2 kB: small enough for a synchronous compile anywhere (browsers refuse only large modules on the main thread).
      const exports = new api.Instance(new api.Module(wasmBytes), {}).exports;
      wasm = { memory: exports.memory, interpolate: exports.interpolate, interpolateCells: exports.interpolate_cells };
    } catch {
      wasm = null;
    }
  }

  /** The wasm memory's bytes, grown to hold the chunks and tables of `totalSub` sub-cells. */
  function wasmBuffer(totalSub: number): ArrayBuffer {
    const memory = wasm!.memory;
    const need = TABLES_AT + 96 * totalSub;
    const have = memory.buffer.byteLength;
    if (need > have) memory.grow(Math.ceil((need - have) / 65536));
    return memory.buffer;
  }

  /**
   * The per-weight loop on the wasm module, chunk by chunk: gradient into `gradient`, moments into the tables
   * (which live in the wasm memory at TABLES_AT), the weights' min and max into `range`. `cells`: the adaptive
   * grid's cell table (already at CELLS_AT) and its last index; null for the uniform grid (spacing 1/invh).
   */
  function interpolateWasm(
    weights: Float32Array,
    lo: number,
    invh: number,
    totalSub: number,
    gradient: Float32Array,
    range: Float64Array,
    cells: { invdc: number; maxc: number } | null,
  ): void {
    const { interpolate, interpolateCells, memory } = wasm!;
    const buffer = memory.buffer;
    const w = new Float32Array(buffer, 0, CHUNK);
    const g = new Float32Array(buffer, GRAD_AT, CHUNK);
    const r = new Float64Array(buffer, RANGE_AT, 2);
    const pm = TABLES_AT;
    const mb = TABLES_AT + 64 * totalSub;
    // NaN weights are skipped by the min/max (as in the JS loops); their moments make the caller throw.
    let mn = Infinity;
    let mx = -Infinity;
    for (let start = 0; start < weights.length; start += CHUNK) {
      const end = Math.min(weights.length, start + CHUNK);
      const count = end - start;
      w.set(weights.subarray(start, end));
      // An odd-sized chunk would move the even/odd split of the moments: only the last chunk may be odd.
      if (cells === null) interpolate(0, count, lo, invh, pm, mb, GRAD_AT, totalSub - 1, RANGE_AT);
      else interpolateCells(0, count, lo, cells.invdc, pm, mb, GRAD_AT, totalSub - 1, RANGE_AT, CELLS_AT, cells.maxc);
      gradient.set(count === CHUNK ? g : g.subarray(0, count), start);
      if (r[0]! < mn) mn = r[0]!;
      if (r[1]! > mx) mx = r[1]!;
    }
    range[0] = mn;
    range[1] = mx;
  }


  // The two per-weight loops live in small functions of their own: V8 optimises them far better there
  // (measured here: the min/max pass about 3x faster than inlined in the large function).

  /** min and max of the weights into out[0], out[1] (NaN is skipped; the callers detect it later). */
  function weightRange(weights: Float32Array, out: Float64Array): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (w < lo) lo = w;
      if (w > hi) hi = w;
    }
    out[0] = lo;
    out[1] = hi;
  }

  /**
   * Per weight: the Hermite cubic of its sub-cell gives its gradient, and its position t in the sub-cell adds
   * 1, t, t^2, t^3 to the sub-cell's moments. PM holds 8 doubles per sub-cell: 4 coefficients, 4 moments.
   * No bounds clamp: the grid has one spare sub-cell past the largest weight.
   */
  function interpolateAndCount(weights: Float32Array, lo: number, invh: number, PM: Float64Array, MB: Float64Array, gradient: Float32Array): void {
    const n = weights.length;
    let i = 0;
    // Two weights per iteration: independent chains for the CPU to overlap (about 10% faster).
    for (; i + 1 < n; i += 2) {
      const u = (weights[i]! - lo) * invh;
      const k = u | 0;
      const t = u - k;
      const s = k << 3;
      const v = (weights[i + 1]! - lo) * invh;
      const l = v | 0;
      const q = v - l;
      const r = l << 3;
      gradient[i] = PM[s]! + t * (PM[s + 1]! + t * (PM[s + 2]! + t * PM[s + 3]!));
      gradient[i + 1] = PM[r]! + q * (PM[r + 1]! + q * (PM[r + 2]! + q * PM[r + 3]!));
      const t2 = t * t;
      PM[s + 4]! += 1;
      PM[s + 5]! += t;
      PM[s + 6]! += t2;
      PM[s + 7]! += t2 * t;
      const q2 = q * q;
      const b = l << 2;
      MB[b]! += 1;
      MB[b + 1]! += q;
      MB[b + 2]! += q2;
      MB[b + 3]! += q2 * q;
    }
    for (; i < n; i++) {
      const u = (weights[i]! - lo) * invh;
      const k = u | 0;
      const t = u - k;
      const s = k << 3;
      gradient[i] = PM[s]! + t * (PM[s + 1]! + t * (PM[s + 2]! + t * PM[s + 3]!));
      const t2 = t * t;
      PM[s + 4]! += 1;
      PM[s + 5]! += t;
      PM[s + 6]! += t2;
      PM[s + 7]! += t2 * t;
    }
  }

  /** interpolateAndCount that also tracks the weights' min and max into `range` (for the next call's grid). */
  function interpolateCountAndRange(
    weights: Float32Array,
    lo: number,
    invh: number,
    PM: Float64Array,
    MB: Float64Array,
    gradient: Float32Array,
    range: Float64Array,
  ): void {
    const n = weights.length;
    let mn = Infinity;
    let mx = -Infinity;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const w0 = weights[i]!;
      const w1 = weights[i + 1]!;
      if (w0 < mn) mn = w0;
      if (w0 > mx) mx = w0;
      if (w1 < mn) mn = w1;
      if (w1 > mx) mx = w1;
      const u = (w0 - lo) * invh;
      const k = u | 0;
      const t = u - k;
      const s = k << 3;
      const v = (w1 - lo) * invh;
      const l = v | 0;
      const q = v - l;
      const r = l << 3;
      gradient[i] = PM[s]! + t * (PM[s + 1]! + t * (PM[s + 2]! + t * PM[s + 3]!));
      gradient[i + 1] = PM[r]! + q * (PM[r + 1]! + q * (PM[r + 2]! + q * PM[r + 3]!));
      const t2 = t * t;
      PM[s + 4]! += 1;
      PM[s + 5]! += t;
      PM[s + 6]! += t2;
      PM[s + 7]! += t2 * t;
      const q2 = q * q;
      const b = l << 2;
      MB[b]! += 1;
      MB[b + 1]! += q;
      MB[b + 2]! += q2;
      MB[b + 3]! += q2 * q;
    }
    for (; i < n; i++) {
      const w0 = weights[i]!;
      if (w0 < mn) mn = w0;
      if (w0 > mx) mx = w0;
      const u = (w0 - lo) * invh;
      const k = u | 0;
      const t = u - k;
      const s = k << 3;
      gradient[i] = PM[s]! + t * (PM[s + 1]! + t * (PM[s + 2]! + t * PM[s + 3]!));
      const t2 = t * t;
      PM[s + 4]! += 1;
      PM[s + 5]! += t;
      PM[s + 6]! += t2;
      PM[s + 7]! += t2 * t;
    }
    range[0] = mn;
    range[1] = mx;
  }

  /**
   * interpolateCountAndRange on the adaptive grid: coarse cell c = floor((w - lo) invdc) has cellM[c] sub-cells
   * from sub-cell cellBase[c] (entry NC is the spare sub-cell past hi). Same arithmetic as interpolate_cells.
   */
  function interpolateCells(
    weights: Float32Array,
    lo: number,
    invdc: number,
    cellM: Float64Array,
    cellBase: Int32Array,
    PM: Float64Array,
    MB: Float64Array,
    gradient: Float32Array,
    range: Float64Array,
  ): void {
    const n = weights.length;
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (w < mn) mn = w;
      if (w > mx) mx = w;
      const uc = (w - lo) * invdc;
      const c = uc | 0;
      const v = (uc - c) * cellM[c]!;
      const s = v | 0;
      const t = v - s;
      const k = cellBase[c]! + s;
      const p = k << 3;
      gradient[i] = PM[p]! + t * (PM[p + 1]! + t * (PM[p + 2]! + t * PM[p + 3]!));
      const t2 = t * t;
      // Even weights' moments in PM, odd weights' in MB, as in the other loops.
      if ((i & 1) === 0) {
        PM[p + 4]! += 1;
        PM[p + 5]! += t;
        PM[p + 6]! += t2;
        PM[p + 7]! += t2 * t;
      } else {
        const b = k << 2;
        MB[b]! += 1;
        MB[b + 1]! += t;
        MB[b + 2]! += t2;
        MB[b + 3]! += t2 * t;
      }
    }
    range[0] = mn;
    range[1] = mx;
  }

  /**
   * The table's grid for weights in [min, max] (min < max): the range rounded outwards to multiples of
   * Q = 2^(ceil(log2(max - min)) - 3), so that it changes only when the weights' range moves by about
   * Q (exact in floating point: Q is a power of two).
   */
  function canonicalGrid(min: number, max: number, out: Float64Array): void {
    const q = 2 ** (Math.ceil(Math.log2(max - min)) - 3);
    out[0] = Math.floor(min / q) * q;
    out[1] = Math.ceil(max / q) * q;
  }

  let scratchBuffer = new Float64Array(0);

  /** A reusable Float64Array of at least `size` entries (contents undefined): the table's per-node scratch. */
  function scratch(size: number): Float64Array {
    if (scratchBuffer.length < size) scratchBuffer = new Float64Array(Math.max(size, 2 * scratchBuffer.length));
    return scratchBuffer;
  }

  function nanError(): Error {
    return makeError('weights', 'contain a NaN or infinite value; the prior needs finite weights (check the learning rate)');
  }

  /** Exact per-weight evaluation into the accumulators; returns the weight's d log p/dw and adds log p to acc[0]. */
  function exactOne(w: number, mix: PreparedMixture, a: Float64Array, sums: PriorTerms, acc: Float64Array): number {
    const J = mix.count;
    let max = -Infinity;
    for (let j = 0; j < J; j++) {
      const d = w - mix.means[j]!;
      const v = mix.logNorm[j]! - 0.5 * mix.precisions[j]! * d * d;
      a[j] = v;
      if (v > max) max = v;
    }
    let e = 0;
    for (let j = 0; j < J; j++) {
      const x = Math.exp(a[j]! - max);
      a[j] = x;
      e += x;
    }
    acc[0]! += max + Math.log(e);
    const inv = 1 / e;
    let g = 0;
    for (let j = 0; j < J; j++) {
      const r = a[j]! * inv;
      if (r === 0) continue;
      const lam = mix.precisions[j]!;
      const d = w - mix.means[j]!;
      g -= r * lam * d;
      sums.means[j]! += r * lam * d;
      sums.logPrecisions[j]! += r * (0.5 - 0.5 * lam * d * d);
      sums.responsibility[j]! += r;
    }
    return g;
  }

  /**
   * The log-prior of one weight tensor and everything its gradients need, in one pass: mixturePriorTermsShared
   * over this one tensor. See the file header for the method and its error bound.
   */
  function mixturePriorTerms(weights: Float32Array, mix: PreparedMixture, options: PriorTermsOptions = {}): PriorTerms {
    const { gradScale, method, out, rangeHint } = options;
    return mixturePriorTermsShared([weights], mix, { gradScale, method, outs: [out], rangeHint })[0]!;
  }

  /** Empty results for n weights of J components (gradient into `out`, or a new array). */
  function emptyTerms(J: number, n: number, out: Float32Array | undefined): PriorTerms {
    const gradient = out ?? new Float32Array(n);
    if (gradient.length !== n) throw makeError('out', `has length ${gradient.length}, expected ${n} (one per weight)`);
    return {
      logDensity: 0,
      gradient,
      means: new Float64Array(J),
      logPrecisions: new Float64Array(J),
      responsibility: new Float64Array(J),
      exactWeights: 0,
      nodes: 0,
      grid: 'exact',
    };
  }

  /** n weights that all have the value w: one exact evaluation, counted n times. */
  function constantTerms(w: number, n: number, mix: PreparedMixture, scale: number, terms: PriorTerms, a: Float64Array, acc: Float64Array): PriorTerms {
    const J = mix.count;
    const one: PriorTerms = { ...terms, means: new Float64Array(J), logPrecisions: new Float64Array(J), responsibility: new Float64Array(J) };
    acc[0] = 0;
    const g = scale * exactOne(w, mix, a, one, acc);
    terms.gradient.fill(g);
    terms.logDensity = n * acc[0]!;
    for (let j = 0; j < J; j++) {
      terms.means[j] = n * one.means[j]!;
      terms.logPrecisions[j] = n * one.logPrecisions[j]!;
      terms.responsibility[j] = n * one.responsibility[j]!;
    }
    terms.exactWeights = 1;
    return terms;
  }

  /**
   * The log-prior of several weight tensors under one mixture, from one table over all their weights (see
   * `MixturePriorTermsSharedFn`).
   */
  function mixturePriorTermsShared(tensors: readonly Float32Array[], mix: PreparedMixture, options: SharedPriorTermsOptions = {}): PriorTerms[] {
    const J = mix.count;
    const scale = options.gradScale ?? 1;
    const method = options.method ?? 'auto';
    const outs = options.outs;
    if (outs !== undefined && outs.length !== tensors.length) throw makeError('outs', `has ${outs.length} entries, expected ${tensors.length} (one per tensor)`);
    const all = tensors.map((w, i) => emptyTerms(J, w.length, outs?.[i]));
    let n = 0;
    for (const w of tensors) n += w.length;
    const a = new Float64Array(J);
    const acc = new Float64Array(1);
    const allExact = (): PriorTerms[] => {
      tensors.forEach((w, i) => {
        if (w.length > 0) exactTerms(w, mix, scale, all[i]!, a, acc);
      });
      return all;
    };
    if (method === 'exact' || (method === 'auto' && n < EXACT_BELOW)) return allExact();
    const auto = method === 'auto';
    const NC = coarseCells(n);
    const grid = new Float64Array(2);
    const union = new Float64Array(2);
    const range = new Float64Array(2);
    /** The weights' true [min, max] over all tensors into `union`. */
    const unionRange = (): void => {
      union[0] = Infinity;
      union[1] = -Infinity;
      for (const w of tensors) {
        if (w.length === 0) continue;
        weightRange(w, range);
        if (range[0]! < union[0]!) union[0] = range[0]!;
        if (range[1]! > union[1]!) union[1] = range[1]!;
      }
    };
    // With a hint (last call's range), build on the hint's grid and track the true range in the passes: the results
    // stand only if the true range gives the same grid (canonicalGrid), so they never depend on the hint.
    const hint = options.rangeHint;
    if (hint !== undefined && hint[1]! > hint[0]!) {
      canonicalGrid(hint[0]!, hint[1]!, grid);
      const table = buildTable(mix, grid[0]!, grid[1]!, NC, n, scale, a, auto);
      let inside = true;
      union[0] = Infinity;
      union[1] = -Infinity;
      if (table === 'exact') unionRange();
      else {
        for (let i = 0; i < tensors.length && inside; i++) {
          const w = tensors[i]!;
          if (w.length === 0) continue;
          inside = tablePass(table, w, mix, scale, all[i]!, a, acc, range) !== null;
          if (range[0]! < union[0]!) union[0] = range[0]!;
          if (range[1]! > union[1]!) union[1] = range[1]!;
        }
      }
      if (inside && union[1]! > union[0]!) {
        hint.set(union);
        const check = new Float64Array(2);
        canonicalGrid(union[0]!, union[1]!, check);
        if (check[0] === grid[0] && check[1] === grid[1]) return table === 'exact' ? allExact() : all;
      }
      // The weights' range gives another grid: start over on the true range.
      tensors.forEach((w, i) => (all[i] = emptyTerms(J, w.length, all[i]!.gradient)));
    }
    unionRange();
    const lo = union[0]!;
    const hi = union[1]!;
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw nanError();
    if (hint !== undefined) hint.set(union);
    if (hi === lo) {
      tensors.forEach((w, i) => {
        if (w.length > 0) constantTerms(lo, w.length, mix, scale, all[i]!, a, acc);
      });
      return all;
    }
    canonicalGrid(lo, hi, grid);
    const table = buildTable(mix, grid[0]!, grid[1]!, NC, n, scale, a, auto);
    if (table === 'exact') return allExact();
    tensors.forEach((w, i) => {
      if (w.length > 0) tablePass(table, w, mix, scale, all[i]!, a, acc, null);
    });
    return all;
  }

  /** Every weight by the exact per-weight computation over all components. */
  function exactTerms(weights: Float32Array, mix: PreparedMixture, scale: number, terms: PriorTerms, a: Float64Array, acc: Float64Array): PriorTerms {
    const gradient = terms.gradient;
    acc[0] = 0;
    for (let i = 0; i < weights.length; i++) gradient[i] = scale * exactOne(weights[i]!, mix, a, terms, acc);
    if (acc[0] !== acc[0]) throw nanError();
    terms.logDensity = acc[0]!;
    terms.exactWeights = weights.length;
    terms.nodes = 0;
    terms.grid = 'exact';
    return terms;
  }

  /** A table built by `buildTable`: the grid, every node's values, and the Hermite coefficients (moments zeroed). */
  interface Table {
    lo: number;
    hi: number;
    dc: number;
    adaptive: boolean;
    mUniform: number;
    totalSub: number;
    nodes: number;
    relStart: Int32Array;
    rel: Int32Array;
    nodeX: Float64Array;
    nodeCell: Int32Array;
    subH: Float64Array;
    nodeF: Float64Array;
    nodeG: Float64Array;
    /** exp(a_j - max) per node and component (the shared scratch: valid until the next table is built). */
    R: Float64Array;
    E: Float64Array;
    cellM: Float64Array;
    cellBase: Int32Array;
    PM: Float64Array;
    MB: Float64Array;
    /** The wasm loop's view of the adaptive grid (null: uniform grid or no wasm). */
    cells: { invdc: number; maxc: number } | null;
    anyExact: boolean;
  }

  /** The number of coarse cells of a table for n weights. */
  function coarseCells(n: number): number {
    return Math.min(256, Math.max(16, Math.ceil(n / 512)));
  }

  /**
   * Steps 1-3 of the file header on [lo, hi] with NC coarse cells, for n weights in all (the cost model's n):
   * the table, or 'exact' when method 'auto' finds the exact path cheaper.
   */
  function buildTable(mix: PreparedMixture, lo: number, hi: number, NC: number, n: number, scale: number, a: Float64Array, auto: boolean): Table | 'exact' {
    const J = mix.count;
    const { means, precisions, logNorm } = mix;
    const dc = (hi - lo) / NC;

    // 1-2. Per coarse cell: the components that can matter there, and how many sub-cells it needs.
    const relStart = new Int32Array(NC + 1);
    const rel = new Int32Array(NC * J);
    const need = new Float64Array(NC);
    let relCount = 0;
    let m = 1;
    for (let c = 0; c < NC; c++) {
      const x0 = lo + c * dc;
      const x1 = lo + (c + 1) * dc;
      let lmin = -Infinity;
      for (let j = 0; j < J; j++) {
        const d0 = x0 - means[j]!;
        const d1 = x1 - means[j]!;
        const v = logNorm[j]! - 0.5 * precisions[j]! * Math.max(d0 * d0, d1 * d1);
        if (v > lmin) lmin = v;
      }
      relStart[c] = relCount;
      let smin0 = Infinity;
      let smax0 = -Infinity;
      let smin1 = Infinity;
      let smax1 = -Infinity;
      for (let j = 0; j < J; j++) {
        const mu = means[j]!;
        const xc = mu < x0 ? x0 : mu > x1 ? x1 : mu;
        const dcent = xc - mu;
        if (logNorm[j]! - 0.5 * precisions[j]! * dcent * dcent < lmin - CUT) continue;
        rel[relCount++] = j;
        const s0 = -precisions[j]! * (x0 - mu);
        const s1 = -precisions[j]! * (x1 - mu);
        if (s0 < smin0) smin0 = s0;
        if (s0 > smax0) smax0 = s0;
        if (s1 < smin1) smin1 = s1;
        if (s1 > smax1) smax1 = s1;
      }
      need[c] = Math.max(1, Math.ceil((Math.max(smax0 - smin0, smax1 - smin1) * dc) / THETA));
      if (need[c]! > m) m = need[c]!;
    }
    relStart[NC] = relCount;
    // The fine grid. Uniform: every coarse cell gets the largest need (one index per weight: the fastest
    // per-weight pass; cells needing more than MAX_SUB go to the exact path). Adaptive: every cell its own need
    // (a two-level index, dearer per weight, but far fewer nodes when a few sharp switches set the spacing, as
    // late in training). The cheaper one by the cost model; method 'auto' takes the exact path when cheaper still.
    const kept = relCount / NC;
    const mUniform = Math.min(m, MAX_SUB);
    let sumNeed = 0;
    // The adaptive grid gives each cell twice its need: the uniform grid over-resolves all but its sharpest
    // cell, and THETA alone, met exactly in every cell, lands errors at the stated bound rather than below it.
    const needAdaptive = (c: number) => (2 * need[c]! > MAX_SUB_ADAPTIVE ? 1 : 2 * need[c]!);
    for (let c = 0; c < NC; c++) sumNeed += needAdaptive(c);
    const costUniform = (NC * mUniform + 2) * kept * NODE_COST + WEIGHT_COST * n;
    const costAdaptive = sumNeed <= MAX_NODES_ADAPTIVE ? (sumNeed + 2) * kept * NODE_COST + WEIGHT_COST_ADAPTIVE * n : Infinity;
    const adaptive = costAdaptive < costUniform;
    // Late in training, sharp components need thousands of nodes, which a tensor of a few thousand weights does not repay.
    if (auto && Math.min(costUniform, costAdaptive) >= n * J) return 'exact';
    const exactCell = (c: number) => (adaptive ? 2 * need[c]! > MAX_SUB_ADAPTIVE : need[c]! > MAX_SUB);
    // Per coarse cell: sub-cells, first sub-cell, and whether it goes to the exact path. Entry NC is one spare
    // sub-cell past hi: w = hi (or a rounding step beyond) lands in it, so the JS loops need no clamp.
    const cellM = new Float64Array(NC + 1);
    const cellBase = new Int32Array(NC + 1);
    let totalSub = 0;
    for (let c = 0; c < NC; c++) {
      cellM[c] = adaptive ? needAdaptive(c) : mUniform;
      cellBase[c] = totalSub;
      totalSub += cellM[c]!;
    }
    cellM[NC] = 1;
    cellBase[NC] = totalSub;
    totalSub += 1;
    const nodes = totalSub + 1;
    // Every node's position, coarse cell (its kept components) and the width of the sub-cell it starts.
    const nodeX = new Float64Array(nodes);
    const nodeCell = new Int32Array(nodes);
    const subH = new Float64Array(nodes);
    for (let c = 0, k = 0; c <= NC; c++) {
      const mc = cellM[c]!;
      const hc = c < NC ? dc / mc : dc / cellM[NC - 1]!;
      const x0 = lo + c * dc;
      for (let q = 0; q < mc; q++, k++) {
        nodeX[k] = x0 + q * hc;
        nodeCell[k] = c < NC ? c : NC - 1;
        subH[k] = hc;
      }
      if (c === NC) {
        nodeX[k] = x0 + hc;
        nodeCell[k] = NC - 1;
        subH[k] = hc;
      }
    }
    let anyExact = false;

    // 3. f, g, g' at every node, and the Hermite cubic of g per sub-cell: g(t) = P0 + t (P1 + t (P2 + t P3)).
    // PM holds, per sub-cell, the 4 coefficients then the 4 moments (one cache line).
    const nodeF = new Float64Array(nodes);
    const nodeG = new Float64Array(nodes);
    const nodeG2 = new Float64Array(nodes);
    // exp(a_j - max) of every node and kept component, and their sum: step 5 reuses them instead of
    // calling exp again (exp is most of the table's cost).
    const R = scratch(nodes * J);
    const E = new Float64Array(nodes);
    for (let k = 0; k < nodes; k++) {
      const c = nodeCell[k]!;
      const x = nodeX[k]!;
      const r0 = relStart[c]!;
      const r1 = relStart[c + 1]!;
      let max = -Infinity;
      for (let q = r0; q < r1; q++) {
        const j = rel[q]!;
        const d = x - means[j]!;
        const v = logNorm[j]! - 0.5 * precisions[j]! * d * d;
        a[j] = v;
        if (v > max) max = v;
      }
      let e = 0;
      let gs = 0;
      let g2s = 0;
      const base = k * J;
      for (let q = r0; q < r1; q++) {
        const j = rel[q]!;
        const ex = Math.exp(a[j]! - max);
        R[base + j] = ex;
        const s = -precisions[j]! * (x - means[j]!);
        e += ex;
        gs += ex * s;
        g2s += ex * (s * s - precisions[j]!);
      }
      E[k] = e;
      const g = gs / e;
      nodeF[k] = max + Math.log(e);
      nodeG[k] = g;
      nodeG2[k] = g2s / e - g * g;
    }
    // The moments of odd-numbered weights go to a table of their own: neighbouring weights often fall in the same
    // sub-cell, and one table would chain every update on the previous one's store (measured: ~25% faster).
    // With wasm both tables live in its memory (zeroed here: the memory is reused from call to call; a pass zeroes
    // the moments again when the table is used for another tensor).
    const wasmMemory = wasm === null ? null : wasmBuffer(totalSub);
    const PM = wasmMemory === null ? new Float64Array(8 * totalSub) : new Float64Array(wasmMemory, TABLES_AT, 8 * totalSub).fill(0);
    const MB = wasmMemory === null ? new Float64Array(4 * totalSub) : new Float64Array(wasmMemory, TABLES_AT + 64 * totalSub, 4 * totalSub).fill(0);
    for (let k = 0; k < totalSub; k++) {
      const s = 8 * k;
      if (exactCell(nodeCell[k]!)) {
        PM[s] = NaN; // marks the sub-cell for the exact path
        anyExact = true;
        continue;
      }
      const h = subH[k]!;
      const g0 = nodeG[k]!;
      const g1 = nodeG[k + 1]!;
      const m0 = h * nodeG2[k]!;
      const m1 = h * nodeG2[k + 1]!;
      PM[s] = scale * g0;
      PM[s + 1] = scale * m0;
      PM[s + 2] = scale * (3 * (g1 - g0) - 2 * m0 - m1);
      PM[s + 3] = scale * (2 * (g0 - g1) + m0 + m1);
    }

    let cells: { invdc: number; maxc: number } | null = null;
    if (wasmMemory !== null && adaptive) {
      // The adaptive grid's cell table, for the wasm loop.
      const cf = new Float64Array(wasmMemory, CELLS_AT, 2 * (NC + 1));
      const ci = new Int32Array(wasmMemory, CELLS_AT, 4 * (NC + 1));
      for (let c = 0; c <= NC; c++) {
        cf[2 * c] = cellM[c]!;
        ci[4 * c + 2] = cellBase[c]!;
      }
      cells = { invdc: 1 / dc, maxc: NC };
    }
    return { lo, hi, dc, adaptive, mUniform, totalSub, nodes, relStart, rel, nodeX, nodeCell, subH, nodeF, nodeG, R, E, cellM, cellBase, PM, MB, cells, anyExact };
  }

  /**
   * Steps 4-5 for one tensor on a built table: its gradient and sums into `terms`; leaves the table's moments
   * zero for the next tensor. `tracked`: the weights' [min, max] is written there, and a weight outside the
   * table's range makes it return null (the caller starts over, on a new table).
   */
  function tablePass(
    table: Table,
    weights: Float32Array,
    mix: PreparedMixture,
    scale: number,
    terms: PriorTerms,
    a: Float64Array,
    acc: Float64Array,
    tracked: Float64Array | null,
  ): PriorTerms | null {
    const n = weights.length;
    const J = mix.count;
    const { means, precisions } = mix;
    const { lo, hi, dc, adaptive, mUniform, totalSub, nodes, relStart, rel, nodeX, nodeCell, subH, nodeF, nodeG, R, E, cellM, cellBase, PM, MB, anyExact } = table;
    terms.nodes = nodes;
    terms.grid = adaptive ? 'adaptive' : 'uniform';

    // 4. Per weight: interpolated gradient and the moments of its position t in the sub-cell.
    const gradient = terms.gradient;
    const invh = mUniform / dc;
    const range = tracked ?? new Float64Array(2);
    if (wasm !== null) {
      interpolateWasm(weights, lo, invh, totalSub, gradient, range, table.cells);
    } else if (adaptive) {
      interpolateCells(weights, lo, 1 / dc, cellM, cellBase, PM, MB, gradient, range);
    } else if (tracked !== null) {
      interpolateCountAndRange(weights, lo, invh, PM, MB, gradient, tracked);
    } else {
      interpolateAndCount(weights, lo, invh, PM, MB, gradient);
    }
    // A weight outside the grid (the range came from a hint) was read out of bounds: the caller starts over.
    if (tracked !== null && !(tracked[0]! >= lo && tracked[1]! <= hi)) return null;

    // 5. Moments -> Hermite weights of every node (C0 for values, C1 for derivatives, h folded in), then
    // sum log p and the mixture sums by the same Hermite rule.
    const C0 = new Float64Array(nodes);
    const C1 = new Float64Array(nodes);
    for (let k = 0; k < totalSub; k++) {
      const s = 8 * k;
      const b = 4 * k;
      const S0 = PM[s + 4]! + MB[b]!;
      if (S0 === 0) continue;
      const S1 = PM[s + 5]! + MB[b + 1]!;
      const S2 = PM[s + 6]! + MB[b + 2]!;
      const S3 = PM[s + 7]! + MB[b + 3]!;
      // Read once: zeroed for the next tensor's pass on the same table (cheaper than clearing every sub-cell).
      PM[s + 4] = PM[s + 5] = PM[s + 6] = PM[s + 7] = 0;
      MB[b] = MB[b + 1] = MB[b + 2] = MB[b + 3] = 0;
      if (PM[s] !== PM[s]) continue;
      if (S1 !== S1) throw nanError();
      const h = subH[k]!;
      C0[k]! += S0 - 3 * S2 + 2 * S3;
      C1[k]! += h * (S1 - 2 * S2 + S3);
      C0[k + 1]! += 3 * S2 - 2 * S3;
      C1[k + 1]! += h * (S3 - S2);
    }
    let logDensity = 0;
    const sm = terms.means;
    const sg = terms.logPrecisions;
    const sr = terms.responsibility;
    for (let k = 0; k < nodes; k++) {
      const c0 = C0[k]!;
      const c1 = C1[k]!;
      if (c0 === 0 && c1 === 0) continue;
      const g = nodeG[k]!;
      logDensity += c0 * nodeF[k]! + c1 * g;
      const c = nodeCell[k]!;
      const x = nodeX[k]!;
      const r0 = relStart[c]!;
      const r1 = relStart[c + 1]!;
      const base = k * J;
      const inv = 1 / E[k]!;
      for (let q = r0; q < r1; q++) {
        const j = rel[q]!;
        const r = R[base + j]! * inv;
        if (r === 0) continue;
        const lam = precisions[j]!;
        const d = x - means[j]!;
        const sj = -lam * d;
        const dr = r * (sj - g); // dr_j/dw
        const q2 = 0.5 - 0.5 * lam * d * d;
        // h = r lam d = -r s_j, h' = -dr s_j + r lam
        sm[j]! += c0 * (-r * sj) + c1 * (-dr * sj + r * lam);
        // h = r (1/2 - lam d^2 / 2), h' = dr (1/2 - lam d^2 / 2) - r lam d
        sg[j]! += c0 * (r * q2) + c1 * (dr * q2 - r * lam * d);
        sr[j]! += c0 * r + c1 * dr;
      }
    }

    // Weights in cells too sharp for the table (their interpolated gradient is NaN): exact.
    if (anyExact) {
      acc[0] = 0;
      let count = 0;
      for (let i = 0; i < n; i++) {
        if (gradient[i] === gradient[i]) continue;
        gradient[i] = scale * exactOne(weights[i]!, mix, a, terms, acc);
        count++;
      }
      if (acc[0] !== acc[0]) throw nanError();
      logDensity += acc[0]!;
      terms.exactWeights = count;
    }
    terms.logDensity = logDensity;
    return terms;
  }

  return { mixturePriorTerms, mixturePriorTermsShared, usesWasm: wasm !== null };
}
