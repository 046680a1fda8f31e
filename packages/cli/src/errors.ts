// The CLI's error type: a one-line message for the user, with an exit code; anything else is a bug.
import { SoftweightError } from '@softweight/core';

/** Bad input to a `softweight` command (missing file, wrong format, shape mismatch...). */
export class CliError extends SoftweightError {
  /** Process exit code to use (1 for bad input, 2 for usage errors). */
  readonly exitCode: number;
  constructor(message: string, options?: { exitCode?: number; cause?: unknown; code?: string }) {
    super(options?.code ?? 'CLI_INPUT', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** Raised when the user interrupts a run (Ctrl-C); the last finished checkpoint is kept. */
export class InterruptedError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: 130, code: 'INTERRUPTED' });
  }
}

/** One line describing any thrown value, without a stack. */
export function errorLine(err: unknown): string {
  if (err instanceof Error) {
    const msg = err.message.split('\n')[0] ?? '';
    return err instanceof SoftweightError ? msg : `${err.name}: ${msg}`;
  }
  return String(err);
}
