// Seeded random numbers and random mixture cases for core's tests (never shipped: excluded from the build).
import type { MixtureState } from '../mixture.js';
import { seededRandom } from '../random.js';

/** A seeded uniform generator on [0, 1) (mulberry32), so every failing case can be replayed. */
export const rng = seededRandom;

/** Standard normal draws (Box-Muller) from a uniform generator. */
export function normal(u: () => number): () => number {
  return () => {
    const a = 1 - u();
    const b = u();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
  };
}

/** A random test case: a mixture and weights around (and between) its components. */
export interface MixtureCase {
  /** Human-readable label used in assertion messages. */
  label: string;
  state: MixtureState;
  weights: Float64Array;
}

/**
 * Random mixture with J components (zero component at a random index), precisions log-uniform in
 * [lambdaMin, lambdaMax], and weights drawn from the mixture, uniformly over its range, and exactly at means.
 */
export function randomCase(seed: number, opts: { lambdaMin?: number; lambdaMax?: number; pi0?: number; n?: number } = {}): MixtureCase {
  const u = rng(seed);
  const z = normal(u);
  const J = 2 + Math.floor(u() * 18);
  const zeroIndex = Math.floor(u() * J);
  const lMin = Math.log(opts.lambdaMin ?? 1);
  const lMax = Math.log(opts.lambdaMax ?? 1e6);
  const means = new Float64Array(J);
  const logPrecisions = new Float64Array(J);
  const mixingLogits = new Float64Array(J);
  for (let j = 0; j < J; j++) {
    if (j !== zeroIndex) {
      means[j] = 0.2 * z();
      mixingLogits[j] = 2 * z();
    }
    logPrecisions[j] = lMin + (lMax - lMin) * u();
  }
  const pi0 = opts.pi0 ?? 0.5 + 0.4999 * u();
  const n = opts.n ?? 24;
  const weights = new Float64Array(n);
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of means) {
    lo = Math.min(lo, m);
    hi = Math.max(hi, m);
  }
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    const j = Math.floor(u() * J);
    if (kind === 0) weights[i] = means[j]! + z() * Math.exp(-0.5 * logPrecisions[j]!);
    else if (kind === 1) weights[i] = lo - 0.1 + (hi - lo + 0.2) * u();
    else if (kind === 2) weights[i] = means[j]!;
    else weights[i] = means[j]! + 3 * z() * Math.exp(-0.5 * logPrecisions[j]!);
  }
  return { label: `seed ${seed} (J=${J}, zeroIndex=${zeroIndex}, pi0=${pi0})`, state: { means, logPrecisions, mixingLogits, zeroIndex, pi0, learnPi0: true }, weights };
}

/**
 * The extreme cases the issue names: weights 1e3 away from every mean, precisions of 1e8 and 1e-8 side by side,
 * and pi0 = 0.999999 with weights at, near and far from zero.
 */
export function extremeCases(): MixtureCase[] {
  const mk = (label: string, means: number[], lambdas: number[], logits: number[], pi0: number, weights: number[], zeroIndex = 0): MixtureCase => ({
    label,
    state: {
      means: Float64Array.from(means),
      logPrecisions: Float64Array.from(lambdas, (l) => Math.log(l)),
      mixingLogits: Float64Array.from(logits),
      zeroIndex,
      pi0,
      learnPi0: true,
    },
    weights: Float64Array.from(weights),
  });
  const means = [0, -0.3, -0.05, 0.02, 0.25];
  return [
    mk('weights 1e3 away from every mean, precisions 1e8', means, [1e8, 1e8, 1e8, 1e8, 1e8], [0, 0.3, -1, 2, 0.5], 0.999, [1000.25, -999.7, 1e3 + 0.25, -1e3 - 0.3]),
    mk('weights 1e3 away, precisions 1e8 and 1e-8 mixed', means, [1e8, 1e-8, 1e8, 1e-8, 1e4], [0, 0.3, -1, 2, 0.5], 0.999, [1000.25, -999.7, 0, 0.02, -0.3, 1e-4]),
    mk('precision 1e8 near the weights', means, [1e8, 1e8, 1e8, 1e8, 1e8], [0, 0.3, -1, 2, 0.5], 0.9, [0, 1e-4, -2e-4, 0.02, 0.02 + 3e-4, -0.3 - 1e-5, 0.01, 0.135, 0.25 - 2e-4]),
    mk('precision 1e-8 everywhere', means, [1e-8, 1e-8, 1e-8, 1e-8, 1e-8], [0, 0.3, -1, 2, 0.5], 0.5, [0, 1, -1, 1e3, -1e3, 5e3]),
    mk('pi0 = 0.999999', means, [2500, 1e4, 3e3, 5e5, 400], [0, 0.3, -1, 2, 0.5], 0.999999, [0, 1e-3, -0.01, 0.02, -0.3, 0.25, 0.1, 1e3, -1e3]),
    mk('pi0 = 0.999999, zero component last, precisions 1e8 and 1e-8', [-0.3, -0.05, 0.02, 0.25, 0], [1e-8, 1e8, 1e8, 1e4, 1e8], [0.3, -1, 2, 0.5, 0], 0.999999, [0, 2e-5, -0.05, 0.02 + 1e-4, 1e3, -1e3, 0.25], 4),
  ];
}
