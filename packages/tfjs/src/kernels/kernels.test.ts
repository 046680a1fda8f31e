// Every kernel registerWasmTrainingKernels provides, checked against the cpu backend on the same inputs.
import * as tf from '@tensorflow/tfjs';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerWasmTrainingKernels } from '../index.js';
import { assertClose, on, randomData, runKernel, setUpBackends, type Data } from './test-utils/backends.js';
import { assertLoopPathsAgree } from './test-utils/loop-paths.js';
import { heapLoops } from './heap-loops.js';
import type { WasmBackend } from './wasm-backend.js';

// Float32 results of differently ordered sums: 2e-5 of the largest magnitude (1 at least) is ample.
const TOL = 2e-5;

before(setUpBackends);

async function compare(name: string, inputs: Record<string, Data>, attrs: Record<string, unknown>, what: string): Promise<void> {
  const expected = await on('cpu', () => runKernel(name, inputs, attrs));
  const actual = await on('wasm', () => runKernel(name, inputs, attrs));
  assertClose(actual, expected, TOL, `${name} ${what}`);
}

type ConvCase = { what: string; x: number[]; filter: number[]; strides: number | [number, number]; pad: unknown };
const CONV_CASES: ConvCase[] = [
  { what: '3x3 stride 1 valid', x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { what: '3x3 stride 2 same', x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { what: '4x2 strides [2, 1] same (even kernel)', x: [1, 8, 7, 2], filter: [4, 2, 2, 3], strides: [2, 1], pad: 'same' },
  { what: '1x1 stride 2 (ResNet shortcut)', x: [2, 8, 8, 4], filter: [1, 1, 4, 8], strides: 2, pad: 'same' },
  { what: 'LeNet-5 conv1 shape', x: [2, 28, 28, 1], filter: [5, 5, 1, 20], strides: 1, pad: 'valid' },
  { what: 'LeNet-5 conv2 shape', x: [2, 12, 12, 20], filter: [5, 5, 20, 50], strides: 1, pad: 'valid' },
  { what: 'explicit padding', x: [1, 7, 6, 2], filter: [3, 3, 2, 2], strides: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
  // Conv2DBackpropInput's XNNPACK-conv formulation (stride 1, >= 4 input channels, little padding waste):
  { what: '3x3 stride 1 same, 8 channels', x: [2, 8, 8, 8], filter: [3, 3, 8, 6], strides: 1, pad: 'same' },
  { what: 'explicit padding, 4 channels', x: [1, 7, 6, 4], filter: [3, 3, 4, 2], strides: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { what: 'explicit padding wider than the kernel, 4 channels', x: [1, 7, 6, 4], filter: [3, 3, 4, 2], strides: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
  // Several cache-sized chunks of images (the batch does not fit one chunk):
  { what: 'chunked, same', x: [3, 40, 40, 8], filter: [3, 3, 8, 4], strides: 1, pad: 'same' },
  { what: 'chunked, valid, 3 channels', x: [3, 64, 64, 3], filter: [5, 5, 3, 2], strides: 1, pad: 'valid' },
];

function convOutShape(c: ConvCase): number[] {
  const info = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.filter as [number, number, number, number], c.strides, 1, c.pad as 'same');
  return info.outShape;
}

test('Conv2DBackpropFilter matches cpu', async () => {
  for (const [i, c] of CONV_CASES.entries()) {
    const x = randomData(c.x, 10 + i);
    const dy = randomData(convOutShape(c), 20 + i);
    await compare('Conv2DBackpropFilter', { x, dy }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter }, c.what);
  }
});

test('Conv2DBackpropInput matches cpu', async () => {
  for (const [i, c] of CONV_CASES.entries()) {
    const filter = randomData(c.filter, 30 + i);
    const dy = randomData(convOutShape(c), 40 + i);
    await compare('Conv2DBackpropInput', { dy, filter }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x }, c.what);
  }
});

test('the conv gradient kernels give the same bits with the in-heap wasm loops (im2col, col2im) as with the JS loops', async () => {
  await on('wasm', () => {
    assert.notEqual(heapLoops(tf.backend() as unknown as WasmBackend), null, 'the wasm loops instantiate on the backend memory');
    for (const [i, c] of CONV_CASES.entries()) {
      const x = randomData(c.x, 10 + i);
      const dy = randomData(convOutShape(c), 20 + i);
      const filter = randomData(c.filter, 30 + i);
      assertLoopPathsAgree('Conv2DBackpropFilter', { x, dy }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter }, c.what);
      assertLoopPathsAgree('Conv2DBackpropInput', { dy, filter }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x }, c.what);
    }
  });
});

test('DepthwiseConv2dNative backprop kernels match cpu', async () => {
  const cases = [
    { what: '3x3 m1 stride 1 same', x: [2, 7, 7, 3], filter: [3, 3, 3, 1], strides: 1, dilations: 1, pad: 'same' },
    { what: '3x3 m2 stride 2 valid', x: [2, 9, 8, 2], filter: [3, 3, 2, 2], strides: 2, dilations: 1, pad: 'valid' },
  ];
  for (const [i, c] of cases.entries()) {
    const info = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.filter as [number, number, number, number], c.strides, c.dilations, c.pad as 'same', undefined, true);
    const x = randomData(c.x, 50 + i);
    const filter = randomData(c.filter, 60 + i);
    const dy = randomData(info.outShape, 70 + i);
    const attrs = { strides: c.strides, dilations: c.dilations, pad: c.pad };
    await compare('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: c.filter }, c.what);
    await compare('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, inputShape: c.x }, c.what);
  }
});

test('MaxPoolGrad matches cpu, including ties and overlapping windows', async () => {
  const cases = [
    { what: '2x2 stride 2 valid', x: [2, 8, 8, 3], size: 2, strides: 2, pad: 'valid' },
    // The wasm 2x2 pass: four channels at a time plus a scalar tail, and an odd last row and column left at zero.
    { what: '2x2 stride 2 valid, 6 channels, odd size', x: [2, 9, 7, 6], size: 2, strides: 2, pad: 'valid' },
    { what: '2x2 stride 2 valid, 8 channels', x: [3, 6, 8, 8], size: 2, strides: 2, pad: 'valid' },
    { what: '3x3 stride 2 same', x: [2, 9, 7, 3], size: 3, strides: 2, pad: 'same' },
    { what: '3x3 stride 1 same (overlapping)', x: [1, 6, 6, 2], size: 3, strides: 1, pad: 'same' },
  ];
  for (const [i, c] of cases.entries()) {
    const input = randomData(c.x, 80 + i);
    // Quantise some values so windows contain ties: the first maximum must win on both backends.
    for (let k = 0; k < input.values.length; k += 3) input.values[k] = Math.round(input.values[k]! * 2) / 2;
    const attrs = { filterSize: c.size, strides: c.strides, pad: c.pad };
    const output = await on('cpu', () => runKernel('MaxPool', { x: input }, attrs));
    const dy = randomData(output.shape, 90 + i);
    await compare('MaxPoolGrad', { dy, input, output }, attrs, c.what);
    await on('wasm', () => assertLoopPathsAgree('MaxPoolGrad', { dy, input, output }, attrs, c.what));
  }
});

test('BatchMatMul matches cpu for every transpose combination', async () => {
  const cases: Array<{ what: string; a: number[]; b: number[]; ta: boolean; tb: boolean }> = [
    { what: 'A B', a: [5, 7], b: [7, 3], ta: false, tb: false },
    { what: 'A^T B (dense weight gradient)', a: [64, 30], b: [64, 20], ta: true, tb: false },
    { what: 'A B^T, small batch (dense input gradient)', a: [8, 50], b: [80, 50], ta: false, tb: true },
    { what: 'A B^T, large batch', a: [80, 50], b: [8, 50], ta: false, tb: true },
    { what: 'A^T B^T', a: [6, 4], b: [5, 6], ta: true, tb: true },
    { what: 'batched A^T B^T', a: [3, 6, 4], b: [3, 5, 6], ta: true, tb: true },
    { what: 'rank 3 batch 1 with rank 2', a: [1, 4, 6], b: [5, 6], ta: false, tb: true },
  ];
  for (const [i, c] of cases.entries()) {
    await compare('BatchMatMul', { a: randomData(c.a, 100 + i), b: randomData(c.b, 110 + i) }, { transposeA: c.ta, transposeB: c.tb }, c.what);
  }
});

test('Sum matches cpu on its fast path (leading axes) and on delegated axes', async () => {
  const x = randomData([4, 5, 6, 7], 120);
  await compare('Sum', { x }, { axis: [0, 1, 2], keepDims: false }, 'leading axes');
  await compare('Sum', { x }, { axis: [2, 0, 1], keepDims: true }, 'leading axes unordered, keepDims');
  await compare('Sum', { x }, { axis: [-4, -3, -2], keepDims: false }, 'negative axes');
  await compare('Sum', { x }, { axis: [1, 3], keepDims: false }, 'other axes (delegated)');
  await compare('Sum', { x }, { axis: 3, keepDims: false }, 'last axis (delegated)');
  await compare('Sum', { x: randomData([3, 5, 7], 121) }, { axis: [0, 1], keepDims: false }, '15 rows (not a multiple of 4)');
});

test('Mean matches cpu on its fast path (leading axes) and on delegated axes', async () => {
  const x = randomData([4, 5, 6, 7], 125);
  await compare('Mean', { x }, { axis: [0, 1, 2], keepDims: true }, 'leading axes, keepDims');
  await compare('Mean', { x }, { axis: [1, 0, 2], keepDims: false }, 'leading axes unordered');
  await compare('Mean', { x }, { axis: [1, 2], keepDims: false }, 'other axes (delegated)');
  await compare('Mean', { x: randomData([3, 5, 7], 126) }, { axis: [0, 1], keepDims: false }, '15 rows (not a multiple of 4)');
});

test('Tile matches cpu for per-channel vectors, inner and mixed repetitions, int32 and bool', async () => {
  const cases: Array<[string, number[], number[]]> = [
    ['batch-norm broadcast [1,1,1,C]', [1, 1, 1, 5], [3, 4, 2, 1]],
    ['innermost axis', [2, 3], [1, 4]],
    ['every axis', [2, 1, 3], [2, 3, 2]],
    ['no repetition', [2, 3], [1, 1]],
  ];
  for (const [i, [what, shape, reps]] of cases.entries()) {
    await compare('Tile', { x: randomData(shape, 150 + i) }, { reps }, what);
  }
  const tileOn = (backend: 'cpu' | 'wasm', dtype: 'int32' | 'bool') =>
    on(backend, () => {
      const x = tf.tensor([[1, 0, 3], [0, 5, 0]], [2, 3], dtype);
      const t = tf.tile(x, [2, 3]);
      const v = Array.from(t.dataSync());
      tf.dispose([x, t]);
      return v;
    });
  for (const dtype of ['int32', 'bool'] as const) assert.deepEqual(await tileOn('wasm', dtype), await tileOn('cpu', dtype), `Tile ${dtype}`);
});

test('GatherV2 matches cpu on its fast path (rows, axis 0) and on delegated cases', async () => {
  const x = randomData([10, 3, 4], 140);
  const rows: Data = { shape: [6], values: new Float32Array([3, 0, 9, 3, 5, 1]) };
  const run = (backend: 'cpu' | 'wasm', axis: number, idx: Data, ints = false) =>
    on(backend, () => {
      const xt = ints ? tf.tensor(Array.from(x.values, (v) => Math.round(v * 100)), x.shape, 'int32') : tf.tensor(x.values, x.shape);
      const it = tf.tensor(idx.values, idx.shape, 'int32');
      const out = tf.gather(xt, it, axis);
      const d = { shape: [...out.shape], values: Float32Array.from(out.dataSync()) };
      tf.dispose([xt, it, out]);
      return d;
    });
  const cases: Array<[string, number, Data, boolean]> = [
    ['rows', 0, rows, false],
    ['int32 rows', 0, rows, true],
    ['axis 1 (delegated)', 1, { shape: [2], values: new Float32Array([2, 0]) }, false],
    ['2-D indices (delegated)', 0, { shape: [2, 2], values: new Float32Array([1, 2, 3, 4]) }, false],
  ];
  for (const [what, axis, idx, ints] of cases) {
    assertClose(await run('wasm', axis, idx, ints), await run('cpu', axis, idx, ints), 0, `GatherV2 ${what}`);
  }
});

test('gradients of conv, pooling and dense ops agree between cpu and wasm', async () => {
  const xd = randomData([3, 10, 10, 2], 130);
  const wd = randomData([3, 3, 2, 4], 131);
  const dd = randomData([3, 3, 4, 2], 132);
  const md = randomData([72, 6], 133);
  const f = (x: tf.Tensor, w: tf.Tensor, d: tf.Tensor, m: tf.Tensor): tf.Scalar => {
    let y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same');
    y = tf.relu(y);
    y = tf.maxPool(y, 2, 1, 'same');
    y = tf.depthwiseConv2d(y, d as tf.Tensor4D, 1, 'valid');
    const flat = tf.reshape(y, [3, -1]);
    return tf.sum(tf.square(tf.matMul(flat, m)));
  };
  const grads = async (backend: 'cpu' | 'wasm'): Promise<Data[]> =>
    on(backend, () => {
      const ts = [xd, wd, dd, md].map((d) => tf.tensor(d.values, d.shape));
      const gs = tf.grads(f)(ts);
      const out = gs.map((g) => ({ shape: [...g.shape], values: new Float32Array(g.dataSync()) }));
      tf.dispose([...ts, ...gs]);
      return out;
    });
  const expected = await grads('cpu');
  const actual = await grads('wasm');
  ['x', 'conv filter', 'depthwise filter', 'matrix'].forEach((what, i) => assertClose(actual[i]!, expected[i]!, 1e-4, `d/d ${what}`));
});

test('registerWasmTrainingKernels is idempotent', () => {
  const again = registerWasmTrainingKernels();
  assert.deepEqual(again.added, []);
  assert.deepEqual(again.replaced, []);
  assert.deepEqual(new Set(again.skipped), new Set([
    'Conv2DBackpropFilter',
    'DepthwiseConv2dNativeBackpropFilter',
    'DepthwiseConv2dNativeBackpropInput',
    'BatchMatMul',
    'Sum',
    'MaxPoolGrad',
    'Conv2DBackpropInput',
    'GatherV2',
    'Mean',
    'Tile',
  ]));
});

test('the kernels leak no wasm memory', async () => {
  await on('wasm', () => {
    const x = tf.randomNormal([2, 9, 9, 3]);
    const w = tf.randomNormal([3, 3, 3, 4]);
    const m = tf.randomNormal([20, 30]);
    const step = (): void => {
      const out = tf.tidy(() => {
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.maxPool(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), 2, 1, 'same')))([x, w]);
        const [gm] = tf.grads((a: tf.Tensor) => tf.sum(tf.matMul(a, a, true, false)))([m]);
        return [gx!, gw!, gm!];
      });
      tf.dispose(out);
    };
    step();
    const tensors = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(tf.engine().backend.numDataIds(), dataIds);
    tf.dispose([x, w, m]);
  });
});
