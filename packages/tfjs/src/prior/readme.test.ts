// Runs the README's example block so the documented code keeps working.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '../../../../scripts/test-helpers/readme-example.js';

test('the README example attaches, fits and prints the mixture', async () => {
  const lines = await runReadmeExample(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
  const text = lines.join('\n');
  assert.ok(/^covered: .*kernel.*\(1280\), .*kernel.*\(192\)$/m.test(text), text);
  assert.equal(lines.filter((l) => /^component \d+: mean -?\d/.test(l)).length, 17, text);
  assert.ok(/^step 12: log prior -?\d/m.test(text), text);
  assert.ok(/^checkpoint: \d+ bytes$/m.test(text), text);
});
