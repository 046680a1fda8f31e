// Smoke tests of the mixture reference; the exhaustive checks live in mixture.reference.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initMixture, logMixtureDensity, mapAssign, mixingProportions } from './index.js';

test('initMixture spaces the free means over the weight range and gives pi0 to the zero component', () => {
  const state = initMixture([-1, 0.5, 1], { components: 5 });
  const expected = [0, -1, -1 / 3, 1 / 3, 1];
  state.means.forEach((m, j) => assert.ok(Math.abs(m - expected[j]!) < 1e-15, `mean ${j}: ${m}`));
  const pi = mixingProportions(state);
  assert.equal(pi[0], 0.999);
  assert.ok(Math.abs(pi.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('logMixtureDensity stays finite 1e3 away from every mean', () => {
  const state = initMixture([-0.1, 0.1], { components: 3 });
  state.logPrecisions.fill(Math.log(1e8));
  const d = logMixtureDensity([1000, -1000], state);
  assert.ok(Number.isFinite(d[0]) && Number.isFinite(d[1]));
  assert.deepEqual(Array.from(mapAssign([1000, -1000, 0], state)), [2, 1, 0]);
});
