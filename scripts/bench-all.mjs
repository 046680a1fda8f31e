// Runs every bench/*.ts on the TypeScript sources, collects each one's `BENCH_JSON ` line and prints one table.
// Usage: node scripts/bench-all.mjs [--detail] [--json] [name-filter...]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const benchDir = join(root, 'bench');
const args = process.argv.slice(2);
const asJson = args.includes('--json');
const detail = args.includes('--detail');
const filters = args.filter((a) => !a.startsWith('--'));
const files = existsSync(benchDir)
  ? readdirSync(benchDir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      // Shared helpers are not benchmarks: `_name.ts`, `*-util.ts`, `*-utils.ts`, `*-helpers.ts`.
      .filter((f) => !/^_|-(util|utils|helpers?)\.ts$/.test(f))
      .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
      .sort()
  : [];
if (files.length === 0) {
  console.log('no benchmarks found in bench/');
  process.exit(0);
}

/** Display rows of a BENCH_JSON object: its top-level figures and every figure under a key containing "ratio"
 * (the headline), or with `--detail` every leaf; nested keys joined with dots, array items named by `name`/`model`. */
function rowsOf(bench, obj) {
  const rows = [];
  const walk = (prefix, v, ratioPath) => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(`${prefix}[${item && typeof item === 'object' && 'name' in item ? item.name : item && typeof item === 'object' && 'model' in item ? item.model : i}]`, item, ratioPath));
    } else if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) if ((k !== 'name' && k !== 'model') || prefix === '') walk(prefix ? `${prefix}.${k}` : k, x, ratioPath || /ratio/i.test(k));
    } else if (prefix !== 'bench' && (detail || !prefix.includes('.') && !prefix.includes('[') || ratioPath)) {
      rows.push({ bench, metric: prefix, value: typeof v === 'number' ? fmt(v) : String(v) });
    }
  };
  walk('', obj, false);
  return rows;
}

function fmt(v) {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : v.toPrecision(4);
}

const results = [];
for (const file of files) {
  const t0 = Date.now();
  process.stderr.write(`bench/${file} ... `);
  const r = spawnSync(process.execPath, ['--conditions=@softweight/source', '--import', 'tsx', join('bench', file)], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, SOFTWEIGHT_BENCH: '1' },
  });
  const seconds = (Date.now() - t0) / 1000;
  const lines = (r.stdout ?? '').split('\n').filter((l) => l.startsWith('BENCH_JSON '));
  const parsed = [];
  for (const l of lines) {
    try {
      parsed.push(JSON.parse(l.slice('BENCH_JSON '.length)));
    } catch {
      parsed.push({ error: 'unparseable BENCH_JSON line' });
    }
  }
  const ok = r.status === 0 && parsed.length > 0;
  process.stderr.write(`${ok ? 'ok' : `FAILED (exit ${r.status}${parsed.length === 0 ? ', no BENCH_JSON line' : ''})`} in ${seconds.toFixed(1)}s\n`);
  if (!ok && r.stderr) process.stderr.write(r.stderr.split('\n').slice(-5).join('\n') + '\n');
  results.push({ file, ok, seconds, results: parsed });
}

if (asJson) {
  console.log(JSON.stringify(results, null, 2));
} else {
  const rows = [];
  for (const r of results) {
    const name = r.file.replace(/\.ts$/, '');
    if (!r.ok && r.results.length === 0) rows.push({ bench: name, metric: 'status', value: 'FAILED' });
    for (const obj of r.results) rows.push(...rowsOf(name, obj));
    rows.push({ bench: name, metric: 'wall time (s)', value: r.seconds.toFixed(1) });
  }
  const w = ['bench', 'metric', 'value'].map((k) => Math.max(k.length, ...rows.map((x) => x[k].length)));
  const line = (a) => `| ${a.map((s, i) => s.padEnd(w[i])).join(' | ')} |`;
  console.log(line(['bench', 'metric', 'value']));
  console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
  for (const x of rows) console.log(line([x.bench, x.metric, x.value]));
  console.log(`\n${results.filter((r) => r.ok).length}/${results.length} benchmarks ran (timings taken on a shared 2-core machine: expect noise).`);
}
// The raw results, for docs/benchmarks.md; outside the repo so a run leaves the tree clean.
const out = join(tmpdir(), 'softweight-bench-last.json');
try {
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
} catch {
  /* the table is what matters */
}
process.exit(results.every((r) => r.ok) ? 0 : 1);
