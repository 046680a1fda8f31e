// Fuzzes the .sws decoder: `npm run fuzz -w @softweight/codec -- [runs] [seed]` (default 100000 runs).
import { fuzz } from '../src/test-utils/fuzz.js';

const runs = Number(process.argv[2] ?? 100000);
const seed = Number(process.argv[3] ?? 1);
console.log(`fuzzing .sws decode: ${runs} mutations, seed ${seed}`);
const report = fuzz(runs, seed, (done) => console.log(`  ${done} / ${runs}`));
console.log('');
console.log('mutation          runs');
for (const [k, v] of Object.entries(report.byMutation).sort()) console.log(`${k.padEnd(16)} ${String(v).padStart(6)}`);
console.log('');
console.log(`rejected with SwsFormatError   ${report.rejected}  (by section: ${Object.entries(report.bySection).map(([k, v]) => `${k} ${v}`).join(', ')})`);
console.log(`forged files accepted (valid)  ${report.forgedAccepted}`);
console.log(`unchanged files decoded        ${report.unchanged}`);
console.log(`wrong models (must be 0)       ${report.wrongModels}`);
console.log(`other exceptions (must be 0)   ${report.unexpected.length}`);
console.log(`slowest decode                 ${report.maxDecodeMs.toFixed(1)} ms (limit 1000)`);
console.log(`wall time                      ${(report.ms / 1000).toFixed(1)} s`);
for (const u of report.unexpected.slice(0, 20)) console.log(`  ${u.mutation}: ${u.error}`);
console.log('FUZZ_JSON ' + JSON.stringify({ ...report, unexpected: report.unexpected.slice(0, 20), unexpectedCount: report.unexpected.length }));
process.exitCode = report.unexpected.length === 0 && report.wrongModels === 0 && report.maxDecodeMs < 1000 ? 0 : 1;
