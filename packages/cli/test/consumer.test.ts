// Publishability: npm pack every package, install the tarballs into a fresh project outside the monorepo, run the library example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PKG, tmp } from './helpers.js';

const ROOT = resolve(PKG, '..', '..');

function run(cmd: string, args: string[], cwd: string, timeout = 300_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', DO_NOT_TRACK: '1', npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout?.slice(-3000)}\n${r.stderr?.slice(-3000)}`);
  return r.stdout;
}

function version(pkg: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

test('consumer: packed tarballs installed outside the monorepo run examples/library-example.mjs', { skip: process.env.SOFTWEIGHT_SKIP_CONSUMER === '1', timeout: 600_000 }, () => {
  run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], ROOT);
  const packDir = tmp('sw-pack-');
  const tarballs: Record<string, string> = {};
  for (const d of readdirSync(join(ROOT, 'packages'))) {
    const dir = join(ROOT, 'packages', d);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; private?: boolean };
    if (meta.private) continue;
    const out = run('npm', ['pack', '--silent', '--pack-destination', packDir], dir).trim().split('\n').pop() ?? '';
    assert.match(out, /\.tgz$/, `npm pack of ${meta.name} printed ${out}`);
    tarballs[meta.name] = `file:${join(packDir, out)}`;
  }
  assert.ok(Object.keys(tarballs).length >= 6, `packed ${Object.keys(tarballs).join(', ')}`);
  const project = tmp('sw-consumer-');
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      {
        name: 'softweight-consumer-check',
        private: true,
        type: 'module',
        dependencies: {
          ...tarballs,
          '@tensorflow/tfjs': version('@tensorflow/tfjs'),
          '@tensorflow/tfjs-backend-wasm': version('@tensorflow/tfjs-backend-wasm'),
          'onnxruntime-node': version('onnxruntime-node'),
        },
      },
      null,
      2,
    ),
  );
  // onnxruntime-node's postinstall fetches CUDA files from an unreachable host; the CPU binaries ship in the package.
  writeFileSync(join(project, '.npmrc'), 'onnxruntime-node-install=skip\nfund=false\naudit=false\n');
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project, 480_000);
  copyFileSync(join(ROOT, 'examples', 'library-example.mjs'), join(project, 'library-example.mjs'));
  const out = run(process.execPath, ['library-example.mjs'], project);
  assert.match(out, /CR [\d.]+x/);
  assert.match(out, /\.sws: \d+ bytes/);
  assert.match(out, /onnxruntime-node: \d+ bytes/);
  // The published CLI starts and finds its commands.
  const help = run(process.execPath, [join(project, 'node_modules', '@softweight', 'cli', 'dist', 'bin.js'), '--help'], project);
  assert.match(help, /compress/);
});
