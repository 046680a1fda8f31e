// Shared plumbing for long-running commands: Ctrl-C handling, number parsing, output-directory guards.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.js';

/** Tracks Ctrl-C: the first one asks the run to stop after the current batch, the second exits at once. */
export class InterruptFlag {
  interrupted = false;
  private readonly handler: () => void;
  constructor(onFirst: () => void) {
    this.handler = () => {
      if (this.interrupted) process.exit(130);
      this.interrupted = true;
      onFirst();
    };
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }
  /** Removes the signal handlers. */
  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}

/** Parses a positive integer option. */
export function posInt(name: string, v: string | number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${name} ${v}: expected a positive integer`, { exitCode: 2 });
  return n;
}

/** Parses a non-negative integer option. */
export function nonNegInt(name: string, v: string | number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} ${v}: expected a non-negative integer`, { exitCode: 2 });
  return n;
}

/** Parses a finite number option, optionally bounded. */
export function num(name: string, v: string | number | undefined, dflt: number, check?: (n: number) => boolean, what = 'a number'): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || (check && !check(n))) throw new CliError(`${name} ${v}: expected ${what}`, { exitCode: 2 });
  return n;
}

/** Refuses to write over a finished run in `dir` unless resuming or forced. */
export function guardOutDir(dir: string, markers: string[], resume: boolean, force: boolean): void {
  if (resume || force) return;
  const found = markers.filter((m) => existsSync(join(dir, m)));
  if (found.length > 0) {
    throw new CliError(`--out ${dir} already holds ${found.join(', ')}: pass --resume to continue that run, --force to replace it, or pick another directory`);
  }
}

/** Formats seconds as `1h02m03s` / `2m03s` / `4.1s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s` : `${m}m${String(s).padStart(2, '0')}s`;
}
