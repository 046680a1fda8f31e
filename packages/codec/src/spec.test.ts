// Keeps docs/format.md honest: its test vector is exactly what the encoder writes, and decodes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { CompressedModel } from '@softweight/core';
import { decode, encode } from './index.js';

const specModel: CompressedModel = {
  graph: {
    inputs: [{ name: 'x', shape: [4] }],
    nodes: [{ kind: 'dense', name: 'fc', inputs: ['x'], units: 3, kernel: 'fc/kernel', bias: 'fc/bias', activation: 'linear' }],
    outputs: ['fc'],
  },
  codebooks: [{ name: 'cb', values: new Float32Array([-0.5, 0, 0.25, 0.75]), zeroIndex: 1 }],
  quantized: [{ name: 'fc/kernel', shape: [4, 3], codebook: 'cb', indices: new Uint16Array([1, 1, 0, 1, 1, 1, 1, 2, 1, 1, 1, 3]) }],
  float: [{ name: 'fc/bias', shape: [3], values: new Float32Array([0.5, 0, -1]) }],
};

test('docs/format.md test vector matches the encoder byte for byte', () => {
  const doc = readFileSync(new URL('../../../docs/format.md', import.meta.url), 'utf8');
  const block = /<!-- test-vector:begin -->\s*```\s*([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'test vector block not found in docs/format.md');
  const bytes = Uint8Array.from(block[1]!.trim().split(/\s+/).map((h) => parseInt(h, 16)));
  assert.deepStrictEqual(encode(specModel), bytes);
  assert.deepStrictEqual(decode(bytes), specModel);
});
