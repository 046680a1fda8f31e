// Hardening: mutated and forged files never crash the decoder, never hang it, never decode to a wrong model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz } from './test-utils/fuzz.js';

test('fuzz: 2000 mutated files give SwsFormatError or the exact original model', () => {
  const report = fuzz(2000, 20261204);
  assert.deepStrictEqual(report.unexpected, []);
  assert.equal(report.wrongModels, 0);
  assert.ok(report.maxDecodeMs < 1000, `slowest decode ${report.maxDecodeMs} ms`);
  assert.ok(report.rejected > 1500, `only ${report.rejected} rejections`);
});
