// Test models: ModelGraphs with random quantized weights, and the same network built in tfjs from a graph.
import * as tf from '@tensorflow/tfjs';
import { dequantize, nodeWeightNames, seededRandom, shapeSize, type CompressedModel, type GraphNode, type ModelGraph, type QuantizedTensor, type FloatTensor, inferShapes } from '@softweight/core';
import { fromCompressed } from '@softweight/tfjs';

/** Deterministic PRNG (mulberry32) so every run tests the same numbers. */
export const rng = seededRandom;

/** Options of `quantizeRandomly`. */
export interface RandomWeights {
  seed: number;
  /** Number of codebook values including the zero. */
  codes?: number;
  /** Fraction of kernel weights that are pruned (index = zeroIndex). */
  pruned?: number;
}

function weightRoles(graph: ModelGraph): Map<string, { node: GraphNode; role: string }> {
  const roles = new Map<string, { node: GraphNode; role: string }>();
  for (const node of graph.nodes) {
    if (node.kind === 'dense' || node.kind === 'conv2d' || node.kind === 'depthwiseConv2d') {
      roles.set(node.kernel, { node, role: 'kernel' });
      if (node.bias !== undefined) roles.set(node.bias, { node, role: 'bias' });
    } else if (node.kind === 'batchNorm') {
      if (node.gamma !== undefined) roles.set(node.gamma, { node, role: 'gamma' });
      if (node.beta !== undefined) roles.set(node.beta, { node, role: 'beta' });
      roles.set(node.movingMean, { node, role: 'mean' });
      roles.set(node.movingVariance, { node, role: 'variance' });
    }
  }
  return roles;
}

/** Shape (tfjs layout) of every weight a graph references. */
export function weightShapes(graph: ModelGraph): Map<string, number[]> {
  const shapes = inferShapes(graph);
  const out = new Map<string, number[]>();
  for (const node of graph.nodes) {
    const x = shapes.get(node.inputs[0]!)!;
    const c = x[x.length - 1]!;
    if (node.kind === 'dense') {
      out.set(node.kernel, [x[0]!, node.units]);
      if (node.bias) out.set(node.bias, [node.units]);
    } else if (node.kind === 'conv2d') {
      out.set(node.kernel, [...node.kernelSize, c, node.filters]);
      if (node.bias) out.set(node.bias, [node.filters]);
    } else if (node.kind === 'depthwiseConv2d') {
      out.set(node.kernel, [...node.kernelSize, c, node.depthMultiplier]);
      if (node.bias) out.set(node.bias, [c * node.depthMultiplier]);
    } else if (node.kind === 'batchNorm') {
      for (const n of nodeWeightNames(node)) out.set(n, [c]);
    }
  }
  return out;
}

/**
 * Gives a graph random weights: kernels quantized to one shared codebook (`codes` values, one of them 0,
 * a fraction `pruned` of them pruned), everything else float32. Scales keep activations O(1).
 */
export function quantizeRandomly(graph: ModelGraph, opts: RandomWeights): CompressedModel {
  const rand = rng(opts.seed);
  const codes = opts.codes ?? 16;
  const pruned = opts.pruned ?? 0.5;
  const zeroIndex = Math.floor(codes / 2);
  const step = 0.6 / codes;
  const values = new Float32Array(codes);
  for (let k = 0; k < codes; k++) if (k !== zeroIndex) values[k] = (k - zeroIndex + (rand() - 0.5) * 0.2) * step;
  const roles = weightRoles(graph);
  const quantized: QuantizedTensor[] = [];
  const float: FloatTensor[] = [];
  for (const [name, shape] of weightShapes(graph)) {
    const { role } = roles.get(name)!;
    const n = shapeSize(shape);
    if (role === 'kernel') {
      // He-like scale from one shared codebook: wide layers use only the codes nearest zero.
      const fanIn = n / shape[shape.length - 1]!;
      const sigma = Math.sqrt(2 / (fanIn * (1 - pruned) + 1));
      const reach = Math.min(Math.max(1, Math.round((sigma * Math.sqrt(3)) / step)), zeroIndex, codes - 1 - zeroIndex);
      const indices = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        if (rand() < pruned) {
          indices[i] = zeroIndex;
          continue;
        }
        const offset = 1 + Math.floor(rand() * reach);
        indices[i] = rand() < 0.5 ? zeroIndex - offset : zeroIndex + offset;
      }
      quantized.push({ name, shape, codebook: 'shared', indices });
    } else {
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        if (role === 'variance') v[i] = 0.5 + rand();
        else if (role === 'gamma') v[i] = 0.5 + rand();
        else v[i] = (rand() - 0.5) * 0.2;
      }
      float.push({ name, shape, values: v });
    }
  }
  return { graph, codebooks: [{ name: 'shared', values, zeroIndex }], quantized, float };
}

/** The weight values (tfjs layout) of a compressed model, dequantized. */
export const denseWeights = dequantize;

/** The tfjs functional model a ModelGraph describes, with the compressed model's (dequantized) weights set. */
export const tfjsModel = fromCompressed;

/** `count` random inputs in [0, 1) for a graph input of `shape` (without batch), flattened NHWC. */
export function randomInputs(shape: readonly number[], count: number, seed: number): Float32Array {
  const rand = rng(seed);
  const n = count * shapeSize(shape);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rand();
  return out;
}

/** Runs the tfjs model on one batch; returns each output's flat values. */
export function tfjsPredict(model: tf.LayersModel, inputs: Float32Array[], shapes: number[][], batch: number): Float32Array[] {
  return tf.tidy(() => {
    const xs = inputs.map((d, i) => tf.tensor(d, [batch, ...shapes[i]!]));
    const ys = model.predict(xs.length === 1 ? xs[0]! : xs);
    const list = Array.isArray(ys) ? ys : [ys];
    return list.map((y) => y.dataSync() as Float32Array).map((d) => Float32Array.from(d));
  });
}

/** LeNet-300-100 (the paper's MNIST MLP): flatten, 300 relu, 100 relu, 10 softmax. */
export function lenet300100Graph(): ModelGraph {
  return {
    name: 'lenet-300-100',
    inputs: [{ name: 'image', shape: [28, 28, 1] }],
    nodes: [
      { kind: 'flatten', name: 'flatten', inputs: ['image'] },
      { kind: 'dense', name: 'fc1', inputs: ['flatten'], units: 300, kernel: 'fc1/kernel', bias: 'fc1/bias', activation: 'relu' },
      { kind: 'dense', name: 'fc2', inputs: ['fc1'], units: 100, kernel: 'fc2/kernel', bias: 'fc2/bias', activation: 'relu' },
      { kind: 'dense', name: 'fc3', inputs: ['fc2'], units: 10, kernel: 'fc3/kernel', bias: 'fc3/bias', activation: 'softmax' },
    ],
    outputs: ['fc3'],
  };
}

/** LeNet-5-Caffe: conv 20@5x5, pool, conv 50@5x5, pool, flatten, 500 relu, 10 softmax. */
export function lenet5CaffeGraph(): ModelGraph {
  const conv = (name: string, input: string, filters: number): GraphNode => ({
    kind: 'conv2d', name, inputs: [input], filters, kernelSize: [5, 5], strides: [1, 1], padding: 'valid', dilation: [1, 1], kernel: `${name}/kernel`, bias: `${name}/bias`, activation: 'relu',
  });
  const pool = (name: string, input: string): GraphNode => ({ kind: 'maxPool2d', name, inputs: [input], poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
  return {
    name: 'lenet-5-caffe',
    inputs: [{ name: 'image', shape: [28, 28, 1] }],
    nodes: [
      conv('conv1', 'image', 20),
      pool('pool1', 'conv1'),
      conv('conv2', 'pool1', 50),
      pool('pool2', 'conv2'),
      { kind: 'flatten', name: 'flatten', inputs: ['pool2'] },
      { kind: 'dense', name: 'fc1', inputs: ['flatten'], units: 500, kernel: 'fc1/kernel', bias: 'fc1/bias', activation: 'relu' },
      { kind: 'dense', name: 'fc2', inputs: ['fc1'], units: 10, kernel: 'fc2/kernel', bias: 'fc2/bias', activation: 'softmax' },
    ],
    outputs: ['fc2'],
  };
}
