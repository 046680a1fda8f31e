// Puts compressed (dequantized) weights into tfjs models: into an existing model, or into one rebuilt from the graph.
import * as tf from '@tensorflow/tfjs';
import {
  dequantize,
  nodeWeightNames,
  shapeSize,
  SoftweightError,
  validateCompressedModel,
  type CompressedModel,
  type GraphNode,
  type ModelGraph,
} from '@softweight/core';
import { namedWeights } from './graph.js';

/** A compressed model and a tfjs model disagree on which weights exist or on their shapes; lists every difference. */
export class WeightMismatchError extends SoftweightError {
  /** Weights of the tfjs model that the compressed model does not contain. */
  readonly missing: readonly string[];
  /** Tensors of the compressed model that the tfjs model has no weight for. */
  readonly unknown: readonly string[];
  /** Tensors present in both with different shapes. */
  readonly shapes: ReadonlyArray<{ name: string; model: number[]; compressed: number[] }>;
  constructor(missing: string[], unknown: string[], shapes: Array<{ name: string; model: number[]; compressed: number[] }>) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing from the compressed model: ${missing.map((n) => `"${n}"`).join(', ')}`);
    if (unknown.length > 0) parts.push(`not weights of the tfjs model: ${unknown.map((n) => `"${n}"`).join(', ')}`);
    for (const s of shapes) parts.push(`"${s.name}" has shape [${s.compressed.join(', ')}] in the compressed model but [${s.model.join(', ')}] in the tfjs model`);
    super(
      'WEIGHT_MISMATCH',
      `applyCompressed: the compressed model does not fit this tfjs model (${parts.join('; ')}). ` +
        'Use the model the compressed file was made from, or fromCompressed() to rebuild it from the file alone.',
    );
    this.missing = missing;
    this.unknown = unknown;
    this.shapes = shapes;
  }
}


function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Writes a compressed model's weights (quantized ones dequantized through their codebooks) into `model`, so the
 * quantized network can be evaluated with the usual tfjs calls. Weights are matched by softweight name
 * (`<layer name>/<role>`, as `toGraph` names them). All-or-nothing: first checks that every weight of the model
 * that a graph node would reference is present with the same shape and that every compressed tensor has a home,
 * then writes. Throws `WeightMismatchError` listing every difference, or core's validation errors when
 * `compressed` is malformed.
 */
export function applyCompressed(model: tf.LayersModel, compressed: CompressedModel): void {
  validateCompressedModel(compressed);
  const tensors = dequantize(compressed);
  const targets = new Map(namedWeights(model).map((w) => [w.name, w.variable]));
  const missing = [...targets.keys()].filter((n) => !tensors.has(n));
  const unknown = [...tensors.keys()].filter((n) => !targets.has(n));
  const shapes: Array<{ name: string; model: number[]; compressed: number[] }> = [];
  for (const [name, t] of tensors) {
    const v = targets.get(name);
    if (v !== undefined && !sameShape(v.shape as number[], t.shape)) shapes.push({ name, model: [...(v.shape as number[])], compressed: t.shape });
  }
  if (missing.length > 0 || unknown.length > 0 || shapes.length > 0) throw new WeightMismatchError(missing, unknown, shapes);
  for (const [name, t] of tensors) {
    const value = tf.tensor(t.values, t.shape, 'float32');
    targets.get(name)!.write(value);
    value.dispose(); // the variable keeps its own reference to the data
  }
}

function layerFor(node: GraphNode): tf.layers.Layer {
  const name = node.name;
  switch (node.kind) {
    case 'dense':
      return tf.layers.dense({ name, units: node.units, activation: node.activation, useBias: node.bias !== undefined });
    case 'conv2d':
      return tf.layers.conv2d({
        name,
        filters: node.filters,
        kernelSize: node.kernelSize,
        strides: node.strides,
        padding: node.padding,
        dilationRate: node.dilation,
        activation: node.activation,
        useBias: node.bias !== undefined,
      });
    case 'depthwiseConv2d':
      return tf.layers.depthwiseConv2d({
        name,
        kernelSize: node.kernelSize,
        strides: node.strides,
        padding: node.padding,
        dilationRate: node.dilation,
        depthMultiplier: node.depthMultiplier,
        activation: node.activation,
        useBias: node.bias !== undefined,
      });
    case 'maxPool2d':
      return tf.layers.maxPooling2d({ name, poolSize: node.poolSize, strides: node.strides, padding: node.padding });
    case 'avgPool2d':
      return tf.layers.averagePooling2d({ name, poolSize: node.poolSize, strides: node.strides, padding: node.padding });
    case 'globalAvgPool2d':
      return tf.layers.globalAveragePooling2d({ name });
    case 'flatten':
      return tf.layers.flatten({ name });
    case 'reshape':
      return tf.layers.reshape({ name, targetShape: node.targetShape });
    case 'activation':
      return tf.layers.activation({ name, activation: node.activation });
    case 'batchNorm':
      return tf.layers.batchNormalization({ name, axis: -1, epsilon: node.epsilon, center: node.beta !== undefined, scale: node.gamma !== undefined });
    case 'add':
      return tf.layers.add({ name });
    case 'concat':
      return tf.layers.concatenate({ name, axis: node.axis });
    case 'dropout':
      return tf.layers.dropout({ name, rate: node.rate });
    case 'zeroPadding2d':
      return tf.layers.zeroPadding2d({ name, padding: node.padding });
  }
}


/**
 * Builds a runnable tfjs functional model from a compressed model alone (graph + dequantized weights), so a `.sws`
 * file can be evaluated without the original model.json. Layers are named after the graph nodes, so the rebuilt
 * model's softweight weight names are `<node name>/<role>`. Validates `compressed` first (core errors).
 */
export function fromCompressed(compressed: CompressedModel): tf.LayersModel {
  validateCompressedModel(compressed);
  const tensors = dequantize(compressed);
  return buildModel(compressed.graph, (name) => tensors.get(name)!);
}

function buildModel(graph: ModelGraph, weight: (name: string) => { shape: number[]; values: Float32Array }): tf.LayersModel {
  const symbols = new Map<string, tf.SymbolicTensor>();
  const inputs = graph.inputs.map((i) => {
    const t = tf.input({ name: i.name, shape: i.shape });
    symbols.set(i.name, t);
    return t;
  });
  const layers: Array<[tf.layers.Layer, GraphNode]> = [];
  for (const node of graph.nodes) {
    const layer = layerFor(node);
    const ins = node.inputs.map((n) => symbols.get(n)!);
    const out = layer.apply(ins.length === 1 ? ins[0]! : ins) as tf.SymbolicTensor;
    symbols.set(node.name, out);
    layers.push([layer, node]);
  }
  const model = tf.model({ name: graph.name, inputs, outputs: graph.outputs.map((o) => symbols.get(o)!) });
  for (const [layer, node] of layers) {
    const names = nodeWeightNames(node);
    if (names.length === 0) continue;
    const values = names.map((n) => {
      const t = weight(n);
      if (shapeSize(t.shape) !== t.values.length) throw new Error(`internal: tensor ${n} size mismatch`);
      return tf.tensor(t.values, t.shape, 'float32');
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
  return model;
}
