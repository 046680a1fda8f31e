// Round trip: decode(encode(m)) deep-equals m for generated models and for the edge cases the issue names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CompressedModel } from '@softweight/core';
import { decode, encode, encodeWithStats, inspect } from './index.js';
import { modelArb, modelFromSpec, type ModelSpec } from './test-utils/arbitraries.js';

function roundTrip(m: CompressedModel): Uint8Array {
  const bytes = encode(m);
  assert.deepStrictEqual(decode(bytes), m);
  return bytes;
}

const layer = (units: number, pattern: ModelSpec['layers'][number]['pattern'], extra: Partial<ModelSpec['layers'][number]> = {}): ModelSpec['layers'][number] => ({
  units,
  pattern,
  density: 0.05,
  bias: true,
  quantized: true,
  codebook: 0,
  ...extra,
});
const spec = (inputWidth: number, layers: ModelSpec['layers'], codebookSizes: number[], extra: Partial<ModelSpec> = {}): ModelSpec => ({
  inputWidth,
  layers,
  codebookSizes,
  seed: 7,
  name: null,
  metadata: null,
  ...extra,
});

test('round trip: 1000 generated models', () => {
  fc.assert(
    fc.property(modelArb, (m) => {
      roundTrip(m);
    }),
    { numRuns: 1000 },
  );
});

test('round trip: all-zero tensor, no-zero tensor, 1-element tensors', () => {
  roundTrip(modelFromSpec(spec(30, [layer(20, 'zeros'), layer(10, 'noZeros'), layer(1, 'noZeros'), layer(1, 'zeros')], [17])));
  roundTrip(modelFromSpec(spec(1, [layer(1, 'noZeros', { bias: false })], [2])));
  roundTrip(modelFromSpec(spec(1, [layer(1, 'zeros', { bias: false })], [1])));
});

test('round trip: a codebook with one value (only zero) and one with 65536 values', () => {
  const bytes = roundTrip(modelFromSpec(spec(40, [layer(30, 'uniform'), layer(5, 'zeros', { codebook: 1 })], [65536, 1])));
  assert.equal(inspect(bytes).codebooks[0]!.size, 65536);
});

test('round trip: more than 256 components with indices above 255 in use', () => {
  const m = modelFromSpec(spec(50, [layer(40, 'uniform')], [300]));
  assert.ok(m.quantized[0]!.indices.some((k) => k > 255));
  roundTrip(m);
});

test('round trip: gaps longer than any fixed-width field (2^8, 2^16, 2^17)', () => {
  // Non-zeros only at both ends of a 400 x 400 kernel: one gap of 159998 zeros.
  const m = modelFromSpec(spec(400, [layer(400, 'ends', { bias: false })], [5]));
  const { bytes, stats } = encodeWithStats(m);
  assert.deepStrictEqual(decode(bytes), m);
  assert.equal(stats.quantized[0]!.nonZeros, 2);
  assert.ok(stats.quantized[0]!.bytes < 24, `${stats.quantized[0]!.bytes} bytes for two non-zeros`);
});

test('round trip: metadata, graph name, -0 and unusual strings survive exactly', () => {
  const m = modelFromSpec(
    spec(3, [layer(2, 'sparse', { density: 0.5 })], [4], {
      name: 'ünïcødé 🧪 "quoted"\n',
      metadata: { accuracy: 0.9806, negZero: -0, tiny: 5e-324, big: 1.7976931348623157e308, nested: { a: [1, 'x', null, true, { b: [] }] }, '': '' },
    }),
  );
  const out = decode(roundTrip(m));
  assert.ok(Object.is(out.metadata!['negZero'], -0));
});

test('encoding is deterministic: equal models give identical bytes', () => {
  fc.assert(
    fc.property(modelArb, (m) => {
      const copy = structuredClone(m);
      assert.deepStrictEqual(encode(copy), encode(m));
    }),
    { numRuns: 100 },
  );
});

test('decode reads from any Uint8Array view (Node Buffers from a pool, odd byte offsets)', () => {
  const m = modelFromSpec(spec(12, [layer(8, 'sparse', { density: 0.3 }), layer(3, 'uniform')], [6], { metadata: { a: 1 } }));
  const bytes = encode(m);
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes, 3);
  assert.deepStrictEqual(decode(padded.subarray(3)), m);
  assert.deepStrictEqual(decode(Buffer.from(bytes)), m);
  assert.deepStrictEqual(inspect(padded.subarray(3)).fileBytes, bytes.length);
});

test('round trip: more distinct indices in one tensor than rANS can code (> 2^15 used symbols)', () => {
  const m = modelFromSpec(spec(256, [layer(200, 'zeros', { bias: false })], [65536]));
  const k = m.quantized[0]!;
  const z = m.codebooks[0]!.zeroIndex;
  for (let i = 0; i < k.indices.length; i++) k.indices[i] = i >= z ? i + 1 : i; // 51200 distinct indices
  const { bytes, stats } = encodeWithStats(m);
  assert.notEqual(stats.quantized[0]!.layout === 'dense' ? stats.quantized[0]!.symbols!.method : stats.quantized[0]!.indices!.method, 'rans');
  assert.deepStrictEqual(decode(bytes), m);
});
