// Test fixtures: tiny graphs and mixtures built by hand.
import type { MixtureState, ModelGraph } from '@softweight/core';
import type { QuantizeInput, WeightTensor } from '../index.js';

/** A mixture from means, standard deviations and proportions (component 0 is the zero component). */
export function mixtureOf(means: number[], sigmas: number[], pis: number[]): MixtureState {
  const J = means.length;
  const pi0 = pis[0]!;
  const mixingLogits = new Float64Array(J);
  for (let j = 1; j < J; j++) mixingLogits[j] = Math.log(pis[j]!);
  return {
    means: Float64Array.from(means),
    logPrecisions: Float64Array.from(sigmas.map((s) => -2 * Math.log(s))),
    mixingLogits,
    zeroIndex: 0,
    pi0,
    learnPi0: false,
  };
}

/** One dense layer `[inputs, units]` with a bias, kernel covered. */
export function denseModel(kernel: number[] | Float32Array, inputs: number, units: number): QuantizeInput {
  const graph: ModelGraph = {
    inputs: [{ name: 'x', shape: [inputs] }],
    nodes: [{ kind: 'dense', name: 'fc', inputs: ['x'], units, kernel: 'fc/kernel', bias: 'fc/bias', activation: 'linear' }],
    outputs: ['fc'],
  };
  const weights = new Map<string, WeightTensor>([
    ['fc/kernel', { shape: [inputs, units], values: Float32Array.from(kernel) }],
    ['fc/bias', { shape: [units], values: new Float32Array(units).fill(0.5) }],
  ]);
  return { graph, weights, covered: ['fc/kernel'] };
}

/** Conv 3x3 (1 -> 4 channels) on 6x6x1, flatten, dense 64 -> 3: two covered kernels of both kinds. */
export function convModel(conv: Float32Array, dense: Float32Array): QuantizeInput {
  const graph: ModelGraph = {
    inputs: [{ name: 'x', shape: [6, 6, 1] }],
    nodes: [
      { kind: 'conv2d', name: 'conv', inputs: ['x'], filters: 4, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', dilation: [1, 1], kernel: 'conv/kernel', bias: 'conv/bias', activation: 'relu' },
      { kind: 'flatten', name: 'flat', inputs: ['conv'] },
      { kind: 'dense', name: 'fc', inputs: ['flat'], units: 3, kernel: 'fc/kernel', activation: 'softmax' },
    ],
    outputs: ['fc'],
  };
  return {
    graph,
    weights: {
      'conv/kernel': { shape: [3, 3, 1, 4], values: conv },
      'conv/bias': { shape: [4], values: new Float32Array([0.1, 0.2, 0.3, 0.4]) },
      'fc/kernel': { shape: [64, 3], values: dense },
    },
    covered: ['conv/kernel', 'fc/kernel'],
  };
}
