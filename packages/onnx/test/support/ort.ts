// Runs ONNX bytes in onnxruntime-node and compares with tfjs.
import * as ort from 'onnxruntime-node';

/** Runs the model on one batch of NHWC inputs; returns each graph output's flat values, in graph output order. */
export async function ortPredict(bytes: Uint8Array, inputs: Float32Array[], shapes: number[][], batch: number): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    session.inputNames.forEach((name, i) => {
      feeds[name] = new ort.Tensor('float32', inputs[i]!, [batch, ...shapes[i]!]);
    });
    const result = await session.run(feeds);
    return session.outputNames.map((n) => Float32Array.from(result[n]!.data as Float32Array));
  } finally {
    await session.release();
  }
}

/** Max absolute difference and the number of rows whose argmax differs (rows of `width` values). */
export function compare(a: Float32Array, b: Float32Array, width: number): { maxAbs: number; argmaxMismatches: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
  let argmaxMismatches = 0;
  for (let r = 0; r < a.length / width; r++) {
    let ia = 0;
    let ib = 0;
    for (let k = 1; k < width; k++) {
      if (a[r * width + k]! > a[r * width + ia]!) ia = k;
      if (b[r * width + k]! > b[r * width + ib]!) ib = k;
    }
    if (ia !== ib) argmaxMismatches++;
  }
  return { maxAbs, argmaxMismatches };
}
