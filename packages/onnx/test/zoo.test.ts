// A zoo of small models that together use every node kind, activation and padding case, checked against tfjs.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { NODE_KINDS, type GraphNode, type ModelGraph, type Activation } from '@softweight/core';
import { SUPPORTED_ACTIVATIONS, SUPPORTED_NODE_KINDS, SUPPORTED_OPSETS } from '../src/index.js';
import { agreement, reference } from './support/agree.js';
import { quantizeRandomly, tfjsModel } from './support/models.js';

const COUNT = 32;

type Conv = Extract<GraphNode, { kind: 'conv2d' }>;
function conv(name: string, input: string, filters: number, k: [number, number], opts: Partial<Conv> = {}): GraphNode {
  return {
    kind: 'conv2d', name, inputs: [input], filters, kernelSize: k, strides: [1, 1], padding: 'same', dilation: [1, 1],
    kernel: `${name}/kernel`, bias: `${name}/bias`, activation: 'linear', ...opts,
  };
}
function dense(name: string, input: string, units: number, activation: Activation, bias = true): GraphNode {
  return { kind: 'dense', name, inputs: [input], units, kernel: `${name}/kernel`, ...(bias ? { bias: `${name}/bias` } : {}), activation };
}
function act(name: string, input: string, activation: Activation): GraphNode {
  return { kind: 'activation', name, inputs: [input], activation };
}

/** Strided, dilated, asymmetric-'same' convolutions and depthwise convolutions on a non-square input. */
const convs: ModelGraph = {
  name: 'convs',
  inputs: [{ name: 'x', shape: [13, 11, 3] }],
  nodes: [
    conv('c1', 'x', 4, [3, 3], { strides: [2, 2], activation: 'relu6' }),
    conv('c2', 'c1', 4, [3, 2], { padding: 'valid', dilation: [2, 1], activation: 'elu' }),
    { kind: 'depthwiseConv2d', name: 'd1', inputs: ['c2'], kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilation: [1, 1], depthMultiplier: 2, kernel: 'd1/kernel', bias: 'd1/bias', activation: 'sigmoid' },
    conv('c3', 'd1', 5, [2, 2], { bias: undefined, activation: 'linear' }),
    { kind: 'depthwiseConv2d', name: 'd2', inputs: ['c3'], kernelSize: [2, 3], strides: [2, 2], padding: 'same', dilation: [1, 1], depthMultiplier: 1, kernel: 'd2/kernel', activation: 'tanh' },
    { kind: 'flatten', name: 'flat', inputs: ['d2'] },
    dense('out', 'flat', 6, 'linear', false),
  ],
  outputs: ['out'],
};

/** Pooling with 'same' borders (avg excludes padding), zero padding in both layouts, reshape, rank-2 softmax. */
const pools: ModelGraph = {
  name: 'pools',
  inputs: [{ name: 'x', shape: [9, 7, 2] }],
  nodes: [
    { kind: 'zeroPadding2d', name: 'zp0', inputs: ['x'], padding: [[0, 1], [1, 0]] },
    { kind: 'maxPool2d', name: 'p1', inputs: ['zp0'], poolSize: [3, 3], strides: [2, 2], padding: 'same' },
    { kind: 'zeroPadding2d', name: 'zp1', inputs: ['p1'], padding: [[1, 0], [2, 1]] },
    { kind: 'avgPool2d', name: 'p2', inputs: ['zp1'], poolSize: [3, 3], strides: [2, 2], padding: 'same' },
    { kind: 'avgPool2d', name: 'p3', inputs: ['p2'], poolSize: [2, 2], strides: [1, 2], padding: 'valid' },
    { kind: 'maxPool2d', name: 'p4', inputs: ['zp1'], poolSize: [2, 3], strides: [3, 2], padding: 'valid' },
    { kind: 'reshape', name: 'rs', inputs: ['p4'], targetShape: [6, 2] },
    act('sm', 'rs', 'softmax'),
    { kind: 'flatten', name: 'f1', inputs: ['sm'] },
    { kind: 'flatten', name: 'f2', inputs: ['p3'] },
    { kind: 'concat', name: 'cat', inputs: ['f1', 'f2'], axis: -1 },
    dense('out', 'cat', 4, 'tanh'),
  ],
  outputs: ['out'],
};

// tfjs-layers' DepthwiseConv2D ignores dilationRate (a TODO in its source), so dilated depthwise is checked
// against tf.depthwiseConv2d in onnx.test.ts instead of through a layers model here.

/** Concatenation on every spatial axis, variadic add, bias-free batch-norm, NCHW softmax, rank-3 outputs. */
const branches: ModelGraph = {
  name: 'branches',
  inputs: [{ name: 'x', shape: [8, 6, 3] }],
  nodes: [
    conv('a', 'x', 4, [3, 3]),
    conv('b', 'x', 2, [1, 1], { activation: 'softmax' }),
    { kind: 'concat', name: 'cat_c', inputs: ['a', 'b'], axis: -1 },
    { kind: 'batchNorm', name: 'bn', inputs: ['cat_c'], epsilon: 1e-3, movingMean: 'bn/mean', movingVariance: 'bn/variance' },
    act('soft', 'bn', 'softmax'),
    { kind: 'concat', name: 'cat_h', inputs: ['soft', 'cat_c'], axis: 1 },
    { kind: 'dropout', name: 'drop', inputs: ['cat_h'], rate: 0.5 },
    conv('e', 'x', 4, [1, 1], { activation: 'relu' }),
    { kind: 'concat', name: 'cat_w', inputs: ['a', 'e'], axis: 2 },
    act('sig', 'a', 'sigmoid'),
    { kind: 'add', name: 'sum3', inputs: ['a', 'e', 'sig'] },
    { kind: 'flatten', name: 'flat', inputs: ['sum3'] },
    dense('out', 'flat', 3, 'linear'),
  ],
  outputs: ['out', 'cat_w', 'drop'],
};

/** Two inputs, activations on an NHWC input, rank-1 and rank-2 batch-norm, every stand-alone activation. */
const vector: ModelGraph = {
  name: 'vector',
  inputs: [
    { name: 'img', shape: [6, 5, 2] },
    { name: 'vec', shape: [4] },
  ],
  nodes: [
    act('t', 'img', 'tanh'),
    act('r6', 't', 'relu6'),
    conv('c', 'r6', 3, [3, 3], { padding: 'valid', activation: 'relu' }),
    { kind: 'globalAvgPool2d', name: 'g', inputs: ['c'] },
    dense('v', 'vec', 5, 'sigmoid'),
    { kind: 'batchNorm', name: 'bn1', inputs: ['v'], epsilon: 1e-3, gamma: 'bn1/gamma', beta: 'bn1/beta', movingMean: 'bn1/mean', movingVariance: 'bn1/variance' },
    { kind: 'concat', name: 'cat', inputs: ['g', 'bn1'], axis: 1 },
    act('el', 'cat', 'elu'),
    act('lin', 'el', 'linear'),
    { kind: 'reshape', name: 'rs', inputs: ['lin'], targetShape: [2, 4] },
    { kind: 'batchNorm', name: 'bn2', inputs: ['rs'], epsilon: 1e-2, gamma: 'bn2/gamma', beta: 'bn2/beta', movingMean: 'bn2/mean', movingVariance: 'bn2/variance' },
    act('r', 'bn2', 'relu'),
    act('s', 'r', 'sigmoid'),
    { kind: 'flatten', name: 'flat', inputs: ['s'] },
    dense('h', 'flat', 6, 'relu6'),
    dense('e', 'h', 6, 'elu'),
    dense('out', 'e', 3, 'softmax'),
  ],
  outputs: ['out'],
};

const ZOO = [convs, pools, branches, vector];

before(async () => {
  await tf.setBackend('cpu');
});

test('the zoo uses every node kind and every activation core defines, and the exporter claims them all', () => {
  const kinds = new Set(ZOO.flatMap((g) => g.nodes.map((n) => n.kind)));
  const acts = new Set(ZOO.flatMap((g) => g.nodes.flatMap((n) => ('activation' in n ? [n.activation] : []))));
  for (const k of NODE_KINDS) {
    assert.ok(kinds.has(k), `no zoo model uses ${k}`);
    assert.ok(SUPPORTED_NODE_KINDS.includes(k), `exporter does not list ${k}`);
  }
  for (const a of SUPPORTED_ACTIVATIONS) assert.ok(acts.has(a), `no zoo model uses activation ${a}`);
});

for (const graph of ZOO) {
  describe(`zoo: ${graph.name}`, () => {
    const model = quantizeRandomly(graph, { seed: 3, codes: 12, pruned: 0.3 });
    let ref: ReturnType<typeof reference>;
    before(() => {
      const m = tfjsModel(model);
      ref = reference(model, m, COUNT, 5);
      m.dispose();
    });
    for (const weights of ['dense', 'codebook'] as const) {
      test(`${weights} weights match tfjs`, async () => {
        const a = await agreement(model, { weights }, ref, COUNT);
        for (const out of a.outputs) {
          assert.ok(out.maxAbs <= 1e-4, `${out.name}: max abs difference ${out.maxAbs}`);
          assert.equal(out.argmaxMismatches, 0, `${out.name}: argmax differs on ${out.argmaxMismatches} inputs`);
        }
      });
    }
  });
}

describe('every supported opset', () => {
  const model = quantizeRandomly(branches, { seed: 9, codes: 8, pruned: 0.5 });
  let ref: ReturnType<typeof reference>;
  before(() => {
    const m = tfjsModel(model);
    ref = reference(model, m, 8, 1);
    m.dispose();
  });
  test(`opsets ${SUPPORTED_OPSETS.join(', ')} give valid files that match tfjs`, async () => {
    for (const opset of SUPPORTED_OPSETS) {
      const a = await agreement(model, { weights: 'codebook', opset }, ref, 8);
      for (const out of a.outputs) assert.ok(out.maxAbs <= 1e-4, `opset ${opset}, ${out.name}: ${out.maxAbs}`);
    }
  });
});
