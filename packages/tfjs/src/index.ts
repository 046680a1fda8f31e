// @softweight/tfjs: work in progress (see its issue).
export {
  GaussianMixturePrior,
  resolvePriorOptions,
  type GaussianMixturePriorOptions,
  type ResolvedPriorOptions,
  type PriorLearningRates,
  type TauWarmup,
  type CoveredWeight,
  type PriorLossTerms,
  type PriorCheckpoint,
} from './prior/prior.js';
export { GaussianMixtureRegularizer, type RegularizerOrigin } from './prior/regularizer.js';
export { PriorError } from './prior/errors.js';
export { fastPriorGradients, type FastPriorGradients, type PriorMethod } from './prior/fast.js';
export { type AdamSettings } from './prior/adam.js';
