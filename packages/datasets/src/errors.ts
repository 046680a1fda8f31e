// The datasets package's typed error: it names the file (or option) at fault and, for size problems, both sizes.
import { SoftweightError } from '@softweight/core';

/** Details a `DatasetError` may carry besides its message. */
export interface DatasetErrorDetails {
  /** Bytes the file should have, from its header (after gunzip for `.gz` files). */
  expectedBytes?: number;
  /** Bytes it has (after gunzip for `.gz` files). */
  actualBytes?: number;
  /** The underlying error (an fs or zlib failure). */
  cause?: unknown;
}

/** A dataset file is missing, truncated, compressed wrongly or not an IDX file of the expected kind; or an option is out of range. */
export class DatasetError extends SoftweightError {
  /** Path (or name) of the file at fault; `null` when the problem is an option or an argument. */
  readonly file: string | null;
  /** Expected size in bytes, for truncated or oversized files. */
  readonly expectedBytes: number | undefined;
  /** Actual size in bytes, for truncated or oversized files. */
  readonly actualBytes: number | undefined;
  constructor(file: string | null, message: string, details: DatasetErrorDetails = {}) {
    super('DATASET_INVALID', file === null ? message : `${file}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.file = file;
    this.expectedBytes = details.expectedBytes;
    this.actualBytes = details.actualBytes;
  }
}
