// Typed errors shared by every softweight package: each names what was wrong and where.

/** Base class of every error softweight throws on purpose; `code` is stable for programs to test. */
export class SoftweightError extends Error {
  /** A stable, machine-readable error code, e.g. `GRAPH_INVALID`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A `ModelGraph` is malformed: a dangling input, a missing weight, a shape that does not fit. */
export class GraphValidationError extends SoftweightError {
  /** The node (or graph input/output) the problem was found at. */
  readonly node: string;
  constructor(node: string, message: string) {
    super('GRAPH_INVALID', `graph node "${node}": ${message}`);
    this.node = node;
  }
}

/** A `CompressedModel` is inconsistent: an index outside its codebook, a tensor with the wrong size. */
export class CompressedModelError extends SoftweightError {
  /** The tensor or codebook the problem was found at. */
  readonly tensor: string;
  constructor(tensor: string, message: string) {
    super('COMPRESSED_MODEL_INVALID', `tensor "${tensor}": ${message}`);
    this.tensor = tensor;
  }
}

/** A `MixtureState` or mixture option is invalid (wrong lengths, non-finite values, pi0 outside (0, 1)). */
export class MixtureError extends SoftweightError {
  /** The field that was wrong, e.g. `means` or `pi0`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super('MIXTURE_INVALID', `mixture ${field}: ${message}`);
    this.field = field;
  }
}

/** A model contains layers softweight cannot represent or export; lists every one of them. */
export class UnsupportedLayerError extends SoftweightError {
  /** Every unsupported layer, by name and kind (class name). */
  readonly layers: ReadonlyArray<{ name: string; kind: string }>;
  constructor(layers: ReadonlyArray<{ name: string; kind: string }>, context = 'softweight') {
    const list = layers.map((l) => `"${l.name}" (${l.kind})`).join(', ');
    super('UNSUPPORTED_LAYER', `${context} does not support ${layers.length === 1 ? 'layer' : 'layers'} ${list}`);
    this.layers = layers;
  }
}
