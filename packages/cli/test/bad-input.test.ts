// Bad input to every command: one-line error, non-zero exit, no stack unless --verbose, existing outputs untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli as spawnCli, cliInProcess, mnistSubset, oneLineError, randomIdx, tmp } from './helpers.js';

// In-process runs: the same main() the binary calls, without paying tfjs' start-up per case.
const cli = cliInProcess;
const dir = tmp();
const data = mnistSubset(300, 100);
const tiny = join(dir, 'tiny');
// A tiny trained model every case below can use.
const made = spawnCli(['--quiet', 'pretrain', '--arch', 'lenet-300-100', '--data', data, '--epochs', '1', '--out', tiny]);

test('setup: pretrain a tiny model', async () => {
  assert.equal(made.code, 0, made.stderr);
});

test('missing model file: one line, non-zero exit, for compress, eval, inspect, export', async () => {
  for (const args of [
    ['compress', join(dir, 'nope.json'), '--data', data, '--out', join(dir, 'o1')],
    ['eval', join(dir, 'nope.json'), '--data', data],
    ['inspect', join(dir, 'nope.sws')],
    ['export', join(dir, 'nope.sws'), '--format', 'onnx'],
  ]) {
    const line = oneLineError(await cli(args));
    assert.match(line, /not found/);
  }
});

test('JSON that is not a tfjs model', async () => {
  const p = join(dir, 'notmodel.json');
  writeFileSync(p, JSON.stringify({ hello: 'world' }));
  assert.match(oneLineError(await cli(['eval', p, '--data', data])), /not a tfjs layers model/);
  const q = join(dir, 'garbage.json');
  writeFileSync(q, '{ not json');
  assert.match(oneLineError(await cli(['compress', q, '--data', data, '--out', join(dir, 'o2')])), /not JSON/);
});

test('a layer class tfjs cannot load is named', async () => {
  const m = JSON.parse(readFileSync(join(tiny, 'model.json'), 'utf8'));
  m.modelTopology.config.layers[0].class_name = 'FancyQuantumLayer';
  const d = join(dir, 'weird');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'model.json'), JSON.stringify(m));
  writeFileSync(join(d, 'weights.bin'), readFileSync(join(tiny, 'weights.bin')));
  assert.match(oneLineError(await cli(['eval', join(d, 'model.json'), '--data', data])), /FancyQuantumLayer/);
});

test('data whose shape does not fit the model', async () => {
  const small = randomIdx(50, 8);
  assert.match(oneLineError(await cli(['eval', join(tiny, 'model.json'), '--data', small])), /8x8.*784/);
  assert.match(oneLineError(await cli(['compress', join(tiny, 'model.json'), '--data', small, '--out', join(dir, 'o3')])), /8x8/);
});

test('missing or truncated idx data', async () => {
  assert.match(oneLineError(await cli(['eval', join(tiny, 'model.json'), '--data', join(dir, 'no-such-dir')])), /no such directory/);
  const broken = mnistSubset(50, 20);
  const f = join(broken, 't10k-images-idx3-ubyte');
  writeFileSync(f, readFileSync(f).subarray(0, 1000));
  assert.match(oneLineError(await cli(['eval', join(tiny, 'model.json'), '--data', broken])), /truncated/);
});

test('corrupted .sws', async () => {
  const p = join(dir, 'bad.sws');
  writeFileSync(p, new Uint8Array(200).map((_, i) => (i * 91 + 7) % 256));
  for (const args of [['inspect', p], ['eval', p, '--data', data], ['export', p, '--format', 'onnx', '--out', join(dir, 'bad.onnx')]]) {
    oneLineError(await cli(args));
  }
});

test('--verbose adds the stack trace', async () => {
  const p = join(dir, 'notmodel2.json');
  writeFileSync(p, '[]');
  const r = await cli(['--verbose', 'eval', p, '--data', data]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^\s+at /m);
});

test('an existing finished output is never overwritten without --resume/--force', async () => {
  const before = readFileSync(join(tiny, 'weights.bin'));
  const r = await cli(['pretrain', '--arch', 'lenet-300-100', '--data', data, '--epochs', '1', '--out', tiny]);
  assert.match(oneLineError(r), /already holds model\.json/);
  assert.deepEqual(readFileSync(join(tiny, 'weights.bin')), before);
});

test('usage errors exit with code 2', async () => {
  const r = await cli(['pretrain', '--arch', 'resnet', '--out', join(dir, 'x')]);
  assert.equal(r.code, 2);
  const r2 = await cli(['compress', join(tiny, 'model.json'), '--data', data, '--out', join(dir, 'o4'), '--tau', 'abc']);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /--tau abc/);
  for (const bad of ['0', '9', 'two']) {
    const r3 = await cli(['eval', join(tiny, 'model.json'), '--data', data, '--threads', bad]);
    assert.equal(r3.code, 2, `--threads ${bad}`);
    assert.match(r3.stderr, new RegExp(`--threads ${bad}: expected a whole number from 1 to 8, or auto`));
  }
});

test('a layer softweight cannot compress is named before any training', async () => {
  const tf = await import('@tensorflow/tfjs');
  const { saveModel } = await import('../src/model-io.js');
  const m = tf.sequential({ layers: [tf.layers.gru({ name: 'recurrent', units: 4, inputShape: [28, 28] }), tf.layers.dense({ name: 'out', units: 10, activation: 'softmax' })] });
  const d = join(dir, 'gru');
  await saveModel(m, d);
  const line = oneLineError(await cli(['compress', join(d, 'model.json'), '--data', data, '--out', join(dir, 'o5')]));
  assert.match(line, /recurrent/);
  assert.match(line, /GRU/);
});

test('the real binary: one line, exit 1, no stack', () => {
  const r = spawnCli(['eval', join(dir, 'nope.json'), '--data', data]);
  assert.equal(r.code, 1);
  assert.match(oneLineError(r), /not found/);
});
