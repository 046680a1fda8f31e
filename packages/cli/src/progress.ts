// Progress output: a cli-progress bar with ETA, loss and error on a TTY, one plain line per epoch otherwise.
import cliProgress from 'cli-progress';
import { io, processIO } from './io.js';

/** Where the CLI writes human-readable progress (stderr, so `--json` stdout stays machine-readable). */
export interface Output {
  /** Whether progress should be drawn as a live bar. */
  tty: boolean;
  /** Print one line of progress / status. */
  line(msg: string): void;
  /** `--verbose` was given. */
  verbose: boolean;
  /** `--json` was given: stdout carries one JSON document; human lines still go to stderr. */
  json: boolean;
  /** `--quiet`: no progress lines at all. */
  quiet: boolean;
}

/** Builds the default output bound to stderr. */
export function makeOutput(opts: { json?: boolean; verbose?: boolean; quiet?: boolean }): Output {
  const quiet = opts.quiet === true;
  return {
    tty: io() === processIO && Boolean(process.stderr.isTTY) && !quiet && process.env.CI === undefined,
    verbose: opts.verbose === true,
    json: opts.json === true,
    quiet,
    line(msg: string) {
      if (!quiet) io().err(`${msg}\n`);
    },
  };
}

/** A per-epoch progress display. */
export class EpochProgress {
  private bar: cliProgress.SingleBar | undefined;
  private readonly out: Output;
  constructor(out: Output) {
    this.out = out;
  }
  /** Starts epoch `epoch` of `epochs` with `batches` steps. */
  start(epoch: number, epochs: number, batches: number, label = 'epoch'): void {
    if (!this.out.tty) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label} ${epoch}/${epochs} [{bar}] {percentage}% | ETA {eta_formatted} | loss {loss} {extra}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(batches, 0, { loss: '-', extra: '' });
  }
  /** Updates the bar after a batch. */
  update(batch: number, loss: number, extra = ''): void {
    this.bar?.update(batch, { loss: Number.isFinite(loss) ? loss.toFixed(4) : String(loss), extra });
  }
  /** Ends the epoch; prints `summary` as a permanent line (on TTY and off). */
  stop(summary: string): void {
    this.bar?.stop();
    this.bar = undefined;
    this.out.line(summary);
  }
  /** Stops the bar without printing (on errors). */
  abort(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
