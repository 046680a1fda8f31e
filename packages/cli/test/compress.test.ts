// compress end to end on a tiny model: Ctrl-C + --resume equals an uninterrupted run; inspect, eval and export on its output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PKG, cli, mnistSubset, oneLineError, tmp } from './helpers.js';

const data = mnistSubset(1000, 300);
const dir = tmp();
const pre = join(dir, 'pre');
const made = cli(['--quiet', 'pretrain', '--arch', 'lenet-300-100', '--data', data, '--epochs', '3', '--out', pre]);
const args = (out: string) => ['compress', join(pre, 'model.json'), '--data', data, '--out', out, '--epochs', '3', '--tau', '0.02', '--seed', '5', '--batch-size', '100'];

function floats(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

interface Report {
  quantizedError: number;
  retrainedError: number;
  compressionRate: number;
  nonZeroPercent: number;
  history: Array<{ quantizedError: number; compressionRate: number }>;
}

test('setup: a tiny pretrained model', () => assert.equal(made.code, 0, made.stderr));

test('compress interrupted with Ctrl-C after an epoch, then --resume, matches an uninterrupted run', async () => {
  const a = cli(['--quiet', ...args(join(dir, 'a'))]);
  assert.equal(a.code, 0, a.stderr);

  const outB = join(dir, 'b');
  const child = spawn(process.execPath, ['--conditions=@softweight/source', '--import', 'tsx', join(PKG, 'src', 'bin.ts'), ...args(outB)], { cwd: PKG, env: { ...process.env, CI: '1' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolveExit) => {
    const timer = setInterval(() => {
      if (existsSync(join(outB, 'checkpoint', 'state.json'))) {
        clearInterval(timer);
        child.kill('SIGINT');
      }
    }, 20);
    child.on('exit', (c) => {
      clearInterval(timer);
      resolveExit(c);
    });
  });
  assert.equal(code, 130, `expected the interrupted exit code; stderr:\n${stderr}`);
  assert.match(stderr, /interrupted during epoch \d.*--resume/);
  assert.ok(!existsSync(join(outB, 'model.sws')), 'an interrupted run must not write final outputs');

  const b = cli(['--quiet', 'compress', join(pre, 'model.json'), '--out', outB, '--resume']);
  assert.equal(b.code, 0, b.stderr);

  const wa = floats(join(dir, 'a', 'retrained', 'weights.bin'));
  const wb = floats(join(outB, 'retrained', 'weights.bin'));
  let max = 0;
  for (let i = 0; i < wa.length; i++) max = Math.max(max, Math.abs((wa[i] as number) - (wb[i] as number)));
  assert.ok(max <= 1e-6, `retrained weights differ by ${max}`);
  const ra = JSON.parse(readFileSync(join(dir, 'a', 'report.json'), 'utf8')) as Report;
  const rb = JSON.parse(readFileSync(join(outB, 'report.json'), 'utf8')) as Report;
  assert.equal(rb.history.length, 3);
  assert.deepEqual(
    rb.history.map((h) => [h.quantizedError, h.compressionRate.toFixed(3)]),
    ra.history.map((h) => [h.quantizedError, h.compressionRate.toFixed(3)]),
  );
  for (const f of ['model.sws', 'model.onnx', 'model.codebook.onnx', 'report.md', 'figure1.svg', 'figure3-dynamics.svg', 'figure3-scatter.svg']) {
    assert.ok(existsSync(join(outB, f)), `missing ${f}`);
  }
});

test('inspect, eval and export on the compressed model', () => {
  const sws = join(dir, 'a', 'model.sws');
  const report = JSON.parse(readFileSync(join(dir, 'a', 'report.json'), 'utf8')) as Report;
  const ins = cli(['--json', 'inspect', sws]);
  assert.equal(ins.code, 0, ins.stderr);
  const info = JSON.parse(ins.stdout) as { tensors: Array<{ name: string; kind: string }>; totals: { nonZeroPercent: number } };
  assert.deepEqual(info.tensors.filter((t) => t.kind === 'quantized').map((t) => t.name), ['fc1/kernel', 'fc2/kernel', 'fc3/kernel']);
  assert.ok(Math.abs(info.totals.nonZeroPercent - report.nonZeroPercent) < 1e-9);
  const human = cli(['inspect', sws]);
  assert.match(human.stdout, /fc1\/kernel\s+quantized\s+784x300/);

  const ev = cli(['--json', '--quiet', 'eval', sws, '--data', data]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal((JSON.parse(ev.stdout) as { testError: number }).testError, report.quantizedError);

  for (const mode of ['dense', 'codebook']) {
    const out = join(dir, `exported-${mode}.onnx`);
    const ex = cli(['--json', 'export', sws, '--format', 'onnx', '--weights', mode, '--out', out]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.ok(readFileSync(out).byteLength > 100);
    // A second export to the same file refuses and leaves it untouched.
    const before = readFileSync(out);
    oneLineError(cli(['export', sws, '--weights', mode, '--out', out]));
    assert.deepEqual(readFileSync(out), before);
  }
});

test('compress refuses to overwrite a finished run without --force', () => {
  const before = readFileSync(join(dir, 'a', 'model.sws'));
  assert.match(oneLineError(cli(args(join(dir, 'a')))), /already holds model\.sws/);
  assert.deepEqual(readFileSync(join(dir, 'a', 'model.sws')), before);
});
