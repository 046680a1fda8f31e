// File helpers that never leave a half-written output: write a temp file in the same directory, then rename.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError } from './errors.js';

/** Writes `data` to `path` atomically (temp file + rename in the same directory). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads a file the user named, with a one-line error when it is missing or a directory. */
export function readUserFile(path: string, what = 'file'): Uint8Array {
  if (!existsSync(path)) throw new CliError(`${what} not found: ${path}`);
  if (statSync(path).isDirectory()) throw new CliError(`${what} is a directory, expected a file: ${path}`);
  return new Uint8Array(readFileSync(path));
}

/** Ensures an output directory exists (creating it), failing clearly when a file is in the way. */
export function ensureOutDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CliError(`--out ${dir} exists and is not a directory`);
  mkdirSync(dir, { recursive: true });
}
