// A realistic synthetic compressed LeNet-300-100 (structured sparsity, skewed codebook use) for size tests and benchmarks.
import { seededRandom, type CompressedModel, type ModelGraph } from '@softweight/core';

/** Deterministic PRNG (mulberry32) returning floats in [0, 1). */
export const rng = seededRandom;

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * LeNet-300-100 as soft weight-sharing leaves it: one shared 17-value codebook (zero in the middle),
 * kernels 784x300 / 300x100 / 100x10 with about 4% / 6% / 25% non-zeros. Sparsity is structured the way
 * a trained net's is: MNIST's always-blank border pixels have fully pruned rows, central pixels and some
 * hidden units are denser. Non-zero values favour the small-magnitude components. Biases stay float32.
 * `densityScale` multiplies every non-zero probability (2 gives about 8.6% non-zeros, 0.5 about 2.2%).
 */
export function syntheticLenet300(seed = 1, densityScale = 1): CompressedModel {
  const r = rng(seed);
  const means = [-0.42, -0.33, -0.26, -0.2, -0.15, -0.11, -0.075, -0.045, 0, 0.045, 0.075, 0.11, 0.15, 0.2, 0.26, 0.33, 0.42];
  const zeroIndex = 8;
  // Skewed use: weight ~ exp(-|mu| / 0.09), a little asymmetric as trained nets are.
  const weights = means.map((m, k) => (k === zeroIndex ? 0 : Math.exp(-Math.abs(m) / 0.09) * (m < 0 ? 1.15 : 1)));
  const cum: number[] = [];
  let acc = 0;
  for (const w of weights) cum.push((acc += w));
  const pick = (): number => {
    const u = r() * acc;
    let k = 0;
    while (cum[k]! <= u) k++;
    return k;
  };

  const kernel = (nIn: number, nOut: number, rowDensity: (i: number) => number, colDensity: Float64Array): Uint16Array => {
    const idx = new Uint16Array(nIn * nOut).fill(zeroIndex);
    for (let i = 0; i < nIn; i++) {
      const rd = rowDensity(i);
      for (let o = 0; o < nOut; o++) if (r() < rd * colDensity[o]! * densityScale) idx[i * nOut + o] = pick();
    }
    return idx;
  };
  const cols = (n: number, dead: number): Float64Array => {
    const c = new Float64Array(n);
    for (let o = 0; o < n; o++) c[o] = r() < dead ? 0.1 : Math.exp(0.6 * normal(r));
    return c;
  };
  // Pixel (y, x): blank border rows pruned, density peaking at the centre.
  const pixelDensity = (i: number): number => {
    const y = Math.floor(i / 28);
    const x = i % 28;
    if (y < 3 || y > 24 || x < 3 || x > 24) return r() < 0.1 ? 0.01 : 0;
    const d2 = ((y - 13.5) ** 2 + (x - 13.5) ** 2) / 60;
    return 0.085 * Math.exp(-d2 * 0.35);
  };
  const fc1 = kernel(784, 300, pixelDensity, cols(300, 0.05));
  const fc2 = kernel(300, 100, () => 0.06, cols(100, 0.03));
  const fc3 = kernel(100, 10, () => 0.25, cols(10, 0));

  const bias = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => scale * normal(r));
  const graph: ModelGraph = {
    name: 'lenet-300-100',
    inputs: [{ name: 'input', shape: [28, 28, 1] }],
    nodes: [
      { kind: 'flatten', name: 'flatten', inputs: ['input'] },
      { kind: 'dense', name: 'fc1', inputs: ['flatten'], units: 300, kernel: 'fc1/kernel', bias: 'fc1/bias', activation: 'relu' },
      { kind: 'dense', name: 'fc2', inputs: ['fc1'], units: 100, kernel: 'fc2/kernel', bias: 'fc2/bias', activation: 'relu' },
      { kind: 'dense', name: 'fc3', inputs: ['fc2'], units: 10, kernel: 'fc3/kernel', bias: 'fc3/bias', activation: 'softmax' },
    ],
    outputs: ['fc3'],
  };
  return {
    graph,
    codebooks: [{ name: 'mixture', values: Float32Array.from(means), zeroIndex }],
    quantized: [
      { name: 'fc1/kernel', shape: [784, 300], codebook: 'mixture', indices: fc1 },
      { name: 'fc2/kernel', shape: [300, 100], codebook: 'mixture', indices: fc2 },
      { name: 'fc3/kernel', shape: [100, 10], codebook: 'mixture', indices: fc3 },
    ],
    float: [
      { name: 'fc1/bias', shape: [300], values: bias(300, 0.05) },
      { name: 'fc2/bias', shape: [100], values: bias(100, 0.05) },
      { name: 'fc3/bias', shape: [10], values: bias(10, 0.1) },
    ],
    metadata: { method: 'soft weight-sharing', tau: 0.005, components: 17, testError: 0.0194, epochs: 30 },
  };
}
