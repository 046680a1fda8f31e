// Runs the README's example block so the documented code keeps working.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '../../../scripts/test-helpers/readme-example.js';

test('the README example runs and prints its report', async () => {
  const lines = await runReadmeExample(join(dirname(fileURLToPath(import.meta.url)), '..'));
  assert.ok(lines.some((l) => /^fc1\/kernel: 11\.8% non-zero, 3 values, \d+ bits, CR 45\.3x$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('Deep Compression (no retraining): CR')));
});
