// Size on a compressed LeNet-300-100: the whole .sws file within the paper's bits, every weight stream near its entropy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compressionReport } from '@softweight/quantize';
import { decode } from './index.js';
import { syntheticLenet300 } from './test-utils/lenet.js';
import { sizeSummary } from './test-utils/size-report.js';

test('LeNet-300-100: file (all headers, biases, graph, metadata) <= the paper accounting of the weights alone', () => {
  for (const seed of [1, 2, 3]) {
    const model = syntheticLenet300(seed);
    const s = sizeSummary(model, compressionReport(model));
    assert.deepStrictEqual(decode(s.bytes), model);
    assert.ok(s.fileBytes <= s.paperBytes, `seed ${seed}: file ${s.fileBytes} bytes > paper ${s.paperBytes} bytes`);
  }
});

test('LeNet-300-100: every weight stream within 2% of its empirical entropy plus its table (short streams: + 8 bytes)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const model = syntheticLenet300(seed);
    const s = sizeSummary(model, compressionReport(model));
    for (const row of s.rows) {
      const what = `seed ${seed} ${row.tensor} ${row.stream}: table ${row.tableBytes} B + payload ${row.payloadBytes} B vs entropy ${row.entropyBytes.toFixed(1)} B`;
      if (row.entropyBytes > 1000) {
        assert.ok(row.overheadWithTable <= 0.02, `${what} (+${(100 * row.overheadWithTable).toFixed(2)}%)`);
        assert.ok(row.overhead <= 0.02, `${what}: payload alone +${(100 * row.overhead).toFixed(2)}%`);
      } else {
        // A stream of a few hundred bytes carries fixed costs: the 4-byte rANS state (of which about 2
        // bytes are the encoder's initial state) and byte padding. Allowed: 2% + 8 bytes.
        assert.ok(row.payloadBytes <= 1.02 * row.entropyBytes + 8, `${what} (+${(100 * row.overhead).toFixed(2)}%)`);
      }
    }
  }
});
