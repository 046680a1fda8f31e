// Benchmark: quantize 1M weights under a 17-component mixture; core's reference mapAssign is the competitor.
import { initMixture, mapAssign, type ModelGraph } from '@softweight/core';
import { assignComponents, compressionReport, deepCompressionBaseline, quantize, type QuantizeInput } from '@softweight/quantize';
import { seededRandom } from '@softweight/core';

const N_IN = 1000;
const N_OUT = 1000;
const N = N_IN * N_OUT;
const J = 17;
const REPEATS = 5;

/** Deterministic PRNG and normal deviates (Box-Muller). */
const rng = seededRandom;
const rand = rng(42);
const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

// A retrained-looking layer: 95% of the weights near 0, the rest around 16 cluster centres in [-0.4, 0.4].
const mixture = initMixture([-0.4, 0.4], { components: J, sigma: 0.02 });
mixture.logPrecisions[0] = -2 * Math.log(0.005);
const weights = new Float32Array(N);
for (let i = 0; i < N; i++) {
  weights[i] = rand() < 0.95 ? 0.005 * normal() : mixture.means[1 + Math.floor(rand() * (J - 1))]! + 0.02 * normal();
}
const graph: ModelGraph = {
  inputs: [{ name: 'x', shape: [N_IN] }],
  nodes: [{ kind: 'dense', name: 'fc', inputs: ['x'], units: N_OUT, kernel: 'fc/kernel', activation: 'linear' }],
  outputs: ['fc'],
};
const input: QuantizeInput = { graph, weights: { 'fc/kernel': { shape: [N_IN, N_OUT], values: weights } }, covered: ['fc/kernel'] };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function time<T>(f: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = f();
  return { ms: performance.now() - t0, value };
}

// Interleave the contenders so background load hits both alike.
const ref: number[] = [];
const fast: number[] = [];
const full: number[] = [];
const rep: number[] = [];
let refIdx: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
let fastIdx: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
let result = quantize(input, mixture);
for (let r = 0; r < REPEATS; r++) {
  const a = time(() => mapAssign(weights, mixture));
  ref.push(a.ms);
  refIdx = a.value;
  const b = time(() => assignComponents(weights, mixture));
  fast.push(b.ms);
  fastIdx = b.value;
  const c = time(() => quantize(input, mixture));
  full.push(c.ms);
  result = c.value;
  rep.push(time(() => compressionReport(result.compressed)).ms);
}
let disagreements = 0;
for (let i = 0; i < N; i++) if (refIdx[i] !== fastIdx[i]) disagreements++;
const report = compressionReport(result.compressed);
const base = time(() => deepCompressionBaseline(input, { sparsity: 1 - report.total.nonZeroPercent / 100, clusters: J - 1 }));

const rows: [string, string][] = [
  ['weights x components', `${N} x ${J}`],
  ['core mapAssign (reference, float64)', `${median(ref).toFixed(1)} ms`],
  ['assignComponents (decision regions)', `${median(fast).toFixed(1)} ms`],
  ['speed-up vs reference', `${(median(ref) / median(fast)).toFixed(1)}x`],
  ['disagreements with reference', `${disagreements}`],
  ['quantize (merge + assign + codebook)', `${median(full).toFixed(1)} ms`],
  ['compressionReport', `${median(rep).toFixed(1)} ms`],
  ['non-zero', `${report.total.nonZeroPercent.toFixed(2)} %`],
  ['CR (paper accounting)', `${report.total.compressionRate.toFixed(1)}x`],
  ['Deep Compression baseline (same sparsity, 16 clusters)', `${base.ms.toFixed(1)} ms, CR ${base.value.report.total.compressionRate.toFixed(1)}x`],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`quantize-1m (median of ${REPEATS}; 2-core machine shared with other jobs, timings under load)`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
console.log(
  'BENCH_JSON ' +
    JSON.stringify({
      bench: 'quantize-1m',
      weights: N,
      components: J,
      repeats: REPEATS,
      referenceMs: median(ref),
      assignMs: median(fast),
      ratio: median(ref) / median(fast),
      disagreements,
      quantizeMs: median(full),
      reportMs: median(rep),
      nonZeroPercent: report.total.nonZeroPercent,
      compressionRate: report.total.compressionRate,
      baselineMs: base.ms,
      baselineCompressionRate: base.value.report.total.compressionRate,
    }),
);
