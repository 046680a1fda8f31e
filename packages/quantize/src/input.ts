// The model input shared by quantize and the Deep Compression baseline: graph, named float32 weights, covered names.
import { nodeWeightNames, shapeSize, validateGraph, type ModelGraph } from '@softweight/core';
import { QuantizeError } from './errors.js';

/** One named weight tensor in tfjs layout (dense `[in, out]`, conv HWIO), row-major float32 values. */
export interface WeightTensor {
  /** Shape in tfjs layout. */
  shape: readonly number[];
  /** Row-major values, `values.length === product(shape)`. */
  values: Float32Array;
}

/** Weight tensors by name, as a `Map` or a plain object. */
export type WeightMap = ReadonlyMap<string, WeightTensor> | Readonly<Record<string, WeightTensor>>;

/** A model to compress: its graph, every weight the graph references, and which of them the prior covered. */
export interface QuantizeInput {
  /** The network's structure; every weight it references must be in `weights`. */
  graph: ModelGraph;
  /** Weight tensors by name. Entries the graph does not reference are ignored. */
  weights: WeightMap;
  /**
   * Names of the tensors the mixture prior covered (usually the dense and conv kernels): these are
   * quantized. Every other tensor the graph references (biases, batch-norm) passes through in float32.
   */
  covered: readonly string[];
}

/** The input, checked and in graph order. */
export interface ResolvedInput {
  /** Every tensor the graph references, in graph order, each once. */
  tensors: { name: string; shape: number[]; values: Float32Array; covered: boolean }[];
}

function lookup(weights: WeightMap, name: string): WeightTensor | undefined {
  if (weights instanceof Map) return (weights as ReadonlyMap<string, WeightTensor>).get(name);
  const rec = weights as Readonly<Record<string, WeightTensor>>;
  return Object.prototype.hasOwnProperty.call(rec, name) ? rec[name] : undefined;
}

/** Checks the input (graph against weight shapes, covered names, finite covered values) and orders it. */
export function resolveInput(input: QuantizeInput): ResolvedInput {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const node of input.graph.nodes) {
    for (const name of nodeWeightNames(node)) {
      if (!seen.has(name)) {
        seen.add(name);
        names.push(name);
      }
    }
  }
  const covered = new Set<string>();
  for (const name of input.covered) {
    if (!seen.has(name)) throw new QuantizeError(name, 'is listed in `covered` but no graph node references it; list only kernels of the graph');
    covered.add(name);
  }
  const shapes = new Map<string, readonly number[]>();
  const tensors: ResolvedInput['tensors'] = [];
  for (const name of names) {
    const t = lookup(input.weights, name);
    if (t === undefined) throw new QuantizeError(name, 'is referenced by the graph but missing from `weights`');
    if (!(t.values instanceof Float32Array)) throw new QuantizeError(name, 'values must be a Float32Array');
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new QuantizeError(name, `has invalid shape ${JSON.stringify(t.shape)}`);
    if (shapeSize(t.shape) !== t.values.length) throw new QuantizeError(name, `has ${t.values.length} values but shape [${t.shape.join(', ')}] needs ${shapeSize(t.shape)}`);
    const isCovered = covered.has(name);
    if (isCovered) {
      const v = t.values;
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) throw new QuantizeError(name, `element ${i} is ${v[i]}, expected a finite number (did training diverge?)`);
    }
    shapes.set(name, t.shape);
    tensors.push({ name, shape: [...t.shape], values: t.values, covered: isCovered });
  }
  validateGraph(input.graph, shapes);
  return { tensors };
}
