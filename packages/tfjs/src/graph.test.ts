// toGraph on the paper's models, residual and kitchen-sink functional models, and its unsupported-layer errors.
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphValidationError, inferShapes, UnsupportedLayerError, type GraphNode } from '@softweight/core';
import { lenet300100, lenet5Caffe, namedWeights, smallResNet, toGraph } from './index.js';

function byName(nodes: GraphNode[]): Map<string, GraphNode> {
  return new Map(nodes.map((n) => [n.name, n]));
}

test('LeNet-300-100: dense nodes with fused activations and tfjs-named weights', () => {
  const model = lenet300100({ seed: 1 });
  const { graph, weights } = toGraph(model);
  assert.deepEqual(graph.inputs, [{ name: 'fc1_input', shape: [784] }]);
  assert.deepEqual(graph.nodes, [
    { kind: 'dense', name: 'fc1', inputs: ['fc1_input'], units: 300, kernel: 'fc1/kernel', bias: 'fc1/bias', activation: 'relu' },
    { kind: 'dense', name: 'fc2', inputs: ['fc1'], units: 100, kernel: 'fc2/kernel', bias: 'fc2/bias', activation: 'relu' },
    { kind: 'dense', name: 'fc3', inputs: ['fc2'], units: 10, kernel: 'fc3/kernel', bias: 'fc3/bias', activation: 'softmax' },
  ]);
  assert.deepEqual(graph.outputs, ['fc3']);
  assert.deepEqual([...weights.keys()], ['fc1/kernel', 'fc1/bias', 'fc2/kernel', 'fc2/bias', 'fc3/kernel', 'fc3/bias']);
  assert.deepEqual(weights.get('fc2/kernel')!.shape, [300, 100]);
  // The values are a copy of the model's weights.
  const kernel = model.getLayer('fc2').getWeights()[0]!;
  assert.deepEqual(weights.get('fc2/kernel')!.values, kernel.dataSync());
  weights.get('fc2/kernel')!.values[0] = 42;
  assert.notEqual(model.getLayer('fc2').getWeights()[0]!.dataSync()[0], 42);
  model.dispose();
});

test('LeNet-5-Caffe: conv, pooling, flatten and dense nodes; shapes validated by core', () => {
  const model = lenet5Caffe({ seed: 1 });
  const { graph, weights } = toGraph(model);
  const nodes = byName(graph.nodes);
  assert.deepEqual(nodes.get('conv1'), {
    kind: 'conv2d', name: 'conv1', inputs: ['conv1_input'], filters: 20, kernelSize: [5, 5], strides: [1, 1], padding: 'valid',
    dilation: [1, 1], kernel: 'conv1/kernel', bias: 'conv1/bias', activation: 'linear',
  });
  assert.deepEqual(nodes.get('pool2'), { kind: 'maxPool2d', name: 'pool2', inputs: ['conv2'], poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
  assert.deepEqual(nodes.get('flatten'), { kind: 'flatten', name: 'flatten', inputs: ['pool2'] });
  const shapes = inferShapes(graph, new Map([...weights].map(([k, v]) => [k, v.shape])));
  assert.deepEqual(shapes.get('pool2'), [4, 4, 50]);
  assert.deepEqual(shapes.get('fc2'), [10]);
  let total = 0;
  for (const [name, w] of weights) if (name.endsWith('/kernel')) total += w.values.length;
  assert.equal(total, 430_500);
  model.dispose();
});

test('functional residual model: add, batch-norm and global pooling nodes in topological order', () => {
  const model = smallResNet({ seed: 1, inputShape: [8, 8, 3], filters: 4, stages: 2 });
  const { graph, weights } = toGraph(model);
  const nodes = byName(graph.nodes);
  assert.deepEqual(nodes.get('s1b1_add')!.inputs, ['s1b1_bn2', 'stem_relu']);
  assert.deepEqual(nodes.get('s2b1_add')!.inputs, ['s2b1_bn2', 's2b1_proj_bn']);
  assert.deepEqual(nodes.get('stem_bn'), {
    kind: 'batchNorm', name: 'stem_bn', inputs: ['stem_conv'], epsilon: 1e-3, gamma: 'stem_bn/gamma', beta: 'stem_bn/beta',
    movingMean: 'stem_bn/moving_mean', movingVariance: 'stem_bn/moving_variance',
  });
  assert.equal((nodes.get('stem_conv') as { bias?: string }).bias, undefined);
  assert.deepEqual(nodes.get('s2b1_proj'), {
    kind: 'conv2d', name: 's2b1_proj', inputs: ['s1b1_relu2'], filters: 8, kernelSize: [1, 1], strides: [2, 2], padding: 'same',
    dilation: [1, 1], kernel: 's2b1_proj/kernel', activation: 'linear',
  });
  assert.deepEqual(nodes.get('stem_relu'), { kind: 'activation', name: 'stem_relu', inputs: ['stem_bn'], activation: 'relu' });
  assert.equal(nodes.get('gap')!.kind, 'globalAvgPool2d');
  // Topological: every input is defined before it is read.
  const seen = new Set(graph.inputs.map((i) => i.name));
  for (const n of graph.nodes) {
    for (const i of n.inputs) assert.ok(seen.has(i), `${n.name} reads ${i} before it is defined`);
    seen.add(n.name);
  }
  assert.equal(weights.size, namedWeights(model).length);
  model.dispose();
});

test('every other supported layer maps to its node', () => {
  const input = tf.input({ name: 'img', shape: [10, 10, 2] });
  const a = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;
  const pad = a(tf.layers.zeroPadding2d({ name: 'pad', padding: [[1, 0], [2, 1]] }), input);
  const dil = a(tf.layers.conv2d({ name: 'dil', filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'tanh' }), pad);
  const dw = a(tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu6' }), pad);
  const avg = a(tf.layers.averagePooling2d({ name: 'avg', poolSize: 3, strides: 1, padding: 'same' }), dil);
  const cat = a(tf.layers.concatenate({ name: 'cat', axis: -1 }), [a(tf.layers.maxPooling2d({ name: 'mp', poolSize: 2, padding: 'same' }), avg), dw]);
  const r6 = a(tf.layers.reLU({ name: 'r6', maxValue: 6 }), cat);
  const resh = a(tf.layers.reshape({ name: 'resh', targetShape: [42, 7] }), r6);
  const drop = a(tf.layers.dropout({ name: 'drop', rate: 0.25 }), a(tf.layers.flatten({ name: 'flat' }), resh));
  const elu = a(tf.layers.elu({ name: 'elu' }), drop);
  const sig = a(tf.layers.activation({ name: 'sig', activation: 'sigmoid' }), a(tf.layers.dense({ name: 'd', units: 4 }), elu));
  const out = a(tf.layers.softmax({ name: 'sm' }), sig);
  const model = tf.model({ inputs: input, outputs: out });
  const { graph } = toGraph(model);
  const nodes = byName(graph.nodes);
  assert.deepEqual(nodes.get('pad'), { kind: 'zeroPadding2d', name: 'pad', inputs: ['img'], padding: [[1, 0], [2, 1]] });
  assert.deepEqual((nodes.get('dil') as { dilation: number[]; activation: string }).dilation, [2, 2]);
  assert.equal((nodes.get('dil') as { activation: string }).activation, 'tanh');
  assert.deepEqual(nodes.get('dw'), {
    kind: 'depthwiseConv2d', name: 'dw', inputs: ['pad'], kernelSize: [3, 3], strides: [2, 2], padding: 'same', dilation: [1, 1],
    depthMultiplier: 2, kernel: 'dw/depthwise_kernel', bias: 'dw/bias', activation: 'relu6',
  });
  assert.deepEqual(nodes.get('avg'), { kind: 'avgPool2d', name: 'avg', inputs: ['dil'], poolSize: [3, 3], strides: [1, 1], padding: 'same' });
  assert.deepEqual(nodes.get('cat'), { kind: 'concat', name: 'cat', inputs: ['mp', 'dw'], axis: -1 });
  assert.deepEqual(nodes.get('r6'), { kind: 'activation', name: 'r6', inputs: ['cat'], activation: 'relu6' });
  assert.deepEqual(nodes.get('resh'), { kind: 'reshape', name: 'resh', inputs: ['r6'], targetShape: [42, 7] });
  assert.deepEqual(nodes.get('drop'), { kind: 'dropout', name: 'drop', inputs: ['flat'], rate: 0.25 });
  assert.deepEqual(nodes.get('elu'), { kind: 'activation', name: 'elu', inputs: ['drop'], activation: 'elu' });
  assert.deepEqual(nodes.get('sm'), { kind: 'activation', name: 'sm', inputs: ['sig'], activation: 'softmax' });
  model.dispose();
});

test('Reshape with -1 is resolved from the input shape', () => {
  const model = tf.sequential({ layers: [tf.layers.reshape({ name: 'r', inputShape: [6, 4], targetShape: [3, -1] })] });
  assert.deepEqual(toGraph(model).graph.nodes, [{ kind: 'reshape', name: 'r', inputs: ['r_input'], targetShape: [3, 8] }]);
  model.dispose();
});

test('UnsupportedLayerError lists every unsupported layer, not just the first', () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'c', inputShape: [8, 8, 3], filters: 4, kernelSize: 3 }),
      tf.layers.leakyReLU({ name: 'leaky' }),
      tf.layers.upSampling2d({ name: 'up', size: [2, 2] }),
      tf.layers.flatten({ name: 'f' }),
      tf.layers.dense({ name: 'd', units: 3, activation: 'selu' }),
    ],
  });
  assert.throws(
    () => toGraph(model),
    (err: unknown) => {
      assert.ok(err instanceof UnsupportedLayerError);
      assert.deepEqual(err.layers, [
        { name: 'leaky', kind: 'LeakyReLU' },
        { name: 'up', kind: 'UpSampling2D' },
        { name: 'd', kind: 'Dense (activation selu)' },
      ]);
      assert.match(err.message, /"leaky" \(LeakyReLU\).*"up" \(UpSampling2D\)/);
      return true;
    },
  );
  model.dispose();
});

test('channelsFirst layers are rejected with a clear reason', () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'cf', inputShape: [3, 8, 8], filters: 4, kernelSize: 3, dataFormat: 'channelsFirst' }),
      tf.layers.maxPooling2d({ name: 'pf', poolSize: 2, dataFormat: 'channelsFirst' }),
    ],
  });
  assert.throws(() => toGraph(model), (err: unknown) => {
    assert.ok(err instanceof UnsupportedLayerError);
    assert.deepEqual(err.layers.map((l) => l.name), ['cf', 'pf']);
    assert.match(err.message, /channelsFirst/);
    return true;
  });
  model.dispose();
});

test('a dilated DepthwiseConv2D is rejected, since tfjs-layers runs it undilated', () => {
  const model = tf.sequential({
    layers: [tf.layers.depthwiseConv2d({ name: 'dw', inputShape: [9, 9, 2], kernelSize: 3, dilationRate: 2 })],
  });
  assert.throws(() => toGraph(model), (err: unknown) => {
    assert.ok(err instanceof UnsupportedLayerError);
    assert.deepEqual(err.layers.map((l) => l.name), ['dw']);
    assert.match(err.message, /dilationRate \[2, 2\]/);
    return true;
  });
  model.dispose();
});

test('a model input without a fixed shape is a GraphValidationError naming it', () => {
  const input = tf.input({ name: 'free', shape: [null, 3] as unknown as number[] });
  const out = tf.layers.globalAveragePooling1d({ name: 'g' }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  assert.throws(() => toGraph(model), (err: unknown) => err instanceof GraphValidationError && err.node === 'free');
  model.dispose();
});
