// Core's mixture math against 50-digit values (mpmath, derivatives by high-precision numerical differentiation),
// on the extreme cases: this settles the 1e-9 claim where float64 finite differences cannot resolve it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logMixtureDensity, priorGradients } from './index.js';
import { GOLDEN } from './test-utils/golden/values.js';
import { extremeCases, randomCase } from './test-utils/random.js';
import { refGradients } from './test-utils/reference.js';

// Same order as test-utils/golden/dump-cases.ts.
const cases = [...extremeCases(), randomCase(42), randomCase(43, { lambdaMin: 1e-8, lambdaMax: 1e8 }), randomCase(44, { pi0: 0.999999 })];

test('golden cases are the ones the values were generated for', () => {
  assert.deepEqual(cases.map((c) => c.label), GOLDEN.map((g) => g.label));
});

test('log-density and every gradient agree with 50-digit values to 1e-9 relative (term scale where ~0)', (t) => {
  let worst = 0;
  cases.forEach((c, k) => {
    const gold = GOLDEN[k]!;
    const ref = refGradients(c.weights, c.state);
    const g = priorGradients(c.weights, c.state);
    const check = (what: string, actual: number, expected: number, termScale: number): void => {
      assert.ok(Number.isFinite(actual), `${c.label}: ${what} is ${actual}`);
      // A value that is ~0 because its terms cancel is judged against the scale of those terms.
      const scale = Math.max(Math.abs(expected), termScale);
      const err = scale === 0 ? Math.abs(actual) : Math.abs(actual - expected) / scale;
      worst = Math.max(worst, err);
      assert.ok(err <= 1e-9, `${c.label}: ${what} core ${actual}, 50-digit ${expected}, relative error ${err}`);
    };
    logMixtureDensity(c.weights, c.state).forEach((v, i) => check(`log p(w_${i})`, v, gold.logp[i]!, 0));
    g.weights.forEach((v, i) => check(`d/dw_${i}`, v, gold.weights[i]!, ref.weights[i]!.scale));
    g.means.forEach((v, j) => check(`d/dmu_${j}`, v, gold.means[j]!, ref.means[j]!.scale));
    g.logPrecisions.forEach((v, j) => check(`d/dgamma_${j}`, v, gold.logPrecisions[j]!, ref.logPrecisions[j]!.scale));
    g.mixingLogits.forEach((v, j) => check(`d/drho_${j}`, v, gold.mixingLogits[j]!, ref.mixingLogits[j]!.scale));
    check('d/dpi0', g.pi0, gold.pi0, ref.pi0.scale);
  });
  assert.ok(worst <= 1e-9);
  t.diagnostic(`worst relative error against the 50-digit values: ${worst.toExponential(2)}`);
});
