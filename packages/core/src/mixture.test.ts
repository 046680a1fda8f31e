// Unit tests of the mixture reference: initialisation, validation, MAP assignment, hyper-priors, KL and merging.
// The exhaustive numeric checks against an independent reference live in mixture.reference.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_HYPER_PRIORS,
  MixtureError,
  SoftweightError,
  cloneMixture,
  componentCount,
  gaussianKL,
  hyperPriorLogDensity,
  initMixture,
  logMixingProportions,
  logMixtureDensity,
  mapAssign,
  mergeMoments,
  mixingProportions,
  priorGradients,
  responsibilities,
  validateMixture,
  type MixtureState,
} from './index.js';
import { richardsonMulti } from './test-utils/reference.js';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

function mixture(means: number[], sigmas: number[], logits: number[], pi0: number, zeroIndex = 0): MixtureState {
  return {
    means: Float64Array.from(means),
    logPrecisions: Float64Array.from(sigmas, (s) => -2 * Math.log(s)),
    mixingLogits: Float64Array.from(logits),
    zeroIndex,
    pi0,
    learnPi0: false,
  };
}

test('initMixture spaces the free means over the weight range and gives pi0 to the zero component', () => {
  const state = initMixture([-1, 0.5, 1], { components: 5 });
  const expected = [0, -1, -1 / 3, 1 / 3, 1];
  state.means.forEach((m, j) => assert.ok(Math.abs(m - expected[j]!) < 1e-15, `mean ${j}: ${m}`));
  const pi = mixingProportions(state);
  assert.equal(pi[0], 0.999);
  assert.ok(Math.abs(pi.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('initMixture defaults: 17 components, sigma 0.25, pi0 0.999, equal proportions, valid state', () => {
  const w = Float32Array.from({ length: 100 }, (_, i) => -0.4 + 0.01 * i);
  const state = initMixture(w);
  validateMixture(state);
  assert.equal(componentCount(state), 17);
  assert.equal(state.zeroIndex, 0);
  assert.equal(state.means[0], 0);
  assert.equal(state.learnPi0, false);
  assert.ok(Math.abs(state.means[1]! - -0.4) < 1e-7 && Math.abs(state.means[16]! - 0.59) < 1e-7);
  for (let j = 0; j < 17; j++) assert.ok(rel(state.logPrecisions[j]!, Math.log(16)) < 1e-15, 'gamma = log(1/0.25^2)');
  const pi = mixingProportions(state);
  for (let j = 1; j < 17; j++) assert.ok(rel(pi[j]!, 0.001 / 16) < 1e-12);
});

test('initMixture moves a free mean that lands exactly on 0 off the zero component', () => {
  const state = initMixture([-1, 1], { components: 4 });
  assert.deepEqual(Array.from(state.means).slice(0, 2), [0, -1]);
  assert.ok(state.means[2] !== 0 && Math.abs(state.means[2]!) <= 0.01, `middle mean ${state.means[2]}`);
  assert.equal(state.means[3], 1);
  validateMixture(state);
});

test('initMixture rejects bad options and weights with a MixtureError naming the field', () => {
  const cases: Array<[() => unknown, string]> = [
    [() => initMixture([1, 2], { components: 1 }), 'components'],
    [() => initMixture([1, 2], { components: 2.5 }), 'components'],
    [() => initMixture([1, 2], { pi0: 1 }), 'pi0'],
    [() => initMixture([1, 2], { pi0: 0 }), 'pi0'],
    [() => initMixture([1, 2], { sigma: 0 }), 'sigma'],
    [() => initMixture([1, 2], { sigma: Infinity }), 'sigma'],
    [() => initMixture([], {}), 'weights'],
    [() => initMixture([1, NaN], {}), 'weights'],
  ];
  for (const [fn, field] of cases) {
    assert.throws(fn, (e: unknown) => e instanceof MixtureError && e instanceof SoftweightError && e.field === field && e.code === 'MIXTURE_INVALID' && e.message.includes(field));
  }
});

test('validateMixture names the wrong field', () => {
  const ok = mixture([0, -0.1, 0.1], [0.02, 0.05, 0.05], [0, 0, 0], 0.9);
  validateMixture(ok);
  const broken: Array<[(s: MixtureState) => void, string, RegExp]> = [
    [(s) => (s.logPrecisions = new Float64Array(2)), 'logPrecisions', /length 2, expected 3/],
    [(s) => (s.mixingLogits = new Float64Array(4)), 'mixingLogits', /length 4, expected 3/],
    [(s) => (s.zeroIndex = 3), 'zeroIndex', /is 3/],
    [(s) => (s.zeroIndex = 0.5), 'zeroIndex', /integer/],
    [(s) => (s.means[0] = 1e-9), 'means', /zero component 0 has mean 1e-9/],
    [(s) => (s.means[1] = NaN), 'means', /component 1 is NaN/],
    [(s) => (s.logPrecisions[2] = Infinity), 'logPrecisions', /component 2 is Infinity/],
    [(s) => (s.mixingLogits[1] = -Infinity), 'mixingLogits', /component 1 is -Infinity/],
    [(s) => (s.pi0 = 1), 'pi0', /is 1/],
    [(s) => (s.pi0 = 0), 'pi0', /is 0/],
    [(s) => (s.pi0 = NaN), 'pi0', /NaN/],
    [(s) => (s.means = new Float64Array(0)), 'means', /at least one/],
  ];
  for (const [breakIt, field, message] of broken) {
    const s = cloneMixture(ok);
    breakIt(s);
    assert.throws(
      () => validateMixture(s),
      (e: unknown) => e instanceof MixtureError && e.field === field && message.test(e.message),
      `expected a MixtureError on ${field} matching ${message}`,
    );
  }
});

test('a single zero component (J = 1, pi0 = 1) is valid and has density N(w | 0, sigma^2)', () => {
  const s = mixture([0], [0.5], [0], 1);
  validateMixture(s);
  const d = logMixtureDensity([0, 1], s);
  const logN = (w: number): number => -0.5 * Math.log(2 * Math.PI * 0.25) - (w * w) / (2 * 0.25);
  assert.ok(rel(d[0]!, logN(0)) < 1e-15 && rel(d[1]!, logN(1)) < 1e-15);
  assert.deepEqual(Array.from(responsibilities([3], s)), [1]);
  const g = priorGradients([1], s);
  assert.ok(rel(g.weights[0]!, -4) < 1e-15);
  assert.equal(g.pi0, 0);
});

test('mixing proportions: pi0 to the zero component, (1 - pi0) softmax to the others, wherever the zero component sits', () => {
  const s = mixture([0.1, -0.2, 0, 0.3], [1, 1, 1, 1], [1, 2, 123, 3], 0.999999, 2);
  const pi = mixingProportions(s);
  const logPi = logMixingProportions(s);
  const e = [Math.exp(1), Math.exp(2), 0, Math.exp(3)];
  const sum = e[0]! + e[1]! + e[3]!;
  for (const j of [0, 1, 3]) {
    assert.ok(rel(pi[j]!, ((1 - 0.999999) * e[j]!) / sum) < 1e-12);
    assert.ok(rel(logPi[j]!, Math.log(1 - 0.999999) + Math.log(e[j]! / sum)) < 1e-12, 'the zero component logit (123) is ignored');
  }
  assert.equal(pi[2], 0.999999);
  assert.equal(logPi[2], Math.log(0.999999));
});

test('mapAssign uses the true log pi: MAP and nearest mean disagree', () => {
  // Zero component sigma 0.02 with pi0 = 0.999; one other at 0.07, sigma 0.02, pi = 0.001.
  // w = 0.06 is nearer to 0.07, but log(0.999) - 0.5 (0.06/0.02)^2 = -4.50 > log(0.001) - 0.5 (0.01/0.02)^2 = -7.03.
  const s = mixture([0, 0.07], [0.02, 0.02], [0, 0], 0.999);
  assert.deepEqual(Array.from(mapAssign([0.06], s)), [0]);
  // The tutorial's pitfall: a raw logit of 5 used as log pi would give the other component -0.125 + 5 > -4.5.
  const withLogit = mixture([0, 0.07], [0.02, 0.02], [0, 5], 0.999);
  assert.deepEqual(Array.from(mapAssign([0.06], withLogit)), [0], 'a lone free logit is softmax-normalised to pi = 1 - pi0');
  // Far enough out, the likelihood wins again: at 0.08, -0.001 - 8 < -6.908 - 0.125.
  assert.deepEqual(Array.from(mapAssign([0.07, 0.08, 0.09], s)), [0, 1, 1]);
  // A broad component beats a nearer narrow one.
  const broad = mixture([0, 0.1, 0.3], [0.001, 0.001, 1], [0, 0, 0], 0.5);
  assert.deepEqual(Array.from(mapAssign([0.12], broad)), [2]);
  // Responsibilities agree with the assignment.
  const r = responsibilities([0.06], s);
  assert.ok(r[0]! > r[1]!);
});

test('mapAssign stays finite and sensible 1e3 away from every mean', () => {
  const state = initMixture([-0.1, 0.1], { components: 3 });
  state.logPrecisions.fill(Math.log(1e8));
  const d = logMixtureDensity([1000, -1000], state);
  assert.ok(Number.isFinite(d[0]) && Number.isFinite(d[1]));
  assert.deepEqual(Array.from(mapAssign([1000, -1000, 0], state)), [2, 1, 0]);
});

test('hyperPriorLogDensity: Gamma on every precision, Beta on a learned pi0; values by hand', () => {
  const s = mixture([0, -0.1, 0.1], [0.02, 0.05, 0.1], [0, 0.5, -0.5], 0.99);
  const gammas = Array.from(s.logPrecisions);
  const h = hyperPriorLogDensity(s, DEFAULT_HYPER_PRIORS);
  const gammaTerm = (alpha: number, beta: number, g: number): number => (alpha - 1) * g - beta * Math.exp(g);
  const expected = gammaTerm(5000, 2, gammas[0]!) + gammaTerm(250, 0.1, gammas[1]!) + gammaTerm(250, 0.1, gammas[2]!);
  assert.ok(rel(h.logDensity, expected) < 1e-14);
  assert.ok(rel(h.logPrecisions[0]!, 4999 - 2 / 0.02 ** 2) < 1e-12);
  assert.equal(h.pi0, 0, 'no Beta prior by default');
  // No hyper-prior at all: nothing.
  const none = hyperPriorLogDensity(s, { zero: null, others: null, pi0: { a: 2, b: 3 } });
  assert.equal(none.logDensity, 0, 'the Beta prior only applies when pi0 is learned');
  assert.deepEqual(Array.from(none.logPrecisions), [0, 0, 0]);
  // Learned pi0 under Beta(a, b).
  const learned = { ...cloneMixture(s), learnPi0: true };
  const beta = hyperPriorLogDensity(learned, { zero: null, others: null, pi0: { a: 50, b: 2 } });
  assert.ok(rel(beta.logDensity, 49 * Math.log(0.99) + 1 * Math.log(0.01)) < 1e-14);
  assert.ok(rel(beta.pi0, 49 / 0.99 - 1 / 0.01) < 1e-14);
  // The Gamma term peaks at lambda = (alpha - 1) / beta (the precision the tutorial aims at, ~2500).
  const atMode = mixture([0], [Math.sqrt(2 / 4999)], [0], 1);
  assert.ok(Math.abs(hyperPriorLogDensity(atMode, DEFAULT_HYPER_PRIORS).logPrecisions[0]!) < 1e-9 * 4999);
});

test('hyperPriorLogDensity gradients match central finite differences (Richardson), incl. pi0 = 0.999999', () => {
  const hyper = { zero: { alpha: 5000, beta: 2 }, others: { alpha: 250, beta: 0.1 }, pi0: { a: 3, b: 1.5 } };
  for (const pi0 of [0.5, 0.999, 0.999999]) {
    for (const lambdas of [
      [2500, 1e-8, 1e8],
      [1, 1e4, 2490],
    ]) {
      const s: MixtureState = { ...mixture([0, 0.1, -0.1], [1, 1, 1], [0, 0, 0], pi0), learnPi0: true };
      s.logPrecisions = Float64Array.from(lambdas, Math.log);
      const h = hyperPriorLogDensity(s, hyper);
      assert.ok(Number.isFinite(h.logDensity));
      for (let j = 0; j < 3; j++) {
        const g0 = s.logPrecisions[j]!;
        const t = cloneMixture(s);
        const fd = richardsonMulti((x) => ((t.logPrecisions[j] = x), hyperPriorLogDensity(t, hyper).logDensity), g0, [0.1, 0.01, 1e-3, 1e-4]);
        // The terms of d/dgamma are (alpha - 1) and beta * lambda: the tolerance scales with them.
        const p = j === 0 ? hyper.zero : hyper.others;
        const scale = Math.max(Math.abs(h.logPrecisions[j]!), p.alpha - 1 + p.beta * lambdas[j]!);
        assert.ok(Math.abs(fd.value - h.logPrecisions[j]!) <= 1e-9 * scale + 8 * (fd.noise + fd.error), `pi0 ${pi0}, lambda ${lambdas[j]}: ${h.logPrecisions[j]} vs ${fd.value}`);
      }
      const t = cloneMixture(s);
      const step = 0.5 * Math.min(pi0, 1 - pi0);
      // The Gamma terms do not depend on pi0 but their size (~4e4) would swamp a step of 5e-7 in rounding: leave them out.
      const betaOnly = { zero: null, others: null, pi0: hyper.pi0 };
      const fd = richardsonMulti((x) => ((t.pi0 = x), hyperPriorLogDensity(t, betaOnly).logDensity), pi0, [step, step / 10, step / 100]);
      const scale = 2 / pi0 + 0.5 / (1 - pi0);
      assert.ok(fd.noise + fd.error <= 1e-9 * scale, 'this finite difference resolves 1e-9');
      assert.ok(Math.abs(fd.value - h.pi0) <= 1e-9 * scale, `pi0 ${pi0}: ${h.pi0} vs ${fd.value}`);
    }
  }
});

test('gaussianKL: closed-form values, KL(p||p) = 0, and full relative accuracy for nearly equal components', () => {
  // [mu1, var1, mu2, var2, KL] with KL from 40-digit arithmetic (mpmath).
  const known: Array<[number, number, number, number, number]> = [
    [0, 1, 1, 1, 0.5],
    [1, 4, -1, 1, 2.8068528194400546],
    [0, 1, 0, 2, 0.09657359027997266],
    [0, 1e-8, 0, 1e8, 17.920680743952367],
    [0, 1, 0, 1.000001, 2.4999966662590844e-13],
    [0, 1e-4, 1e-7, 1e-4, 4.9999999999999995e-11],
    [0.3, 0.0025, 0.3, 0.0025000000025000003, 2.500000410368538e-19],
  ];
  for (const [m1, v1, m2, v2, kl] of known) {
    const got = gaussianKL(m1, v1, m2, v2);
    assert.ok(rel(got, kl) <= 1e-9, `KL(N(${m1}, ${v1}) || N(${m2}, ${v2})) = ${got}, expected ${kl}`);
  }
  for (const [m, v] of [
    [0, 1],
    [0.3, 2.5e-3],
    [-1e3, 1e-8],
    [5, 1e8],
  ] as const) {
    assert.equal(gaussianKL(m, v, m, v), 0);
  }
  // KL(p||q) = 0.5 (log 2 - 1/2) one way and 0.5 (-log 2 + 1) - 0.5 the other: not symmetric.
  assert.ok(rel(gaussianKL(0, 2, 0, 1), 0.5 * (Math.log(0.5) + 2 - 1)) < 1e-15);
  fc.assert(
    fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 1e-8, max: 1e4, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 1e-8, max: 1e4, noNaN: true }), (m1, v1, m2, v2) => {
      const kl = gaussianKL(m1, v1, m2, v2);
      return Number.isFinite(kl) && kl >= 0;
    }),
    { seed: 7 },
  );
});

test('mergeMoments: hand values, the zero mean kept exactly, no NaN for vanished proportions', () => {
  const a = { pi: 0.2, mean: 1, variance: 0.01 };
  const b = { pi: 0.6, mean: 2, variance: 0.04 };
  const m = mergeMoments([a, b]);
  assert.ok(rel(m.pi, 0.8) < 1e-15);
  assert.ok(rel(m.mean, 1.75) < 1e-15);
  assert.ok(rel(m.variance, 0.0325) < 1e-15);
  const z = mergeMoments([{ pi: 0.999, mean: 0, variance: 4e-4 }, { pi: 1e-4, mean: -4e-4, variance: 4e-4 }, { pi: 1e-4, mean: -3e-4, variance: 1e-4 }], true);
  assert.equal(z.mean, 0);
  assert.ok(rel(z.pi, 0.9992) < 1e-15);
  assert.ok(rel(z.variance, (0.999 * 4e-4 + 1e-4 * 4e-4 + 1e-4 * 1e-4) / 0.9992) < 1e-15);
  assert.deepEqual(mergeMoments([a]), a);
  // Proportions that underflowed to 0 (logits of -800): equal weights instead of 0/0.
  const gone = mergeMoments([{ pi: 0, mean: 0.1, variance: 1e-4 }, { pi: 0, mean: 0.3, variance: 3e-4 }]);
  assert.equal(gone.pi, 0);
  assert.ok(rel(gone.mean, 0.2) < 1e-15 && rel(gone.variance, 2e-4) < 1e-15);
  assert.throws(() => mergeMoments([]), (e: unknown) => e instanceof MixtureError && e.field === 'components');
  fc.assert(
    fc.property(fc.array(fc.record({ pi: fc.double({ min: 1e-12, max: 1, noNaN: true }), mean: fc.double({ min: -1, max: 1, noNaN: true }), variance: fc.double({ min: 1e-10, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 6 }), (cs) => {
      const r = mergeMoments(cs);
      const lo = Math.min(...cs.map((c) => c.mean));
      const hi = Math.max(...cs.map((c) => c.mean));
      const vlo = Math.min(...cs.map((c) => c.variance));
      const vhi = Math.max(...cs.map((c) => c.variance));
      const eps = 1e-12;
      return r.mean >= lo - eps && r.mean <= hi + eps && r.variance >= vlo * (1 - eps) && r.variance <= vhi * (1 + eps);
    }),
    { seed: 11 },
  );
});

test('cloneMixture copies the arrays', () => {
  const s = initMixture([-1, 1], { components: 3 });
  const c = cloneMixture(s);
  c.means[1] = 42;
  c.logPrecisions[0] = 1;
  assert.equal(s.means[1], -1);
  assert.notEqual(s.logPrecisions[0], 1);
});
