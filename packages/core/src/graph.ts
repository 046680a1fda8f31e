// The framework-neutral model IR: an ordered list of nodes in NHWC layout, weights referenced by name.

/** Element-wise activation functions every adapter and exporter understands. */
export type Activation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'tanh' | 'softmax';

/** Spatial padding mode of convolutions and pooling, as in tfjs/Keras. */
export type Padding = 'valid' | 'same';

/** A graph input: its name and its shape without the batch dimension (NHWC, e.g. `[28, 28, 1]`). */
export interface GraphInput {
  /** Unique name; nodes refer to it in `inputs`. */
  name: string;
  /** Shape without the batch dimension. */
  shape: number[];
}

/** Fields every node has. A node has exactly one output, named by the node's `name`. */
export interface NodeBase {
  /** Unique name of the node and of its output. */
  name: string;
  /** Names of graph inputs or earlier nodes this node reads, in order. */
  inputs: string[];
}

/** Fully connected layer: `y = act(x W + b)`, kernel shape `[in, units]`. */
export interface DenseNode extends NodeBase {
  /** Discriminant. */
  kind: 'dense';
  /** Output width. */
  units: number;
  /** Name of the kernel tensor, shape `[in, units]`. */
  kernel: string;
  /** Name of the bias tensor, shape `[units]`, if any. */
  bias?: string;
  /** Activation applied after the bias. */
  activation: Activation;
}

/** 2-D convolution, NHWC input, kernel in HWIO layout `[kh, kw, in, filters]`. */
export interface Conv2DNode extends NodeBase {
  /** Discriminant. */
  kind: 'conv2d';
  /** Number of output channels. */
  filters: number;
  /** `[kh, kw]`. */
  kernelSize: [number, number];
  /** `[sh, sw]`. */
  strides: [number, number];
  /** `valid` or `same` (tfjs semantics: extra padding goes bottom/right). */
  padding: Padding;
  /** `[dh, dw]`. */
  dilation: [number, number];
  /** Name of the kernel tensor, shape `[kh, kw, in, filters]`. */
  kernel: string;
  /** Name of the bias tensor, shape `[filters]`, if any. */
  bias?: string;
  /** Activation applied after the bias. */
  activation: Activation;
}

/** Depthwise 2-D convolution, kernel `[kh, kw, in, depthMultiplier]`, output channels `in * depthMultiplier`. */
export interface DepthwiseConv2DNode extends NodeBase {
  /** Discriminant. */
  kind: 'depthwiseConv2d';
  /** `[kh, kw]`. */
  kernelSize: [number, number];
  /** `[sh, sw]`. */
  strides: [number, number];
  /** `valid` or `same`. */
  padding: Padding;
  /** `[dh, dw]`. */
  dilation: [number, number];
  /** Output channels per input channel. */
  depthMultiplier: number;
  /** Name of the kernel tensor, shape `[kh, kw, in, depthMultiplier]`. */
  kernel: string;
  /** Name of the bias tensor, shape `[in * depthMultiplier]`, if any. */
  bias?: string;
  /** Activation applied after the bias. */
  activation: Activation;
}

/** Max or average pooling over `[ph, pw]` windows. */
export interface Pool2DNode extends NodeBase {
  /** Discriminant. */
  kind: 'maxPool2d' | 'avgPool2d';
  /** `[ph, pw]`. */
  poolSize: [number, number];
  /** `[sh, sw]`. */
  strides: [number, number];
  /** `valid` or `same`. */
  padding: Padding;
}

/** Global average pooling over H and W: `[N, H, W, C] -> [N, C]`. */
export interface GlobalAvgPool2DNode extends NodeBase {
  /** Discriminant. */
  kind: 'globalAvgPool2d';
}

/** Flatten to `[N, -1]` in tfjs (row-major NHWC) element order. */
export interface FlattenNode extends NodeBase {
  /** Discriminant. */
  kind: 'flatten';
}

/** Reshape to `targetShape` (without the batch dimension), row-major as in tfjs. */
export interface ReshapeNode extends NodeBase {
  /** Discriminant. */
  kind: 'reshape';
  /** New shape without the batch dimension; no `-1`. */
  targetShape: number[];
}

/** A stand-alone activation. */
export interface ActivationNode extends NodeBase {
  /** Discriminant. */
  kind: 'activation';
  /** The function applied. */
  activation: Activation;
}

/** Inference-mode batch normalisation over the last (channel) axis. */
export interface BatchNormNode extends NodeBase {
  /** Discriminant. */
  kind: 'batchNorm';
  /** Added to the variance. */
  epsilon: number;
  /** Scale tensor `[C]`; absent means 1. */
  gamma?: string;
  /** Offset tensor `[C]`; absent means 0. */
  beta?: string;
  /** Moving mean `[C]`. */
  movingMean: string;
  /** Moving variance `[C]`. */
  movingVariance: string;
}

/** Element-wise sum of two or more inputs of the same shape. */
export interface AddNode extends NodeBase {
  /** Discriminant. */
  kind: 'add';
}

/** Concatenation along `axis` (tfjs axis counting the batch dimension; `-1` = channels). */
export interface ConcatNode extends NodeBase {
  /** Discriminant. */
  kind: 'concat';
  /** Axis including the batch dimension; negative counts from the end. */
  axis: number;
}

/** Dropout: the identity at inference. */
export interface DropoutNode extends NodeBase {
  /** Discriminant. */
  kind: 'dropout';
  /** Training-time drop rate (informational). */
  rate: number;
}

/** Zero padding of H and W: `[[top, bottom], [left, right]]`. */
export interface ZeroPadding2DNode extends NodeBase {
  /** Discriminant. */
  kind: 'zeroPadding2d';
  /** `[[top, bottom], [left, right]]`. */
  padding: [[number, number], [number, number]];
}

/** Any node of a `ModelGraph`. */
export type GraphNode =
  | DenseNode
  | Conv2DNode
  | DepthwiseConv2DNode
  | Pool2DNode
  | GlobalAvgPool2DNode
  | FlattenNode
  | ReshapeNode
  | ActivationNode
  | BatchNormNode
  | AddNode
  | ConcatNode
  | DropoutNode
  | ZeroPadding2DNode;

/** The kind names of all node types. */
export type NodeKind = GraphNode['kind'];

/** Every node kind `ModelGraph` supports, for adapters and exporters to check coverage. */
export const NODE_KINDS: readonly NodeKind[] = [
  'dense',
  'conv2d',
  'depthwiseConv2d',
  'maxPool2d',
  'avgPool2d',
  'globalAvgPool2d',
  'flatten',
  'reshape',
  'activation',
  'batchNorm',
  'add',
  'concat',
  'dropout',
  'zeroPadding2d',
];

/** A model as an ordered (topologically sorted) list of nodes over named inputs, NHWC layout. */
export interface ModelGraph {
  /** Optional model name. */
  name?: string;
  /** Graph inputs (shape without batch). */
  inputs: GraphInput[];
  /** Nodes in topological order. */
  nodes: GraphNode[];
  /** Names of the nodes whose outputs are the model's outputs. */
  outputs: string[];
}

/** Names of the weight tensors a node references, in a fixed order (kernel, bias, gamma, beta, mean, variance). */
export function nodeWeightNames(node: GraphNode): string[] {
  switch (node.kind) {
    case 'dense':
    case 'conv2d':
    case 'depthwiseConv2d':
      return node.bias === undefined ? [node.kernel] : [node.kernel, node.bias];
    case 'batchNorm':
      return [node.gamma, node.beta, node.movingMean, node.movingVariance].filter((n): n is string => n !== undefined);
    default:
      return [];
  }
}
