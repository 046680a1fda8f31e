// Runs the README's example block so the documented code keeps working (and prints what the comments say).
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '../../../scripts/test-helpers/readme-example.js';

test('the README example exports a codebook-mode model and runs it in onnxruntime-node', async () => {
  const lines = await runReadmeExample(join(dirname(fileURLToPath(import.meta.url)), '..'));
  const [dims, data] = (lines[0] ?? '').split(' ');
  assert.equal(dims, '1,3', lines.join('\n'));
  const probs = (data ?? '').split(',').map(Number);
  // The README's comment: [ 0.756..., 0.016..., 0.227... ]
  assert.deepEqual(probs.map((p) => p.toFixed(3)), ['0.756', '0.016', '0.228']);
});
