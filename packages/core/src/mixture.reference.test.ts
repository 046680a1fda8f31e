// Core's mixture math against an independent float64 reference and against central finite differences,
// on seeded random cases and on the extreme cases of issue #2 (weights 1e3 from every mean, precisions
// 1e8 and 1e-8, pi0 = 0.999999).
//
// Tolerances. Every value is checked with a relative error of 1e-9. Where the expected value is ~0 because
// its terms cancel (a gradient at an optimum, a responsibility-weighted sum of opposite signs), the error is
// measured relative to the scale of its terms, sum |term_i|, which the reference returns alongside each value:
//     |core - ref| <= 1e-9 * max(|ref|, sum |terms|).
// Finite differences cannot resolve a derivative below their own uncertainty (the rounding floor
// eps * |f| / h and the extrapolation error, both estimated by the Richardson tableau), so against them:
//     |core - fd| <= 1e-9 * max(|core|, sum |terms|) + 8 * uncertainty(fd)   (8: a margin on the estimate itself),
// and we also require that most checks are genuinely resolved (uncertainty <= 1e-9 relative), so the
// comparison is not vacuous. Where FD cannot resolve 1e-9 (e.g. d/dpi0 at pi0 = 0.999999, whose step is
// capped by 1 - pi0 = 1e-6), the 50-digit values in mixture.golden.test.ts settle it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloneMixture, logMixtureDensity, mapAssign, priorGradients, priorLogDensity, responsibilities, type MixtureState } from './index.js';
import { extremeCases, randomCase, type MixtureCase } from './test-utils/random.js';
import { refDensity, refGradients, richardsonMulti, type FiniteDifference, type RefEntry } from './test-utils/reference.js';

const TOL = 1e-9;

const cases: MixtureCase[] = [
  ...extremeCases(),
  ...Array.from({ length: 60 }, (_, i) => randomCase(1000 + i)),
  ...Array.from({ length: 30 }, (_, i) => randomCase(5000 + i, { lambdaMin: 1e-8, lambdaMax: 1e8 })),
  ...Array.from({ length: 30 }, (_, i) => randomCase(7000 + i, { pi0: 0.999999 })),
];

function finite(label: string, arr: ArrayLike<number>): void {
  for (let i = 0; i < arr.length; i++) assert.ok(Number.isFinite(arr[i]), `${label}: entry ${i} is ${arr[i]}`);
}

function close(label: string, actual: number, ref: RefEntry): void {
  assert.ok(Number.isFinite(actual), `${label}: ${actual} is not finite`);
  const err = Math.abs(actual - ref.value);
  const scale = Math.max(Math.abs(ref.value), ref.scale);
  assert.ok(err <= TOL * scale, `${label}: core ${actual}, reference ${ref.value} (term scale ${ref.scale}), error ${err / scale} relative`);
}

test('logMixtureDensity and priorLogDensity match the sorted log-space reference (relative 1e-9)', () => {
  for (const c of cases) {
    const d = logMixtureDensity(c.weights, c.state);
    finite(c.label, d);
    const { logp } = refDensity(c.weights, c.state);
    // log p(w) is a single logsumexp with no cancellation: plain relative error.
    d.forEach((v, i) => close(`${c.label}, weight ${c.weights[i]}`, v, { value: logp[i]!, scale: Math.abs(logp[i]!) }));
    const ref = refGradients(c.weights, c.state).logDensity;
    close(`${c.label}, sum`, priorLogDensity(c.weights, c.state), ref);
  }
});

test('responsibilities match the reference, rows sum to 1, and nothing is NaN or Infinity', () => {
  for (const c of cases) {
    const J = c.state.means.length;
    const r = responsibilities(c.weights, c.state);
    finite(c.label, r);
    const { resp } = refDensity(c.weights, c.state);
    for (let i = 0; i < c.weights.length; i++) {
      let sum = 0;
      for (let j = 0; j < J; j++) {
        const v = r[i * J + j]!;
        const ref = resp[i]![j]!;
        assert.ok(v >= 0 && v <= 1, `${c.label}: r[${i},${j}] = ${v}`);
        sum += v;
        // Below 1e-290 a float64 has lost relative precision (subnormals): compare absolutely there.
        const tol = ref > 1e-290 ? TOL * ref : 1e-290;
        assert.ok(Math.abs(v - ref) <= tol, `${c.label}: r[${i},${j}] = ${v}, reference ${ref}`);
      }
      assert.ok(Math.abs(sum - 1) <= J * Number.EPSILON, `${c.label}: row ${i} sums to ${sum}`);
    }
  }
});

test('mapAssign picks the component with the largest responsibility (reference argmax)', () => {
  for (const c of cases) {
    const a = mapAssign(c.weights, c.state);
    const { resp } = refDensity(c.weights, c.state);
    for (let i = 0; i < c.weights.length; i++) {
      const row = resp[i]!;
      const best = row.indexOf(Math.max(...row));
      // Exact ties between components are broken by index in core; allow any maximal one within rounding.
      assert.ok(row[a[i]!]! >= row[best]! * (1 - 1e-12), `${c.label}: weight ${c.weights[i]} assigned ${a[i]}, reference ${best}`);
    }
  }
});

test('priorGradients matches the Jacobian-form reference (weights, means, log-precisions, logits, pi0)', () => {
  for (const c of cases) {
    const g = priorGradients(c.weights, c.state);
    const ref = refGradients(c.weights, c.state);
    close(`${c.label}: logDensity`, g.logDensity, ref.logDensity);
    g.weights.forEach((v, i) => close(`${c.label}: d/dw_${i} (w=${c.weights[i]})`, v, ref.weights[i]!));
    g.means.forEach((v, j) => close(`${c.label}: d/dmu_${j}`, v, ref.means[j]!));
    g.logPrecisions.forEach((v, j) => close(`${c.label}: d/dgamma_${j}`, v, ref.logPrecisions[j]!));
    g.mixingLogits.forEach((v, j) => close(`${c.label}: d/drho_${j}`, v, ref.mixingLogits[j]!));
    close(`${c.label}: d/dpi0`, g.pi0, ref.pi0);
    assert.equal(g.means[c.state.zeroIndex], 0, 'the zero mean is fixed: its gradient is 0');
    assert.equal(g.mixingLogits[c.state.zeroIndex], 0, 'the zero component has no logit: its gradient is 0');
  }
});

test('priorGradients over a set of weights is the sum of its per-weight gradients', () => {
  for (const c of cases.slice(0, 40)) {
    const all = priorGradients(c.weights, c.state);
    const J = c.state.means.length;
    const sums = { means: new Float64Array(J), logPrecisions: new Float64Array(J), mixingLogits: new Float64Array(J), pi0: 0 };
    const abs = { means: new Float64Array(J), logPrecisions: new Float64Array(J), mixingLogits: new Float64Array(J), pi0: 0 };
    for (const w of c.weights) {
      const one = priorGradients([w], c.state);
      for (const k of ['means', 'logPrecisions', 'mixingLogits'] as const) {
        for (let j = 0; j < J; j++) {
          sums[k][j]! += one[k][j]!;
          abs[k][j]! += Math.abs(one[k][j]!);
        }
      }
      sums.pi0 += one.pi0;
      abs.pi0 += Math.abs(one.pi0);
    }
    for (const k of ['means', 'logPrecisions', 'mixingLogits'] as const) {
      for (let j = 0; j < J; j++) close(`${c.label}: ${k}[${j}]`, all[k][j]!, { value: sums[k][j]!, scale: abs[k][j]! });
    }
    close(`${c.label}: pi0`, all.pi0, { value: sums.pi0, scale: abs.pi0 });
  }
});

/** First steps 1, 1/10, ..., 1/10^7 of a scale: the function's smooth scale is not known in advance. */
const decades = (h: number): number[] => Array.from({ length: 8 }, (_, k) => h * 10 ** -k);

test('priorGradients matches central finite differences with Richardson extrapolation', (t) => {
  let checks = 0;
  let resolved = 0;
  let worstResolved = 0;
  const f = (s: MixtureState, w: number): number => logMixtureDensity([w], s)[0]!;
  for (const c of cases.filter((_, k) => k < 6 || k % 3 === 0)) {
    const J = c.state.means.length;
    const sigma = Array.from(c.state.logPrecisions, (g) => Math.exp(-0.5 * g));
    for (const w of c.weights) {
      // Per weight: the FD of one log p(w) has a far smaller rounding floor than the FD of the whole sum.
      const g = priorGradients([w], c.state);
      const ref = refGradients([w], c.state);
      const check = (what: string, fd: FiniteDifference, value: number, entry: RefEntry): void => {
        const scale = Math.max(Math.abs(value), entry.scale);
        const uncertainty = fd.noise + fd.error;
        const err = Math.abs(fd.value - value);
        assert.ok(Number.isFinite(fd.value), `${c.label}, w=${w}: ${what} finite difference is ${fd.value}`);
        assert.ok(err <= TOL * scale + 8 * uncertainty, `${c.label}, w=${w}: ${what} core ${value}, finite difference ${fd.value} ± ${uncertainty}, term scale ${entry.scale}`);
        checks++;
        if (uncertainty <= TOL * scale) {
          resolved++;
          worstResolved = Math.max(worstResolved, err / scale);
        }
      };
      const s = cloneMixture(c.state);
      const activeSigma = Math.min(...sigma.filter((_, j) => ref.logPrecisions[j]!.scale > 1e-30));
      check('d/dw', richardsonMulti((x) => f(c.state, x), w, decades(activeSigma)), g.weights[0]!, ref.weights[0]!);
      for (let j = 0; j < J; j++) {
        if (j !== c.state.zeroIndex) {
          const m = c.state.means[j]!;
          const fd = richardsonMulti((x) => ((s.means[j] = x), f(s, w)), m, decades(sigma[j]!));
          s.means[j] = m;
          check(`d/dmu_${j}`, fd, g.means[j]!, ref.means[j]!);
        }
        const gamma = c.state.logPrecisions[j]!;
        const fdg = richardsonMulti((x) => ((s.logPrecisions[j] = x), f(s, w)), gamma, decades(0.1));
        s.logPrecisions[j] = gamma;
        check(`d/dgamma_${j}`, fdg, g.logPrecisions[j]!, ref.logPrecisions[j]!);
        const rho = c.state.mixingLogits[j]!;
        const fdr = richardsonMulti((x) => ((s.mixingLogits[j] = x), f(s, w)), rho, decades(0.1));
        s.mixingLogits[j] = rho;
        check(`d/drho_${j}`, fdr, g.mixingLogits[j]!, ref.mixingLogits[j]!);
      }
      const p0 = c.state.pi0;
      const fdp = richardsonMulti((x) => ((s.pi0 = x), f(s, w)), p0, decades(0.5 * Math.min(p0, 1 - p0)));
      s.pi0 = p0;
      check('d/dpi0', fdp, g.pi0, ref.pi0);
    }
  }
  // Many entries are ~0 (components far from a weight) and sit below any FD's floor; the rest must be resolved.
  assert.ok(resolved >= 0.4 * checks, `only ${resolved} of ${checks} finite differences resolved 1e-9`);
  assert.ok(worstResolved <= TOL, `worst resolved relative error ${worstResolved}`);
  t.diagnostic(`${resolved} of ${checks} finite differences resolved 1e-9; worst relative error among them ${worstResolved.toExponential(2)}`);
});
