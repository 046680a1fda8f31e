// Where the CLI writes: the process's streams, or a capture, so tests can run main() in-process without
// replacing process.stdout (which the test runner itself writes its reports to).

/** The CLI's two output channels. */
export interface CliIO {
  /** Results (stdout). */
  out(text: string): void;
  /** Progress lines and errors (stderr). */
  err(text: string): void;
}

/** Writes to the process's stdout and stderr. */
export const processIO: CliIO = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

let current: CliIO = processIO;

/** The channels of the command running now. */
export function io(): CliIO {
  return current;
}

/** Runs `fn` with `channels` as the CLI's output, restoring the previous ones afterwards. */
export async function withIO<T>(channels: CliIO, fn: () => Promise<T>): Promise<T> {
  const previous = current;
  current = channels;
  try {
    return await fn();
  } finally {
    current = previous;
  }
}
