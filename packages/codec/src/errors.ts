// The one error the .sws decoder throws for bad input: it names the section and field that failed.
import { SoftweightError } from '@softweight/core';

/** Names of the parts of a `.sws` file an error can point at. */
export type SwsSection = 'header' | 'head' | 'graph' | 'metadata' | 'data' | 'model' | 'options';

/**
 * A `.sws` file is malformed, truncated or corrupted (or a model cannot be stored). `section` is the part
 * of the file and `field` the value inside it that failed, e.g. `data` / `quantized "fc1/kernel" indices.rans.state`.
 */
export class SwsFormatError extends SoftweightError {
  /** The file section the problem was found in. */
  readonly section: SwsSection;
  /** The field inside the section, as a path. */
  readonly field: string;
  constructor(section: SwsSection, field: string, message: string, options?: { cause?: unknown }) {
    super('SWS_FORMAT', `.sws ${section} ${field}: ${message}`, options);
    this.section = section;
    this.field = field;
  }
}
