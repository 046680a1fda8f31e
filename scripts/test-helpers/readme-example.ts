// Runs a package README's example (the first ```ts block under "## Example") and returns what it printed, so each
// package's tests keep its documented code working.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Runs the example of the README in `packageDir` (the first ts block after the heading "## `heading`", default
 * "Example") and returns its console.log lines. The block is written into the
 * package directory (so its imports resolve through the workspace, as they would for a user of the package) and
 * runs with a fresh temporary directory as the working directory (files it writes land there and are removed).
 */
export async function runReadmeExample(packageDir: string, heading = 'Example'): Promise<string[]> {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}`);
  const block = start < 0 ? undefined : /```ts\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
  assert.ok(block, `${packageDir}/README.md has a ts block under "## ${heading}"`);
  const file = join(packageDir, `.readme-example-${process.pid}.ts`);
  const cwd = mkdtempSync(join(tmpdir(), 'softweight-readme-'));
  const previousCwd = process.cwd();
  writeFileSync(file, block);
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map((a) => (typeof a === 'string' ? a : String(a))).join(' '));
  try {
    process.chdir(cwd);
    await import(pathToFileURL(file).href);
  } finally {
    console.log = log;
    process.chdir(previousCwd);
    rmSync(file, { force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
  return lines;
}
