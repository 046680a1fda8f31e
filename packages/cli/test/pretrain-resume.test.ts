// pretrain: an interrupted run resumed from its checkpoint ends where an uninterrupted one does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, mnistSubset, tmp } from './helpers.js';

function floats(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

test('pretrain 2 epochs == 1 epoch + --resume 1 epoch (weights within 1e-6)', () => {
  const data = mnistSubset(400, 100);
  const dir = tmp();
  const common = ['--quiet', 'pretrain', '--arch', 'lenet-300-100', '--data', data, '--epochs', '2', '--seed', '3'];
  const a = cli([...common, '--out', join(dir, 'a')]);
  assert.equal(a.code, 0, a.stderr);
  const b1 = cli([...common, '--out', join(dir, 'b'), '--max-epochs-this-run', '1']);
  assert.equal(b1.code, 0, b1.stderr);
  const b2 = cli(['--quiet', '--json', 'pretrain', '--arch', 'lenet-300-100', '--out', join(dir, 'b'), '--resume']);
  assert.equal(b2.code, 0, b2.stderr);
  const res = JSON.parse(b2.stdout) as { epochs: number; complete: boolean };
  assert.equal(res.epochs, 2);
  assert.equal(res.complete, true);
  const wa = floats(join(dir, 'a', 'weights.bin'));
  const wb = floats(join(dir, 'b', 'weights.bin'));
  assert.equal(wa.length, wb.length);
  let max = 0;
  for (let i = 0; i < wa.length; i++) max = Math.max(max, Math.abs((wa[i] as number) - (wb[i] as number)));
  // Adam's bias-correction powers are recomputed from the step count on restore: float32 rounding only.
  assert.ok(max <= 1e-6, `max weight difference ${max}`);
});
