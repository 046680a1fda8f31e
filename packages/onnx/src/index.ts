// @softweight/onnx: export softweight compressed models to ONNX (dense or codebook weights), isomorphic.
export {
  toOnnx,
  PRODUCER_NAME,
  PRODUCER_VERSION,
  SUPPORTED_NODE_KINDS,
  SUPPORTED_ACTIVATIONS,
  type ToOnnxOptions,
  type WeightMode,
} from './export.js';
export { OnnxExportError } from './errors.js';
export { DEFAULT_OPSET, SUPPORTED_OPSETS, IR_VERSION_BY_OPSET } from './versions.js';
