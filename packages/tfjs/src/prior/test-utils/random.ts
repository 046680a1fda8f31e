// Deterministic random numbers, mixtures and weights for the prior's tests (an LCG: the tests' data must not change with core's generator).
import type { MixtureState } from '@softweight/core';

/** Uniform deviates in (0, 1) from a 32-bit linear congruential generator seeded with `seed`. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}

/** A standard normal deviate from `r` (Box-Muller). */
export function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
}

/** A random mixture; sigmas log-uniform in [sigmaMin, 0.3]. */
export function randomMixture(r: () => number, J: number, sigmaMin: number, learnPi0: boolean): MixtureState {
  const means = new Float64Array(J);
  const logPrecisions = new Float64Array(J);
  const mixingLogits = new Float64Array(J);
  for (let j = 0; j < J; j++) {
    if (j > 0) {
      means[j] = (r() - 0.5) * 0.8;
      mixingLogits[j] = gaussian(r) * 2;
    }
    const sigma = Math.exp(Math.log(sigmaMin) + r() * Math.log(0.3 / sigmaMin));
    logPrecisions[j] = -2 * Math.log(sigma);
  }
  return { means, logPrecisions, mixingLogits, zeroIndex: 0, pi0: 0.5 + 0.499 * r(), learnPi0 };
}

/** Weights drawn from the mixture's components (equal odds), 10% uniform outliers in [-0.6, 0.6]. */
export function sampleWeights(r: () => number, state: MixtureState, n: number): Float32Array {
  const J = state.means.length;
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const j = Math.floor(r() * J);
    w[i] = r() < 0.1 ? (r() - 0.5) * 1.2 : state.means[j]! + gaussian(r) * Math.exp(-0.5 * state.logPrecisions[j]!);
  }
  return w;
}
