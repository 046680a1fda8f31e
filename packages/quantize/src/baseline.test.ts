// Deep Compression baseline: exact magnitude pruning, linearly initialised 1-D k-means, codebook layout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateCompressedModel } from '@softweight/core';
import { deepCompressionBaseline, dequantize, QuantizeError } from './index.js';
import { convModel, denseModel } from './test-utils/fixtures.js';

test('prunes the smallest magnitudes and runs k-means from linear initialisation (hand-computed)', () => {
  // |w| sorted: 0.01, 0.02, 0.03, 0.04 (pruned at sparsity 0.5), then 1, 2, 10, 11 survive.
  const input = denseModel([1, -0.01, 2, 0.02, 10, -0.03, 11, 0.04], 8, 1);
  const r = deepCompressionBaseline(input, { sparsity: 0.5, clusters: 2 });
  // Linear init over [1, 11]: centroids 1 and 11, boundary 6 -> {1, 2} and {10, 11} -> 1.5 and 10.5; stable.
  const [g] = r.groups;
  assert.deepEqual(g!.centroids, [1.5, 10.5]);
  assert.equal(g!.pruned, 4);
  assert.equal(g!.threshold, Math.fround(0.04));
  assert.deepEqual(Array.from(r.compressed.codebooks[0]!.values), [0, 1.5, 10.5]);
  assert.deepEqual(Array.from(dequantize(r.compressed).get('fc/kernel')!.values), [1.5, 0, 1.5, 0, 10.5, 0, 10.5, 0]);
  assert.equal(r.report.total.nonZeros, 4);
  validateCompressedModel(r.compressed);
});

test('ties at the magnitude threshold are pruned in element order so the count is exact', () => {
  const input = denseModel([0.5, -0.5, 0.5, 1], 4, 1);
  const r = deepCompressionBaseline(input, { sparsity: 0.5, clusters: 4 });
  assert.deepEqual(Array.from(dequantize(r.compressed).get('fc/kernel')!.values), [0, 0, 0.5, 1]);
});

test('more clusters than distinct survivors: empty clusters are dropped from the codebook', () => {
  const input = denseModel([1, 1, 1, 3], 4, 1);
  const r = deepCompressionBaseline(input, { sparsity: 0, clusters: 16 });
  assert.deepEqual(Array.from(r.compressed.codebooks[0]!.values), [0, 1, 3]);
  assert.equal(r.report.total.nonZeros, 4);
});

test('per-tensor codebooks by default, one shared codebook with scope global', () => {
  const conv = Float32Array.from({ length: 36 }, (_, i) => Math.sin(i));
  const dense = Float32Array.from({ length: 192 }, (_, i) => Math.cos(i) * 0.1);
  const per = deepCompressionBaseline(convModel(conv, dense), { sparsity: 0.75, clusters: 4 });
  assert.deepEqual(per.compressed.codebooks.map((c) => c.name), ['conv/kernel/codebook', 'fc/kernel/codebook']);
  assert.deepEqual(per.report.tensors.map((t) => t.nonZeros), [9, 48]);
  validateCompressedModel(per.compressed);
  const global = deepCompressionBaseline(convModel(conv, dense), { sparsity: 0.75, clusters: 4, scope: 'global' });
  assert.deepEqual(global.compressed.codebooks.map((c) => c.name), ['shared']);
  assert.equal(global.report.total.nonZeros, 57);
  validateCompressedModel(global.compressed);
  assert.deepEqual(global.compressed.float.map((t) => t.name), ['conv/bias']);
});

test('property: survivors take their nearest centroid; at most clusters + 1 values; sparsity is exact', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround), { minLength: 1, maxLength: 200 }),
      fc.double({ min: 0, max: 0.99, noNaN: true }),
      fc.integer({ min: 1, max: 20 }),
      (w, sparsity, clusters) => {
        const r = deepCompressionBaseline(denseModel(w, w.length, 1), { sparsity, clusters });
        const q = dequantize(r.compressed).get('fc/kernel')!.values;
        const c = r.groups[0]!.centroids;
        assert.ok(r.compressed.codebooks[0]!.values.length <= clusters + 1);
        const pruned = Math.round(sparsity * w.length);
        assert.equal(r.groups[0]!.pruned, pruned);
        q.forEach((x, i) => {
          if (r.groups[0]!.threshold !== 0 && Math.abs(w[i]!) < r.groups[0]!.threshold) assert.equal(x, 0);
          if (x === 0 && !c.some((v) => Math.fround(v) === 0)) return;
          const best = Math.min(...c.map((v) => Math.abs(v - w[i]!)));
          const chosen = c.find((v) => Math.fround(v) === x)!;
          assert.ok(Math.abs(chosen - w[i]!) <= best + 1e-12, `weight ${w[i]} -> ${x}, nearest centroid at distance ${best}`);
        });
      },
    ),
    { numRuns: 200 },
  );
});

test('bad options are QuantizeErrors naming the option', () => {
  const input = denseModel([1, 2], 2, 1);
  assert.throws(() => deepCompressionBaseline(input, { sparsity: 1 }), (e: unknown) => e instanceof QuantizeError && e.subject === 'sparsity');
  assert.throws(() => deepCompressionBaseline(input, { sparsity: 0.5, clusters: 0 }), (e: unknown) => e instanceof QuantizeError && e.subject === 'clusters');
});
