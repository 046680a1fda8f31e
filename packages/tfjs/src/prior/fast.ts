// The mixture log-prior and all its gradients over many float32 weights in plain JS: cubic Hermite tables on a fine grid.
//
// The kernel itself (method, error bound) is in kernel.ts; this file prepares mixtures and derives the
// mixing-proportion gradients.
import { logMixingProportions, type MixtureState } from '@softweight/core';
import { PriorError } from './errors.js';
import { INTERPOLATE_WASM_BASE64 } from './interpolate-wasm.js';
import { decodeBase64 } from '../base64.js';
import { createPriorKernel, type PreparedMixture, type PriorMethod, type MixturePriorTermsFn, type MixturePriorTermsSharedFn } from './kernel.js';

export type { PreparedMixture, PriorTerms, PriorTermsOptions, PriorMethod, SharedPriorTermsOptions } from './kernel.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** The compiled per-weight loop (interpolate.wat) as bytes, for this thread's kernel and the worker's. */
export const interpolateWasmBytes: Uint8Array = decodeBase64(INTERPOLATE_WASM_BASE64);

const kernel = createPriorKernel((subject, message) => new PriorError(subject, message), interpolateWasmBytes);

/** The log-prior of one weight tensor and everything its gradients need, in one pass (see kernel.ts). */
export const mixturePriorTerms: MixturePriorTermsFn = kernel.mixturePriorTerms;

/** The log-prior of several tensors under one mixture, from one table over all their weights (see kernel.ts). */
export const mixturePriorTermsShared: MixturePriorTermsSharedFn = kernel.mixturePriorTermsShared;

/** Whether this thread's kernel runs its per-weight loop in WebAssembly (false: the JS loop, where wasm is unavailable). */
export const kernelUsesWasm: boolean = kernel.usesWasm;

/** Precomputes precisions and log normalisers of a mixture state. */
export function prepareMixture(state: MixtureState): PreparedMixture {
  const J = state.means.length;
  const logPi = logMixingProportions(state);
  const precisions = new Float64Array(J);
  const logNorm = new Float64Array(J);
  for (let j = 0; j < J; j++) {
    const gamma = state.logPrecisions[j]!;
    precisions[j] = Math.exp(gamma);
    logNorm[j] = logPi[j]! + 0.5 * gamma - HALF_LOG_2PI;
  }
  return { count: J, means: Float64Array.from(state.means), precisions, logNorm };
}

/** Gradients of sum_i log p(w_i) like core's `priorGradients`, computed by the fast kernel (weight gradient in float32). */
export interface FastPriorGradients {
  /** sum_i log p(w_i). */
  logDensity: number;
  /** d/dw_i. */
  weights: Float32Array;
  /** d/dmu_j (0 for the zero component). */
  means: Float64Array;
  /** d/dgamma_j. */
  logPrecisions: Float64Array;
  /** d/drho_j (0 at `zeroIndex`). */
  mixingLogits: Float64Array;
  /** d/dpi0. */
  pi0: number;
}

/** Mixing-logit and pi0 gradients from the total responsibilities (the formulas of core's `priorGradients`). */
export function proportionGradients(
  state: MixtureState,
  responsibility: Float64Array,
): { mixingLogits: Float64Array; pi0: number } {
  const J = state.means.length;
  const z = state.zeroIndex;
  const mixingLogits = new Float64Array(J);
  if (J === 1) return { mixingLogits, pi0: 0 };
  let rest = 0;
  for (let j = 0; j < J; j++) if (j !== z) rest += responsibility[j]!;
  let max = -Infinity;
  for (let j = 0; j < J; j++) if (j !== z && state.mixingLogits[j]! > max) max = state.mixingLogits[j]!;
  let sum = 0;
  for (let j = 0; j < J; j++) if (j !== z) sum += Math.exp(state.mixingLogits[j]! - max);
  for (let j = 0; j < J; j++) {
    if (j === z) continue;
    const share = Math.exp(state.mixingLogits[j]! - max) / sum;
    mixingLogits[j] = responsibility[j]! - share * rest;
  }
  const pi0 = responsibility[z]! / state.pi0 - rest / (1 - state.pi0);
  return { mixingLogits, pi0 };
}

/** The log-prior of `weights` and its gradients w.r.t. weights, means, log-precisions, logits and pi0 (fast kernel). */
export function fastPriorGradients(
  weights: Float32Array,
  state: MixtureState,
  options: { method?: PriorMethod } = {},
): FastPriorGradients {
  const terms = mixturePriorTerms(weights, prepareMixture(state), { method: options.method ?? 'auto' });
  terms.means[state.zeroIndex] = 0;
  const { mixingLogits, pi0 } = proportionGradients(state, terms.responsibility);
  return {
    logDensity: terms.logDensity,
    weights: terms.gradient,
    means: terms.means,
    logPrecisions: terms.logPrecisions,
    mixingLogits,
    pi0,
  };
}
