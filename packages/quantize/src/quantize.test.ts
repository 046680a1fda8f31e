// quantize end to end: hand-computed cases and fast-check invariants of the merge + assign + prune pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateCompressedModel, type MixtureState } from '@softweight/core';
import { assignComponents, dequantize, quantize, QuantizeError, type QuantizeInput, type QuantizeOptions } from './index.js';
import { convModel, denseModel, mixtureOf } from './test-utils/fixtures.js';

const f32 = Math.fround;

test('a small dense layer: MAP assignment, pruning, a sorted codebook without unused entries, float bias', () => {
  // Components: zero (sigma 0.02, pi 0.9), 0.5 (sigma 0.05), -0.5 (sigma 0.05), 2.0 (sigma 0.05, never used).
  const m = mixtureOf([0, 0.5, -0.5, 2], [0.02, 0.05, 0.05, 0.05], [0.9, 0.04, 0.04, 0.02]);
  const input = denseModel([0.01, 0.48, -0.52, -0.003, 0.55, 0], 3, 2);
  const r = quantize(input, m);
  const [cb] = r.compressed.codebooks;
  assert.deepEqual(Array.from(cb!.values), [-0.5, 0, f32(0.5)]);
  assert.equal(cb!.zeroIndex, 1);
  assert.deepEqual(r.codebookIndexOf, [1, 2, 0, -1]);
  assert.deepEqual(r.componentCounts, [3, 2, 1, 0]);
  const q = dequantize(r.compressed);
  assert.deepEqual(Array.from(q.get('fc/kernel')!.values), [0, f32(0.5), -0.5, 0, f32(0.5), 0]);
  assert.deepEqual(Array.from(q.get('fc/bias')!.values), [0.5, 0.5]);
  assert.deepEqual(r.compressed.float.map((t) => t.name), ['fc/bias']);
  assert.deepEqual(r.unstableComponents, []);
  validateCompressedModel(r.compressed);
  // |q - w| = 0.01, 0.02, 0.02, 0.003, 0.05, 0 (up to float32 rounding).
  assert.ok(Math.abs(r.weightError.maxAbs - 0.05) < 1e-7);
});

test('where MAP and nearest mean disagree, quantize takes the MAP answer unless told otherwise', () => {
  // See assign.test.ts: at 0.07, pi0 = 0.999 beats the nearer mean 0.1 (log-joint -0.981 vs -7.088).
  const m = mixtureOf([0, 0.1], [0.05, 0.05], [0.999, 0.001]);
  // At 0.3: zero -0.001 - 0.5 (0.3 / 0.05)^2 = -18.001, other -6.908 - 0.5 (0.2 / 0.05)^2 = -14.908: 0.1 wins.
  const input = denseModel([0.07, 0.3], 2, 1);
  const kernel = (o: QuantizeOptions = {}) => Array.from(dequantize(quantize(input, m, o).compressed).get('fc/kernel')!.values);
  assert.deepEqual(kernel(), [0, f32(0.1)]);
  assert.deepEqual(kernel({ assignment: 'nearest' }), [f32(0.1), f32(0.1)]);
  assert.deepEqual(kernel({ assignment: 'ml' }), [f32(0.1), f32(0.1)]);
});

test('merged components share one codebook value and the report says which merged', () => {
  const m = mixtureOf([0, 1e-7, 0.3, 0.3 + 1e-7], [0.01, 0.01, 0.01, 0.01], [0.99, 0.004, 0.003, 0.003]);
  const input = denseModel([1e-7, 0.3, 0.3 + 1e-7, 0.2999], 4, 1);
  const r = quantize(input, m);
  assert.deepEqual(r.merge.mergedGroups, [[0, 1], [2, 3]]);
  assert.equal(r.merge.componentsAfter, 2);
  assert.equal(r.mixture.means[0], 0);
  assert.deepEqual(Array.from(r.compressed.codebooks[0]!.values), [0, f32(0.3 + 0.5e-7)]);
  assert.deepEqual(Array.from(dequantize(r.compressed).get('fc/kernel')!.values), [0, f32(0.3 + 0.5e-7), f32(0.3 + 0.5e-7), f32(0.3 + 0.5e-7)]);
});

test('conv and dense kernels are quantized with one shared codebook; the conv bias passes through', () => {
  const conv = Float32Array.from({ length: 36 }, (_, i) => (i % 3 === 0 ? 0.25 : 0.001));
  const dense = Float32Array.from({ length: 192 }, (_, i) => (i % 4 === 0 ? -0.25 : -0.002));
  const m = mixtureOf([0, 0.25, -0.25], [0.01, 0.02, 0.02], [0.95, 0.025, 0.025]);
  const r = quantize(convModel(conv, dense), m, { codebookName: 'cb' });
  validateCompressedModel(r.compressed);
  assert.deepEqual(r.compressed.quantized.map((t) => [t.name, t.codebook]), [['conv/kernel', 'cb'], ['fc/kernel', 'cb']]);
  assert.deepEqual(r.compressed.float.map((t) => t.name), ['conv/bias']);
  assert.deepEqual(r.componentCounts, [24 + 144, 12, 48]);
});

test('a broad component that wins only in the tails of a sharp one is reported unstable', () => {
  // Broad component (sigma 1) at 0.05 wins far from 0, but at its own mean 0.05 the sharp zero component wins:
  // a weight at 3 becomes 0.05 and, quantized again, 0.
  const m = mixtureOf([0, 0.05], [0.1, 1], [0.9, 0.1]);
  const input = denseModel([3, 0.01], 2, 1);
  const r = quantize(input, m);
  assert.deepEqual(r.unstableComponents, [1]);
  const again = quantize({ ...input, weights: dequantize(r.compressed) }, r.mixture);
  assert.deepEqual(Array.from(dequantize(again.compressed).get('fc/kernel')!.values), [0, 0]);
});

test('bad input is a QuantizeError naming the tensor', () => {
  const m = mixtureOf([0, 0.1], [0.05, 0.05], [0.9, 0.1]);
  const good = denseModel([0.1, 0.2], 2, 1);
  const withKernel = (values: Float32Array, shape = [2, 1]): QuantizeInput => ({ ...good, weights: new Map([...(good.weights as Map<string, never>), ['fc/kernel', { shape, values }]]) });
  const is = (subject: string) => (e: unknown) => e instanceof QuantizeError && e.subject === subject;
  assert.throws(() => quantize(withKernel(new Float32Array([0.1, NaN])), m), is('fc/kernel'));
  assert.throws(() => quantize(withKernel(new Float32Array([0.1, 0.2, 0.3])), m), is('fc/kernel'));
  assert.throws(() => quantize({ ...good, covered: ['nope'] }, m), is('nope'));
  assert.throws(() => quantize({ ...good, weights: {} }, m), is('fc/kernel'));
  assert.throws(() => quantize(good, m, { assignment: 'mode' as never }), is('assignment'));
});

// ---- properties -------------------------------------------------------------------------------------

/** Any valid mixture (components may overlap, be broad, or nearly coincide). */
const arbMixture: fc.Arbitrary<MixtureState> = fc.integer({ min: 1, max: 16 }).chain((free) =>
  fc
    .record({
      means: fc.array(fc.oneof(fc.double({ min: -1, max: 1, noNaN: true }), fc.constantFrom(0, 1e-9, 0.5)), { minLength: free, maxLength: free }),
      sigmas: fc.array(fc.double({ min: 1e-3, max: 1, noNaN: true }), { minLength: free + 1, maxLength: free + 1 }),
      logits: fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: free, maxLength: free }),
      pi0: fc.double({ min: 0.05, max: 0.999, noNaN: true }),
    })
    .map(({ means, sigmas, logits, pi0 }) => ({
      means: Float64Array.from([0, ...means]),
      logPrecisions: Float64Array.from(sigmas.map((s) => -2 * Math.log(s))),
      mixingLogits: Float64Array.from([0, ...logits]),
      zeroIndex: 0,
      pi0,
      learnPi0: false,
    })),
);

/** A well-separated mixture (means >= 0.2 apart, sigma <= 0.02), as after a converged retraining. */
const arbSeparated: fc.Arbitrary<MixtureState> = fc.integer({ min: 1, max: 16 }).chain((free) =>
  fc
    .record({
      start: fc.double({ min: -1, max: 1, noNaN: true }),
      sigmas: fc.array(fc.double({ min: 0.002, max: 0.02, noNaN: true }), { minLength: free + 1, maxLength: free + 1 }),
      logits: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: free, maxLength: free }),
      pi0: fc.double({ min: 0.5, max: 0.999, noNaN: true }),
    })
    .map(({ start, sigmas, logits, pi0 }) => {
      const means = [0];
      for (let k = 0; k < free; k++) {
        let mu = start + 0.25 * k;
        if (Math.abs(mu) < 0.2) mu += 0.5;
        means.push(mu);
      }
      return {
        means: Float64Array.from(means),
        logPrecisions: Float64Array.from(sigmas.map((s) => -2 * Math.log(s))),
        mixingLogits: Float64Array.from([0, ...logits]),
        zeroIndex: 0,
        pi0,
        learnPi0: false,
      };
    }),
);

const arbKernel = fc.array(fc.oneof(fc.double({ min: -1.5, max: 5, noNaN: true }), fc.double({ min: -0.05, max: 0.05, noNaN: true })).map(f32), { minLength: 1, maxLength: 200 });
const arbOptions: fc.Arbitrary<QuantizeOptions> = fc.record({
  assignment: fc.constantFrom('map' as const, 'ml' as const, 'nearest' as const),
  mergeThreshold: fc.constantFrom(1e-10, 0, 1e-3, 0.5),
});

function run(m: MixtureState, w: number[], options: QuantizeOptions) {
  const input = denseModel(w, w.length, 1);
  const r = quantize(input, m, options);
  return { input, r, q: dequantize(r.compressed).get('fc/kernel')!.values };
}

test('property: every output weight is a codebook value and the model validates', () => {
  fc.assert(
    fc.property(arbMixture, arbKernel, arbOptions, (m, w, o) => {
      const { r, q } = run(m, w, o);
      validateCompressedModel(r.compressed);
      const values = new Set(r.compressed.codebooks[0]!.values);
      for (const x of q) assert.ok(values.has(x), `${x} is not in the codebook`);
      // And each is the float32 mean of the merged component the weight is assigned to.
      const k = assignComponents(w, r.mixture, o.assignment);
      q.forEach((x, i) => assert.equal(x, k[i] === r.mixture.zeroIndex ? 0 : f32(r.mixture.means[k[i]!]!) + 0));
    }),
    { numRuns: 200 },
  );
});

test('property: weights assigned to the zero component are exactly 0 (pruned)', () => {
  fc.assert(
    fc.property(arbMixture, arbKernel, arbOptions, (m, w, o) => {
      const { r, q } = run(m, w, o);
      const k = assignComponents(w, r.mixture, o.assignment);
      const zi = r.compressed.codebooks[0]!.zeroIndex;
      const idx = r.compressed.quantized[0]!.indices;
      k.forEach((c, i) => {
        if (c === r.mixture.zeroIndex) {
          assert.ok(Object.is(q[i], 0), `weight ${w[i]} in the zero component became ${q[i]}`);
          assert.equal(idx[i], zi);
        }
      });
    }),
    { numRuns: 200 },
  );
});

test('property: distinct values <= components after merging', () => {
  fc.assert(
    fc.property(arbMixture, arbKernel, arbOptions, (m, w, o) => {
      const { r, q } = run(m, w, o);
      assert.ok(new Set(q).size <= r.merge.componentsAfter);
      assert.ok(r.compressed.codebooks[0]!.values.length <= r.merge.componentsAfter + 1); // + the 0 entry when unused
    }),
    { numRuns: 200 },
  );
});

test('property: quantizing the quantized weights again with the merged mixture changes nothing (stable components)', () => {
  fc.assert(
    fc.property(arbMixture, arbKernel, arbOptions, (m, w, o) => {
      const { input, r, q } = run(m, w, o);
      const again = quantize({ ...input, weights: dequantize(r.compressed) }, r.mixture, { ...o, mergeThreshold: 0 });
      const q2 = dequantize(again.compressed).get('fc/kernel')!.values;
      const unstable = new Set(r.unstableComponents);
      const k = assignComponents(w, r.mixture, o.assignment);
      q.forEach((x, i) => {
        if (!unstable.has(k[i]!)) assert.equal(q2[i], x, `weight ${w[i]}: ${x} then ${q2[i]}`);
      });
    }),
    { numRuns: 200 },
  );
});

test('property: with a well-separated mixture quantize is idempotent (same options, merging on)', () => {
  fc.assert(
    fc.property(arbSeparated, arbKernel, arbOptions, (m, w, o) => {
      const { input, r, q } = run(m, w, o);
      assert.deepEqual(r.unstableComponents, []);
      const again = quantize({ ...input, weights: dequantize(r.compressed) }, r.mixture, o);
      assert.deepEqual(dequantize(again.compressed).get('fc/kernel')!.values, q);
      assert.deepEqual(again.compressed.codebooks, r.compressed.codebooks);
      assert.deepEqual(again.compressed.quantized, r.compressed.quantized);
    }),
    { numRuns: 200 },
  );
});
