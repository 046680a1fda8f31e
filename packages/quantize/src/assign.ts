// Fast per-weight component assignment (MAP, ML or nearest mean) via the mixture's decision regions.
import { logMixingProportions, validateMixture, type MixtureState } from '@softweight/core';
import { QuantizeError } from './errors.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Which component a weight goes to.
 * - `map` (default, the paper's rule): largest pi_k N(w | mu_k, sigma_k^2), with the true log pi.
 * - `ml`: largest N(w | mu_k, sigma_k^2), ignoring the mixing proportions.
 * - `nearest`: nearest mean |w - mu_k|.
 * Ties go to the lowest component index, as in core's `mapAssign`.
 */
export type AssignmentRule = 'map' | 'ml' | 'nearest';

/** The decision regions of a mixture under a rule: component `components[r]` wins on `[thresholds[r-1], thresholds[r])`. */
export interface DecisionRegions {
  /** Ascending region boundaries (length = regions - 1); a weight equal to a boundary belongs to the region on its right. */
  thresholds: Float64Array;
  /** Winning component of each region, left to right. */
  components: Uint16Array;
}

/** A reusable assigner for one mixture and rule (build once, call for every tensor). */
export interface Assigner {
  /** The rule it applies. */
  readonly rule: AssignmentRule;
  /** The decision regions it looks weights up in. */
  readonly regions: DecisionRegions;
  /**
   * Component index of every value, written into `out` when given (its length must match).
   * Throws `QuantizeError` (subject `values`) on a non-finite value.
   */
  assign(values: ArrayLike<number>, out?: Uint16Array): Uint16Array;
  /** Component index of one value (same rule, same regions). */
  assignOne(value: number): number;
}

/** Per-component score s_k(w) = c_k - 0.5 * lambda_k * (w - mu_k)^2, whose argmax is the rule's choice. */
interface Scores {
  c: Float64Array;
  lambda: Float64Array;
  mu: Float64Array;
}

function scoresFor(mixture: MixtureState, rule: AssignmentRule): Scores {
  const J = mixture.means.length;
  const c = new Float64Array(J);
  const lambda = new Float64Array(J);
  const mu = Float64Array.from(mixture.means);
  const logPi = rule === 'map' ? logMixingProportions(mixture) : null;
  for (let j = 0; j < J; j++) {
    const g = mixture.logPrecisions[j]!;
    if (rule === 'nearest') {
      c[j] = 0;
      lambda[j] = 1;
    } else {
      // Same expression (and rounding) as core's reference: log pi + 0.5 gamma - 0.5 log(2 pi).
      c[j] = (logPi === null ? 0 : logPi[j]!) + 0.5 * g - HALF_LOG_2PI;
      lambda[j] = Math.exp(g);
      if (!Number.isFinite(lambda[j]!) || lambda[j]! === 0) {
        throw new QuantizeError('mixture', `component ${j} has precision exp(${g}) = ${lambda[j]}, which cannot rank weights; keep log-precisions within about ±700`);
      }
    }
  }
  return { c, lambda, mu };
}

/** Component j's score at w under the rule (log pi_j + 0.5 gamma_j - 0.5 log 2pi - lambda_j (w - mu_j)^2 / 2 for MAP). */
function componentScore(s: Scores, j: number, w: number): number {
  const d = w - s.mu[j]!;
  return s.c[j]! - 0.5 * s.lambda[j]! * d * d;
}

/** The rule's choice at w by evaluating every component (the reference the regions are built from). */
function directArgmax(s: Scores, w: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let j = 0; j < s.c.length; j++) {
    const score = componentScore(s, j, w);
    if (score > bestScore || j === 0) {
      best = j;
      bestScore = score;
    }
  }
  return best;
}

/** Points where two components' scores cross (at most two per pair), from a numerically stable quadratic. */
function crossings(s: Scores): number[] {
  const out: number[] = [];
  const J = s.c.length;
  for (let j = 0; j < J; j++) {
    for (let k = j + 1; k < J; k++) {
      // In u = w - mu_k: s_j - s_k = C + B u + A u^2 with d = mu_j - mu_k.
      const d = s.mu[j]! - s.mu[k]!;
      const A = -0.5 * (s.lambda[j]! - s.lambda[k]!);
      const B = s.lambda[j]! * d;
      const C = s.c[j]! - s.c[k]! - 0.5 * s.lambda[j]! * d * d;
      const roots: number[] = [];
      if (A === 0) {
        if (B !== 0) roots.push(-C / B);
      } else {
        const disc = B * B - 4 * A * C;
        if (disc >= 0) {
          const q = -0.5 * (B + (B >= 0 ? 1 : -1) * Math.sqrt(disc));
          if (q !== 0) roots.push(q / A, C / q);
          else roots.push(0);
        }
      }
      for (const u of roots) {
        const w = u + s.mu[k]!;
        if (Number.isFinite(w)) out.push(w);
      }
    }
  }
  return out;
}

/**
 * Builds the decision regions of `mixture` under `rule`. Every pairwise crossing is a candidate boundary;
 * the winner of each gap between candidates is found by direct evaluation, equal neighbours are joined,
 * and each remaining boundary is refined by bisection on the direct evaluation down to adjacent doubles.
 * So a lookup agrees with evaluating every component except within rounding (a few ulps) of a boundary,
 * or for a component that wins only on an interval narrower than the error of the computed crossings.
 */
export function decisionRegions(mixture: MixtureState, rule: AssignmentRule = 'map'): DecisionRegions {
  return buildRegions(scoresFor(mixture, rule));
}

/**
 * A point inside (a, b) of small magnitude. The winner is constant on the interval in exact arithmetic,
 * but far from the means rounding swamps the score differences (at |w| = 1e8, (w - mu)^2 has an ulp
 * of 2), so the interval's midpoint can be useless when a near-degenerate pair puts a crossing far out.
 */
function interiorPoint(a: number, b: number): number {
  if (a < 0 && b > 0) return 0;
  const half = (b - a) / 2;
  if (b <= 0) return b - Math.min(half, 1 + Math.abs(b));
  return a + Math.min(half, 1 + Math.abs(a));
}

function buildRegions(s: Scores): DecisionRegions {
  const points = crossings(s).sort((a, b) => a - b);
  const cand: number[] = [];
  for (const p of points) if (cand.length === 0 || p !== cand[cand.length - 1]) cand.push(p);
  // One sample point inside each gap between candidates (and beyond both ends).
  const samples: number[] = [];
  if (cand.length === 0) samples.push(s.mu[0]!);
  else {
    samples.push(cand[0]! - 1 - Math.abs(cand[0]!));
    for (let i = 0; i + 1 < cand.length; i++) samples.push(interiorPoint(cand[i]!, cand[i + 1]!));
    const last = cand[cand.length - 1]!;
    samples.push(last + 1 + Math.abs(last));
  }
  const winners = samples.map((x) => directArgmax(s, x));
  const thresholds: number[] = [];
  const components: number[] = [winners[0]!];
  let left = samples[0]!;
  for (let i = 1; i < samples.length; i++) {
    const a = components[components.length - 1]!;
    if (winners[i] === a) {
      left = samples[i]!;
      continue;
    }
    // Bisect on a against the new winner b alone: the overall argmax can flip among components whose scores tie
    // to rounding (identical or near-identical ones), which is not the a -> b boundary and would misplace it.
    const b = winners[i]!;
    // Finite ends and a midpoint that cannot overflow: a far-out crossing (nearly equal means put roots near
    // 1e308) must not make lo + (hi - lo) / 2 infinite or NaN, which would never meet the stopping test.
    let lo = Math.max(left, -Number.MAX_VALUE);
    let hi = Math.min(samples[i]!, Number.MAX_VALUE);
    for (;;) {
      const mid = lo / 2 + hi / 2;
      if (!(mid > lo && mid < hi)) break;
      if (componentScore(s, a, mid) >= componentScore(s, b, mid)) lo = mid;
      else hi = mid;
    }
    thresholds.push(hi);
    components.push(winners[i]!);
    left = samples[i]!;
  }
  return { thresholds: Float64Array.from(thresholds), components: Uint16Array.from(components) };
}

/** Builds an `Assigner` for a mixture and rule; O(J^2) once, then about O(1) per weight (a bucket table over the regions). */
export function createAssigner(mixture: MixtureState, rule: AssignmentRule = 'map'): Assigner {
  validateMixture(mixture);
  if (rule !== 'map' && rule !== 'ml' && rule !== 'nearest') throw new QuantizeError('assignment', `is "${String(rule)}", expected "map", "ml" or "nearest"`);
  if (mixture.means.length > 65536) throw new QuantizeError('mixture', `has ${mixture.means.length} components, at most 65536 can be indexed`);
  const regions = buildRegions(scoresFor(mixture, rule));
  const t = regions.thresholds;
  const comp = regions.components;
  const nt = t.length;
  const assignOne = (w: number): number => {
    // Number of thresholds <= w, by binary search.
    let lo = 0;
    let hi = nt;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t[mid]! <= w) lo = mid + 1;
      else hi = mid;
    }
    return comp[lo]!;
  };
  // Bucket table over [t_0, t_last]: lut[b] = number of thresholds <= the bucket's left edge.
  const BUCKETS = 4096;
  const span = nt > 0 ? t[nt - 1]! - t[0]! : 0;
  const scale = span > 0 && Number.isFinite(BUCKETS / span) ? BUCKETS / span : 0;
  const lut = new Uint16Array(BUCKETS);
  if (nt > 0) {
    let r = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const edge = scale > 0 ? t[0]! + b / scale : t[0]!;
      while (r < nt && t[r]! <= edge) r++;
      lut[b] = r;
    }
  }
  return {
    rule,
    regions,
    assignOne(value: number): number {
      if (!Number.isFinite(value)) throw new QuantizeError('values', `value ${value} is not finite`);
      return assignOne(value);
    },
    assign(values: ArrayLike<number>, out?: Uint16Array): Uint16Array {
      const n = values.length;
      if (out !== undefined && out.length !== n) throw new QuantizeError('out', `has length ${out.length}, expected ${n} (one per value)`);
      const res = out ?? new Uint16Array(n);
      if (nt === 0) {
        for (let i = 0; i < n; i++) if (!Number.isFinite(values[i]!)) throw new QuantizeError('values', `element ${i} is ${values[i]}, expected a finite number`);
        res.fill(comp[0]!);
        return res;
      }
      const lo0 = t[0]!;
      const hiN = t[nt - 1]!;
      const c0 = comp[0]!;
      const cN = comp[nt]!;
      for (let i = 0; i < n; i++) {
        const w = values[i]!;
        if (w < lo0) {
          if (w === -Infinity) throw new QuantizeError('values', `element ${i} is ${w}, expected a finite number`);
          res[i] = c0;
        } else if (w >= hiN) {
          if (w === Infinity) throw new QuantizeError('values', `element ${i} is ${w}, expected a finite number`);
          res[i] = cN;
        } else if (w === w) {
          // Start from the bucket's count of thresholds, then step to the exact count (0 or 1 steps usually).
          let b = Math.floor((w - lo0) * scale);
          if (b >= BUCKETS) b = BUCKETS - 1;
          let r = lut[b]!;
          while (r > 0 && t[r - 1]! > w) r--;
          while (r < nt && t[r]! <= w) r++;
          res[i] = comp[r]!;
        } else throw new QuantizeError('values', `element ${i} is NaN, expected a finite number`);
      }
      return res;
    },
  };
}

/** Component index of every value under `rule` (default `map`); builds a throwaway `Assigner`. */
export function assignComponents(values: ArrayLike<number>, mixture: MixtureState, rule: AssignmentRule = 'map'): Uint16Array {
  return createAssigner(mixture, rule).assign(values);
}
