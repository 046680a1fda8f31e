// The `softweight` command line: parses arguments with commander, runs a command, prints one-line errors.
import { Command, CommanderError, Option } from 'commander';
import { CliError, errorLine } from './errors.js';
import { makeOutput, type Output } from './progress.js';
import { pretrain, type PretrainOptions } from './commands/pretrain.js';

interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

function backendOption(): Option {
  return new Option('--backend <name>', 'tfjs backend').choices(['wasm', 'cpu']).default('wasm');
}

function printResult(out: Output, result: unknown, human: (r: never) => string | undefined): void {
  if (out.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const text = human(result as never);
    if (text) process.stdout.write(`${text}\n`);
  }
}

/** Builds the commander program; `run` receives each command's work so errors are handled in one place. */
export function buildProgram(run: (fn: (out: Output) => Promise<void>) => Promise<void>): Command {
  const program = new Command();
  program
    .name('softweight')
    .description('Soft weight-sharing compression for TensorFlow.js models (Ullrich, Meeds & Welling 2017)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--verbose', 'show stack traces and extra detail')
    .option('--quiet', 'no progress output')
    .showHelpAfterError()
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const withOut = (fn: (out: Output) => Promise<void>) => run(fn);

  program
    .command('pretrain')
    .description('train LeNet-300-100 or LeNet-5-Caffe from scratch (checkpoint every epoch; --resume continues)')
    .addOption(new Option('--arch <arch>', 'architecture').choices(['lenet-300-100', 'lenet5-caffe']).makeOptionMandatory())
    .option('--data <mnist|dir>', 'mnist or a directory of idx files', 'mnist')
    .option('--epochs <n>', 'epochs (default 20)')
    .requiredOption('--out <dir>', 'output directory (model.json + weights.bin + checkpoint/)')
    .option('--batch-size <n>', 'batch size (default 128)')
    .option('--lr <x>', 'Adam learning rate (default 1e-3)')
    .option('--seed <n>', 'seed of the initialisation and the shuffles (default 1)')
    .option('--resume', 'continue from the checkpoint in --out')
    .option('--force', 'replace a finished run in --out')
    .option('--limit-train <n>', 'use only the first n training samples')
    .option('--limit-test <n>', 'use only the first n test samples')
    .addOption(new Option('--max-epochs-this-run <n>', 'stop after n epochs (resume later)').hideHelp())
    .addOption(backendOption())
    .action((opts: PretrainOptions) =>
      withOut(async (out) => {
        const r = await pretrain(opts, out);
        printResult(out, r, (x: typeof r) => (x.complete ? `${x.model}: test error ${x.testError.toFixed(2)}% after ${x.epochs} epochs` : undefined));
      }),
    );
  void globals;
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  let verbose = argv.includes('--verbose');
  const program = buildProgram(async (fn) => {
    const g = program.opts<GlobalOptions>();
    verbose = g.verbose === true;
    const out = makeOutput(g);
    await fn(out);
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (usage errors) or the help/version text.
      return err.exitCode === 0 ? 0 : 2;
    }
    code = err instanceof CliError ? err.exitCode : 1;
    process.stderr.write(`softweight: error: ${errorLine(err)}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  }
  return code;
}
