// Prints docs/results.md rows (markdown) from the report.json files of `softweight compress` runs.
// Usage: node examples/results-table.mjs RUN_DIR [RUN_DIR...]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const fmtTime = (s) => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.round(s / 60)} min`);
console.log('| run | tau | epochs | error before -> retrained -> **quantized** | non-zero | CR (paper) | .sws bytes (CR of the file) | wall time |');
console.log('|---|---|---|---|---|---|---|---|');
for (const dir of process.argv.slice(2)) {
  const r = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  const s = r.settings;
  console.log(
    `| ${dir.split('/').pop()} | ${s.tau} | ${r.epochs} | ${r.pretrainedError.toFixed(2)}% -> ${r.retrainedError.toFixed(2)}% -> **${r.quantizedError.toFixed(2)}%** | ` +
      `${r.nonZeroPercent.toFixed(2)}% | ${r.compressionRate.toFixed(1)}x | ${r.files.sws} (${(r.files.dense / r.files.sws).toFixed(1)}x) | ${fmtTime(r.wallSeconds)} |`,
  );
  // Best epoch by quantized error among those with CR >= 64 (the paper's LeNet-300-100 point).
  const best = r.history.filter((h) => h.compressionRate >= 64).sort((a, b) => a.quantizedError - b.quantizedError)[0];
  if (best) console.log(`|   best epoch with CR >= 64: ${best.epoch} | | | ${best.retrainedError.toFixed(2)}% -> **${best.quantizedError.toFixed(2)}%** | ${best.nonZeroPercent.toFixed(2)}% | ${best.compressionRate.toFixed(1)}x | | |`);
}
