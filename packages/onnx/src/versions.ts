// Which ONNX IR version goes with which ai.onnx opset, as in the ONNX release table.

/**
 * IR version of the ONNX release that introduced each supported opset (ONNX 1.8 = opset 13 = IR 7, ...,
 * ONNX 1.16 = opset 21 = IR 10). A file must declare the IR version its opset was released with.
 */
export const IR_VERSION_BY_OPSET: Readonly<Record<number, number>> = Object.freeze({
  13: 7,
  14: 7,
  15: 8,
  16: 8,
  17: 8,
  18: 8,
  19: 9,
  20: 9,
  21: 10,
});

/** The opset `toOnnx` writes unless told otherwise: the oldest one with every operator form we use. */
export const DEFAULT_OPSET = 13;

/** Opsets `toOnnx` can target. Every operator we emit has the same signature from 13 to 21. */
export const SUPPORTED_OPSETS: readonly number[] = Object.keys(IR_VERSION_BY_OPSET).map(Number);
