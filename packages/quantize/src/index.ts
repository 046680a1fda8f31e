// @softweight/quantize: merge, assign and prune a mixture-trained model, and the paper's compression accounting.
export { QuantizeError } from './errors.js';
export { type WeightTensor, type WeightMap, type QuantizeInput } from './input.js';
export {
  DEFAULT_MERGE_THRESHOLD,
  mergeComponents,
  type MergeDivergence,
  type MergeOptions,
  type MergedComponent,
  type MergeReport,
  type MergeResult,
} from './merge.js';
export { createAssigner, assignComponents, decisionRegions, type AssignmentRule, type Assigner, type DecisionRegions } from './assign.js';
export { dequantize } from '@softweight/core';
export { quantize, type QuantizeOptions, type QuantizeResult, type WeightError } from './quantize.js';
export { huffmanCodeLengths, huffmanBits, entropyBits } from '@softweight/core';
export {
  compressionReport,
  matrixLayoutOf,
  scanOrder,
  sparseStreams,
  type CompressionReportOptions,
  type MatrixLayout,
  type SparseStreams,
} from './report.js';
export { deepCompressionBaseline, type DeepCompressionOptions, type DeepCompressionResult, type BaselineGroup } from './baseline.js';
