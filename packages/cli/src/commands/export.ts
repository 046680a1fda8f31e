// `softweight export`: a .sws model to ONNX with dense or codebook weights.
import { toOnnx } from '@softweight/onnx';
import { existsSync } from 'node:fs';
import { decodeSws } from '../engine.js';
import { CliError } from '../errors.js';
import { readUserFile, writeFileAtomic } from '../fsutil.js';

/** Options of `softweight export`. */
export interface ExportOptions {
  format: string;
  weights: string;
  out?: string;
  force?: boolean;
  opset?: string;
}

/** Result of `softweight export`. */
export interface ExportResult {
  input: string;
  output: string;
  format: 'onnx';
  weights: 'dense' | 'codebook';
  bytes: number;
}

/** Runs `softweight export`. */
export function exportCommand(path: string, opts: ExportOptions): ExportResult {
  if (opts.format !== 'onnx') throw new CliError(`--format ${opts.format}: only onnx is supported`, { exitCode: 2 });
  if (opts.weights !== 'dense' && opts.weights !== 'codebook') throw new CliError(`--weights ${opts.weights}: expected dense or codebook`, { exitCode: 2 });
  const output = opts.out ?? path.replace(/\.sws$/, '') + (opts.weights === 'codebook' ? '.codebook.onnx' : '.onnx');
  if (existsSync(output) && opts.force !== true) throw new CliError(`${output} already exists: pass --force to replace it or choose --out`);
  const compressed = decodeSws(readUserFile(path, '.sws file'), path);
  let onnx: Uint8Array;
  try {
    onnx = toOnnx(compressed, { weights: opts.weights, ...(opts.opset ? { opset: Number(opts.opset) } : {}) });
  } catch (err) {
    throw new CliError(`${path}: cannot export to ONNX: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  writeFileAtomic(output, onnx);
  return { input: path, output, format: 'onnx', weights: opts.weights, bytes: onnx.byteLength };
}
