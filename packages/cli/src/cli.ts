// The `softweight` command line: parses arguments with commander, runs a command, prints one-line errors.
import { Command, CommanderError, Option } from 'commander';
import { CliError, errorLine } from './errors.js';
import { makeOutput, type Output } from './progress.js';
import { io, processIO, withIO, type CliIO } from './io.js';
import { pretrain, type PretrainOptions } from './commands/pretrain.js';
import { compress, summaryTable, type CompressOptions } from './commands/compress.js';
import { evalCommand, type EvalOptions } from './commands/eval.js';
import { formatInspect, inspectCommand } from './commands/inspect.js';
import { exportCommand, type ExportOptions } from './commands/export.js';
import { demo, type DemoOptions } from './commands/demo.js';
import { figuresCommand } from './commands/figures.js';

interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

function backendOption(): Option {
  return new Option('--backend <name>', 'tfjs backend').choices(['wasm', 'cpu']).default('wasm');
}

function threadsOption(): Option {
  return new Option('--threads <n>', 'threads of the wasm backend (tfjs threaded build): 1-8, or auto = one per core (compress: one core left for the prior)').default('auto');
}

function printResult(out: Output, result: unknown, human: (r: never) => string | undefined): void {
  if (out.json) io().out(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const text = human(result as never);
    if (text) io().out(`${text}\n`);
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
    .configureOutput({ writeOut: (text) => io().out(text), writeErr: (text) => io().err(text) })
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
    .addOption(threadsOption())
    .action((opts: PretrainOptions) =>
      withOut(async (out) => {
        const r = await pretrain(opts, out);
        printResult(out, r, (x: typeof r) => (x.complete ? `${x.model}: test error ${x.testError.toFixed(2)}% after ${x.epochs} epochs` : undefined));
      }),
    );
  program
    .command('compress')
    .description('retrain MODEL.json with the mixture prior, quantize after every epoch, write model.sws, model.onnx, report and figures')
    .argument('<model>', 'pretrained tfjs model.json')
    .option('--data <mnist|dir>', 'mnist or a directory of idx files', 'mnist')
    .requiredOption('--out <dir>', 'output directory')
    .option('--epochs <n>', 'retraining epochs (default 30)')
    .option('--tau <x>', 'weight of the prior term (default 0.02; PAPER.md section 10)')
    .option('--tau-warmup <epochs>', 'linear warm-up of tau over this many epochs (default 0)')
    .option('--components <n>', 'mixture components incl. the zero component (default 17)')
    .option('--pi0 <x>', 'mixing proportion of the zero component (default 0.999)')
    .option('--init-sigma <x>', 'initial standard deviation of every component (default 0.25, the paper\'s)')
    .option('--batch-size <n>', 'batch size (default 128)')
    .option('--lr-weights <x>', 'Adam learning rate of the weights (default 5e-4)')
    .option('--lr-means <x>', 'learning rate of the component means (default 1e-4)')
    .option('--lr-log-precisions <x>', 'learning rate of the log-precisions (default 3e-3)')
    .option('--lr-logits <x>', 'learning rate of the mixing logits (default 3e-3)')
    .addOption(new Option('--assignment <rule>', 'weight-to-component rule').choices(['map', 'ml', 'nearest']).default('map'))
    .option('--seed <n>', 'seed of the shuffles (default 1)')
    .option('--resume', 'continue from the checkpoint in --out')
    .option('--force', 'replace a finished run in --out')
    .option('--no-figures', 'skip the SVG figures')
    .option('--limit-train <n>', 'use only the first n training samples')
    .option('--limit-test <n>', 'use only the first n test samples')
    .addOption(new Option('--max-epochs-this-run <n>', 'stop after n epochs (resume later)').hideHelp())
    .addOption(backendOption())
    .addOption(threadsOption())
    .action((model: string, opts: CompressOptions) =>
      withOut(async (out) => {
        const r = await compress(model, opts, out);
        printResult(out, r, (x: typeof r) => (x.complete ? `${summaryTable(x)}\n\nwrote ${x.out}/{model.sws, model.onnx, model.codebook.onnx, report.json, report.md, figure*.svg}` : undefined));
      }),
    );

  program
    .command('eval')
    .description('test error of a tfjs model.json or a .sws model')
    .argument('<model>', 'model.json or model.sws')
    .option('--data <mnist|dir>', 'mnist or a directory of idx files', 'mnist')
    .option('--limit-test <n>', 'use only the first n test samples')
    .addOption(backendOption())
    .addOption(threadsOption())
    .action((model: string, opts: EvalOptions) =>
      withOut(async (out) => {
        const r = await evalCommand(model, opts, out);
        printResult(out, r, (x: typeof r) => `${x.model}: test error ${x.testError.toFixed(2)}% on ${x.samples} samples`);
      }),
    );

  program
    .command('inspect')
    .description('per-tensor summary of a .sws file')
    .argument('<file>', 'model.sws')
    .action((file: string) =>
      withOut(async (out) => {
        const r = inspectCommand(file);
        printResult(out, r, formatInspect as (r: never) => string);
      }),
    );

  program
    .command('export')
    .description('export a .sws model to ONNX')
    .argument('<file>', 'model.sws')
    .addOption(new Option('--format <format>', 'output format').choices(['onnx']).default('onnx'))
    .addOption(new Option('--weights <mode>', 'dense float32 initializers or codebook + indices').choices(['dense', 'codebook']).default('dense'))
    .option('--out <file>', 'output file (default next to the input)')
    .option('--opset <n>', 'ONNX opset (default 13)')
    .option('--force', 'replace an existing output file')
    .action((file: string, opts: ExportOptions) =>
      withOut(async (out) => {
        const r = exportCommand(file, opts);
        printResult(out, r, (x: typeof r) => `wrote ${x.output} (${x.bytes} bytes, ${x.weights} weights)`);
      }),
    );

  program
    .command('demo')
    .description('compress the shipped pretrained LeNet-300-100 in a few minutes and print the summary')
    .option('--out <dir>', 'output directory (default: a fresh temp directory)')
    .option('--epochs <n>', 'retraining epochs')
    .addOption(backendOption())
    .addOption(threadsOption())
    .action((opts: DemoOptions) =>
      withOut(async (out) => {
        const r = await demo(opts, out);
        printResult(out, r, (x: typeof r) => `${summaryTable(x)}\n\noutputs in ${x.out}`);
      }),
    );
  program
    .command('figures')
    .description('re-render Figures 1 and 3 of a compress run from its last checkpoint (also mid-run)')
    .argument('<run-dir>', 'the --out directory of softweight compress')
    .option('--points <n>', 'weights in the scatter (default 1500)')
    .addOption(backendOption())
    .addOption(threadsOption())
    .action((dir: string, opts: { backend: string; threads: string; points?: string }) =>
      withOut(async (out) => {
        const r = await figuresCommand(dir, opts);
        printResult(out, r, (x: typeof r) => `figures of epoch ${x.epoch}: ${x.files.join(', ')}`);
      }),
    );
  void globals;
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. `channels` default to the process's streams. */
export async function main(argv: string[], channels: CliIO = processIO): Promise<number> {
  return withIO(channels, () => run(argv));
}

async function run(argv: string[]): Promise<number> {
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
    io().err(`softweight: error: ${errorLine(err)}\n`);
    if (verbose && err instanceof Error && err.stack) io().err(`${err.stack}\n`);
  }
  return code;
}
