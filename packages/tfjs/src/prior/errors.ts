// The error the prior throws: names the option, layer or weight that was wrong and what to do.
import { SoftweightError } from '@softweight/core';

/** A prior option, attachment, state or checkpoint problem; `subject` names the option, layer or weight. */
export class PriorError extends SoftweightError {
  /** The option, layer, weight or checkpoint field the problem was found at. */
  readonly subject: string;
  constructor(subject: string, message: string) {
    super('PRIOR_INVALID', `prior ${subject}: ${message}`);
    this.subject = subject;
  }
}
