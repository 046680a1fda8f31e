// Algorithm 1 step 1: merge mixture components whose Gaussians are (almost) the same, transitively.
import { gaussianKL, logMixingProportions, mergeMoments, validateMixture, cloneMixture, type MixtureState } from '@softweight/core';
import { QuantizeError } from './errors.js';

/**
 * How the pairwise divergence of two components is measured. KL is asymmetric, so "KL below the threshold"
 * needs a choice: `symmetric` (default) uses the mean of both directions, `(KL(i||j) + KL(j||i)) / 2`, so the
 * merge graph is undirected and a pair's fate does not depend on its order; `min` merges when either
 * direction is below the threshold, which is what the authors' tutorial did (it thresholded the full J x J
 * KL matrix). Near a merge both directions agree to second order, so the two rarely differ.
 */
export type MergeDivergence = 'symmetric' | 'min';

/** Options of `mergeComponents`. */
export interface MergeOptions {
  /** Merge pairs whose divergence (nats) is strictly below this (default 1e-10 as the tutorial; 0 disables merging). */
  threshold?: number;
  /** How a pair's divergence is measured (default `symmetric`). */
  divergence?: MergeDivergence;
}

/** One component of the merged mixture and the original components it came from. */
export interface MergedComponent {
  /** Indices of the original components in this group, ascending. */
  members: number[];
  /** Moment-matched mean (exactly 0 for the group holding the zero component). */
  mean: number;
  /** Moment-matched variance sigma^2. */
  variance: number;
  /** Mixing proportion pi of the group (sum of its members'). */
  pi: number;
  /** Whether this group holds the zero component. */
  isZero: boolean;
}

/** What the merge step did. */
export interface MergeReport {
  /** The threshold used. */
  threshold: number;
  /** The divergence used. */
  divergence: MergeDivergence;
  /** Number of components before merging. */
  componentsBefore: number;
  /** Number of components after merging. */
  componentsAfter: number;
  /** One entry per merged component, in the merged mixture's order (ordered by smallest original member). */
  components: MergedComponent[];
  /** For each original component, the index of the merged component it went into. */
  componentOf: number[];
  /** The groups of two or more original components (what merged), by original index. */
  mergedGroups: number[][];
}

/** Result of `mergeComponents`: the merged mixture and the report. */
export interface MergeResult {
  /** The merged mixture (a valid `MixtureState`; identical to a copy of the input when nothing merged). */
  mixture: MixtureState;
  /** Which components merged and their moment-matched parameters. */
  report: MergeReport;
}

/** Default merge threshold (nats), as in the authors' tutorial. */
export const DEFAULT_MERGE_THRESHOLD = 1e-10;

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!;
    i = parent[i]!;
  }
  return i;
}

function logSumExp(xs: readonly number[]): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - max);
  return max + Math.log(s);
}

/**
 * Merges components whose pairwise Gaussian KL divergence is below `threshold`, transitively (union-find:
 * if A~B and B~C then A, B and C become one component even when A and C are far apart in KL). Each group
 * is moment-matched with core's `mergeMoments`; a group holding the zero component keeps mean exactly 0
 * and becomes the new zero component (its pi is the new pi0). Non-zero groups keep mixing logits
 * `logsumexp(member logits)`, which preserves their proportions exactly.
 */
export function mergeComponents(mixture: MixtureState, options: MergeOptions = {}): MergeResult {
  validateMixture(mixture);
  const threshold = options.threshold ?? DEFAULT_MERGE_THRESHOLD;
  const divergence = options.divergence ?? 'symmetric';
  if (!(threshold >= 0) || Number.isNaN(threshold)) throw new QuantizeError('mergeThreshold', `is ${threshold}, expected a number >= 0 (0 disables merging)`);
  if (divergence !== 'symmetric' && divergence !== 'min') throw new QuantizeError('mergeDivergence', `is "${String(divergence)}", expected "symmetric" or "min"`);
  const J = mixture.means.length;
  const z = mixture.zeroIndex;
  const variance = new Float64Array(J);
  for (let j = 0; j < J; j++) variance[j] = Math.exp(-mixture.logPrecisions[j]!);

  const parent = new Int32Array(J);
  for (let j = 0; j < J; j++) parent[j] = j;
  for (let i = 0; i < J; i++) {
    for (let j = i + 1; j < J; j++) {
      const a = gaussianKL(mixture.means[i]!, variance[i]!, mixture.means[j]!, variance[j]!);
      const b = gaussianKL(mixture.means[j]!, variance[j]!, mixture.means[i]!, variance[i]!);
      const d = divergence === 'symmetric' ? 0.5 * (a + b) : Math.min(a, b);
      if (d < threshold) {
        const ri = find(parent, i);
        const rj = find(parent, j);
        if (ri !== rj) parent[Math.max(ri, rj)] = Math.min(ri, rj);
      }
    }
  }
  // Groups ordered by their smallest member (the union-find root is always the smallest index).
  const groupOfRoot = new Map<number, number>();
  const members: number[][] = [];
  const componentOf: number[] = [];
  for (let j = 0; j < J; j++) {
    const r = find(parent, j);
    let g = groupOfRoot.get(r);
    if (g === undefined) {
      g = members.length;
      groupOfRoot.set(r, g);
      members.push([]);
    }
    members[g]!.push(j);
    componentOf.push(g);
  }

  const logPi = logMixingProportions(mixture);
  const G = members.length;
  const zeroGroup = componentOf[z]!;
  const components: MergedComponent[] = members.map((group, g) => {
    // Relative proportions in log space so a group of tiny-pi components still gets a finite mean.
    const maxLog = Math.max(...group.map((j) => logPi[j]!));
    const moments = mergeMoments(
      group.map((j) => ({ pi: Math.exp(logPi[j]! - maxLog), mean: mixture.means[j]!, variance: variance[j]! })),
      g === zeroGroup,
    );
    return {
      members: group,
      mean: moments.mean,
      variance: moments.variance,
      pi: Math.exp(logSumExp(group.map((j) => logPi[j]!))),
      isZero: g === zeroGroup,
    };
  });
  const report: MergeReport = {
    threshold,
    divergence,
    componentsBefore: J,
    componentsAfter: G,
    components,
    componentOf,
    mergedGroups: members.filter((m) => m.length > 1).map((m) => [...m]),
  };
  if (G === J) return { mixture: cloneMixture(mixture), report };

  const means = new Float64Array(G);
  const logPrecisions = new Float64Array(G);
  const mixingLogits = new Float64Array(G);
  // pi0' = pi0 + (1 - pi0) * (softmax mass absorbed by the zero group); 1 - pi0' is formed directly for accuracy.
  const logitsAll: number[] = [];
  const logitsKept: number[] = [];
  for (let j = 0; j < J; j++) {
    if (j === z) continue;
    logitsAll.push(mixture.mixingLogits[j]!);
    if (componentOf[j] !== zeroGroup) logitsKept.push(mixture.mixingLogits[j]!);
  }
  for (let g = 0; g < G; g++) {
    means[g] = components[g]!.mean;
    logPrecisions[g] = -Math.log(components[g]!.variance);
    mixingLogits[g] = g === zeroGroup ? 0 : logSumExp(members[g]!.map((j) => mixture.mixingLogits[j]!));
  }
  let pi0: number;
  if (G === 1) pi0 = 1;
  else {
    const keptFraction = Math.exp(logSumExp(logitsKept) - logSumExp(logitsAll));
    pi0 = 1 - (1 - mixture.pi0) * keptFraction;
    if (!(pi0 < 1)) pi0 = 1 - Number.EPSILON / 2;
  }
  const merged: MixtureState = { means, logPrecisions, mixingLogits, zeroIndex: zeroGroup, pi0, learnPi0: mixture.learnPi0 };
  validateMixture(merged);
  return { mixture: merged, report };
}
