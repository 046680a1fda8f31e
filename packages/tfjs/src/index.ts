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
export {
  registerWasmTrainingKernels,
  type WasmTrainingKernelsOptions,
  type WasmTrainingKernelsReport,
} from './kernels/register.js';
export { useWasmBackend, wasmBackendStarted, wasmSharedHeap, type WasmBackendOptions, type WasmBackendInfo } from './wasm-threads.js';
export { toGraph, namedWeights, type ToGraphResult, type GraphWeight, type NamedWeight, type WeightRole } from './graph.js';
export { applyCompressed, fromCompressed, WeightMismatchError } from './apply.js';
export { lenet300100, lenet5Caffe, smallResNet, type ModelBuilderOptions, type SmallResNetOptions } from './models.js';
