// The Gaussian-mixture prior in float64 over typed arrays: the reference every other package tests against.
import { MixtureError } from './errors.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The learnable state of the mixture prior (PAPER.md section 2). All arrays have length J (components).
 * Component `zeroIndex` is the zero component: its mean is fixed at exactly 0 and its proportion is `pi0`.
 * The other components' proportions are `(1 - pi0) * softmax(mixingLogits over j != zeroIndex)`;
 * `mixingLogits[zeroIndex]` is ignored (keep it 0).
 */
export interface MixtureState {
  /** Component means mu_j; `means[zeroIndex] === 0`. */
  means: Float64Array;
  /** Log-precisions gamma_j = log(1 / sigma_j^2). */
  logPrecisions: Float64Array;
  /** Mixing logits rho_j of the non-zero components (entry `zeroIndex` unused). */
  mixingLogits: Float64Array;
  /** Index of the zero component (0 by convention). */
  zeroIndex: number;
  /** Mixing proportion of the zero component, in (0, 1). */
  pi0: number;
  /** Whether pi0 is learned (under an optional Beta hyper-prior) or fixed. */
  learnPi0: boolean;
}

/** Gamma(alpha, beta) hyper-prior on a precision lambda: `-log p = (1 - alpha) log lambda + beta lambda + const`. */
export interface GammaPrior {
  /** Shape alpha. */
  alpha: number;
  /** Rate beta. */
  beta: number;
}

/** Beta(a, b) hyper-prior on pi0: `log p = (a - 1) log pi0 + (b - 1) log(1 - pi0) + const`. */
export interface BetaPrior {
  /** First shape parameter. */
  a: number;
  /** Second shape parameter. */
  b: number;
}

/** Hyper-priors of the mixture (PAPER.md section 3); `null` switches one off. */
export interface HyperPriors {
  /** Gamma prior on the zero component's precision (tutorial: alpha 5000, beta 2). */
  zero: GammaPrior | null;
  /** Gamma prior on every other component's precision (tutorial: alpha 250, beta 0.1). */
  others: GammaPrior | null;
  /** Beta prior on pi0 when it is learned. */
  pi0: BetaPrior | null;
}

/** The tutorial's hyper-priors: zero Gamma(5000, 2), others Gamma(250, 0.1), no Beta prior. */
export const DEFAULT_HYPER_PRIORS: HyperPriors = {
  zero: { alpha: 5000, beta: 2 },
  others: { alpha: 250, beta: 0.1 },
  pi0: null,
};

/** Options of `initMixture` (PAPER.md section 4, "Initialisation"). */
export interface InitMixtureOptions {
  /** Number of components J including the zero component (default 17). */
  components?: number;
  /** Zero component proportion (default 0.999). */
  pi0?: number;
  /** Initial standard deviation of every component (default 0.25). */
  sigma?: number;
  /** Whether pi0 is learned (default false). */
  learnPi0?: boolean;
}

/** Number of components J of a mixture. */
export function componentCount(state: MixtureState): number {
  return state.means.length;
}

/** Checks lengths, finiteness, the zero component and pi0; throws `MixtureError` naming the field. */
export function validateMixture(state: MixtureState): void {
  const J = state.means.length;
  if (J < 1) throw new MixtureError('means', 'needs at least one component');
  if (state.logPrecisions.length !== J) throw new MixtureError('logPrecisions', `has length ${state.logPrecisions.length}, expected ${J} (one per component)`);
  if (state.mixingLogits.length !== J) throw new MixtureError('mixingLogits', `has length ${state.mixingLogits.length}, expected ${J} (one per component)`);
  if (!Number.isInteger(state.zeroIndex) || state.zeroIndex < 0 || state.zeroIndex >= J) {
    throw new MixtureError('zeroIndex', `is ${state.zeroIndex}, expected an integer in [0, ${J - 1}]`);
  }
  if (state.means[state.zeroIndex] !== 0) throw new MixtureError('means', `zero component ${state.zeroIndex} has mean ${state.means[state.zeroIndex]}, expected exactly 0`);
  if (!(state.pi0 > 0 && state.pi0 < 1) && !(J === 1 && state.pi0 === 1)) throw new MixtureError('pi0', `is ${state.pi0}, expected a value in (0, 1)`);
  for (const field of ['means', 'logPrecisions', 'mixingLogits'] as const) {
    const arr = state[field];
    for (let j = 0; j < J; j++) {
      if (!Number.isFinite(arr[j])) throw new MixtureError(field, `component ${j} is ${arr[j]}, expected a finite number`);
    }
  }
}

/** Initial mixture from pretrained weights: free means evenly spaced over [min w, max w], equal sigma and proportions. */
export function initMixture(weights: ArrayLike<number>, options: InitMixtureOptions = {}): MixtureState {
  const J = options.components ?? 17;
  const pi0 = options.pi0 ?? 0.999;
  const sigma = options.sigma ?? 0.25;
  if (!Number.isInteger(J) || J < 2) throw new MixtureError('components', `is ${J}, expected an integer >= 2`);
  if (!(pi0 > 0 && pi0 < 1)) throw new MixtureError('pi0', `is ${pi0}, expected a value in (0, 1)`);
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new MixtureError('sigma', `is ${sigma}, expected a positive number`);
  if (weights.length === 0) throw new MixtureError('weights', 'no weights to initialise the mixture from');
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!Number.isFinite(w)) throw new MixtureError('weights', `weight ${i} is ${w}, expected a finite number`);
    if (w < lo) lo = w;
    if (w > hi) hi = w;
  }
  const means = new Float64Array(J);
  const free = J - 1;
  for (let k = 0; k < free; k++) means[k + 1] = free === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * k) / (free - 1);
  // A free mean that lands on exactly 0 would duplicate the zero component; nudge it off.
  for (let k = 1; k < J; k++) if (means[k] === 0) means[k] = (hi - lo) * 1e-3 || 1e-3;
  const logPrecisions = new Float64Array(J).fill(-2 * Math.log(sigma));
  return { means, logPrecisions, mixingLogits: new Float64Array(J), zeroIndex: 0, pi0, learnPi0: options.learnPi0 ?? false };
}

/** Mixing proportions pi_j of every component (sum 1); the zero component gets pi0. */
export function mixingProportions(state: MixtureState): Float64Array {
  const J = state.means.length;
  const pi = new Float64Array(J);
  if (J === 1) {
    pi[0] = 1;
    return pi;
  }
  let max = -Infinity;
  for (let j = 0; j < J; j++) if (j !== state.zeroIndex && state.mixingLogits[j]! > max) max = state.mixingLogits[j]!;
  let sum = 0;
  for (let j = 0; j < J; j++) if (j !== state.zeroIndex) sum += Math.exp(state.mixingLogits[j]! - max);
  for (let j = 0; j < J; j++) {
    pi[j] = j === state.zeroIndex ? state.pi0 : ((1 - state.pi0) * Math.exp(state.mixingLogits[j]! - max)) / sum;
  }
  return pi;
}

/** log pi_j of every component, computed without forming pi (accurate for pi0 near 1). */
export function logMixingProportions(state: MixtureState): Float64Array {
  const J = state.means.length;
  const out = new Float64Array(J);
  if (J === 1) return out;
  let max = -Infinity;
  for (let j = 0; j < J; j++) if (j !== state.zeroIndex && state.mixingLogits[j]! > max) max = state.mixingLogits[j]!;
  let sum = 0;
  for (let j = 0; j < J; j++) if (j !== state.zeroIndex) sum += Math.exp(state.mixingLogits[j]! - max);
  const logRest = Math.log1p(-state.pi0);
  const lse = max + Math.log(sum);
  for (let j = 0; j < J; j++) out[j] = j === state.zeroIndex ? Math.log(state.pi0) : logRest + state.mixingLogits[j]! - lse;
  return out;
}

/** Per-component log-joint a_j(w) = log pi_j + log N(w | mu_j, 1/lambda_j), written into `out`. */
function componentLogJoint(w: number, state: MixtureState, logPi: Float64Array, out: Float64Array): number {
  let max = -Infinity;
  for (let j = 0; j < out.length; j++) {
    const g = state.logPrecisions[j]!;
    const d = w - state.means[j]!;
    const a = logPi[j]! + 0.5 * g - HALF_LOG_2PI - 0.5 * Math.exp(g) * d * d;
    out[j] = a;
    if (a > max) max = a;
  }
  return max;
}

/** log p(w_i) for every weight: a max-subtracted logsumexp over the components. */
export function logMixtureDensity(weights: ArrayLike<number>, state: MixtureState): Float64Array {
  const J = state.means.length;
  const logPi = logMixingProportions(state);
  const a = new Float64Array(J);
  const out = new Float64Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const max = componentLogJoint(weights[i]!, state, logPi, a);
    let s = 0;
    for (let j = 0; j < J; j++) s += Math.exp(a[j]! - max);
    out[i] = max + Math.log(s);
  }
  return out;
}

/** sum_i log p(w_i): the prior's log-density of a set of weights (without hyper-priors). */
export function priorLogDensity(weights: ArrayLike<number>, state: MixtureState): number {
  const d = logMixtureDensity(weights, state);
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]!;
  return s;
}

/** Responsibilities r_ij = pi_j N(w_i | mu_j) / p(w_i), row-major `[weights.length, J]`. */
export function responsibilities(weights: ArrayLike<number>, state: MixtureState): Float64Array {
  const J = state.means.length;
  const logPi = logMixingProportions(state);
  const a = new Float64Array(J);
  const out = new Float64Array(weights.length * J);
  for (let i = 0; i < weights.length; i++) {
    const max = componentLogJoint(weights[i]!, state, logPi, a);
    let s = 0;
    for (let j = 0; j < J; j++) s += Math.exp(a[j]! - max);
    for (let j = 0; j < J; j++) out[i * J + j] = Math.exp(a[j]! - max) / s;
  }
  return out;
}

/** Index of the most responsible component (MAP, with the true log pi) for every weight. */
export function mapAssign(weights: ArrayLike<number>, state: MixtureState): Uint16Array {
  const J = state.means.length;
  if (J > 65536) throw new MixtureError('means', `has ${J} components, at most 65536 can be indexed`);
  const logPi = logMixingProportions(state);
  const a = new Float64Array(J);
  const out = new Uint16Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    componentLogJoint(weights[i]!, state, logPi, a);
    let best = 0;
    for (let j = 1; j < J; j++) if (a[j]! > a[best]!) best = j;
    out[i] = best;
  }
  return out;
}

/** Gradients of sum_i log p(w_i) (the log-prior, not the loss: negate for descent). */
export interface PriorGradients {
  /** sum_i log p(w_i). */
  logDensity: number;
  /** d/dw_i, one per weight. */
  weights: Float64Array;
  /** d/dmu_j (0 for the zero component, whose mean is fixed). */
  means: Float64Array;
  /** d/dgamma_j. */
  logPrecisions: Float64Array;
  /** d/drho_j (0 at `zeroIndex`). */
  mixingLogits: Float64Array;
  /** d/dpi0 (of the log-density; meaningful when pi0 is learned). */
  pi0: number;
}

/** The log-prior and its gradient with respect to weights, means, log-precisions, mixing logits and pi0. */
export function priorGradients(weights: ArrayLike<number>, state: MixtureState): PriorGradients {
  const J = state.means.length;
  const z = state.zeroIndex;
  const logPi = logMixingProportions(state);
  const lambda = new Float64Array(J);
  for (let j = 0; j < J; j++) lambda[j] = Math.exp(state.logPrecisions[j]!);
  const a = new Float64Array(J);
  const r = new Float64Array(J);
  const gw = new Float64Array(weights.length);
  const gmu = new Float64Array(J);
  const ggamma = new Float64Array(J);
  const rSum = new Float64Array(J);
  let restSum = 0; // sum_i (1 - r_i0)
  let logDensity = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    const max = componentLogJoint(w, state, logPi, a);
    let s = 0;
    for (let j = 0; j < J; j++) s += Math.exp(a[j]! - max);
    logDensity += max + Math.log(s);
    let g = 0;
    let rest = 0;
    for (let j = 0; j < J; j++) {
      const rj = Math.exp(a[j]! - max) / s;
      r[j] = rj;
      const d = w - state.means[j]!;
      g -= rj * lambda[j]! * d;
      gmu[j] += rj * lambda[j]! * d;
      ggamma[j] += rj * (0.5 - 0.5 * lambda[j]! * d * d);
      rSum[j] += rj;
      if (j !== z) rest += rj;
    }
    gw[i] = g;
    restSum += rest;
  }
  gmu[z] = 0;
  const gLogits = new Float64Array(J);
  if (J > 1) {
    // log pi_k = log(1 - pi0) + rho_k - lse(rho): d/drho_k sum_i log p = sum_i r_ik - s_k * sum_i (1 - r_i0).
    const pi = mixingProportions(state);
    for (let k = 0; k < J; k++) if (k !== z) gLogits[k] = rSum[k]! - (pi[k]! / (1 - state.pi0)) * restSum;
  }
  const gPi0 = J > 1 ? rSum[z]! / state.pi0 - restSum / (1 - state.pi0) : 0;
  return { logDensity, weights: gw, means: gmu, logPrecisions: ggamma, mixingLogits: gLogits, pi0: gPi0 };
}

/** log p(theta) of the hyper-priors (up to constants) and its gradient w.r.t. log-precisions and pi0. */
export function hyperPriorLogDensity(
  state: MixtureState,
  hyper: HyperPriors,
): { logDensity: number; logPrecisions: Float64Array; pi0: number } {
  const J = state.means.length;
  const grad = new Float64Array(J);
  let logDensity = 0;
  for (let j = 0; j < J; j++) {
    const prior = j === state.zeroIndex ? hyper.zero : hyper.others;
    if (prior === null) continue;
    const g = state.logPrecisions[j]!;
    const lambda = Math.exp(g);
    // log p(lambda) = (alpha - 1) log lambda - beta lambda, with log lambda = gamma.
    logDensity += (prior.alpha - 1) * g - prior.beta * lambda;
    grad[j] = prior.alpha - 1 - prior.beta * lambda;
  }
  let gPi0 = 0;
  if (state.learnPi0 && hyper.pi0 !== null) {
    const { a, b } = hyper.pi0;
    logDensity += (a - 1) * Math.log(state.pi0) + (b - 1) * Math.log1p(-state.pi0);
    gPi0 = (a - 1) / state.pi0 - (b - 1) / (1 - state.pi0);
  }
  return { logDensity, logPrecisions: grad, pi0: gPi0 };
}

/** KL(N(mu1, var1) || N(mu2, var2)) between two univariate Gaussians, in nats. */
export function gaussianKL(mu1: number, var1: number, mu2: number, var2: number): number {
  const d = mu1 - mu2;
  // log(var2/var1) + var1/var2 - 1 = x - log1p(x) with x = var1/var2 - 1. Written naively it cancels to
  // ~1e-16 absolute, i.e. a relative error of 1e-6 at the merge threshold (KL ~ 1e-10) of nearly equal
  // components, so small x goes through the series x^2/2 - x^3/3 + ... instead (12 terms: exact to eps for |x| < 0.01).
  const x = (var1 - var2) / var2;
  let varTerm: number;
  if (Math.abs(x) < 0.01) {
    varTerm = 0;
    let p = x;
    for (let k = 2; k <= 12; k++) {
      p *= -x;
      varTerm += p / k;
    }
    varTerm = -varTerm;
  } else {
    varTerm = Math.log(var2 / var1) + var1 / var2 - 1;
  }
  return 0.5 * (varTerm + (d * d) / var2);
}

/** One mixture component in moment form. */
export interface ComponentMoments {
  /** Mixing proportion. */
  pi: number;
  /** Mean. */
  mean: number;
  /** Variance sigma^2. */
  variance: number;
}

/**
 * Moment-matched merge of components (PAPER.md section 5): pi = sum pi, mu = sum(pi mu)/pi,
 * sigma^2 = sum(pi sigma^2)/pi. Pass `keepZeroMean` when the group holds the zero component.
 */
export function mergeMoments(components: readonly ComponentMoments[], keepZeroMean = false): ComponentMoments {
  if (components.length === 0) throw new MixtureError('components', 'cannot merge an empty group');
  let pi = 0;
  let m = 0;
  let v = 0;
  for (const c of components) {
    pi += c.pi;
    m += c.pi * c.mean;
    v += c.pi * c.variance;
  }
  if (pi === 0) {
    // Proportions that underflowed to 0 would make the weighted average 0/0: weigh the members equally.
    m = 0;
    v = 0;
    for (const c of components) {
      m += c.mean;
      v += c.variance;
    }
    return { pi, mean: keepZeroMean ? 0 : m / components.length, variance: v / components.length };
  }
  return { pi, mean: keepZeroMean ? 0 : m / pi, variance: v / pi };
}

/** Deep copy of a mixture state (typed arrays copied). */
export function cloneMixture(state: MixtureState): MixtureState {
  return {
    means: Float64Array.from(state.means),
    logPrecisions: Float64Array.from(state.logPrecisions),
    mixingLogits: Float64Array.from(state.mixingLogits),
    zeroIndex: state.zeroIndex,
    pi0: state.pi0,
    learnPi0: state.learnPi0,
  };
}
