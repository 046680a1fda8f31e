// @softweight/cli: the `softweight` command; programmatic entry for embedding and tests.
export { main, buildProgram } from './cli.js';
export { processIO, type CliIO } from './io.js';
export { CliError, InterruptedError } from './errors.js';
