// validateGraph / inferShapes / validateCompressedModel on a LeNet-5-like graph and a small residual graph,
// and every error naming the node or tensor at fault.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CompressedModelError,
  GraphValidationError,
  SoftweightError,
  inferShapes,
  nodeWeightNames,
  shapeSize,
  validateCompressedModel,
  validateGraph,
  type CompressedModel,
  type GraphNode,
  type ModelGraph,
} from './index.js';

/** LeNet-5-Caffe (PAPER.md section 6): conv 20@5x5, pool, conv 50@5x5, pool, dense 800->500, dense 500->10. */
function lenet5(): ModelGraph {
  return {
    name: 'lenet5',
    inputs: [{ name: 'image', shape: [28, 28, 1] }],
    nodes: [
      { kind: 'conv2d', name: 'conv1', inputs: ['image'], filters: 20, kernelSize: [5, 5], strides: [1, 1], padding: 'valid', dilation: [1, 1], kernel: 'conv1/kernel', bias: 'conv1/bias', activation: 'linear' },
      { kind: 'maxPool2d', name: 'pool1', inputs: ['conv1'], poolSize: [2, 2], strides: [2, 2], padding: 'valid' },
      { kind: 'conv2d', name: 'conv2', inputs: ['pool1'], filters: 50, kernelSize: [5, 5], strides: [1, 1], padding: 'valid', dilation: [1, 1], kernel: 'conv2/kernel', bias: 'conv2/bias', activation: 'linear' },
      { kind: 'maxPool2d', name: 'pool2', inputs: ['conv2'], poolSize: [2, 2], strides: [2, 2], padding: 'valid' },
      { kind: 'flatten', name: 'flatten', inputs: ['pool2'] },
      { kind: 'dense', name: 'fc1', inputs: ['flatten'], units: 500, kernel: 'fc1/kernel', bias: 'fc1/bias', activation: 'relu' },
      { kind: 'dropout', name: 'drop', inputs: ['fc1'], rate: 0.5 },
      { kind: 'dense', name: 'fc2', inputs: ['drop'], units: 10, kernel: 'fc2/kernel', bias: 'fc2/bias', activation: 'softmax' },
    ],
    outputs: ['fc2'],
  };
}

const LENET_WEIGHTS: Array<[string, number[]]> = [
  ['conv1/kernel', [5, 5, 1, 20]],
  ['conv1/bias', [20]],
  ['conv2/kernel', [5, 5, 20, 50]],
  ['conv2/bias', [50]],
  ['fc1/kernel', [800, 500]],
  ['fc1/bias', [500]],
  ['fc2/kernel', [500, 10]],
  ['fc2/bias', [10]],
];

/** A small ResNet-style graph: a stem, one identity block, one strided block with a projection shortcut. */
function residual(): ModelGraph {
  const conv = (name: string, input: string, filters: number, k: number, stride: number, activation: 'relu' | 'linear' = 'linear'): GraphNode => ({
    kind: 'conv2d',
    name,
    inputs: [input],
    filters,
    kernelSize: [k, k],
    strides: [stride, stride],
    padding: 'same',
    dilation: [1, 1],
    kernel: `${name}/kernel`,
    activation,
  });
  const bn = (name: string, input: string): GraphNode => ({ kind: 'batchNorm', name, inputs: [input], epsilon: 1e-3, gamma: `${name}/gamma`, beta: `${name}/beta`, movingMean: `${name}/mean`, movingVariance: `${name}/var` });
  return {
    name: 'tiny-resnet',
    inputs: [{ name: 'x', shape: [15, 15, 3] }],
    nodes: [
      { kind: 'zeroPadding2d', name: 'pad', inputs: ['x'], padding: [[0, 1], [0, 1]] },
      conv('stem', 'pad', 8, 3, 1, 'relu'),
      conv('a1', 'stem', 8, 3, 1),
      bn('a1_bn', 'a1'),
      { kind: 'activation', name: 'a1_relu', inputs: ['a1_bn'], activation: 'relu' },
      conv('a2', 'a1_relu', 8, 3, 1),
      bn('a2_bn', 'a2'),
      { kind: 'add', name: 'a_add', inputs: ['a2_bn', 'stem'] },
      { kind: 'activation', name: 'a_out', inputs: ['a_add'], activation: 'relu' },
      conv('b1', 'a_out', 16, 3, 2, 'relu'),
      { kind: 'depthwiseConv2d', name: 'b2', inputs: ['b1'], kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilation: [1, 1], depthMultiplier: 1, kernel: 'b2/kernel', bias: 'b2/bias', activation: 'linear' },
      conv('proj', 'a_out', 16, 1, 2),
      { kind: 'add', name: 'b_add', inputs: ['b2', 'proj'] },
      { kind: 'avgPool2d', name: 'pool', inputs: ['b_add'], poolSize: [3, 3], strides: [1, 1], padding: 'same' },
      { kind: 'concat', name: 'cat', inputs: ['pool', 'b_add'], axis: -1 },
      { kind: 'globalAvgPool2d', name: 'gap', inputs: ['cat'] },
      { kind: 'reshape', name: 'rs', inputs: ['gap'], targetShape: [4, 8] },
      { kind: 'flatten', name: 'flat', inputs: ['rs'] },
      { kind: 'dense', name: 'logits', inputs: ['flat'], units: 10, kernel: 'logits/kernel', bias: 'logits/bias', activation: 'linear' },
    ],
    outputs: ['logits', 'gap'],
  };
}

const RESIDUAL_WEIGHTS: Array<[string, number[]]> = [
  ['stem/kernel', [3, 3, 3, 8]],
  ['a1/kernel', [3, 3, 8, 8]],
  ...['gamma', 'beta', 'mean', 'var'].flatMap((p): Array<[string, number[]]> => [
    [`a1_bn/${p}`, [8]],
    [`a2_bn/${p}`, [8]],
  ]),
  ['a2/kernel', [3, 3, 8, 8]],
  ['b1/kernel', [3, 3, 8, 16]],
  ['b2/kernel', [3, 3, 16, 1]],
  ['b2/bias', [16]],
  ['proj/kernel', [1, 1, 8, 16]],
  ['logits/kernel', [32, 10]],
  ['logits/bias', [10]],
];

/** A compressed LeNet-5: kernels quantized against one codebook, biases kept in float. */
function compressedLenet(): CompressedModel {
  const quantized = LENET_WEIGHTS.filter(([n]) => n.endsWith('kernel')).map(([name, shape]) => {
    const indices = new Uint16Array(shapeSize(shape));
    for (let i = 0; i < indices.length; i++) indices[i] = i % 7 === 0 ? 1 + (i % 4) : 0;
    return { name, shape, codebook: 'shared', indices };
  });
  const float = LENET_WEIGHTS.filter(([n]) => n.endsWith('bias')).map(([name, shape]) => ({ name, shape, values: new Float32Array(shapeSize(shape)).fill(0.01) }));
  return {
    graph: lenet5(),
    codebooks: [{ name: 'shared', values: new Float32Array([0, -0.1, -0.03, 0.04, 0.12]), zeroIndex: 0 }],
    quantized,
    float,
    metadata: { method: 'soft weight-sharing' },
  };
}

function throwsAt<E extends SoftweightError>(fn: () => unknown, cls: new (...args: never[]) => E, where: (e: E) => string, expected: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.equal(where(e), expected, `error names ${where(e)}: ${e.message}`);
    assert.match(e.message, message);
    assert.ok(e.message.includes(expected), `message names "${expected}": ${e.message}`);
    return true;
  });
}
const atNode = (e: GraphValidationError): string => e.node;
const atTensor = (e: CompressedModelError): string => e.tensor;

test('inferShapes on LeNet-5 gives the paper\'s shapes (800 into fc1)', () => {
  const shapes = inferShapes(lenet5(), new Map(LENET_WEIGHTS));
  assert.deepEqual(Object.fromEntries(shapes), {
    image: [28, 28, 1],
    conv1: [24, 24, 20],
    pool1: [12, 12, 20],
    conv2: [8, 8, 50],
    pool2: [4, 4, 50],
    flatten: [800],
    fc1: [500],
    drop: [500],
    fc2: [10],
  });
  const weights = lenet5().nodes.flatMap(nodeWeightNames);
  assert.equal(weights.length, 8);
  const kernels = LENET_WEIGHTS.filter(([n]) => n.endsWith('kernel')).reduce((s, [, sh]) => s + shapeSize(sh), 0);
  assert.equal(kernels, 430500, 'LeNet-5-Caffe has 430,500 kernel weights');
  validateGraph(lenet5());
  validateGraph(lenet5(), new Map(LENET_WEIGHTS));
});

test('inferShapes on a residual graph: same padding, strides, add, concat, depthwise, batch norm, reshape', () => {
  const shapes = inferShapes(residual(), new Map(RESIDUAL_WEIGHTS));
  assert.deepEqual(shapes.get('pad'), [16, 16, 3]);
  assert.deepEqual(shapes.get('stem'), [16, 16, 8]);
  assert.deepEqual(shapes.get('a_add'), [16, 16, 8]);
  assert.deepEqual(shapes.get('b1'), [8, 8, 16]);
  assert.deepEqual(shapes.get('proj'), [8, 8, 16]);
  assert.deepEqual(shapes.get('b_add'), [8, 8, 16]);
  assert.deepEqual(shapes.get('pool'), [8, 8, 16]);
  assert.deepEqual(shapes.get('cat'), [8, 8, 32]);
  assert.deepEqual(shapes.get('gap'), [32]);
  assert.deepEqual(shapes.get('rs'), [4, 8]);
  assert.deepEqual(shapes.get('logits'), [10]);
  // Odd sizes with same padding round up, valid padding rounds down.
  const odd: ModelGraph = {
    inputs: [{ name: 'x', shape: [7, 9, 2] }],
    nodes: [
      { kind: 'maxPool2d', name: 'same', inputs: ['x'], poolSize: [2, 2], strides: [2, 2], padding: 'same' },
      { kind: 'maxPool2d', name: 'valid', inputs: ['x'], poolSize: [2, 2], strides: [2, 2], padding: 'valid' },
      { kind: 'conv2d', name: 'dil', inputs: ['x'], filters: 1, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', dilation: [2, 2], kernel: 'k', activation: 'linear' },
    ],
    outputs: ['same', 'valid', 'dil'],
  };
  const s = inferShapes(odd);
  assert.deepEqual([s.get('same'), s.get('valid'), s.get('dil')], [[4, 5, 2], [3, 4, 2], [3, 5, 1]]);
});

test('graph errors name the node: dangling input, shape mismatch, missing weight, duplicate, unknown kind', () => {
  const edit = (g: ModelGraph, name: string, patch: Record<string, unknown>): ModelGraph => ({ ...g, nodes: g.nodes.map((n) => (n.name === name ? ({ ...n, ...patch } as GraphNode) : n)) });
  const w = new Map(LENET_WEIGHTS);
  throwsAt(() => validateGraph(edit(lenet5(), 'conv2', { inputs: ['pool9'] })), GraphValidationError, atNode, 'conv2', /input "pool9".*dangling/);
  // A node may only read earlier nodes: a forward reference is dangling too.
  throwsAt(() => validateGraph(edit(lenet5(), 'conv1', { inputs: ['pool1'] })), GraphValidationError, atNode, 'conv1', /"pool1".*dangling/);
  throwsAt(() => validateGraph(edit(lenet5(), 'fc1', { inputs: ['pool2'] })), GraphValidationError, atNode, 'fc1', /rank-1 input.*\[4, 4, 50\]/);
  throwsAt(() => validateGraph(lenet5(), new Map([...LENET_WEIGHTS, ['fc1/kernel', [784, 500]]])), GraphValidationError, atNode, 'fc1', /kernel tensor "fc1\/kernel" has shape \[784, 500\], expected \[800, 500\]/);
  throwsAt(() => validateGraph(lenet5(), new Map([...LENET_WEIGHTS, ['conv2/kernel', [5, 5, 1, 50]]])), GraphValidationError, atNode, 'conv2', /"conv2\/kernel" has shape \[5, 5, 1, 50\], expected \[5, 5, 20, 50\]/);
  const noBias = new Map(w);
  noBias.delete('conv1/bias');
  throwsAt(() => validateGraph(lenet5(), noBias), GraphValidationError, atNode, 'conv1', /bias tensor "conv1\/bias" does not exist/);
  throwsAt(() => validateGraph(edit(lenet5(), 'pool2', { name: 'pool1' })), GraphValidationError, atNode, 'pool1', /duplicate name/);
  throwsAt(() => validateGraph({ ...lenet5(), inputs: [{ name: 'image', shape: [28, 28, 1] }, { name: 'image', shape: [3] }] }), GraphValidationError, atNode, 'image', /duplicate name/);
  throwsAt(() => validateGraph(edit(lenet5(), 'drop', { kind: 'spatialDropout' })), GraphValidationError, atNode, 'drop', /unknown kind "spatialDropout"/);
  throwsAt(() => validateGraph(edit(lenet5(), 'fc1', { activation: 'gelu' })), GraphValidationError, atNode, 'fc1', /unknown activation "gelu"/);
  throwsAt(() => validateGraph({ ...lenet5(), outputs: ['fc3'] }), GraphValidationError, atNode, 'fc3', /graph output/);
  throwsAt(() => validateGraph(edit(lenet5(), 'conv1', { kernelSize: [29, 29] })), GraphValidationError, atNode, 'conv1', /does not fit/);
  throwsAt(() => validateGraph(edit(lenet5(), 'pool1', { strides: [0, 2] })), GraphValidationError, atNode, 'pool1', /strides/);
  throwsAt(() => validateGraph(edit(lenet5(), 'conv1', { inputs: ['image', 'image'] })), GraphValidationError, atNode, 'conv1', /takes 1 input, got 2/);
  // Residual graph: the two branches of an add must agree.
  const r = residual();
  throwsAt(() => validateGraph(edit(r, 'b_add', { inputs: ['b2', 'a_out'] })), GraphValidationError, atNode, 'b_add', /input 1 "a_out" has shape \[16, 16, 8\], expected \[8, 8, 16\]/);
  throwsAt(() => validateGraph(edit(r, 'a_add', { inputs: ['a2_bn'] })), GraphValidationError, atNode, 'a_add', /at least 2 inputs/);
  throwsAt(() => validateGraph(edit(r, 'cat', { inputs: ['pool', 'a_out'] })), GraphValidationError, atNode, 'cat', /"a_out".*incompatible/);
  throwsAt(() => validateGraph(edit(r, 'rs', { targetShape: [5, 7] })), GraphValidationError, atNode, 'rs', /cannot reshape \[32\]/);
  throwsAt(() => validateGraph(r, new Map([...RESIDUAL_WEIGHTS, ['a2_bn/mean', [16]]])), GraphValidationError, atNode, 'a2_bn', /movingMean tensor "a2_bn\/mean" has shape \[16\], expected \[8\]/);
  throwsAt(() => validateGraph(r, new Map([...RESIDUAL_WEIGHTS, ['b2/kernel', [3, 3, 16, 2]]])), GraphValidationError, atNode, 'b2', /expected \[3, 3, 16, 1\]/);
  throwsAt(() => validateGraph({ ...r, inputs: [] }), GraphValidationError, atNode, '(graph)', /no inputs/);
  // Malformed structure (as a decoder might produce) is a GraphValidationError too, never a TypeError.
  throwsAt(() => validateGraph(edit(r, 'a1', { inputs: undefined })), GraphValidationError, atNode, 'a1', /inputs must be an array/);
  throwsAt(() => validateGraph({ ...r, nodes: [...r.nodes, null as unknown as GraphNode] }), GraphValidationError, atNode, `(node ${r.nodes.length})`, /not an object/);
  throwsAt(() => validateGraph({ ...r, nodes: [{ ...r.nodes[0]!, name: '' }] }), GraphValidationError, atNode, '(node 0)', /no name/);
  throwsAt(() => validateGraph({ ...r, outputs: 'logits' as unknown as string[] }), GraphValidationError, atNode, '(graph)', /outputs must be an array/);
  throwsAt(() => validateGraph({ ...r, outputs: [] }), GraphValidationError, atNode, '(graph)', /no outputs/);
  const e = (() => {
    try {
      validateGraph(edit(lenet5(), 'conv2', { inputs: ['nope'] }));
    } catch (err) {
      return err;
    }
    return null;
  })();
  assert.ok(e instanceof SoftweightError && (e as SoftweightError).code === 'GRAPH_INVALID');
});

test('validateCompressedModel accepts a compressed LeNet-5 and a compressed residual graph', () => {
  validateCompressedModel(compressedLenet());
  const cb = { name: 'cb', values: new Float32Array([-0.2, 0, 0.2]), zeroIndex: 1 };
  const model: CompressedModel = {
    graph: residual(),
    codebooks: [cb],
    quantized: RESIDUAL_WEIGHTS.filter(([n]) => n.endsWith('kernel')).map(([name, shape]) => ({ name, shape, codebook: 'cb', indices: new Uint16Array(shapeSize(shape)).fill(1) })),
    float: RESIDUAL_WEIGHTS.filter(([n]) => !n.endsWith('kernel')).map(([name, shape]) => ({ name, shape, values: new Float32Array(shapeSize(shape)).fill(1) })),
  };
  validateCompressedModel(model);
});

test('compressed-model errors name the tensor: index out of range, zeroIndex value, missing weight, duplicates, sizes', () => {
  const m = compressedLenet;
  const fc1 = (model: CompressedModel) => model.quantized.find((t) => t.name === 'fc1/kernel')!;
  throwsAt(() => {
    const x = m();
    fc1(x).indices[12345] = 5;
    validateCompressedModel(x);
  }, CompressedModelError, atTensor, 'fc1/kernel', /index 5 at element 12345 is out of codebook "shared" range \[0, 4\]/);
  throwsAt(() => {
    const x = m();
    x.codebooks[0]!.values[0] = 1e-3;
    validateCompressedModel(x);
  }, CompressedModelError, atTensor, 'shared', /value at zeroIndex 0 is 0.001.*expected 0/);
  throwsAt(() => validateCompressedModel({ ...m(), codebooks: [{ name: 'shared', values: new Float32Array([0, 1]), zeroIndex: 2 }] }), CompressedModelError, atTensor, 'shared', /zeroIndex 2 is outside \[0, 1\]/);
  throwsAt(() => {
    const x = m();
    x.codebooks[0]!.values[3] = NaN;
    validateCompressedModel(x);
  }, CompressedModelError, atTensor, 'shared', /codebook value 3 is NaN/);
  // A weight the graph needs but the model lacks: named at the node, with the tensor name.
  throwsAt(() => validateCompressedModel({ ...m(), float: m().float.filter((t) => t.name !== 'fc2/bias') }), GraphValidationError, atNode, 'fc2', /bias tensor "fc2\/bias" does not exist/);
  throwsAt(() => validateCompressedModel({ ...m(), quantized: m().quantized.filter((t) => t.name !== 'conv2/kernel') }), GraphValidationError, atNode, 'conv2', /kernel tensor "conv2\/kernel" does not exist/);
  throwsAt(() => validateCompressedModel({ ...m(), quantized: m().quantized.map((t) => (t.name === 'fc2/kernel' ? { ...t, shape: [10, 500] } : t)) }), GraphValidationError, atNode, 'fc2', /"fc2\/kernel" has shape \[10, 500\], expected \[500, 10\]/);
  throwsAt(() => validateCompressedModel({ ...m(), float: [...m().float, { name: 'fc1/kernel', shape: [800, 500], values: new Float32Array(400000) }] }), CompressedModelError, atTensor, 'fc1/kernel', /used twice/);
  throwsAt(() => validateCompressedModel({ ...m(), codebooks: [...m().codebooks, ...m().codebooks] }), CompressedModelError, atTensor, 'shared', /duplicate codebook/);
  throwsAt(() => validateCompressedModel({ ...m(), float: [...m().float, { name: 'orphan', shape: [2], values: new Float32Array(2) }] }), CompressedModelError, atTensor, 'orphan', /not referenced/);
  throwsAt(() => validateCompressedModel({ ...m(), quantized: m().quantized.map((t) => (t.name === 'conv1/kernel' ? { ...t, codebook: 'other' } : t)) }), CompressedModelError, atTensor, 'conv1/kernel', /codebook "other", which does not exist/);
  throwsAt(() => validateCompressedModel({ ...m(), quantized: m().quantized.map((t) => (t.name === 'conv1/kernel' ? { ...t, indices: t.indices.subarray(1) } : t)) }), CompressedModelError, atTensor, 'conv1/kernel', /has 499 elements but shape \[5, 5, 1, 20\] needs 500/);
  throwsAt(() => validateCompressedModel({ ...m(), float: m().float.map((t) => (t.name === 'fc1/bias' ? { ...t, values: Float32Array.from(t.values, (v, i) => (i === 7 ? Infinity : v)) } : t)) }), CompressedModelError, atTensor, 'fc1/bias', /value 7 is Infinity/);
  throwsAt(() => validateCompressedModel({ ...m(), graph: { ...lenet5(), nodes: lenet5().nodes.map((n) => (n.name === 'drop' ? ({ ...n, kind: 'mystery' } as unknown as GraphNode) : n)) } }), GraphValidationError, atNode, 'drop', /unknown kind "mystery"/);
});
