// An independent float64 reference of the mixture prior, written differently from mixture.ts on purpose:
// log-space accumulation of the terms in sorted order (no max-subtract-then-sum), compensated sums,
// and gradients through the explicit Jacobian of log pi. It also returns the scale (sum of |terms|)
// of every gradient entry, which is what an absolute tolerance must be relative to when the entry is ~0.
import type { MixtureState } from '../mixture.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** log(sum exp(t)) by sorting descending and adding one term at a time in log space. */
export function logAddSorted(terms: readonly number[]): number {
  const t = [...terms].sort((a, b) => b - a);
  let acc = t[0]!;
  if (acc === -Infinity) return -Infinity;
  for (let k = 1; k < t.length; k++) acc += Math.log1p(Math.exp(t[k]! - acc));
  return acc;
}

/** Neumaier-compensated sum. */
export class Sum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

/** log pi_j for every component, from the definition pi = (1 - pi0) softmax(rho) with pi_zero = pi0. */
export function refLogPi(state: MixtureState): number[] {
  const J = state.means.length;
  if (J === 1) return [0];
  const free: number[] = [];
  for (let j = 0; j < J; j++) if (j !== state.zeroIndex) free.push(state.mixingLogits[j]!);
  const lse = logAddSorted(free);
  // 1 - pi0 is exact in float64 for pi0 in [0.5, 1) (Sterbenz), so log(1 - pi0) is as good as log1p(-pi0) there.
  const logRest = state.pi0 >= 0.5 ? Math.log(1 - state.pi0) : Math.log1p(-state.pi0);
  const out: number[] = [];
  for (let j = 0; j < J; j++) out.push(j === state.zeroIndex ? Math.log(state.pi0) : logRest + (state.mixingLogits[j]! - lse));
  return out;
}

/** softmax of the free logits s_k (0 at the zero component). */
export function refSoftmax(state: MixtureState): number[] {
  const J = state.means.length;
  const free: number[] = [];
  for (let j = 0; j < J; j++) if (j !== state.zeroIndex) free.push(state.mixingLogits[j]!);
  const lse = logAddSorted(free);
  const out: number[] = [];
  for (let j = 0; j < J; j++) out.push(j === state.zeroIndex ? 0 : Math.exp(state.mixingLogits[j]! - lse));
  return out;
}

/** log of pi_j N(w | mu_j, 1/lambda_j) for every j. */
export function refLogJoint(w: number, state: MixtureState, logPi: readonly number[]): number[] {
  const out: number[] = [];
  for (let j = 0; j < state.means.length; j++) {
    const gamma = state.logPrecisions[j]!;
    const d = w - state.means[j]!;
    out.push(logPi[j]! + 0.5 * (gamma - LOG_2PI - Math.exp(gamma) * d * d));
  }
  return out;
}

/** Per-weight log-density and responsibilities. */
export function refDensity(weights: ArrayLike<number>, state: MixtureState): { logp: number[]; resp: number[][] } {
  const logPi = refLogPi(state);
  const logp: number[] = [];
  const resp: number[][] = [];
  for (let i = 0; i < weights.length; i++) {
    const a = refLogJoint(weights[i]!, state, logPi);
    const l = logAddSorted(a);
    logp.push(l);
    resp.push(a.map((x) => Math.exp(x - l)));
  }
  return { logp, resp };
}

/** A gradient entry with the scale of its terms. */
export interface RefEntry {
  value: number;
  scale: number;
}

/** Reference gradients of sum_i log p(w_i), each with the sum of the absolute values of its terms. */
export interface RefGradients {
  logDensity: RefEntry;
  weights: RefEntry[];
  means: RefEntry[];
  logPrecisions: RefEntry[];
  mixingLogits: RefEntry[];
  pi0: RefEntry;
}

/** Gradients by the chain rule through the explicit Jacobian of log pi with respect to rho and pi0. */
export function refGradients(weights: ArrayLike<number>, state: MixtureState): RefGradients {
  const J = state.means.length;
  const z = state.zeroIndex;
  const { logp, resp } = refDensity(weights, state);
  const s = refSoftmax(state);
  const lambda = Array.from(state.logPrecisions, (g) => Math.exp(g));
  // dLogPi[m][k] = d log pi_m / d rho_k; dLogPiDPi0[m] = d log pi_m / d pi0.
  const dLogPi: number[][] = [];
  const dLogPiDPi0: number[] = [];
  for (let m = 0; m < J; m++) {
    const row: number[] = [];
    for (let k = 0; k < J; k++) row.push(m === z || k === z || J === 1 ? 0 : (m === k ? 1 : 0) - s[k]!);
    dLogPi.push(row);
    dLogPiDPi0.push(J === 1 ? 0 : m === z ? 1 / state.pi0 : -1 / (1 - state.pi0));
  }
  const entry = (terms: number[]): RefEntry => {
    const sum = new Sum();
    const abs = new Sum();
    for (const t of terms) {
      sum.add(t);
      abs.add(Math.abs(t));
    }
    return { value: sum.value, scale: abs.value };
  };
  const gw: RefEntry[] = [];
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    gw.push(entry(resp[i]!.map((r, j) => r * lambda[j]! * (state.means[j]! - w))));
  }
  const gmu: RefEntry[] = [];
  const ggamma: RefEntry[] = [];
  const grho: RefEntry[] = [];
  for (let j = 0; j < J; j++) {
    const tm: number[] = [];
    const tg: number[] = [];
    const tr: number[] = [];
    for (let i = 0; i < weights.length; i++) {
      const d = weights[i]! - state.means[j]!;
      const r = resp[i]!;
      if (j !== z) tm.push(r[j]! * lambda[j]! * d);
      // split 0.5 r (1 - lambda d^2) into its two terms so the scale reflects the cancellation.
      tg.push(0.5 * r[j]!, -0.5 * r[j]! * lambda[j]! * d * d);
      for (let m = 0; m < J; m++) if (dLogPi[m]![j] !== 0) tr.push(r[m]! * dLogPi[m]![j]!);
    }
    gmu.push(entry(tm));
    ggamma.push(entry(tg));
    grho.push(entry(tr));
  }
  const tp: number[] = [];
  for (let i = 0; i < weights.length; i++) for (let m = 0; m < J; m++) if (dLogPiDPi0[m] !== 0) tp.push(resp[i]![m]! * dLogPiDPi0[m]!);
  return {
    logDensity: entry(logp),
    weights: gw,
    means: gmu,
    logPrecisions: ggamma,
    mixingLogits: grho,
    pi0: entry(tp),
  };
}

/** A finite-difference derivative with its truncation-error estimate and its rounding floor. */
export interface FiniteDifference {
  /** The extrapolated derivative. */
  value: number;
  /** Ridders' estimate of the truncation error of `value`. */
  error: number;
  /**
   * Rounding floor of `value`: eps * |f| / (2h) at the steps used, carried through the extrapolation.
   * No finite difference of a float64 function resolves a derivative below it.
   */
  noise: number;
}

/**
 * Derivative of f at x by central differences with Richardson extrapolation over a shrinking step
 * (Ridders' scheme): a tableau of extrapolations of order h^2, h^4, ... whose best entry is kept, with
 * the tableau's own error estimate. `h` is the first (largest) step; the function must be smooth on [x-h, x+h].
 */
export function richardson(f: (x: number) => number, x: number, h: number, steps = 12): FiniteDifference {
  const shrink = 1.4;
  const s2 = shrink * shrink;
  let prev: number[] = [];
  let prevNoise: number[] = [];
  let best: FiniteDifference = { value: NaN, error: Infinity, noise: Infinity };
  let step = h;
  for (let i = 0; i < steps; i++) {
    // Use the step actually represented in floating point.
    const xp = x + step;
    const xm = x - step;
    const fp = f(xp);
    const fm = f(xm);
    const row: number[] = [(fp - fm) / (xp - xm)];
    // f is a sum of terms of about its own size plus O(1) ones (the log of the max-subtracted sum), each
    // rounded to a few ulps: 4 eps (|f| + 1) per evaluation is a safe bound on its rounding error.
    const noise: number[] = [(4 * Number.EPSILON * (Math.abs(fp) + Math.abs(fm) + 2)) / (xp - xm)];
    if (i === 0) best = { value: row[0]!, error: Infinity, noise: noise[0]! };
    let fac = s2;
    for (let k = 1; k <= i; k++) {
      row.push((row[k - 1]! * fac - prev[k - 1]!) / (fac - 1));
      noise.push((noise[k - 1]! * fac + prevNoise[k - 1]!) / (fac - 1));
      fac *= s2;
      const e = Math.max(Math.abs(row[k]! - row[k - 1]!), Math.abs(row[k]! - prev[k - 1]!));
      if (e <= best.error) best = { value: row[k]!, error: e, noise: noise[k]! };
    }
    // Higher orders stopped helping: rounding has taken over.
    if (i > 0 && Math.abs(row[i]! - prev[i - 1]!) >= 2 * best.error) break;
    prev = row;
    prevNoise = noise;
    step /= shrink;
  }
  return best;
}

/**
 * `richardson` from several first steps (for functions whose smooth scale is not known in advance).
 * Ridders' own error estimate is optimistic when the first step is too large, so each result is also
 * scored by its distance to the closest result from another first step: two runs that agree are trusted.
 */
export function richardsonMulti(f: (x: number) => number, x: number, steps: readonly number[]): FiniteDifference {
  const runs = steps.filter((h) => h > 0 && Number.isFinite(h)).map((h) => richardson(f, x, h));
  if (runs.length < 2) throw new Error('richardsonMulti: needs at least two valid first steps');
  let best: FiniteDifference | null = null;
  let bestScore = Infinity;
  for (const r of runs) {
    let closest = Infinity;
    for (const o of runs) if (o !== r) closest = Math.min(closest, Math.abs(o.value - r.value));
    const score = Math.max(r.error + r.noise, closest);
    if (best === null || score < bestScore) {
      best = r;
      bestScore = score;
    }
  }
  return best!;
}
