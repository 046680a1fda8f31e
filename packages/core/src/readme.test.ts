// Runs the README's example block so the documented code keeps working (and prints what the comments say).
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '../../../scripts/test-helpers/readme-example.js';

test('the README example runs: prior, gradients, MAP assignment, graph validation error', async () => {
  const lines = await runReadmeExample(join(dirname(fileURLToPath(import.meta.url)), '..'));
  const text = lines.join('\n');
  assert.match(lines[0] ?? '', /^log prior -?\d+(\.\d+)? d\/dw0 -?\d/, text);
  assert.match(lines[1] ?? '', /^pruned \d+ of 1000; pi = 0\.999,/, text);
  assert.equal(lines[2], 'fc1 - graph node "fc1": kernel tensor "fc1/kernel" has shape [300, 784], expected [784, 300]', text);
});
