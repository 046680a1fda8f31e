// Runs the README's example block so the documented code keeps working (and prints what the comments say).
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '../../../scripts/test-helpers/readme-example.js';

test('the README example loads MNIST, a subset with one-hot labels, and reports a missing directory', async () => {
  const lines = await runReadmeExample(join(dirname(fileURLToPath(import.meta.url)), '..'));
  const text = lines.join('\n');
  assert.equal(lines[0], '60000 10000 28 28', text);
  assert.equal(lines[1], '784000 10000 5,0,4,1,9', text);
  assert.match(lines[2] ?? '', /^\.\/data\/fashion-mnist - .*check the path$/, text);
});
