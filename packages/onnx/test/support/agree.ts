// Exports a compressed model in a weight mode, runs it in onnxruntime-node and in tfjs, and reports agreement.
import type * as tf from '@tensorflow/tfjs';
import type { CompressedModel } from '@softweight/core';
import { toOnnx, type ToOnnxOptions } from '../../src/index.js';
import { randomInputs, tfjsPredict } from './models.js';
import { compare, ortPredict } from './ort.js';
import { checkOnnx } from './spec.js';

/** Agreement of one export with tfjs, per graph output. */
export interface Agreement {
  bytes: number;
  outputs: { name: string; maxAbs: number; argmaxMismatches: number }[];
}

/** The tfjs predictions for `count` seeded random inputs, computed once and shared by both weight modes. */
export function reference(model: CompressedModel, tfModel: tf.LayersModel, count: number, seed: number): { inputs: Float32Array[]; shapes: number[][]; expected: Float32Array[] } {
  const shapes = model.graph.inputs.map((i) => i.shape);
  const inputs = shapes.map((s, k) => randomInputs(s, count, seed + k));
  return { inputs, shapes, expected: tfjsPredict(tfModel, inputs, shapes, count) };
}

/** Exports with `options`, checks the file against the spec checker, runs it in onnxruntime and compares with `ref`. */
export async function agreement(model: CompressedModel, options: ToOnnxOptions, ref: ReturnType<typeof reference>, count: number): Promise<Agreement> {
  const bytes = toOnnx(model, options);
  checkOnnx(bytes);
  const got = await ortPredict(bytes, ref.inputs, ref.shapes, count);
  return {
    bytes: bytes.length,
    outputs: model.graph.outputs.map((name, i) => {
      const width = ref.expected[i]!.length / count;
      return { name, ...compare(ref.expected[i]!, got[i]!, width) };
    }),
  };
}
