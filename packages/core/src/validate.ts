// Structural validation and shape inference for ModelGraph and CompressedModel, with errors that name the culprit.
import { shapeSize, type CompressedModel } from './compressed.js';
import { CompressedModelError, GraphValidationError } from './errors.js';
import { NODE_KINDS, nodeWeightNames, type GraphNode, type ModelGraph, type Padding } from './graph.js';

/** Shapes of weight tensors by name (tfjs layout). */
export type WeightShapes = ReadonlyMap<string, readonly number[]>;

const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'tanh', 'softmax']);

function outSize(size: number, k: number, stride: number, dilation: number, padding: Padding): number {
  const eff = (k - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - eff) / stride) + 1;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function checkPositiveInts(node: GraphNode, field: string, values: readonly number[], min = 1): void {
  if (!Array.isArray(values) || values.some((v) => !Number.isInteger(v) || v < min)) {
    throw new GraphValidationError(node.name, `${field} is ${JSON.stringify(values)}, expected integers >= ${min}`);
  }
}

function expectWeight(node: GraphNode, role: string, name: string | undefined, expected: readonly number[], weights?: WeightShapes): void {
  if (name === undefined || weights === undefined) return;
  const shape = weights.get(name);
  if (shape === undefined) throw new GraphValidationError(node.name, `${role} tensor "${name}" does not exist`);
  if (!sameShape(shape, expected)) throw new GraphValidationError(node.name, `${role} tensor "${name}" has shape ${fmt(shape)}, expected ${fmt(expected)}`);
}

function spatial(node: GraphNode, input: readonly number[]): [number, number, number] {
  if (input.length !== 3) throw new GraphValidationError(node.name, `${node.kind} needs a rank-3 (H, W, C) input, got ${fmt(input)}`);
  return [input[0]!, input[1]!, input[2]!];
}

/** Output shape (without batch) of one node given its input shapes; checks the node's attributes and weights. */
function inferNode(node: GraphNode, ins: number[][], weights?: WeightShapes): number[] {
  const x = ins[0]!;
  switch (node.kind) {
    case 'dense': {
      checkPositiveInts(node, 'units', [node.units]);
      if (x.length !== 1) throw new GraphValidationError(node.name, `dense needs a rank-1 input (flatten first), got ${fmt(x)}`);
      expectWeight(node, 'kernel', node.kernel, [x[0]!, node.units], weights);
      expectWeight(node, 'bias', node.bias, [node.units], weights);
      return [node.units];
    }
    case 'conv2d':
    case 'depthwiseConv2d': {
      const [h, w, c] = spatial(node, x);
      checkPositiveInts(node, 'kernelSize', node.kernelSize);
      checkPositiveInts(node, 'strides', node.strides);
      checkPositiveInts(node, 'dilation', node.dilation);
      const oh = outSize(h, node.kernelSize[0], node.strides[0], node.dilation[0], node.padding);
      const ow = outSize(w, node.kernelSize[1], node.strides[1], node.dilation[1], node.padding);
      if (oh < 1 || ow < 1) throw new GraphValidationError(node.name, `kernel ${fmt(node.kernelSize)} does not fit input ${fmt(x)}`);
      if (node.kind === 'conv2d') {
        checkPositiveInts(node, 'filters', [node.filters]);
        expectWeight(node, 'kernel', node.kernel, [node.kernelSize[0], node.kernelSize[1], c, node.filters], weights);
        expectWeight(node, 'bias', node.bias, [node.filters], weights);
        return [oh, ow, node.filters];
      }
      checkPositiveInts(node, 'depthMultiplier', [node.depthMultiplier]);
      expectWeight(node, 'kernel', node.kernel, [node.kernelSize[0], node.kernelSize[1], c, node.depthMultiplier], weights);
      expectWeight(node, 'bias', node.bias, [c * node.depthMultiplier], weights);
      return [oh, ow, c * node.depthMultiplier];
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const [h, w, c] = spatial(node, x);
      checkPositiveInts(node, 'poolSize', node.poolSize);
      checkPositiveInts(node, 'strides', node.strides);
      const oh = outSize(h, node.poolSize[0], node.strides[0], 1, node.padding);
      const ow = outSize(w, node.poolSize[1], node.strides[1], 1, node.padding);
      if (oh < 1 || ow < 1) throw new GraphValidationError(node.name, `pool ${fmt(node.poolSize)} does not fit input ${fmt(x)}`);
      return [oh, ow, c];
    }
    case 'globalAvgPool2d':
      return [spatial(node, x)[2]];
    case 'flatten':
      return [shapeSize(x)];
    case 'reshape': {
      checkPositiveInts(node, 'targetShape', node.targetShape);
      if (shapeSize(node.targetShape) !== shapeSize(x)) {
        throw new GraphValidationError(node.name, `cannot reshape ${fmt(x)} (${shapeSize(x)} elements) to ${fmt(node.targetShape)}`);
      }
      return [...node.targetShape];
    }
    case 'activation':
    case 'dropout':
      return [...x];
    case 'batchNorm': {
      const c = x[x.length - 1]!;
      if (!(node.epsilon >= 0)) throw new GraphValidationError(node.name, `epsilon is ${node.epsilon}, expected >= 0`);
      for (const [role, name] of [['gamma', node.gamma], ['beta', node.beta], ['movingMean', node.movingMean], ['movingVariance', node.movingVariance]] as const) {
        expectWeight(node, role, name, [c], weights);
      }
      return [...x];
    }
    case 'add': {
      if (ins.length < 2) throw new GraphValidationError(node.name, `add needs at least 2 inputs, got ${ins.length}`);
      for (let i = 1; i < ins.length; i++) {
        if (!sameShape(ins[i]!, x)) throw new GraphValidationError(node.name, `input ${i} "${node.inputs[i]}" has shape ${fmt(ins[i]!)}, expected ${fmt(x)} like input 0`);
      }
      return [...x];
    }
    case 'concat': {
      if (ins.length < 1) throw new GraphValidationError(node.name, 'concat needs at least 1 input');
      const rank = x.length + 1; // with batch
      const axis = node.axis < 0 ? rank + node.axis : node.axis;
      if (!Number.isInteger(axis) || axis < 1 || axis >= rank) throw new GraphValidationError(node.name, `axis ${node.axis} is not a non-batch axis of rank-${rank} inputs`);
      const out = [...x];
      for (let i = 1; i < ins.length; i++) {
        const s = ins[i]!;
        if (s.length !== x.length || s.some((d, k) => k !== axis - 1 && d !== x[k])) {
          throw new GraphValidationError(node.name, `input ${i} "${node.inputs[i]}" has shape ${fmt(s)}, incompatible with ${fmt(x)} on axis ${node.axis}`);
        }
        out[axis - 1]! += s[axis - 1]!;
      }
      return out;
    }
    case 'zeroPadding2d': {
      const [h, w, c] = spatial(node, x);
      const p = node.padding;
      checkPositiveInts(node, 'padding', [p[0][0], p[0][1], p[1][0], p[1][1]], 0);
      return [h + p[0][0] + p[0][1], w + p[1][0] + p[1][1], c];
    }
  }
}

function expectedArity(node: GraphNode): number | null {
  return node.kind === 'add' || node.kind === 'concat' ? null : 1;
}

/**
 * Validates a graph (unique names, known kinds and activations, inputs defined before use, outputs exist,
 * attribute ranges) and infers every node's output shape without the batch dimension. With `weights`
 * it also checks that every referenced weight exists with the shape the node needs.
 * Throws `GraphValidationError` naming the node.
 */
export function inferShapes(graph: ModelGraph, weights?: WeightShapes): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  if (!Array.isArray(graph.inputs) || graph.inputs.length === 0) throw new GraphValidationError('(graph)', 'has no inputs');
  for (const input of graph.inputs) {
    if (shapes.has(input.name)) throw new GraphValidationError(input.name, 'duplicate name');
    if (!Array.isArray(input.shape) || input.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new GraphValidationError(input.name, `input shape ${JSON.stringify(input.shape)} must be positive integers (without the batch dimension)`);
    }
    shapes.set(input.name, [...input.shape]);
  }
  const kinds = new Set<string>(NODE_KINDS);
  // Graphs also arrive from decoded files: malformed structure must give a GraphValidationError, not a TypeError.
  if (!Array.isArray(graph.nodes)) throw new GraphValidationError('(graph)', 'nodes must be an array');
  if (!Array.isArray(graph.outputs)) throw new GraphValidationError('(graph)', 'outputs must be an array of node names');
  for (const [index, node] of graph.nodes.entries()) {
    if (typeof node !== 'object' || node === null) throw new GraphValidationError(`(node ${index})`, 'is not an object');
    if (typeof node.name !== 'string' || node.name === '') throw new GraphValidationError(`(node ${index})`, 'node has no name');
    if (shapes.has(node.name)) throw new GraphValidationError(node.name, 'duplicate name');
    if (!kinds.has(node.kind)) throw new GraphValidationError(node.name, `unknown kind "${(node as { kind: string }).kind}"`);
    if (!Array.isArray(node.inputs) || node.inputs.some((i) => typeof i !== 'string')) throw new GraphValidationError(node.name, 'inputs must be an array of names');
    if ('activation' in node && !ACTIVATIONS.has(node.activation)) throw new GraphValidationError(node.name, `unknown activation "${node.activation}"`);
    const arity = expectedArity(node);
    if (arity !== null && node.inputs.length !== arity) throw new GraphValidationError(node.name, `${node.kind} takes ${arity} input, got ${node.inputs.length}`);
    const ins = node.inputs.map((name) => {
      const s = shapes.get(name);
      if (s === undefined) throw new GraphValidationError(node.name, `input "${name}" is not a graph input or an earlier node (dangling input)`);
      return s;
    });
    shapes.set(node.name, inferNode(node, ins, weights));
  }
  if (graph.outputs.length === 0) throw new GraphValidationError('(graph)', 'has no outputs');
  for (const out of graph.outputs) {
    if (!shapes.has(out)) throw new GraphValidationError(out, 'listed as a graph output but no input or node has that name');
  }
  return shapes;
}

/** Validates a graph; see `inferShapes`. Throws `GraphValidationError` naming the node and the problem. */
export function validateGraph(graph: ModelGraph, weights?: WeightShapes): void {
  inferShapes(graph, weights);
}

/** Options of `validateCompressedModel`. */
export interface ValidateCompressedModelOptions {
  /**
   * Check every quantized index against its codebook size (default true). A decoder that can only
   * produce in-range indices may skip this O(elements) pass; everything else is still checked.
   */
  checkIndices?: boolean;
}

/**
 * Validates a compressed model: unique tensor names, sizes matching shapes, codebooks that exist with
 * `values[zeroIndex] === 0`, every index inside its codebook, finite values, and a graph whose every
 * weight reference resolves to exactly one tensor of the right shape. Throws `CompressedModelError`
 * or `GraphValidationError`.
 */
export function validateCompressedModel(model: CompressedModel, options: ValidateCompressedModelOptions = {}): void {
  const checkIndices = options.checkIndices ?? true;
  const codebooks = new Map<string, number>();
  for (const cb of model.codebooks) {
    if (codebooks.has(cb.name)) throw new CompressedModelError(cb.name, 'duplicate codebook name');
    if (!(cb.values instanceof Float32Array)) throw new CompressedModelError(cb.name, 'codebook values must be a Float32Array');
    if (cb.values.length === 0 || cb.values.length > 65536) throw new CompressedModelError(cb.name, `codebook has ${cb.values.length} values, expected 1 to 65536`);
    if (!Number.isInteger(cb.zeroIndex) || cb.zeroIndex < 0 || cb.zeroIndex >= cb.values.length) {
      throw new CompressedModelError(cb.name, `codebook zeroIndex ${cb.zeroIndex} is outside [0, ${cb.values.length - 1}]`);
    }
    if (cb.values[cb.zeroIndex] !== 0) throw new CompressedModelError(cb.name, `codebook value at zeroIndex ${cb.zeroIndex} is ${cb.values[cb.zeroIndex]}, expected 0`);
    for (let k = 0; k < cb.values.length; k++) {
      if (!Number.isFinite(cb.values[k])) throw new CompressedModelError(cb.name, `codebook value ${k} is ${cb.values[k]}`);
    }
    codebooks.set(cb.name, cb.values.length);
  }
  const shapes = new Map<string, readonly number[]>();
  const checkShape = (name: string, shape: readonly number[], length: number): void => {
    if (shapes.has(name)) throw new CompressedModelError(name, 'tensor name used twice');
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new CompressedModelError(name, `invalid shape ${JSON.stringify(shape)}`);
    if (shapeSize(shape) !== length) throw new CompressedModelError(name, `has ${length} elements but shape [${shape.join(', ')}] needs ${shapeSize(shape)}`);
    shapes.set(name, shape);
  };
  for (const t of model.quantized) {
    if (!(t.indices instanceof Uint16Array)) throw new CompressedModelError(t.name, 'indices must be a Uint16Array');
    checkShape(t.name, t.shape, t.indices.length);
    const k = codebooks.get(t.codebook);
    if (k === undefined) throw new CompressedModelError(t.name, `refers to codebook "${t.codebook}", which does not exist`);
    for (let i = 0; checkIndices && i < t.indices.length; i++) {
      if (t.indices[i]! >= k) throw new CompressedModelError(t.name, `index ${t.indices[i]} at element ${i} is out of codebook "${t.codebook}" range [0, ${k - 1}]`);
    }
  }
  for (const t of model.float) {
    if (!(t.values instanceof Float32Array)) throw new CompressedModelError(t.name, 'values must be a Float32Array');
    checkShape(t.name, t.shape, t.values.length);
    for (let i = 0; i < t.values.length; i++) {
      if (!Number.isFinite(t.values[i])) throw new CompressedModelError(t.name, `value ${i} is ${t.values[i]}`);
    }
  }
  inferShapes(model.graph, shapes);
  const used = new Set(model.graph.nodes.flatMap(nodeWeightNames));
  for (const name of shapes.keys()) {
    if (!used.has(name)) throw new CompressedModelError(name, 'tensor is not referenced by any graph node');
  }
}
