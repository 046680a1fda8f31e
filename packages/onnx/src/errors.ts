// The error @softweight/onnx throws when an export request itself is wrong (bad opset, clashing names).
import { SoftweightError } from '@softweight/core';

/** `toOnnx` options or a model property make the export impossible; `field` names the culprit. */
export class OnnxExportError extends SoftweightError {
  /** The option, graph input/output or tensor the problem was found at, e.g. `opset` or `names.logits`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super('ONNX_EXPORT', `ONNX export, ${field}: ${message}`);
    this.field = field;
  }
}
