// Runs the README's example block so the documented code keeps working.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

test('the README example attaches, fits and prints the mixture', async () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README has a ts block under "## Example"');
  // Inside the package so `@softweight/tfjs` resolves through the workspace.
  const file = join(root, `.readme-example-${process.pid}.ts`);
  writeFileSync(file, block);
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.log = log;
    rmSync(file, { force: true });
  }
  const text = lines.join('\n');
  assert.ok(/^covered: .*kernel.*\(1280\), .*kernel.*\(192\)$/m.test(text), text);
  assert.equal(lines.filter((l) => /^component \d+: mean -?\d/.test(l)).length, 17, text);
  assert.ok(/^step 12: log prior -?\d/m.test(text), text);
  assert.ok(/^checkpoint: \d+ bytes$/m.test(text), text);
});
