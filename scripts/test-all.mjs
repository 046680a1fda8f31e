// Type-checks every package and the benchmarks (strict TypeScript; the tests and benches run the sources through
// tsx, which does not check types), runs every package's tests through turbo, then prints one closing line summed
// over all packages, "N passed, N failed" (each type check counts as one), so CI can read the whole run's result
// from the last line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'examples']
  .flatMap((group) => (existsSync(join(root, group)) ? readdirSync(join(root, group)).map((d) => join(root, group, d)) : []))
  .filter((dir) => existsSync(join(dir, 'package.json')));
const withTests = dirs.filter((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts?.test);
for (const dir of withTests) rmSync(join(dir, '.test-summary.json'), { force: true });

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', DO_NOT_TRACK: '1' };
const typecheck = spawnSync('npx', ['turbo', 'run', 'typecheck', '--continue', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
const benchTypecheck = spawnSync('npx', ['tsc', '-p', 'bench'], { cwd: root, stdio: 'inherit', env });
const turbo = spawnSync('npx', ['turbo', 'run', 'test', '--continue', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });

const checks = [typecheck, benchTypecheck].map((c) => c.status === 0);
let passed = checks.filter((ok) => ok).length;
let failed = checks.length - passed;
const rows = [`typecheck (every package): ${checks[0] ? 'passed' : 'FAILED'}`, `typecheck (bench/): ${checks[1] ? 'passed' : 'FAILED'}`];
for (const dir of withTests) {
  const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
  const file = join(dir, '.test-summary.json');
  if (!existsSync(file)) {
    rows.push(`${name}: did not report (counted as 1 failure)`);
    failed += 1;
    continue;
  }
  const s = JSON.parse(readFileSync(file, 'utf8'));
  rows.push(`${name}: ${s.passed} passed, ${s.failed} failed`);
  passed += s.passed;
  failed += s.failed;
}
console.log('\nTest summary by package:');
for (const row of rows) console.log(`  ${row}`);
const code = checks.every((ok) => ok) && turbo.status === 0 && failed === 0 ? 0 : 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(code);
