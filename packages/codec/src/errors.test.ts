// Malformed input: every failure is a SwsFormatError that names the section and field; inspect reads without decoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressedModelError, SoftweightError } from '@softweight/core';
import { crc32, decode, encode, encodeWithStats, inspect, SWS_FORMAT_VERSION, SwsFormatError } from './index.js';
import { modelFromSpec } from './test-utils/arbitraries.js';
import { syntheticLenet300 } from './test-utils/lenet.js';

const small = modelFromSpec({
  inputWidth: 8,
  layers: [
    { units: 6, pattern: 'sparse', density: 0.3, bias: true, quantized: true, codebook: 0 },
    { units: 2, pattern: 'noZeros', density: 0, bias: false, quantized: true, codebook: 0 },
  ],
  codebookSizes: [5],
  seed: 3,
  name: 'small',
  metadata: { accuracy: 0.5 },
});
const bytes = encode(small);

function rejects(b: Uint8Array, section: string, field?: RegExp): SwsFormatError {
  try {
    decode(b);
  } catch (e) {
    assert.ok(e instanceof SwsFormatError, `expected SwsFormatError, got ${String(e)}`);
    assert.ok(e instanceof SoftweightError);
    assert.equal(e.code, 'SWS_FORMAT');
    assert.equal(e.section, section, e.message);
    if (field) assert.match(e.field, field);
    return e;
  }
  assert.fail('decode accepted a bad file');
}

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('header: magic, version and flags are checked', () => {
  rejects(new Uint8Array(0), 'header', /magic/);
  rejects(Uint8Array.from([0x50, 0x4b, 3, 4, 1, 0, 0, 0]), 'header', /magic/);
  const v2 = bytes.slice();
  v2[4] = SWS_FORMAT_VERSION + 1;
  const e = rejects(v2, 'header', /formatVersion/);
  assert.match(e.message, /version 2 is not supported/);
  const flags = bytes.slice();
  flags[6] = 1;
  rejects(flags, 'header', /flags/);
});

test('every truncation is rejected', () => {
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decode(bytes.subarray(0, n)), SwsFormatError, `truncated to ${n} bytes`);
  }
});

test('a corrupted byte in a section fails that section\'s CRC', () => {
  const { stats } = encodeWithStats(small);
  let offset = 0;
  for (const s of stats.sections) {
    if (s.name !== 'header') {
      const b = bytes.slice();
      b[offset + 5 + Math.floor((s.bytes - 9) / 2)]! ^= 0x10;
      rejects(b, s.name, /crc32/);
    }
    offset += s.bytes;
  }
});

test('trailing bytes and bad section ids are rejected', () => {
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  rejects(longer, 'header');
  const badId = bytes.slice();
  badId[8] = 9;
  rejects(badId, 'header', /section\.id/);
});

test('maxElements caps allocation before any tensor is decoded', () => {
  const lenet = encode(syntheticLenet300());
  const e = (() => {
    try {
      decode(lenet, { maxElements: 100000 });
    } catch (err) {
      return err;
    }
    return null;
  })();
  assert.ok(e instanceof SwsFormatError);
  assert.equal(e.section, 'head');
  assert.match(e.message, /maxElements/);
  assert.throws(() => inspect(lenet, { maxElements: 10 }), SwsFormatError);
  decode(lenet, { maxElements: 266610 + 17 });
});

test('inspect reports the directory without decoding weights', () => {
  const model = syntheticLenet300();
  const { bytes: b, stats } = encodeWithStats(model);
  const info = inspect(b);
  assert.equal(info.formatVersion, SWS_FORMAT_VERSION);
  assert.equal(info.fileBytes, b.length);
  assert.deepStrictEqual(info.sections.map((s) => s.name), ['head', 'graph', 'metadata', 'data']);
  assert.equal(info.hasMetadata, true);
  assert.deepStrictEqual(info.codebooks[0]!.values, model.codebooks[0]!.values);
  assert.deepStrictEqual(
    info.quantized.map((q) => [q.name, q.shape, q.elements, q.nonZeros, q.bytes, q.layout]),
    stats.quantized.map((q, i) => [q.name, model.quantized[i]!.shape, q.elements, q.nonZeros, q.bytes, q.layout]),
  );
  assert.deepStrictEqual(info.float.map((f) => f.name), ['fc1/bias', 'fc2/bias', 'fc3/bias']);
});

test('encode validates the model and refuses what JSON cannot carry', () => {
  const bad = structuredClone(small);
  bad.quantized[0]!.indices[0] = 99;
  assert.throws(() => encode(bad), CompressedModelError);
  const nan = { ...small, metadata: { loss: Number.NaN } };
  assert.throws(() => encode(nan), (e: unknown) => e instanceof SwsFormatError && e.section === 'metadata' && e.field === '$.loss');
  const date = { ...small, metadata: { when: new Date(0) as unknown as string } };
  assert.throws(() => encode(date), (e: unknown) => e instanceof SwsFormatError && e.section === 'metadata');
});

test('a model without metadata decodes without a metadata key', () => {
  const { metadata: _, ...bare } = small;
  const out = decode(encode(bare));
  assert.equal('metadata' in out, false);
  assert.equal(inspect(encode(bare)).hasMetadata, false);
});
