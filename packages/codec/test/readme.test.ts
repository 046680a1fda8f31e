// Runs the README's example block so the documented code keeps working (and prints what the comments say).
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '../../../scripts/test-helpers/readme-example.js';

test('the README example encodes, inspects, decodes and catches a corrupted byte', async () => {
  const lines = await runReadmeExample(join(dirname(fileURLToPath(import.meta.url)), '..'));
  const text = lines.join('\n');
  assert.match(lines[0] ?? '', /^\d+ bytes$/, text);
  assert.match(lines[1] ?? '', /^fc\/kernel \[4,3\] 3\/12 non-zero, \d+ bytes$/, text);
  assert.equal(lines[2], '1,1,0,1,1,1,1,2,1,1,1,3', text);
  assert.match(lines[3] ?? '', /^data crc32 /, text);
});
