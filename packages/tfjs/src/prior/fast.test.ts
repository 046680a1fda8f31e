// Checks the fast prior kernel against core's float64 reference within the error bound stated in fast.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logMixtureDensity, priorGradients, responsibilities, type MixtureState } from '@softweight/core';
import { fastPriorGradients, PriorError, type PriorMethod } from '../index.js';
import { mixturePriorTerms, mixturePriorTermsShared, prepareMixture, proportionGradients, type FastPriorGradients, type PriorTerms } from './fast.js';
import { gaussian, randomMixture, rng, sampleWeights } from './test-utils/random.js';

/** The bound of fast.ts: relative to each quantity's natural scale. */
const EPS = 1e-5;
/** float32 storage of the weight gradient. */
const F32 = 2.4e-7;

/** A kernel result in the form of fastPriorGradients' (gradScale 1). */
function asGradients(terms: PriorTerms, state: MixtureState): FastPriorGradients {
  terms.means[state.zeroIndex] = 0;
  const { mixingLogits, pi0 } = proportionGradients(state, terms.responsibility);
  return { logDensity: terms.logDensity, weights: terms.gradient, means: terms.means, logPrecisions: terms.logPrecisions, mixingLogits, pi0 };
}

function checkAgainstReference(w: Float32Array, state: MixtureState, method: PriorMethod, label: string, result?: FastPriorGradients): void {
  const J = state.means.length;
  const n = w.length;
  const ref = priorGradients(w, state);
  const got = result ?? fastPriorGradients(w, state, { method });
  const r = responsibilities(w, state);
  const lambda = Array.from(state.logPrecisions, (g) => Math.exp(g));
  const scaleMeans = new Float64Array(J);
  const scaleGamma = new Float64Array(J);
  let scaleLogD = 0;
  for (let i = 0; i < n; i++) {
    let S = 0;
    for (let j = 0; j < J; j++) {
      const rij = r[i * J + j]!;
      const d = Math.abs(w[i]! - state.means[j]!);
      S += rij * lambda[j]! * (d + 1 / Math.sqrt(lambda[j]!));
      scaleMeans[j]! += rij * lambda[j]! * (d + 1 / Math.sqrt(lambda[j]!));
      scaleGamma[j]! += rij * (0.5 + 0.5 * lambda[j]! * d * d);
    }
    const err = Math.abs(got.weights[i]! - ref.weights[i]!);
    const bound = EPS * S + F32 * Math.abs(ref.weights[i]!);
    assert.ok(err <= bound, `${label}: weight ${i} (w=${w[i]}) gradient ${got.weights[i]} vs ${ref.weights[i]}, error ${err} > ${bound}`);
  }
  const logD = ref.logDensity;
  for (const v of logMixtureDensity(w, state)) scaleLogD += Math.abs(v);
  assert.ok(Math.abs(got.logDensity - logD) <= EPS * scaleLogD + 1e-9 * n, `${label}: logDensity ${got.logDensity} vs ${logD}`);
  for (let j = 0; j < J; j++) {
    assert.ok(Math.abs(got.means[j]! - ref.means[j]!) <= EPS * scaleMeans[j]! + 1e-9 * n, `${label}: d/dmu_${j} ${got.means[j]} vs ${ref.means[j]}`);
    assert.ok(
      Math.abs(got.logPrecisions[j]! - ref.logPrecisions[j]!) <= EPS * scaleGamma[j]! + 1e-9 * n,
      `${label}: d/dgamma_${j} ${got.logPrecisions[j]} vs ${ref.logPrecisions[j]}`,
    );
    assert.ok(Math.abs(got.mixingLogits[j]! - ref.mixingLogits[j]!) <= 2 * EPS * n, `${label}: d/drho_${j} ${got.mixingLogits[j]} vs ${ref.mixingLogits[j]}`);
  }
  const pi0Scale = EPS * n * (1 / state.pi0 + 1 / (1 - state.pi0));
  assert.ok(Math.abs(got.pi0 - ref.pi0) <= pi0Scale, `${label}: d/dpi0 ${got.pi0} vs ${ref.pi0}`);
}

/** A late-training mixture: zero component sigma 0.004, 16 others at 0.02, random mixing logits. */
function lateMixture(r: () => number): MixtureState {
  const J = 17;
  return {
    means: Float64Array.from({ length: J }, (_, j) => (j === 0 ? 0 : -0.3 + (0.6 * (j - 1)) / 15)),
    logPrecisions: Float64Array.from({ length: J }, (_, j) => -2 * Math.log(j === 0 ? 0.004 : 0.02)),
    mixingLogits: Float64Array.from({ length: J }, (_, j) => (j === 0 ? 0 : gaussian(r))),
    zeroIndex: 0,
    pi0: 0.95,
    learnPi0: false,
  };
}

function lateWeights(r: () => number, state: MixtureState, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * (r() < 0.9 ? gaussian(r) * 0.004 : state.means[1 + Math.floor(r() * 16)]! + gaussian(r) * 0.02));
}

test('table kernel matches the float64 reference on random mixtures, sigma down to 1e-3', () => {
  const r = rng(42);
  for (let trial = 0; trial < 6; trial++) {
    const J = 3 + Math.floor(r() * 15);
    const state = randomMixture(r, J, 1e-3, true);
    checkAgainstReference(sampleWeights(r, state, 20000), state, 'table', `trial ${trial} (J=${J})`);
  }
});

test('late-training mixture: tight zero component (sigma 0.004), 16 others at sigma 0.02 (adaptive grid)', () => {
  const r = rng(7);
  const state = lateMixture(r);
  const w = lateWeights(r, state, 30000);
  checkAgainstReference(w, state, 'table', 'late');
  checkAgainstReference(w, state, 'auto', 'late auto');
  assert.equal(mixturePriorTerms(w, prepareMixture(state)).grid, 'adaptive', 'sharp components: the adaptive grid');
});

test("method 'auto' takes the exact path when the table would cost more (few weights, sharp components), whatever the hint", () => {
  const r = rng(8);
  const J = 17;
  const state: MixtureState = {
    means: Float64Array.from({ length: J }, (_, j) => (j === 0 ? 0 : -0.3 + (0.6 * (j - 1)) / 15)),
    logPrecisions: Float64Array.from({ length: J }, (_, j) => -2 * Math.log(j === 0 ? 0.004 : 0.02)),
    mixingLogits: new Float64Array(J),
    zeroIndex: 0,
    pi0: 0.95,
    learnPi0: false,
  };
  const sample = (n: number) => Float32Array.from({ length: n }, () => (r() < 0.9 ? gaussian(r) * 0.004 : state.means[1 + Math.floor(r() * 16)]! + gaussian(r) * 0.02));
  const small = sample(1000);
  const mix = prepareMixture(state);
  assert.equal(mixturePriorTerms(small, mix).exactWeights, 1000, 'small tensor: exact path');
  assert.equal(mixturePriorTerms(sample(30000), mix).exactWeights, 0, 'large tensor: table');
  checkAgainstReference(small, state, 'auto', 'small sharp auto');
  // A hint from another grid must not change the decision or the result.
  for (const hint of [[-0.01, 0.01], [-2, 2], [small.reduce((m, v) => Math.min(m, v)), small.reduce((m, v) => Math.max(m, v))]]) {
    assert.deepEqual(mixturePriorTerms(small, mix, { rangeHint: Float64Array.from(hint) }), mixturePriorTerms(small, mix), `hint ${hint}`);
  }
});

test('exact and auto methods match the reference too, on small and large tensors', () => {
  const r = rng(3);
  const state = randomMixture(r, 17, 5e-3, false);
  checkAgainstReference(sampleWeights(r, state, 500), state, 'auto', 'small auto');
  checkAgainstReference(sampleWeights(r, state, 3000), state, 'exact', 'exact');
});

test('a tensor of identical weights, and weights far outside every component', () => {
  const r = rng(5);
  const state = randomMixture(r, 5, 0.01, false);
  checkAgainstReference(new Float32Array(5000).fill(0.0123), state, 'table', 'constant');
  const far = new Float32Array(5000);
  for (let i = 0; i < far.length; i++) far[i] = (r() < 0.5 ? -1 : 1) * (2 + 3 * r());
  checkAgainstReference(far, state, 'table', 'far');
});

test('a NaN weight is reported, not silently propagated', () => {
  const state = randomMixture(rng(9), 4, 0.05, false);
  for (const method of ['table', 'exact'] as const) {
    const w = sampleWeights(rng(10), state, 4000);
    w[1234] = NaN;
    assert.throws(() => fastPriorGradients(w, state, { method }), PriorError);
  }
});

test('a range hint from the previous step changes the cost, never the result (bit for bit)', () => {
  const r = rng(21);
  const state = randomMixture(r, 9, 0.004, false);
  const mix = prepareMixture(state);
  const hint = new Float64Array([NaN, NaN]);
  let w = sampleWeights(r, state, 10000);
  for (let step = 0; step < 6; step++) {
    const withHint = mixturePriorTerms(w, mix, { rangeHint: hint, gradScale: -0.5 });
    const fresh = mixturePriorTerms(w, mix, { gradScale: -0.5 });
    assert.deepEqual(withHint, fresh, `step ${step}`);
    // Drift, and on some steps widen the range past the previous grid.
    w = w.map((v) => v * (step % 2 === 0 ? 1.001 : 1.6) + 1e-4);
  }
});

test('one table for several tensors (a step\'s covered kernels) meets the bound on every tensor', () => {
  const r = rng(31);
  const late = lateMixture(r);
  const broad = randomMixture(r, 9, 2e-3, false);
  const cases: Array<[string, MixtureState, Float32Array[]]> = [
    // A large tensor, a small one on a narrower range (alone it would take the exact path), one far outside
    // every component, an empty one.
    ['late', late, [lateWeights(r, late, 30000), lateWeights(r, late, 1000, 0.5), Float32Array.from({ length: 300 }, () => 1 + r()), new Float32Array(0)]],
    ['random', broad, [sampleWeights(r, broad, 20000), sampleWeights(r, broad, 700), sampleWeights(r, broad, 5000)]],
  ];
  for (const [label, state, tensors] of cases) {
    const all = mixturePriorTermsShared(tensors, prepareMixture(state));
    assert.equal(all.length, tensors.length);
    tensors.forEach((w, i) => {
      assert.equal(all[i]!.gradient.length, w.length);
      assert.equal(all[i]!.exactWeights, 0, `${label} tensor ${i}: on the table`);
      if (w.length > 0) checkAgainstReference(w, state, 'auto', `${label} tensor ${i}`, asGradients(all[i]!, state));
    });
    assert.equal(new Set(all.filter((t) => t.gradient.length > 0).map((t) => t.nodes)).size, 1, `${label}: one table`);
  }
});

test('one table for several tensors: a range hint never changes results (bit for bit)', () => {
  const r = rng(32);
  const state = lateMixture(r);
  const mix = prepareMixture(state);
  const hint = new Float64Array([NaN, NaN]);
  let tensors = [lateWeights(r, state, 20000), lateWeights(r, state, 3000), lateWeights(r, state, 200)];
  const outs = tensors.map((t) => new Float32Array(t.length));
  for (let step = 0; step < 6; step++) {
    const withHint = mixturePriorTermsShared(tensors, mix, { rangeHint: hint, gradScale: -0.5, outs });
    const fresh = mixturePriorTermsShared(tensors, mix, { gradScale: -0.5 });
    assert.deepEqual(withHint, fresh, `step ${step}`);
    withHint.forEach((t, i) => assert.equal(t.gradient, outs[i], `step ${step}: gradient ${i} written into outs`));
    // Drift; on some steps one small tensor alone widens the range past the previous grid, or all shrink.
    const factor = [1.001, 1, 0.3, 1.001, 1, 1][step]!;
    tensors = tensors.map((t, i) => t.map((v) => v * (step % 3 === 1 && i === 2 ? 4 : factor) + 1e-5));
  }
});

test('one table for several tensors: bad input is reported', () => {
  const state = randomMixture(rng(33), 4, 0.05, false);
  const mix = prepareMixture(state);
  const tensors = [sampleWeights(rng(34), state, 4000), sampleWeights(rng(35), state, 600)];
  tensors[1]![17] = NaN;
  for (const method of ['auto', 'table', 'exact'] as const) assert.throws(() => mixturePriorTermsShared(tensors, mix, { method }), PriorError, method);
  assert.throws(() => mixturePriorTermsShared(tensors.slice(0, 1), mix, { outs: [new Float32Array(3)] }), /out: has length 3, expected 4000/);
  assert.throws(() => mixturePriorTermsShared(tensors.slice(0, 1), mix, { outs: [] }), /outs: has 0 entries, expected 1/);
});
