// toGraph: a tfjs LayersModel (Sequential or functional) as core's framework-neutral ModelGraph plus named weights.
import * as tf from '@tensorflow/tfjs';
import {
  GraphValidationError,
  inferShapes,
  UnsupportedLayerError,
  type Activation,
  type GraphInput,
  type GraphNode,
  type ModelGraph,
  type Padding,
} from '@softweight/core';

/** A weight tensor read out of a model: shape in tfjs layout, row-major values (a copy). */
export interface GraphWeight {
  /** Shape in tfjs layout (dense `[in, out]`, conv HWIO). */
  shape: number[];
  /** Row-major values, copied out of the model. */
  values: Float32Array;
}

/** What `toGraph` returns. */
export interface ToGraphResult {
  /** The model's structure, validated with core's `inferShapes`. */
  graph: ModelGraph;
  /** Every weight the graph references, by weight name (`<layer name>/<role>`, see `namedWeights`). */
  weights: Map<string, GraphWeight>;
}

/** The role of a weight inside its layer; the last part of its name. */
export type WeightRole = 'kernel' | 'bias' | 'depthwise_kernel' | 'gamma' | 'beta' | 'moving_mean' | 'moving_variance';

/** A model weight with its softweight name. */
export interface NamedWeight {
  /** `<layer name>/<role>`, e.g. `fc1/kernel`, `conv2d_Conv2D1/bias`, `bn/moving_mean`. */
  name: string;
  /** The layer's name. */
  layer: string;
  /** The weight's role in the layer. */
  role: WeightRole;
  /** The tfjs variable holding it. */
  variable: tf.LayerVariable;
}

const ROLES = new Set<string>(['kernel', 'bias', 'depthwise_kernel', 'gamma', 'beta', 'moving_mean', 'moving_variance']);
const ACTIVATIONS = new Set<string>(['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'tanh', 'softmax']);

/**
 * Every weight of the model's layers with its softweight name `<layer name>/<role>`. The name is the layer's name
 * plus the last part of the tfjs variable's original name (`kernel`, `bias`, `depthwise_kernel`, `gamma`, `beta`,
 * `moving_mean`, `moving_variance`), i.e. the tfjs variable name without the `_1` suffix tfjs appends when the same
 * name is created twice in one process. Stable across processes, unique within a model (tfjs layer names are).
 */
export function namedWeights(model: tf.LayersModel): NamedWeight[] {
  const out: NamedWeight[] = [];
  for (const layer of model.layers) {
    for (const variable of layer.weights) {
      const role = variable.originalName.split('/').pop() ?? '';
      if (!ROLES.has(role)) continue; // e.g. weights of unsupported layers: toGraph reports those layers
      out.push({ name: `${layer.name}/${role}`, layer: layer.name, role: role as WeightRole, variable });
    }
  }
  return out;
}

type Config = tf.serialization.ConfigDict;

function pair(v: unknown): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v.length > 1 ? v[1] : v[0])];
  return [Number(v), Number(v)];
}

function isChannelsFirst(config: Config): boolean {
  return config['dataFormat'] === 'channelsFirst';
}

/** Collects every unsupported layer before failing, so the user sees the whole list at once. */
class Problems {
  readonly list: Array<{ name: string; kind: string }> = [];
  add(layer: tf.layers.Layer, why?: string): null {
    this.list.push({ name: layer.name, kind: why === undefined ? layer.getClassName() : `${layer.getClassName()} (${why})` });
    return null;
  }
}

function activationOf(layer: tf.layers.Layer, config: Config, problems: Problems): Activation | null {
  const a = config['activation'] ?? 'linear';
  if (typeof a !== 'string' || !ACTIVATIONS.has(a)) return problems.add(layer, `activation ${String(a)}`);
  return a as Activation;
}

function paddingOf(layer: tf.layers.Layer, config: Config, problems: Problems): Padding | null {
  const p = config['padding'];
  if (p !== 'valid' && p !== 'same') return problems.add(layer, `padding ${String(p)}`);
  return p;
}

/** The node for one layer, or null (and a recorded problem) when the layer cannot be represented. */
function nodeOf(layer: tf.layers.Layer, inputs: string[], inShape: (number | null)[], weightNames: Map<string, string>, problems: Problems): GraphNode | null {
  const kind = layer.getClassName();
  const config = layer.getConfig();
  const name = layer.name;
  const w = (role: WeightRole): string | undefined => weightNames.get(`${name}/${role}`);
  if (isChannelsFirst(config)) return problems.add(layer, 'dataFormat channelsFirst: only channelsLast (NHWC) is supported');
  switch (kind) {
    case 'Dense': {
      const activation = activationOf(layer, config, problems);
      if (inShape.length !== 2) return problems.add(layer, `input of rank ${inShape.length}; flatten first`);
      const kernel = w('kernel');
      if (activation === null || kernel === undefined) return activation === null ? null : problems.add(layer, 'no kernel');
      return { kind: 'dense', name, inputs, units: Number(config['units']), kernel, bias: w('bias'), activation };
    }
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const activation = activationOf(layer, config, problems);
      const padding = paddingOf(layer, config, problems);
      const kernel = w(kind === 'Conv2D' ? 'kernel' : 'depthwise_kernel');
      if (activation === null || padding === null) return null;
      if (kernel === undefined) return problems.add(layer, 'no kernel');
      const dilation = pair(config['dilationRate'] ?? 1);
      // tfjs-layers 4.x DepthwiseConv2D ignores dilationRate when it runs, so a dilated graph would not match the model.
      if (kind === 'DepthwiseConv2D' && (dilation[0] !== 1 || dilation[1] !== 1)) {
        return problems.add(layer, `dilationRate [${dilation.join(', ')}]: tfjs-layers ignores it for DepthwiseConv2D, so the exported graph could not match the model`);
      }
      const common = {
        name,
        inputs,
        kernelSize: pair(config['kernelSize']),
        strides: pair(config['strides']),
        padding,
        dilation,
        kernel,
        bias: w('bias'),
        activation,
      };
      if (kind === 'Conv2D') return { kind: 'conv2d', filters: Number(config['filters']), ...common };
      return { kind: 'depthwiseConv2d', depthMultiplier: Number(config['depthMultiplier'] ?? 1), ...common };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const padding = paddingOf(layer, config, problems);
      if (padding === null) return null;
      const poolSize = pair(config['poolSize']);
      const strides = config['strides'] == null ? poolSize : pair(config['strides']);
      return { kind: kind === 'MaxPooling2D' ? 'maxPool2d' : 'avgPool2d', name, inputs, poolSize, strides, padding };
    }
    case 'GlobalAveragePooling2D':
      if (config['keepDims'] === true) return problems.add(layer, 'keepDims');
      return { kind: 'globalAvgPool2d', name, inputs };
    case 'Flatten':
      return { kind: 'flatten', name, inputs };
    case 'Reshape': {
      // A -1 in the target (serialised as null) is resolved here: tfjs leaves it unknown while the batch is unknown.
      const target = (config['targetShape'] as (number | null)[]).map((d) => (d === null || d < 0 ? null : d));
      const size = inShape.slice(1).reduce<number>((p, d) => p * (d ?? NaN), 1);
      const known = target.reduce<number>((p, d) => p * (d ?? 1), 1);
      const unknown = target.filter((d) => d === null).length;
      if (unknown > 1 || !Number.isFinite(size) || size % known !== 0) return problems.add(layer, `target shape ${JSON.stringify(config['targetShape'])}`);
      return { kind: 'reshape', name, inputs, targetShape: target.map((d) => d ?? size / known) };
    }
    case 'Activation': {
      const activation = activationOf(layer, config, problems);
      return activation === null ? null : { kind: 'activation', name, inputs, activation };
    }
    case 'ReLU': {
      const max = config['maxValue'];
      if (max == null) return { kind: 'activation', name, inputs, activation: 'relu' };
      if (max === 6) return { kind: 'activation', name, inputs, activation: 'relu6' };
      return problems.add(layer, `maxValue ${String(max)}`);
    }
    case 'Softmax': {
      // tfjs's default axis is 1: the last axis of a rank-2 input. Only the last axis maps to our softmax.
      const raw = config['axis'] ?? 1;
      const axis = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
      if (axis !== -1 && axis !== inShape.length - 1) return problems.add(layer, `axis ${JSON.stringify(raw)}`);
      return { kind: 'activation', name, inputs, activation: 'softmax' };
    }
    case 'ELU':
      if (config['alpha'] != null && config['alpha'] !== 1) return problems.add(layer, `alpha ${String(config['alpha'])}`);
      return { kind: 'activation', name, inputs, activation: 'elu' };
    case 'BatchNormalization': {
      const rank = inShape.length;
      const axis = config['axis'];
      const ax = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
      if (ax !== -1 && ax !== rank - 1) return problems.add(layer, `axis ${JSON.stringify(axis)}: only the last (channel) axis is supported`);
      const movingMean = w('moving_mean');
      const movingVariance = w('moving_variance');
      if (movingMean === undefined || movingVariance === undefined) return problems.add(layer, 'no moving statistics');
      return { kind: 'batchNorm', name, inputs, epsilon: Number(config['epsilon'] ?? 1e-3), gamma: w('gamma'), beta: w('beta'), movingMean, movingVariance };
    }
    case 'Add':
      return { kind: 'add', name, inputs };
    case 'Concatenate':
      return { kind: 'concat', name, inputs, axis: Number(config['axis'] ?? -1) };
    case 'Dropout':
      return { kind: 'dropout', name, inputs, rate: Number(config['rate'] ?? 0) };
    case 'ZeroPadding2D': {
      const p = config['padding'] as [[number, number], [number, number]];
      return { kind: 'zeroPadding2d', name, inputs, padding: [[p[0][0], p[0][1]], [p[1][0], p[1][1]]] };
    }
    default:
      return problems.add(layer);
  }
}

function stripUndefined(node: GraphNode): GraphNode {
  const copy = { ...node } as Record<string, unknown>;
  for (const k of Object.keys(copy)) if (copy[k] === undefined) delete copy[k];
  return copy as unknown as GraphNode;
}

/**
 * Converts a built tfjs LayersModel (Sequential or functional) into core's `ModelGraph` (NHWC) plus its weights.
 * Nodes are named after the layers; weights are named `<layer name>/<role>` (see `namedWeights`), e.g.
 * `fc1/kernel`, `conv1/bias`, `bn1/moving_variance`. Fused activations (`activation` on Dense/Conv layers) become
 * the node's `activation`; InputLayers become graph inputs.
 *
 * Supported layers: Dense, Conv2D (valid/same, strides, dilation), DepthwiseConv2D, MaxPooling2D,
 * AveragePooling2D, GlobalAveragePooling2D, Flatten, Reshape, Activation, ReLU (max 6 or none), Softmax (last
 * axis), ELU (alpha 1), BatchNormalization (channel axis), Add, Concatenate, Dropout, ZeroPadding2D, InputLayer;
 * activations linear, relu, relu6, elu, sigmoid, tanh, softmax; channelsLast only.
 *
 * Throws `UnsupportedLayerError` listing every layer it cannot represent (name, and class with the reason), and
 * `GraphValidationError` for a model input without a fixed shape or a layer shared between several calls.
 */
export function toGraph(model: tf.LayersModel): ToGraphResult {
  const problems = new Problems();
  const inputLayers = model.inputs.map((t) => t.sourceLayer);
  const graphInputs: GraphInput[] = model.inputs.map((t) => {
    const shape = t.shape.slice(1);
    if (shape.some((d) => d === null || d === undefined)) {
      throw new GraphValidationError(t.sourceLayer.name, `model input has shape [${t.shape.map(String).join(', ')}]; give the model a fixed inputShape`);
    }
    return { name: t.sourceLayer.name, shape: shape as number[] };
  });
  const inModel = new Set<tf.layers.Layer>([...inputLayers, ...model.layers]);
  const defined = new Set<string>(graphInputs.map((i) => i.name));

  const weightNames = new Map<string, string>();
  const weights = new Map<string, GraphWeight>();
  const named = namedWeights(model);
  for (const nw of named) weightNames.set(nw.name, nw.name);

  // Emit layers once all their inputs exist (model.layers is depth-ordered already; this also tolerates other orders).
  let pending = model.layers.filter((l) => !inputLayers.includes(l) && l.getClassName() !== 'InputLayer');
  for (const l of model.layers) {
    if (l.getClassName() === 'InputLayer' && !defined.has(l.name)) problems.add(l, 'input layer not connected to the model inputs');
  }
  const nodes: GraphNode[] = [];
  while (pending.length > 0) {
    const next: tf.layers.Layer[] = [];
    let progressed = false;
    for (const layer of pending) {
      const calls = layer.inboundNodes.filter((n) => n.inboundLayers.length > 0 && n.inboundLayers.every((l) => inModel.has(l)));
      if (calls.length !== 1) {
        throw new GraphValidationError(layer.name, calls.length === 0 ? 'layer is not connected to the model' : `layer is called ${calls.length} times (shared layers are not supported)`);
      }
      const call = calls[0]!;
      if (call.tensorIndices.some((i) => i !== 0)) {
        problems.add(layer, 'reads a second output of a multi-output layer');
        progressed = true;
        defined.add(layer.name);
        continue;
      }
      const inputs = call.inboundLayers.map((l) => l.name);
      if (!inputs.every((n) => defined.has(n))) {
        next.push(layer);
        continue;
      }
      progressed = true;
      defined.add(layer.name);
      const inShapes = call.inputShapes as (number | null)[] | (number | null)[][];
      const inShape = (Array.isArray(inShapes[0]) ? inShapes[0] : inShapes) as (number | null)[];
      const node = nodeOf(layer, inputs, inShape, weightNames, problems);
      if (node !== null) nodes.push(stripUndefined(node));
    }
    if (!progressed) throw new GraphValidationError(next[0]!.name, 'the model graph has a cycle or a dangling input');
    pending = next;
  }
  if (problems.list.length > 0) throw new UnsupportedLayerError(problems.list, 'toGraph');

  const referenced = new Set<string>();
  for (const node of nodes) {
    for (const key of ['kernel', 'bias', 'gamma', 'beta', 'movingMean', 'movingVariance'] as const) {
      const ref = (node as unknown as Record<string, unknown>)[key];
      if (typeof ref === 'string') referenced.add(ref);
    }
  }
  for (const nw of named) {
    if (!referenced.has(nw.name)) continue;
    const t = nw.variable.read();
    weights.set(nw.name, { shape: [...t.shape], values: new Float32Array(t.dataSync()) });
  }
  const graph: ModelGraph = {
    name: model.name,
    inputs: graphInputs,
    nodes,
    outputs: model.outputs.map((t) => t.sourceLayer.name),
  };
  const shapes = inferShapes(graph, new Map([...weights].map(([k, v]) => [k, v.shape])));
  for (const layer of model.layers) {
    const inferred = shapes.get(layer.name);
    if (inferred === undefined || layer.getClassName() === 'InputLayer') continue;
    const tfShape = (layer.outputShape as (number | null)[]).slice(1);
    if (tfShape.length !== inferred.length || tfShape.some((d, i) => d !== null && d !== inferred[i])) {
      throw new GraphValidationError(layer.name, `tfjs output shape [${tfShape.join(', ')}] differs from the graph's [${inferred.join(', ')}]`);
    }
  }
  return { graph, weights };
}
