// Benchmark: .sws file size on a compressed LeNet-300-100 vs the paper's accounting, and every stream vs its entropy.
// Usage: bench/codec-size.ts [model.sws]  (default: the synthetic LeNet-300-100; a file is decoded and re-encoded).
import { readFileSync } from 'node:fs';
import { decode } from '@softweight/codec';
import { compressionReport } from '@softweight/quantize';
import { syntheticLenet300 } from '../packages/codec/src/test-utils/lenet.js';
import { sizeSummary } from '../packages/codec/src/test-utils/size-report.js';

const file = process.argv[2];
const model = file ? decode(new Uint8Array(readFileSync(file))) : syntheticLenet300(1);
const label = file ? `${file} (${model.graph.name ?? 'model'})` : 'synthetic compressed LeNet-300-100';
const report = compressionReport(model);
const s = sizeSummary(model, report);
const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;

console.log(`${label}: ${report.total.weights} weights, ${report.total.nonZeroPercent.toFixed(2)}% non-zero, paper CR ${report.total.compressionRate.toFixed(1)}`);
console.log('');
console.log('what                                      bytes');
console.log(`paper accounting, quantized weights   ${s.paperBytes.toFixed(0).padStart(10)}   (CR ${report.total.compressionRate.toFixed(1)})`);
console.log(`  + float32 biases it leaves out      ${s.paperWithFloatBytes.toFixed(0).padStart(10)}`);
console.log(`.sws file, everything included        ${String(s.fileBytes).padStart(10)}   (${pct(s.fileBytes / s.paperBytes - 1)} vs paper; CR ${((32 * report.total.weights) / (8 * s.fileBytes)).toFixed(1)} counting the whole file)`);
for (const sec of s.stats.sections) console.log(`  section ${sec.name.padEnd(28)} ${String(sec.bytes).padStart(10)}`);
console.log('');
console.log("tensor        stream             method   entropy B   table B  payload B   payload vs entropy   (table+payload) vs (entropy+table)   coder vs coded-symbol entropy");
for (const r of s.rows) {
  console.log(
    `${r.tensor.padEnd(13)} ${r.stream.padEnd(18)} ${r.method.padEnd(8)} ${r.entropyBytes.toFixed(1).padStart(9)} ${r.tableBytes.toFixed(1).padStart(9)} ${String(r.payloadBytes).padStart(10)}   ${pct(r.overhead).padStart(8)}             ${pct(r.overheadWithTable).padStart(8)}                  ${pct(r.coderOverhead).padStart(8)}`,
  );
}
for (const f of s.stats.float) console.log(`${f.name.padEnd(13)} float (${f.layout})     ${String(f.bytes).padStart(38)} bytes for ${f.elements} float32 (${4 * f.elements} raw)`);
console.log(`graph JSON    ${s.stats.graph.method.padEnd(8)} ${String(s.stats.graph.symbols).padStart(6)} symbols (bytes + dictionary entries) -> ${s.stats.graph.bytes} bytes`);
console.log(
  'BENCH_JSON ' +
    JSON.stringify({
      bench: 'codec-size',
      model: file ?? 'synthetic-lenet-300-100',
      weights: report.total.weights,
      nonZeroPercent: report.total.nonZeroPercent,
      fileBytes: s.fileBytes,
      paperBytes: s.paperBytes,
      paperWithFloatBytes: s.paperWithFloatBytes,
      ratio: s.fileBytes / s.paperBytes,
      maxStreamOverhead: Math.max(...s.rows.map((r) => r.overhead)),
      streams: s.rows,
      sections: s.stats.sections,
    }),
);
