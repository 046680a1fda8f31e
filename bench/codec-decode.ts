// Benchmark: .sws decode throughput vs Node's zlib gunzip of the same model's dense float32 weights, in one run.
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
const model = syntheticLenet300();
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
const dMed = median(tDecode);
const gMed = median(tGunzip);
const weights = model.quantized.reduce((a, q) => a + q.indices.length, 0) + model.float.reduce((a, f) => a + f.values.length, 0);
const rows = [
  ['sws decode', sws.length, dMed, Math.min(...tDecode)],
  ['gunzip dense f32', gz.length, gMed, Math.min(...tGunzip)],
] as const;
console.log(`synthetic LeNet-300-100, ${weights} weights, ${rounds} interleaved rounds (median / min)`);
console.log('method              file bytes   median ms   min ms   Mweights/s');
for (const [name, bytes, med, min] of rows) {
  console.log(`${name.padEnd(18)} ${String(bytes).padStart(11)} ${med.toFixed(3).padStart(11)} ${min.toFixed(3).padStart(8)} ${(weights / med / 1000).toFixed(1).padStart(12)}`);
}
console.log(`decode / gunzip time ratio: ${(dMed / gMed).toFixed(2)} (target <= 1); size ratio gzip / sws: ${(gz.length / sws.length).toFixed(2)}`);
console.log(
  'BENCH_JSON ' +
    JSON.stringify({
      bench: 'codec-decode',
      model: 'synthetic-lenet-300-100',
      weights,
      rounds,
      swsBytes: sws.length,
      gzipBytes: gz.length,
      decodeMsMedian: dMed,
      gunzipMsMedian: gMed,
      decodeMsMin: Math.min(...tDecode),
      gunzipMsMin: Math.min(...tGunzip),
      ratio: dMed / gMed,
    }),
);
