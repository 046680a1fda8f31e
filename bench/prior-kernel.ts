// Benchmark: the prior kernel (log-prior, weight gradient and mixture sums of one tensor) with its per-weight loop
// in WebAssembly vs the same kernel with the JS loop, side by side, on LeNet-300-100's three kernels; and one step's
// three kernels in one call with one shared table (mixturePriorTermsShared, what training runs) vs one call each.
// Two mixtures: the paper's initialisation (17 components, sigma 0.25, over the initial weights' range) and a
// late-training one (tight zero component, 16 sharp others), which needs a finer table.
import { initMixture, seededRandom, type MixtureState } from '@softweight/core';
import { PriorError } from '../packages/tfjs/src/prior/errors.js';
import { interpolateWasmBytes, prepareMixture } from '../packages/tfjs/src/prior/fast.js';
import { createPriorKernel, type MixturePriorTermsFn } from '../packages/tfjs/src/prior/kernel.js';
import { median, printTable } from './tfjs-bench-util.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 15);
const SIZES: Array<[string, number]> = [['fc1 784x300', 235200], ['fc2 300x100', 30000], ['fc3 100x10', 1000]];

const makeError = (subject: string, message: string) => new PriorError(subject, message);
const js = createPriorKernel(makeError, null).mixturePriorTerms;
const wasmKernel = createPriorKernel(makeError, interpolateWasmBytes);
const wasm = wasmKernel.mixturePriorTerms;

const rand = seededRandom(7);
const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

/** Glorot-uniform weights of a fan-in x fan-out kernel (LeNet-300-100 at initialisation). */
function initialWeights(n: number, limit: number): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * rand() - 1) * limit);
}

const LIMITS = [Math.sqrt(6 / (784 + 300)), Math.sqrt(6 / (300 + 100)), Math.sqrt(6 / (100 + 10))];
const initial: MixtureState = initMixture([-LIMITS[2]!, LIMITS[2]!], { components: 17, sigma: 0.25 });
const late: MixtureState = initMixture([-0.3, 0.3], { components: 17, sigma: 0.02 });
late.logPrecisions[0] = -2 * Math.log(0.004);

function lateWeights(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() < 0.9 ? 0.004 * normal() : late.means[1 + Math.floor(rand() * 16)]! + 0.02 * normal()));
}

/** Median ms of one kernel call over ROUNDS rounds (after warm-up), both kernels interleaved. */
function time(fn: MixturePriorTermsFn, w: Float32Array, state: MixtureState, out: Float32Array, hint: Float64Array): number {
  const mix = prepareMixture(state);
  const t0 = performance.now();
  fn(w, mix, { out, rangeHint: hint, gradScale: -1e-7 });
  return performance.now() - t0;
}

interface Row {
  mixture: string;
  tensor: string;
  weights: number;
  jsMs: number;
  wasmMs: number;
  ratio: number;
}

/** The two mixtures, each with the weights it is timed on (tensor size, index into SIZES). */
const MIXTURES = [
  ['initial', initial, (n: number, i: number) => initialWeights(n, LIMITS[i]!)],
  ['late', late, (n: number) => lateWeights(n)],
] as const;

const rows: Row[] = [];
for (const [mixName, state, make] of MIXTURES) {
  SIZES.forEach(([tensor, n], i) => {
    const w = make(n, i);
    const out = new Float32Array(n);
    const hints = [new Float64Array([NaN, NaN]), new Float64Array([NaN, NaN])];
    for (let k = 0; k < 30; k++) {
      time(js, w, state, out, hints[0]!);
      time(wasm, w, state, out, hints[1]!);
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      a.push(time(js, w, state, out, hints[0]!));
      b.push(time(wasm, w, state, out, hints[1]!));
    }
    rows.push({ mixture: mixName, tensor, weights: n, jsMs: median(a), wasmMs: median(b), ratio: median(a) / median(b) });
  });
}

const total = (m: string, k: 'jsMs' | 'wasmMs') => rows.filter((r) => r.mixture === m).reduce((s, r) => s + r[k], 0);
console.log(`prior kernel per call: JS per-weight loop vs WebAssembly loop, median of ${ROUNDS} interleaved rounds`);
printTable(
  ['mixture', 'tensor', 'weights', 'JS loop (ms)', 'wasm loop (ms)', 'speed-up'],
  rows.map((r) => [r.mixture, r.tensor, r.weights, r.jsMs, r.wasmMs, r.ratio]),
);
const stepInitial = total('initial', 'jsMs') / total('initial', 'wasmMs');
const stepLate = total('late', 'jsMs') / total('late', 'wasmMs');
console.log(`all three tensors (one LeNet-300-100 step): initial ${total('initial', 'jsMs').toFixed(2)} -> ${total('initial', 'wasmMs').toFixed(2)} ms, late ${total('late', 'jsMs').toFixed(2)} -> ${total('late', 'wasmMs').toFixed(2)} ms`);
// One step's three tensors: one call per tensor (each with its range hint) vs one call with one shared table.
const shared: Array<{ mixture: string; separateMs: number; sharedMs: number }> = [];
for (const [mixName, state, make] of MIXTURES) {
  const mix = prepareMixture(state);
  const tensors = SIZES.map(([, n], i) => make(n, i));
  const outs = tensors.map((w) => new Float32Array(w.length));
  const hints = tensors.map(() => new Float64Array([NaN, NaN]));
  const hint = new Float64Array([NaN, NaN]);
  const separate = () => tensors.forEach((w, i) => wasm(w, mix, { out: outs[i], rangeHint: hints[i], gradScale: -1e-7 }));
  const together = () => wasmKernel.mixturePriorTermsShared(tensors, mix, { outs, rangeHint: hint, gradScale: -1e-7 });
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < 30 + 2 * ROUNDS; r++) {
    let t0 = performance.now();
    separate();
    const ta = performance.now() - t0;
    t0 = performance.now();
    together();
    const tb = performance.now() - t0;
    if (r >= 30) {
      a.push(ta);
      b.push(tb);
    }
  }
  shared.push({ mixture: mixName, separateMs: median(a), sharedMs: median(b) });
}
console.log('');
console.log(`one LeNet-300-100 step's three kernels (wasm loop), median of ${2 * ROUNDS}: one call per tensor vs one call with one shared table`);
printTable(
  ['mixture', 'one table per tensor (ms)', 'one shared table (ms)', 'speed-up'],
  shared.map((r) => [r.mixture, r.separateMs, r.sharedMs, r.separateMs / r.sharedMs]),
);
const json = {
  bench: 'prior-kernel',
  sharedTableSpeedupLate: shared[1]!.separateMs / shared[1]!.sharedMs,
  sharedTableMsLate: shared[1]!.sharedMs,
  sharedTableMsInitial: shared[0]!.sharedMs,
  shared,
  rounds: ROUNDS,
  ratio: stepInitial,
  ratioLate: stepLate,
  stepMsJsInitial: total('initial', 'jsMs'),
  stepMsWasmInitial: total('initial', 'wasmMs'),
  stepMsJsLate: total('late', 'jsMs'),
  stepMsWasmLate: total('late', 'wasmMs'),
  tensors: rows.map((r) => ({ name: `${r.mixture} ${r.tensor}`, weights: r.weights, jsMs: r.jsMs, wasmMs: r.wasmMs, ratio: r.ratio })),
};
console.log(`BENCH_JSON ${JSON.stringify(json)}`);
