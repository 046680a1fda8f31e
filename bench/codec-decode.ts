// Benchmark: .sws decode throughput vs Node's zlib gunzip of the same model's dense float32 weights, in one run.
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decode, encode } from '@softweight/codec';
import type { CompressedModel } from '@softweight/core';
import { syntheticLenet300 } from '../packages/codec/src/test-utils/lenet.js';

/** The dense float32 weights a user would otherwise ship: every quantized tensor dequantized, then the float tensors. */
function denseWeights(m: CompressedModel): Uint8Array {
  const parts: Float32Array[] = [];
  for (const q of m.quantized) {
    const cb = m.codebooks.find((c) => c.name === q.codebook)!;
    parts.push(Float32Array.from(q.indices, (k) => cb.values[k]!));
  }
  for (const f of m.float) parts.push(f.values);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), o);
    o += p.byteLength;
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 400);
const models: { name: string; model: CompressedModel }[] = [
  { name: 'synthetic LeNet-300-100', model: syntheticLenet300() },
  { name: 'real LeNet-300-100', model: decode(new Uint8Array(readFileSync(new URL('../packages/codec/test/fixtures/lenet-300-100.sws', import.meta.url)))) },
];

const results = models.map(({ name, model }) => {
  const sws = encode(model);
  const dense = denseWeights(model);
  const gz = gzipSync(dense, { level: 9 });
  // Warm both paths, then interleave them so machine load hits both alike.
  for (let i = 0; i < 50; i++) {
    decode(sws);
    gunzipSync(gz);
  }
  const tDecode: number[] = [];
  const tGunzip: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    decode(sws);
    tDecode.push(performance.now() - t);
    t = performance.now();
    gunzipSync(gz);
    tGunzip.push(performance.now() - t);
  }
  const weights = model.quantized.reduce((a, q) => a + q.indices.length, 0) + model.float.reduce((a, f) => a + f.values.length, 0);
  return { name, weights, swsBytes: sws.length, gzipBytes: gz.length, decodeMs: median(tDecode), gunzipMs: median(tGunzip), decodeMsMin: Math.min(...tDecode), gunzipMsMin: Math.min(...tGunzip) };
});

console.log(`decode of the .sws file vs gunzip of the dense float32 weights, ${rounds} interleaved rounds each (medians)`);
console.log('model                      weights   sws bytes  gzip bytes   decode ms  gunzip ms   ratio');
for (const r of results) {
  console.log(
    `${r.name.padEnd(24)} ${String(r.weights).padStart(9)} ${String(r.swsBytes).padStart(11)} ${String(r.gzipBytes).padStart(11)} ${r.decodeMs.toFixed(3).padStart(11)} ${r.gunzipMs.toFixed(3).padStart(10)} ${(r.decodeMs / r.gunzipMs).toFixed(2).padStart(7)}`,
  );
}
console.log('ratio = decode time / gunzip time (target <= 1)');
console.log('BENCH_JSON ' + JSON.stringify({ bench: 'codec-decode', rounds, models: results.map((r) => ({ ...r, ratio: r.decodeMs / r.gunzipMs })), ratio: Math.max(...results.map((r) => r.decodeMs / r.gunzipMs)) }));
