// Runs one package's tests (src/**/*.test.ts, test/**/*.test.ts) with node's test runner on the
// TypeScript sources, and records the pass/fail counts in .test-summary.json for scripts/test-all.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = process.cwd();
const summaryPath = join(root, '.test-summary.json');
rmSync(summaryPath, { force: true });

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (/\.test\.(ts|mts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

const files = [...findTests(join(root, 'src')), ...findTests(join(root, 'test'))].map((f) => relative(root, f)).sort();
if (files.length === 0) {
  console.error(`no test files found under ${root}/src or ${root}/test`);
  writeFileSync(summaryPath, JSON.stringify({ passed: 0, failed: 1, files: 0 }));
  process.exit(1);
}

const tapDir = mkdtempSync(join(tmpdir(), 'softweight-tap-'));
const tapFile = join(tapDir, 'out.tap');
const extra = process.argv.slice(2);
const result = spawnSync(
  process.execPath,
  [
    '--conditions=@softweight/source',
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...extra,
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, SOFTWEIGHT_TEST: '1' } },
);

let passed = 0;
let failed = 0;
if (existsSync(tapFile)) {
  const tap = readFileSync(tapFile, 'utf8');
  passed = Number(/^# pass (\d+)/m.exec(tap)?.[1] ?? 0);
  failed = Number(/^# fail (\d+)/m.exec(tap)?.[1] ?? 0);
}
rmSync(tapDir, { recursive: true, force: true });
const code = result.status ?? 1;
if (code !== 0 && failed === 0) failed = 1; // the runner itself failed (crash, signal): count it
writeFileSync(summaryPath, JSON.stringify({ passed, failed, files: files.length }));
process.exit(code);
