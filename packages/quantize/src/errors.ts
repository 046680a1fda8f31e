// The error @softweight/quantize throws for bad input: it names the tensor or option and says what to do.
import { SoftweightError } from '@softweight/core';

/** Input to quantize, compressionReport or deepCompressionBaseline is unusable; `subject` names the tensor or option. */
export class QuantizeError extends SoftweightError {
  /** The tensor name or option (e.g. `covered`, `sparsity`) the problem was found at. */
  readonly subject: string;
  constructor(subject: string, message: string) {
    super('QUANTIZE_INVALID', `${subject}: ${message}`);
    this.subject = subject;
  }
}
