// Huffman code lengths: a textbook example, edge cases, Kraft equality and optimality against a plain reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { entropyBits, huffmanBits, huffmanCodeLengths } from './index.js';

/** Optimal total bits by repeatedly merging the two lightest nodes (sum of merged weights). */
function referenceTotal(counts: number[]): number {
  const q = counts.filter((c) => c > 0);
  if (q.length === 1) return q[0]!;
  let total = 0;
  while (q.length > 1) {
    q.sort((a, b) => a - b);
    const s = q.shift()! + q.shift()!;
    total += s;
    q.push(s);
  }
  return total;
}

test('the CLRS example: frequencies 45, 13, 12, 16, 9, 5 get lengths 1, 3, 3, 3, 4, 4', () => {
  const counts = [45, 13, 12, 16, 9, 5];
  assert.deepEqual(Array.from(huffmanCodeLengths(counts)), [1, 3, 3, 3, 4, 4]);
  assert.equal(huffmanBits(counts), 45 + 3 * (13 + 12 + 16) + 4 * (9 + 5));
});

test('absent symbols get length 0, a lone symbol length 1, an empty histogram nothing', () => {
  assert.deepEqual(Array.from(huffmanCodeLengths([0, 7, 0])), [0, 1, 0]);
  assert.deepEqual(Array.from(huffmanCodeLengths([0, 0])), [0, 0]);
  assert.deepEqual(Array.from(huffmanCodeLengths([3, 0, 3])), [1, 0, 1]);
  assert.equal(entropyBits([0, 7, 0]), 0);
  assert.equal(entropyBits([2, 2]), 4);
  assert.throws(() => huffmanCodeLengths([1, -1]), RangeError);
});

test('property: Kraft equality, optimal total, and entropy <= bits < entropy + symbols', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1e6 })), { minLength: 2, maxLength: 300 }), (counts) => {
      const present = counts.filter((c) => c > 0).length;
      fc.pre(present >= 2);
      const lengths = huffmanCodeLengths(counts);
      let kraft = 0;
      counts.forEach((c, s) => {
        assert.equal(lengths[s]! > 0, c > 0);
        if (c > 0) kraft += 2 ** -lengths[s]!;
      });
      assert.ok(Math.abs(kraft - 1) < 1e-12, `Kraft sum ${kraft}`);
      const bits = huffmanBits(counts);
      assert.equal(bits, referenceTotal(counts));
      const n = counts.reduce((a, b) => a + b, 0);
      const h = entropyBits(counts);
      assert.ok(h <= bits + 1e-6 && bits < h + n, `entropy ${h}, bits ${bits}`);
      assert.deepEqual(huffmanCodeLengths(counts), lengths, 'deterministic');
    }),
    { numRuns: 300 },
  );
});
