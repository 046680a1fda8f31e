// The per-weight loop in WebAssembly (interpolate.wat) against the JS loop it replaces, and the committed bytes against the .wat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MixtureState } from '@softweight/core';
import { PriorError } from './errors.js';
import { interpolateWasmBytes, kernelUsesWasm, prepareMixture } from './fast.js';
import { createPriorKernel, type PriorTerms } from './kernel.js';
import { randomMixture, rng, sampleWeights } from './test-utils/random.js';

const makeError = (subject: string, message: string) => new PriorError(subject, message);
const jsKernel = createPriorKernel(makeError, null);
const wasmKernel = createPriorKernel(makeError, interpolateWasmBytes);

function bits(x: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

function assertSameTerms(a: PriorTerms, b: PriorTerms, label: string): void {
  assert.ok(Object.is(a.logDensity, b.logDensity), `${label}: logDensity ${a.logDensity} vs ${b.logDensity}`);
  assert.equal(a.nodes, b.nodes, `${label}: nodes`);
  assert.equal(a.exactWeights, b.exactWeights, `${label}: exact weights`);
  assert.deepEqual(bits(a.gradient), bits(b.gradient), `${label}: weight gradient`);
  for (const k of ['means', 'logPrecisions', 'responsibility'] as const) assert.deepEqual(bits(a[k]), bits(b[k]), `${label}: ${k}`);
}

test('the kernel runs its per-weight loop in WebAssembly under Node', () => {
  assert.equal(kernelUsesWasm, true);
  assert.equal(wasmKernel.usesWasm, true);
  assert.equal(jsKernel.usesWasm, false);
});

test('the wasm loops give the JS loops results bit for bit: uniform and adaptive grids, several chunks, odd sizes, range hints', () => {
  const r = rng(11);
  const grids = new Set<string>();
  const late: MixtureState = {
    means: Float64Array.from({ length: 17 }, (_, j) => (j === 0 ? 0 : -0.3 + (0.6 * (j - 1)) / 15)),
    logPrecisions: Float64Array.from({ length: 17 }, (_, j) => -2 * Math.log(j === 0 ? 0.004 : 0.02)),
    mixingLogits: new Float64Array(17),
    zeroIndex: 0,
    pi0: 0.95,
    learnPi0: false,
  };
  // 32768 weights per wasm call: 70001 is two full chunks and an odd remainder; 257 is just above the exact-path
  // size; the late-training mixture on 30001 weights takes the adaptive grid.
  for (const [n, sigmaMin] of [[257, 0.05], [4097, 1e-3], [70001, 0.01], [100000, 2e-4], [30001, 0]] as const) {
    const state = sigmaMin === 0 ? late : randomMixture(r, 17, sigmaMin, false);
    const mix = prepareMixture(state);
    const hintJs = new Float64Array([NaN, NaN]);
    const hintWasm = new Float64Array([NaN, NaN]);
    let w = sampleWeights(r, state, n);
    for (let step = 0; step < 4; step++) {
      const js = jsKernel.mixturePriorTerms(w, mix, { gradScale: -0.25, method: 'table', rangeHint: hintJs });
      const wa = wasmKernel.mixturePriorTerms(w, mix, { gradScale: -0.25, method: 'table', rangeHint: hintWasm });
      assertSameTerms(wa, js, `n=${n} step ${step}`);
      grids.add(wa.grid);
      assert.deepEqual(hintWasm, hintJs, `n=${n} step ${step}: range hint`);
      // Drift; every other step widen the range past the previous grid (the hint path starts over).
      w = w.map((v) => v * (step % 2 === 0 ? 1.0005 : 1.4) + 1e-5);
    }
  }
  assert.deepEqual([...grids].sort(), ['adaptive', 'uniform'], 'both grids exercised');
});

test('one table for several tensors: the wasm loop and the JS loop agree bit for bit', () => {
  const r = rng(12);
  for (const sigmaMin of [0.05, 1e-3]) {
    const state = randomMixture(r, 17, sigmaMin, false);
    const mix = prepareMixture(state);
    const hintJs = new Float64Array([NaN, NaN]);
    const hintWasm = new Float64Array([NaN, NaN]);
    // One tensor over two wasm chunks, a small one, an odd-sized one.
    let tensors = [sampleWeights(r, state, 70001), sampleWeights(r, state, 300), sampleWeights(r, state, 4097)];
    for (let step = 0; step < 3; step++) {
      const js = jsKernel.mixturePriorTermsShared(tensors, mix, { gradScale: -0.25, rangeHint: hintJs });
      const wa = wasmKernel.mixturePriorTermsShared(tensors, mix, { gradScale: -0.25, rangeHint: hintWasm });
      wa.forEach((t, i) => assertSameTerms(t, js[i]!, `sigma ${sigmaMin} step ${step} tensor ${i}`));
      tensors = tensors.map((t) => t.map((v) => v * (step === 0 ? 1.0005 : 1.4) + 1e-5));
    }
  }
});

test('weights on the table nodes (where floor is a tie) give the same function values', () => {
  // lo = -0.5 and a power-of-two spacing: every weight below sits exactly on a node, the wasm floor may pick the
  // cell to the left with t = 1; the cubic's value there equals the next cell's at t = 0 up to rounding.
  const state: MixtureState = { means: Float64Array.from([0, -0.2, 0.3]), logPrecisions: Float64Array.from([6, 5, 4]), mixingLogits: new Float64Array(3), zeroIndex: 0, pi0: 0.8, learnPi0: false };
  const mix = prepareMixture(state);
  const w = new Float32Array(4096);
  for (let i = 0; i < w.length; i++) w[i] = -0.5 + (i % 1024) / 1024;
  w[0] = -0.5;
  w[1] = 0.5;
  const js = jsKernel.mixturePriorTerms(w, mix, { method: 'table' });
  const wa = wasmKernel.mixturePriorTerms(w, mix, { method: 'table' });
  for (let i = 0; i < w.length; i++) {
    const scale = Math.max(1, Math.abs(js.gradient[i]!));
    assert.ok(Math.abs(wa.gradient[i]! - js.gradient[i]!) <= 1e-6 * scale, `weight ${w[i]}: ${wa.gradient[i]} vs ${js.gradient[i]}`);
  }
  assert.ok(Math.abs(wa.logDensity - js.logDensity) <= 1e-9 * Math.abs(js.logDensity));
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(wa.responsibility[j]! - js.responsibility[j]!) <= 1e-9 * w.length);
});

test('NaN and infinite weights are reported by the wasm loop too, in any chunk', () => {
  const state = randomMixture(rng(4), 5, 0.02, false);
  const mix = prepareMixture(state);
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const at of [0, 40000, 69999]) {
      const w = sampleWeights(rng(5), state, 70000);
      w[at] = bad;
      const hint = new Float64Array([-0.5, 0.5]);
      assert.throws(() => wasmKernel.mixturePriorTerms(w, mix, { method: 'table' }), PriorError, `${bad} at ${at}`);
      assert.throws(() => wasmKernel.mixturePriorTerms(w, mix, { method: 'table', rangeHint: hint }), PriorError, `${bad} at ${at} (hint)`);
    }
  }
});

test('interpolate-wasm.ts is what interpolate.wat compiles to', () => {
  const script = fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url));
  const run = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
});
