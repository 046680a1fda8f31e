// The fast assignment against core's float64 reference (MAP) and a direct evaluation (ML, nearest mean).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { logMixingProportions, mapAssign, type MixtureState } from '@softweight/core';
import { assignComponents, createAssigner, decisionRegions, QuantizeError, type AssignmentRule } from './index.js';
import { mixtureOf } from './test-utils/fixtures.js';

/** A random valid mixture: zero component at 0, free means, log-precisions and logits. */
const arbMixture = (maxJ = 17): fc.Arbitrary<MixtureState> =>
  fc.integer({ min: 1, max: maxJ - 1 }).chain((free) =>
    fc
      .record({
        means: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: free, maxLength: free }),
        logPrecisions: fc.array(fc.double({ min: 0, max: 14, noNaN: true }), { minLength: free + 1, maxLength: free + 1 }),
        logits: fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: free, maxLength: free }),
        pi0: fc.double({ min: 0.01, max: 0.9999, noNaN: true }),
      })
      .map(({ means, logPrecisions, logits, pi0 }) => ({
        means: Float64Array.from([0, ...means]),
        logPrecisions: Float64Array.from(logPrecisions),
        mixingLogits: Float64Array.from([0, ...logits]),
        zeroIndex: 0,
        pi0,
        learnPi0: false,
      })),
  );

const arbWeights = fc.array(fc.double({ min: -1.5, max: 1.5, noNaN: true }).map(Math.fround), { minLength: 1, maxLength: 300 });

/** Score of component j at w under a rule, the way a user would write it. */
function score(m: MixtureState, rule: AssignmentRule, j: number, w: number): number {
  const d = w - m.means[j]!;
  if (rule === 'nearest') return -Math.abs(d);
  const lambda = Math.exp(m.logPrecisions[j]!);
  const logPi = rule === 'map' ? logMixingProportions(m)[j]! : 0;
  return logPi + 0.5 * m.logPrecisions[j]! - 0.5 * lambda * d * d;
}

test('MAP assignment equals core mapAssign (or ties it to 1e-9) on random mixtures and weights', () => {
  fc.assert(
    fc.property(arbMixture(), arbWeights, (m, ws) => {
      const ref = mapAssign(ws, m);
      const got = assignComponents(ws, m);
      for (let i = 0; i < ws.length; i++) {
        if (got[i] === ref[i]) continue;
        const a = score(m, 'map', got[i]!, ws[i]!);
        const b = score(m, 'map', ref[i]!, ws[i]!);
        assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `weight ${ws[i]}: got ${got[i]} (${a}), reference ${ref[i]} (${b})`);
      }
    }),
    { numRuns: 300 },
  );
});

test('ML and nearest-mean assignments pick a best-scoring component', () => {
  for (const rule of ['ml', 'nearest'] as const) {
    fc.assert(
      fc.property(arbMixture(), arbWeights, (m, ws) => {
        const got = assignComponents(ws, m, rule);
        for (let i = 0; i < ws.length; i++) {
          let best = -Infinity;
          for (let j = 0; j < m.means.length; j++) best = Math.max(best, score(m, rule, j, ws[i]!));
          const s = score(m, rule, got[i]!, ws[i]!);
          assert.ok(s >= best - 1e-9 * Math.max(1, Math.abs(best)), `${rule}: weight ${ws[i]} got ${got[i]} scoring ${s}, best ${best}`);
        }
      }),
      { numRuns: 150 },
    );
  }
});

test('regression: near-identical broad components do not move the boundary of a sharp one (fast-check seed 1070109936)', () => {
  // Components 0-7 and 10-14 identical (mean 0, sigma 1), 9 the same but for a mean of -4e-17, 8 sharp (gamma 14) at 0.
  // The overall argmax flips between the broad ones by rounding; bisecting on it put 8's left boundary at -0.254
  // instead of -0.003424, so w = -0.003424407216 went to 8 although the broad components score higher there.
  const m: MixtureState = {
    means: Float64Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, -4.163336342344337e-17, 0, 0, 0, 0, 0]),
    logPrecisions: Float64Array.from([0, 0, 0, 0, 0, 0, 0, 0, 13.992151219396716, 0, 0, 0, 0, 0, 0]),
    mixingLogits: new Float64Array(15),
    zeroIndex: 0,
    pi0: 0.01,
    learnPi0: false,
  };
  const crossing = Math.sqrt(13.992151219396716 / (Math.exp(13.992151219396716) - 1));
  for (const rule of ['ml', 'map'] as const) {
    // (MAP also has far-out crossings from the -4e-17 mean against component 0's smaller pi; only the near ones matter here.)
    const near = Array.from(decisionRegions(m, rule).thresholds).filter((t) => Math.abs(t) < 1);
    assert.ok(near.length >= 2, `${rule}: thresholds ${near}`);
    for (const t of near) assert.ok(Math.abs(Math.abs(t) - crossing) < 1e-3 || Math.abs(t) < 1e-15, `${rule}: threshold ${t}`);
  }
  const w = -0.0034244072157889605;
  const got = assignComponents([w], m, 'ml')[0]!;
  assert.ok(score(m, 'ml', got, w) >= score(m, 'ml', 0, w) - 1e-12, `ml: ${w} went to ${got}`);
});

test('MAP and nearest mean disagree where the zero component has the larger responsibility', () => {
  // pi0 = 0.999, component 1 at 0.1 with pi 0.001, both sigma 0.05. At w = 0.07:
  //   zero:  log 0.999 - 0.5 (0.07 / 0.05)^2 = -0.0010 - 0.98 = -0.981
  //   other: log 0.001 - 0.5 (0.03 / 0.05)^2 = -6.9078 - 0.18 = -7.088
  // (the shared -log sigma - 0.5 log 2 pi cancels), so MAP says 0 while 0.1 is the nearer mean.
  const m = mixtureOf([0, 0.1], [0.05, 0.05], [0.999, 0.001]);
  assert.deepEqual(Array.from(assignComponents([0.07], m, 'map')), [0]);
  assert.deepEqual(Array.from(assignComponents([0.07], m, 'nearest')), [1]);
  // Equal sigmas: ML ignores pi and so agrees with nearest mean.
  assert.deepEqual(Array.from(assignComponents([0.07], m, 'ml')), [1]);
  // The MAP boundary solves log(0.999/0.001) = ((w^2 - (w - 0.1)^2) / (2 * 0.05^2)), i.e. w = 0.05 + 0.0025 ln(999) / 0.1.
  const boundary = 0.05 + (0.0025 * Math.log(999)) / 0.1;
  const [t] = decisionRegions(m, 'map').thresholds;
  assert.ok(Math.abs(t! - boundary) < 1e-15, `${t} vs ${boundary}`);
});

test('a broad component wins in the tails of a sharp one: regions are not contiguous', () => {
  // Sharp zero component (sigma 0.01) and a broad one (sigma 1) at 0: the broad one wins on both sides.
  const m = mixtureOf([0, 0], [0.01, 1], [0.9, 0.1]);
  const r = decisionRegions(m, 'map');
  assert.deepEqual(Array.from(r.components), [1, 0, 1]);
  assert.ok(Math.abs(r.thresholds[0]! + r.thresholds[1]!) < 1e-16);
  assert.deepEqual(Array.from(assignComponents([-1, 0, 0.001, 1], m)), [1, 0, 0, 1]);
});

test('an assigner is reusable, fills a given buffer and rejects non-finite values naming the element', () => {
  const m = mixtureOf([0, 0.2, -0.2], [0.02, 0.02, 0.02], [0.9, 0.05, 0.05]);
  const a = createAssigner(m);
  const out = new Uint16Array(3);
  assert.equal(a.assign([0.19, -0.21, 0.001], out), out);
  assert.deepEqual(Array.from(out), [1, 2, 0]);
  assert.equal(a.assignOne(0.2), 1);
  assert.throws(() => a.assign([0, NaN]), (e: unknown) => e instanceof QuantizeError && /element 1 is NaN/.test(e.message));
  assert.throws(() => a.assign([-Infinity]), QuantizeError);
  assert.throws(() => a.assign([Infinity]), QuantizeError);
  assert.throws(() => a.assign([0], new Uint16Array(2)), QuantizeError);
});
