// The spec is complete: scripts/sws_decode.py, written from docs/format.md alone, decodes what the encoder writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { crc32, decode, encode, encodeWithStats } from './index.js';
import { modelArb, modelFromSpec } from './test-utils/arbitraries.js';
import { syntheticLenet300 } from './test-utils/lenet.js';

const hasPython = spawnSync('python3', ['--version']).status === 0;
const script = fileURLToPath(new URL('../scripts/sws_decode.py', import.meta.url));
const bytesOf = (a: Uint16Array | Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

test('an independent Python decoder written from docs/format.md agrees', { skip: hasPython ? false : 'python3 not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sws-py-'));
  try {
    // A kernel with whole live units (columns): stored in the last-axis-major gaps layout.
    const columns = modelFromSpec({ inputWidth: 64, layers: [{ units: 16, pattern: 'zeros', density: 0, bias: true, quantized: true, codebook: 0 }], codebookSizes: [9], seed: 1, name: null, metadata: null });
    const k = columns.quantized[0]!;
    for (let i = 0; i < 64; i++) for (const c of [3, 9]) k.indices[i * 16 + c] = (i % 8 >= columns.codebooks[0]!.zeroIndex ? (i % 8) + 1 : i % 8);
    assert.equal(encodeWithStats(columns).stats.quantized[0]!.layout, 'gaps-last-axis');
    const real = decode(new Uint8Array(readFileSync(new URL('../test/fixtures/lenet-300-100.sws', import.meta.url))));
    const models = [real, syntheticLenet300(2), columns, ...fc.sample(modelArb, { numRuns: 10, seed: 42 })];
    for (const [i, m] of models.entries()) {
      const file = join(dir, `m${i}.sws`);
      writeFileSync(file, encode(m));
      const out = JSON.parse(execFileSync('python3', [script, file], { maxBuffer: 1 << 28 }).toString()) as {
        graph: unknown;
        quantized: { name: string; indicesCrc32: number }[];
        float: { name: string; valuesCrc32: number }[];
      };
      assert.deepStrictEqual(out.graph, JSON.parse(JSON.stringify(m.graph)), `model ${i} graph`);
      m.quantized.forEach((q, k) => assert.equal(out.quantized[k]!.indicesCrc32, crc32(bytesOf(q.indices)), `model ${i} ${q.name}`));
      m.float.forEach((f, k) => assert.equal(out.float[k]!.valuesCrc32, crc32(bytesOf(f.values)), `model ${i} ${f.name}`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
