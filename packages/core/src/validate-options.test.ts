// validateCompressedModel's checkIndices option: skipping only the per-index range pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressedModelError, validateCompressedModel, type CompressedModel } from './index.js';

function model(indices: Uint16Array): CompressedModel {
  return {
    graph: {
      inputs: [{ name: 'x', shape: [2] }],
      nodes: [{ kind: 'dense', name: 'fc', inputs: ['x'], units: 2, kernel: 'k', activation: 'linear' }],
      outputs: ['fc'],
    },
    codebooks: [{ name: 'cb', values: new Float32Array([0, 0.5]), zeroIndex: 0 }],
    quantized: [{ name: 'k', shape: [2, 2], codebook: 'cb', indices }],
    float: [],
  };
}

test('checkIndices: false skips only the index range check', () => {
  const bad = model(new Uint16Array([0, 1, 7, 0]));
  assert.throws(() => validateCompressedModel(bad), CompressedModelError);
  assert.throws(() => validateCompressedModel(bad, { checkIndices: true }), CompressedModelError);
  validateCompressedModel(bad, { checkIndices: false });
  // Sizes are still checked.
  assert.throws(() => validateCompressedModel(model(new Uint16Array(3)), { checkIndices: false }), CompressedModelError);
});
