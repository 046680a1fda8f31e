// The wasm backend the CLI starts: tfjs's threaded build, with the thread count --threads and the command ask for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { PKG } from './helpers.js';

function start(threads: string, reserved: number): string {
  const run = spawnSync(process.execPath, ['--conditions=@softweight/source', '--import', 'tsx', join(PKG, 'test', 'backend-fixture.ts'), threads, String(reserved)], {
    cwd: PKG,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

test('--threads auto starts the threaded build on every core, or one core fewer for compress', () => {
  const cores = Math.min(8, availableParallelism());
  assert.equal(start('auto', 0), `shared true threads ${cores}`);
  assert.equal(start('auto', 1), `shared true threads ${Math.max(1, cores - 1)}`);
});

test('--threads 1 starts the threaded build on one thread', () => {
  assert.equal(start('1', 1), 'shared true threads 1');
});
