// IDX parsing and directory loading on synthetic files: every corruption gives a DatasetError naming the file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { SoftweightError } from '@softweight/core';
import { DatasetError, IDX_FILE_NAMES, encodeIdx, findIdxFiles, idxMagic, loadIdxDirectory, parseIdx, readIdxFile, type IdxArray } from './index.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'softweight-idx-'));
  dirs.push(d);
  return d;
}

function images(count: number, rows: number, cols: number, seed = 1): IdxArray {
  const data = new Uint8Array(count * rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 7) % 256;
  return { type: 'ubyte', dims: [count, rows, cols], data };
}

function labels(count: number, classes: number): IdxArray {
  return { type: 'ubyte', dims: [count], data: Uint8Array.from({ length: count }, (_, i) => (i * 3) % classes) };
}

/** Writes a small dataset with the standard names (optionally gzipped); returns the directory. */
function writeDataset(opts: { gzip?: boolean; names?: Partial<typeof IDX_FILE_NAMES>; skip?: keyof typeof IDX_FILE_NAMES } = {}): string {
  const dir = tempDir();
  const names = { ...IDX_FILE_NAMES, ...opts.names };
  const files: Record<keyof typeof IDX_FILE_NAMES, IdxArray> = {
    trainImages: images(12, 5, 4),
    trainLabels: labels(12, 10),
    testImages: images(6, 5, 4, 2),
    testLabels: labels(6, 10),
  };
  for (const [role, array] of Object.entries(files) as Array<[keyof typeof IDX_FILE_NAMES, IdxArray]>) {
    if (role === opts.skip) continue;
    const bytes = encodeIdx(array);
    writeFileSync(join(dir, names[role] + (opts.gzip ? '.gz' : '')), opts.gzip ? gzipSync(bytes) : bytes);
  }
  return dir;
}

function expectDatasetError(fn: () => unknown, file: string | null, message: RegExp): Promise<void> | void {
  const check = (e: unknown): boolean => {
    assert.ok(e instanceof DatasetError && e instanceof SoftweightError, `expected a DatasetError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.equal(e.code, 'DATASET_INVALID');
    if (file !== null) assert.ok(e.message.includes(file), `message names ${file}: ${e.message}`);
    assert.match(e.message, message);
    return true;
  };
  const r = (() => {
    try {
      return fn();
    } catch (e) {
      check(e);
      return 'thrown';
    }
  })();
  if (r === 'thrown') return;
  if (r instanceof Promise) return assert.rejects(r, check);
  assert.fail('expected a DatasetError');
}

test('parseIdx reads the header and big-endian data of every element type', () => {
  const cases: IdxArray[] = [
    images(3, 2, 2),
    { type: 'byte', dims: [4], data: Int8Array.from([-128, -1, 0, 127]) },
    { type: 'short', dims: [2, 2], data: Int16Array.from([-32768, -2, 258, 32767]) },
    { type: 'int', dims: [3], data: Int32Array.from([-2147483648, 16909060, 2147483647]) },
    { type: 'float', dims: [2], data: Float32Array.from([1.5, -2.25e-7]) },
    { type: 'double', dims: [1, 1, 1, 2], data: Float64Array.from([Math.PI, -1e300]) },
  ];
  for (const a of cases) {
    const parsed = parseIdx(encodeIdx(a), 'x');
    assert.equal(parsed.type, a.type);
    assert.deepEqual(parsed.dims, a.dims);
    assert.deepEqual(Array.from(parsed.data), Array.from(a.data));
  }
  // Big-endian on disk: an int 0x01020304 is stored as 01 02 03 04 after the 8-byte header.
  const bytes = encodeIdx({ type: 'int', dims: [1], data: Int32Array.from([0x01020304]) });
  assert.deepEqual(Array.from(bytes), [0, 0, 0x0c, 1, 0, 0, 0, 1, 1, 2, 3, 4]);
  assert.equal(idxMagic('ubyte', 3), 0x00000803);
  assert.equal(idxMagic('ubyte', 1), 0x00000801);
  // parseIdx works on a view with a byte offset (e.g. a slice of a larger buffer).
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes, 3);
  assert.deepEqual(Array.from(parseIdx(padded.subarray(3), 'offset').data), [0x01020304]);
});

test('a truncated idx file gives an error naming the file and the expected size', async () => {
  const dir = writeDataset();
  const path = join(dir, IDX_FILE_NAMES.trainImages);
  const full = encodeIdx(images(12, 5, 4));
  writeFileSync(path, full.subarray(0, 100));
  await expectDatasetError(() => loadIdxDirectory(dir), path, /truncated: expected 256 bytes \(16-byte header \+ 12 x 5 x 4 ubyte\), got 100/);
  await assert.rejects(loadIdxDirectory(dir), (e: unknown) => e instanceof DatasetError && e.expectedBytes === 256 && e.actualBytes === 100);
  // A real-size header: the 60000 x 28 x 28 MNIST training images cut short.
  const mnistHeader = new Uint8Array(5000);
  new DataView(mnistHeader.buffer).setUint32(0, 0x00000803);
  [60000, 28, 28].forEach((d, i) => new DataView(mnistHeader.buffer).setUint32(4 + 4 * i, d));
  expectDatasetError(() => parseIdx(mnistHeader, 'train-images-idx3-ubyte'), 'train-images-idx3-ubyte', /expected 47040016 bytes .*got 5000/);
  // Cut inside the header itself.
  expectDatasetError(() => parseIdx(full.subarray(0, 10), 'h'), 'h', /header declares 3 dimensions.*16 bytes.*10 bytes/);
  expectDatasetError(() => parseIdx(full.subarray(0, 2), 'tiny'), 'tiny', /2 bytes, too short/);
  // Extra bytes are an error too: the file is not what its header says.
  const longer = new Uint8Array(full.length + 1);
  longer.set(full);
  expectDatasetError(() => parseIdx(longer, 'long'), 'long', /1 unexpected trailing bytes: expected 256 bytes/);
});

test('a truncated gzip file, and a gzip file whose content is truncated, name the file', async () => {
  const dir = writeDataset({ gzip: true });
  const path = join(dir, `${IDX_FILE_NAMES.testLabels}.gz`);
  const gz = gzipSync(encodeIdx(labels(6, 10)));
  writeFileSync(path, gz.subarray(0, gz.length - 10));
  await expectDatasetError(() => loadIdxDirectory(dir), path, /not a valid gzip file/);
  writeFileSync(path, gzipSync(encodeIdx(labels(6, 10)).subarray(0, 10)));
  await expectDatasetError(() => loadIdxDirectory(dir), path, /after gunzip, truncated: expected 14 bytes \(8-byte header \+ 6 ubyte\), got 10/);
});

test('a file with a wrong magic number gives a clear error', async () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
  expectDatasetError(() => parseIdx(png, 'digit.png'), 'digit.png', /not an IDX file: magic number 0x89504e47/);
  expectDatasetError(() => parseIdx(Uint8Array.from([0, 0, 0x07, 1, 0, 0, 0, 0]), 'f'), 'f', /magic number 0x00000701/);
  expectDatasetError(() => parseIdx(Uint8Array.from([0, 0, 0x08, 0, 0, 0, 0, 0]), 'f'), 'f', /magic number 0x00000800/);
  // Labels where images belong: a valid IDX file of the wrong kind.
  const dir = writeDataset();
  const path = join(dir, IDX_FILE_NAMES.testImages);
  writeFileSync(path, encodeIdx(labels(6, 10)));
  await expectDatasetError(() => loadIdxDirectory(dir), path, /magic number 0x00000801 \(ubyte, 1 dimensions\), expected 0x00000803/);
  writeFileSync(path, encodeIdx({ type: 'float', dims: [6, 5, 4], data: new Float32Array(120) }));
  await expectDatasetError(() => loadIdxDirectory(dir), path, /magic number 0x00000d03 \(float, 3 dimensions\), expected 0x00000803/);
});

test('a directory missing a file names the missing file', async () => {
  for (const role of ['trainImages', 'testLabels'] as const) {
    const dir = writeDataset({ skip: role });
    await expectDatasetError(() => loadIdxDirectory(dir), join(dir, IDX_FILE_NAMES[role]), new RegExp(`missing: .* "${IDX_FILE_NAMES[role]}" \\(or "${IDX_FILE_NAMES[role]}.gz"\\)`));
  }
  const nowhere = join(tempDir(), 'nope');
  await expectDatasetError(() => loadIdxDirectory(nowhere), nowhere, /cannot read this dataset directory/);
  await expectDatasetError(() => readIdxFile(join(nowhere, 'x')), join(nowhere, 'x'), /does not exist/);
});

test('loadIdxDirectory: plain and gzipped directories (Fashion-MNIST layout) load the same data', async () => {
  const plain = await loadIdxDirectory(writeDataset());
  const gz = await loadIdxDirectory(writeDataset({ gzip: true }));
  assert.deepEqual(gz, plain);
  assert.equal(plain.train.count, 12);
  assert.equal(plain.train.rows, 5);
  assert.equal(plain.train.cols, 4);
  assert.equal(plain.test.count, 6);
  assert.equal(plain.train.classes, 10);
  assert.equal(plain.train.images[1], Math.fround(38 / 255));
  assert.deepEqual(Array.from(plain.train.labels.subarray(0, 4)), [0, 3, 6, 9]);
});

test('findIdxFiles: variants of the names, plain over gzip, ambiguity, explicit files', async () => {
  const variant = writeDataset({ names: { trainImages: 'emnist-digits-train-images-idx3-ubyte', testImages: 'test-images.idx3-ubyte', testLabels: 'test_labels_idx1_ubyte' } });
  const found = await findIdxFiles(variant);
  assert.equal(found.trainImages, join(variant, 'emnist-digits-train-images-idx3-ubyte'));
  assert.equal(found.testImages, join(variant, 'test-images.idx3-ubyte'));
  assert.equal(found.testLabels, join(variant, 'test_labels_idx1_ubyte'));
  await loadIdxDirectory(variant);
  // Both plain and gzipped present: the plain file is used.
  const both = writeDataset();
  writeFileSync(join(both, `${IDX_FILE_NAMES.trainLabels}.gz`), gzipSync(Uint8Array.from([1, 2, 3])));
  assert.equal((await findIdxFiles(both)).trainLabels, join(both, IDX_FILE_NAMES.trainLabels));
  // Two different candidates for one role.
  const amb = writeDataset({ names: { trainImages: 'a-train-images-idx3-ubyte' } });
  writeFileSync(join(amb, 'b-train-images-idx3-ubyte'), encodeIdx(images(12, 5, 4)));
  await expectDatasetError(() => findIdxFiles(amb), join(amb, IDX_FILE_NAMES.trainImages), /ambiguous: .*a-train-images-idx3-ubyte, b-train-images-idx3-ubyte/);
  const picked = await loadIdxDirectory(amb, { files: { trainImages: 'b-train-images-idx3-ubyte' } });
  assert.equal(picked.train.count, 12);
});

test('images and labels that do not belong together, and bad options, are named', async () => {
  const dir = writeDataset();
  const path = join(dir, IDX_FILE_NAMES.trainLabels);
  writeFileSync(path, encodeIdx(labels(11, 10)));
  await expectDatasetError(() => loadIdxDirectory(dir), path, /has 11 labels but .*train-images-idx3-ubyte has 12 images/);
  const ok = writeDataset();
  await expectDatasetError(() => loadIdxDirectory(ok, { subset: { train: 13 } }), null, /subset.train is 13, expected an integer in \[0, 12\]/);
  await expectDatasetError(() => loadIdxDirectory(ok, { subset: { test: 1.5 } }), null, /subset.test is 1.5/);
  await expectDatasetError(() => loadIdxDirectory(ok, { divisor: 0 }), null, /divisor is 0/);
});

test('property: any truncation or header corruption of an IDX file is a DatasetError, never another exception', () => {
  const types = ['ubyte', 'byte', 'short', 'int', 'float', 'double'] as const;
  fc.assert(
    fc.property(
      fc.constantFrom(...types),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      fc.array(fc.tuple(fc.nat({ max: 19 }), fc.nat({ max: 255 })), { maxLength: 3 }),
      (type, dims, cut, flips) => {
        const count = dims.reduce((a, b) => a * b, 1);
        const data = type === 'float' ? new Float32Array(count) : type === 'double' ? new Float64Array(count) : type === 'int' ? new Int32Array(count) : type === 'short' ? new Int16Array(count) : type === 'byte' ? new Int8Array(count) : new Uint8Array(count);
        const bytes = encodeIdx({ type, dims, data });
        const truncated = bytes.slice(0, cut % bytes.length);
        assert.throws(() => parseIdx(truncated, 'cut'), DatasetError);
        const corrupted = bytes.slice();
        for (const [at, value] of flips) if (at < corrupted.length) corrupted[at] = value;
        try {
          const parsed = parseIdx(corrupted, 'flipped');
          // A corruption that still parses must describe exactly the bytes it was given.
          const size = { ubyte: 1, byte: 1, short: 2, int: 4, float: 4, double: 8 }[parsed.type];
          assert.equal(4 + 4 * parsed.dims.length + parsed.dims.reduce((a, b) => a * b, 1) * size, corrupted.length);
        } catch (e) {
          assert.ok(e instanceof DatasetError, String(e));
        }
      },
    ),
    { seed: 3, numRuns: 500 },
  );
});
