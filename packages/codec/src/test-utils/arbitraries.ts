// fast-check generators of valid CompressedModels: a chain of dense layers with matching shapes, varied sparsity and codebooks.
import fc from 'fast-check';
import type { Codebook, CompressedModel, FloatTensor, GraphNode, JsonValue, QuantizedTensor } from '@softweight/core';
import { rng } from './lenet.js';

/** How a generated kernel's indices are laid out. */
export type IndexPattern = 'zeros' | 'noZeros' | 'sparse' | 'uniform' | 'ends';

/** A plain-prototype deep copy, keeping -0 (fast-check may produce null-prototype objects). */
function plain(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: JsonValue } = {};
    for (const k of Object.keys(v)) if (k !== '__proto__') out[k] = plain(v[k]!);
    return out;
  }
  return v;
}

function codebookOf(name: string, size: number, zeroIndex: number, r: () => number): Codebook {
  const values = new Float32Array(size);
  for (let k = 0; k < size; k++) values[k] = k === zeroIndex ? 0 : (k - zeroIndex) * 0.01 + (r() - 0.5) * 0.001;
  return { name, values, zeroIndex };
}

function indicesOf(n: number, cb: Codebook, pattern: IndexPattern, density: number, r: () => number): Uint16Array {
  const k = cb.values.length;
  const idx = new Uint16Array(n).fill(cb.zeroIndex);
  const nonZero = (): number => {
    if (k === 1) return cb.zeroIndex;
    const s = Math.floor(r() * (k - 1));
    return s >= cb.zeroIndex ? s + 1 : s;
  };
  for (let i = 0; i < n; i++) {
    if (pattern === 'noZeros' || (pattern === 'sparse' && r() < density)) idx[i] = nonZero();
    else if (pattern === 'uniform') idx[i] = Math.floor(r() * k);
  }
  if (pattern === 'ends' && n > 0) {
    idx[0] = nonZero();
    idx[n - 1] = nonZero();
  }
  return idx;
}

/** Parameters of one generated model. */
export interface ModelSpec {
  inputWidth: number;
  layers: { units: number; pattern: IndexPattern; density: number; bias: boolean; quantized: boolean; codebook: number }[];
  codebookSizes: number[];
  seed: number;
  name: string | null;
  metadata: { [key: string]: JsonValue } | null;
}

/** Builds a valid model from a spec (deterministic in the spec). */
export function modelFromSpec(spec: ModelSpec): CompressedModel {
  const r = rng(spec.seed);
  const codebooks = spec.codebookSizes.map((size, c) => codebookOf(`cb${c}`, size, Math.floor(r() * size), r));
  const nodes: GraphNode[] = [];
  const quantized: QuantizedTensor[] = [];
  const float: FloatTensor[] = [];
  let prev = 'x';
  let width = spec.inputWidth;
  spec.layers.forEach((l, i) => {
    const name = `dense_${i}`;
    const node: GraphNode = { kind: 'dense', name, inputs: [prev], units: l.units, kernel: `${name}/kernel`, activation: i % 2 === 0 ? 'relu' : 'linear' };
    const n = width * l.units;
    if (l.quantized) {
      const cb = codebooks[l.codebook % codebooks.length]!;
      quantized.push({ name: node.kernel, shape: [width, l.units], codebook: cb.name, indices: indicesOf(n, cb, l.pattern, l.density, r) });
    } else {
      float.push({ name: node.kernel, shape: [width, l.units], values: Float32Array.from({ length: n }, () => (r() - 0.5) * 2) });
    }
    if (l.bias) {
      node.bias = `${name}/bias`;
      float.push({ name: node.bias, shape: [l.units], values: Float32Array.from({ length: l.units }, () => (r() < 0.2 ? 0 : (r() - 0.5) * 0.2)) });
    }
    nodes.push(node);
    prev = name;
    width = l.units;
  });
  const model: CompressedModel = {
    graph: { inputs: [{ name: 'x', shape: [spec.inputWidth] }], nodes, outputs: [prev] },
    codebooks,
    quantized,
    float,
  };
  if (spec.name !== null) model.graph.name = spec.name;
  if (spec.metadata !== null) model.metadata = spec.metadata;
  return model;
}

const layerArb = fc.record({
  units: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: 13, max: 120 }) }),
  pattern: fc.constantFrom<IndexPattern>('zeros', 'noZeros', 'sparse', 'sparse', 'sparse', 'uniform', 'ends'),
  density: fc.double({ min: 0, max: 1, noNaN: true }),
  bias: fc.boolean(),
  quantized: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  codebook: fc.nat(3),
});

/** Arbitrary valid models: 1-4 dense layers, 1-3 codebooks of 1 to 65536 values, optional name and metadata. */
export const modelSpecArb: fc.Arbitrary<ModelSpec> = fc.record({
  inputWidth: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: 13, max: 200 }) }),
  layers: fc.array(layerArb, { minLength: 1, maxLength: 4 }),
  codebookSizes: fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 20 }) },
      { weight: 2, arbitrary: fc.integer({ min: 257, max: 700 }) },
      { weight: 1, arbitrary: fc.constantFrom(1, 2, 256, 65536) },
    ),
    { minLength: 1, maxLength: 3 },
  ),
  seed: fc.nat(),
  name: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
  metadata: fc.option(
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5, noNullPrototype: true }).map((d) => plain(d as unknown as JsonValue) as { [key: string]: JsonValue }),
    { nil: null },
  ),
});

/** Arbitrary valid compressed models (see `modelSpecArb`). */
export const modelArb: fc.Arbitrary<CompressedModel> = modelSpecArb.map(modelFromSpec);
