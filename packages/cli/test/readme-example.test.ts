// The root README shows examples/library-example.mjs verbatim; this keeps the two from drifting apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PKG } from './helpers.js';

const ROOT = resolve(PKG, '..', '..');

test('the root README library example is examples/library-example.mjs, verbatim', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('## Library example')[1];
  assert.ok(section !== undefined, 'README.md has no "## Library example" section');
  const block = /```js\n([\s\S]*?)\n```/.exec(section)?.[1];
  assert.ok(block !== undefined, 'the "## Library example" section has no ```js block');
  const example = readFileSync(join(ROOT, 'examples', 'library-example.mjs'), 'utf8').replace(/\n+$/, '');
  assert.equal(block, example);
});
