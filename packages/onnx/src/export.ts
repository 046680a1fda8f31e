// toOnnx: turns a CompressedModel into ONNX bytes. NHWC in and out like tfjs; NCHW inside around convolutions.
import {
  NODE_KINDS,
  UnsupportedLayerError,
  inferShapes,
  validateCompressedModel,
  type Activation,
  type Codebook,
  type CompressedModel,
  type FloatTensor,
  type GraphNode,
  type NodeKind,
  type QuantizedTensor,
} from '@softweight/core';
import onnxProto from 'onnx-proto';
import { BATCH_DIM, GraphBuilder, encodeModel, type ElemType, type ValueType } from './builder.js';
import { OnnxExportError } from './errors.js';
import { convPads, toOnnxLayout, type WeightLayout } from './layout.js';
import { DEFAULT_OPSET, IR_VERSION_BY_OPSET, SUPPORTED_OPSETS } from './versions.js';

const { onnx } = onnxProto;

/**
 * How weights are stored in the file. `dense`: one float32 initializer per weight tensor (dequantized).
 * `codebook`: per quantized tensor a uint8 index initializer (uint16 beyond 256 codes) plus the shared
 * float32 codebook, decoded in the graph by `Cast` + `Gather` (onnxruntime folds it when the session loads).
 */
export type WeightMode = 'dense' | 'codebook';

/** Options of `toOnnx`. */
export interface ToOnnxOptions {
  /** Weight storage, `dense` (default) or `codebook`. */
  weights?: WeightMode;
  /** ai.onnx opset to target, 13 (default) to 21; the IR version follows from it. */
  opset?: number;
  /** New names for graph inputs and outputs in the ONNX file, e.g. `{ input_1: 'image', dense_3: 'probs' }`. */
  names?: Readonly<Record<string, string>>;
}

/** `producer_name` written into every file. */
export const PRODUCER_NAME = '@softweight/onnx';
/** `producer_version` written into every file (the package version). */
export const PRODUCER_VERSION = '0.1.0';

/** Every `ModelGraph` node kind `toOnnx` exports. */
export const SUPPORTED_NODE_KINDS: readonly NodeKind[] = NODE_KINDS;

/** Every activation `toOnnx` exports. */
export const SUPPORTED_ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'tanh', 'softmax'];

type Layout = 'native' | 'nchw';

/** One ModelGraph value and the ONNX values holding it: tfjs layout (`native`) and, for rank-3 values, NCHW. */
interface Held {
  shape: number[];
  native?: string;
  nchw?: string;
}

type WeightSource = { kind: 'float'; tensor: FloatTensor } | { kind: 'quantized'; tensor: QuantizedTensor; codebook: Codebook };

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

function nativeType(shape: readonly number[]): ValueType {
  return { type: 'float32', shape: ['N', ...shape] };
}

function nchwType(shape: readonly number[]): ValueType {
  const [h, w, c] = shape as [number, number, number];
  return { type: 'float32', shape: ['N', c, h, w] };
}

function dequantize(t: QuantizedTensor, cb: Codebook): Float32Array {
  const out = new Float32Array(t.indices.length);
  for (let i = 0; i < out.length; i++) out[i] = cb.values[t.indices[i]!]!;
  return out;
}

function checkNodes(compressed: CompressedModel): void {
  const kinds = new Set<string>(SUPPORTED_NODE_KINDS);
  const acts = new Set<string>(SUPPORTED_ACTIVATIONS);
  const bad: { name: string; kind: string }[] = [];
  for (const node of compressed.graph.nodes as readonly { name: string; kind: string; activation?: unknown }[]) {
    if (!kinds.has(node.kind)) bad.push({ name: node.name, kind: node.kind });
    else if ('activation' in node && !acts.has(String(node.activation))) bad.push({ name: node.name, kind: `${node.kind} with activation "${String(node.activation)}"` });
  }
  if (bad.length > 0) throw new UnsupportedLayerError(bad, 'the ONNX exporter (@softweight/onnx)');
}

function resolveOptions(compressed: CompressedModel, options: ToOnnxOptions): { mode: WeightMode; opset: number; rename: Map<string, string> } {
  const mode = options.weights ?? 'dense';
  if (mode !== 'dense' && mode !== 'codebook') throw new OnnxExportError('weights', `"${String(mode)}" is not a weight mode; use 'dense' or 'codebook'`);
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!SUPPORTED_OPSETS.includes(opset)) {
    throw new OnnxExportError('opset', `opset ${String(opset)} is not supported; use an integer from ${SUPPORTED_OPSETS[0]} to ${SUPPORTED_OPSETS[SUPPORTED_OPSETS.length - 1]}`);
  }
  const { graph } = compressed;
  const ends = new Set([...graph.inputs.map((i) => i.name), ...graph.outputs]);
  const rename = new Map<string, string>();
  for (const [from, to] of Object.entries(options.names ?? {})) {
    if (!ends.has(from)) throw new OnnxExportError(`names.${from}`, `"${from}" is not a graph input or output; only those can be renamed`);
    if (typeof to !== 'string' || to === '') throw new OnnxExportError(`names.${from}`, 'the new name must be a non-empty string');
    rename.set(from, to);
  }
  return { mode, opset, rename };
}

/** Emits the ONNX graph of one compressed model. */
class Exporter {
  private readonly b = new GraphBuilder();
  private readonly held = new Map<string, Held>();
  private readonly weights = new Map<string, WeightSource>();
  private readonly weightCache = new Map<string, string>();
  private readonly codebookCache = new Map<string, string>();
  private readonly constCache = new Map<string, string>();
  private readonly finalNames = new Map<string, string>();

  constructor(
    private readonly compressed: CompressedModel,
    private readonly mode: WeightMode,
    rename: ReadonlyMap<string, string>,
  ) {
    const { graph } = compressed;
    const codebooks = new Map(compressed.codebooks.map((c) => [c.name, c]));
    for (const t of compressed.float) this.weights.set(t.name, { kind: 'float', tensor: t });
    for (const t of compressed.quantized) this.weights.set(t.name, { kind: 'quantized', tensor: t, codebook: codebooks.get(t.codebook)! });
    // Graph values keep their names in the file, so reserve them before any helper value takes one.
    const owner = new Map<string, string>();
    for (const name of [...graph.inputs.map((i) => i.name), ...graph.nodes.map((n) => n.name)]) {
      const final = rename.get(name) ?? name;
      const clash = owner.get(final);
      if (clash !== undefined) {
        throw new OnnxExportError(`names.${rename.has(name) ? name : clash}`, `"${final}" would name both "${clash}" and "${name}" in the ONNX file; pick another name`);
      }
      owner.set(final, name);
      this.finalNames.set(name, final);
      this.b.reserve(final);
    }
  }

  run(opset: number): Uint8Array {
    const { graph } = this.compressed;
    const shapes = inferShapes(graph);
    for (const input of graph.inputs) {
      const name = this.finalName(input.name);
      this.b.addInput(name, nativeType(input.shape));
      this.held.set(input.name, { shape: [...input.shape], native: name });
    }
    for (const node of graph.nodes) this.emit(node, node.inputs.map((i) => shapes.get(i)!), shapes.get(node.name)!);
    const seen = new Set<string>();
    const outputs = graph.outputs.map((out) => {
      if (seen.has(out)) throw new OnnxExportError(`outputs.${out}`, 'listed twice as a graph output; list it once');
      seen.add(out);
      if (graph.inputs.some((i) => i.name === out)) throw new OnnxExportError(`outputs.${out}`, 'a graph input cannot also be a graph output; add a node (e.g. dropout) in between');
      return this.need(out, 'native');
    });
    const docString = `Soft weight-sharing compressed model exported by ${PRODUCER_NAME} ${PRODUCER_VERSION} with ${this.mode} weights. Input and output layout as in tfjs (NHWC); batch dimension "${BATCH_DIM}".`;
    const metadataProps = [
      { key: 'softweight.weights', value: this.mode },
      { key: 'softweight.layout', value: 'NHWC' },
    ];
    if (this.compressed.metadata !== undefined) metadataProps.push({ key: 'softweight.metadata', value: JSON.stringify(this.compressed.metadata) });
    return encodeModel({
      irVersion: IR_VERSION_BY_OPSET[opset]!,
      opsetImport: [{ domain: '', version: opset }],
      producerName: PRODUCER_NAME,
      producerVersion: PRODUCER_VERSION,
      docString,
      graph: this.b.toGraph(graph.name ?? 'softweight', docString, outputs),
      metadataProps,
    });
  }

  private finalName(graphName: string): string {
    return this.finalNames.get(graphName)!;
  }

  /** The ONNX value holding `name` in `layout`, adding the Transpose that makes it when needed. */
  private need(name: string, layout: Layout): string {
    const v = this.held.get(name)!;
    if (layout === 'native') {
      if (v.native === undefined) {
        v.native = this.b.addNode('Transpose', `${this.finalName(name)}/to_nhwc`, [v.nchw!], this.finalName(name), nativeType(v.shape), { perm: { ints: NCHW_TO_NHWC } });
      }
      return v.native;
    }
    if (v.nchw === undefined) {
      v.nchw = this.b.addNode('Transpose', `${this.finalName(name)}/to_nchw`, [v.native!], { base: `${this.finalName(name)}/nchw` }, nchwType(v.shape), { perm: { ints: NHWC_TO_NCHW } });
    }
    return v.nchw;
  }

  /** The layout to compute an element-wise node in: one its rank-3 inputs already have, else NCHW. */
  private pickLayout(inputs: readonly string[], shape: readonly number[]): Layout {
    if (shape.length !== 3) return 'native';
    const hs = inputs.map((i) => this.held.get(i)!);
    if (hs.every((h) => h.nchw !== undefined)) return 'nchw';
    if (hs.every((h) => h.native !== undefined)) return 'native';
    return 'nchw';
  }

  private typeIn(layout: Layout, shape: readonly number[]): ValueType {
    return layout === 'native' ? nativeType(shape) : nchwType(shape);
  }

  /** Where a node's final ONNX value goes: its own (reserved) name in tfjs layout, a fresh one in NCHW. */
  private target(node: GraphNode, layout: Layout): string | { base: string } {
    return layout === 'native' ? this.finalName(node.name) : { base: `${this.finalName(node.name)}/nchw` };
  }

  private record(node: GraphNode, layout: Layout, shape: readonly number[], value: string): void {
    this.held.set(node.name, layout === 'native' ? { shape: [...shape], native: value } : { shape: [...shape], nchw: value });
  }

  private constant(key: string, type: ElemType, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    let name = this.constCache.get(key);
    if (name === undefined) {
      name = this.b.addInitializer(key, type, dims, data);
      this.constCache.set(key, name);
    }
    return name;
  }

  /** Emits `main` and then the activation, so the last op writes the node's final value. */
  private withActivation(
    node: GraphNode,
    layout: Layout,
    shape: readonly number[],
    activation: Activation,
    main: (out: string | { base: string }, type: ValueType) => string,
  ): void {
    const type = this.typeIn(layout, shape);
    const out = this.target(node, layout);
    const value =
      activation === 'linear'
        ? main(out, type)
        : this.activate(`${node.name}/${activation}`, activation, main({ base: `${this.finalName(node.name)}/preact` }, type), out, type, layout);
    this.record(node, layout, shape, value);
  }

  private activate(nodeName: string, act: Activation, x: string, out: string | { base: string }, type: ValueType, layout: Layout): string {
    switch (act) {
      case 'linear':
        return this.b.addNode('Identity', nodeName, [x], out, type);
      case 'relu':
        return this.b.addNode('Relu', nodeName, [x], out, type);
      case 'relu6': {
        const lo = this.constant('const/zero', 'float32', [], Float32Array.of(0));
        const hi = this.constant('const/six', 'float32', [], Float32Array.of(6));
        return this.b.addNode('Clip', nodeName, [x, lo, hi], out, type);
      }
      case 'elu':
        return this.b.addNode('Elu', nodeName, [x], out, type, { alpha: { float: 1 } });
      case 'sigmoid':
        return this.b.addNode('Sigmoid', nodeName, [x], out, type);
      case 'tanh':
        return this.b.addNode('Tanh', nodeName, [x], out, type);
      case 'softmax':
        // tfjs applies softmax over the last (channel) axis; in NCHW that axis is 1.
        return this.b.addNode('Softmax', nodeName, [x], out, type, { axis: { int: layout === 'nchw' ? 1 : -1 } });
    }
  }

  /** The float32 ONNX value of weight `name` in `layout`; in codebook mode quantized tensors decode via Cast + Gather. */
  private weight(name: string, layout: WeightLayout): string {
    const key = `${name}\u0000${layout}`;
    const cached = this.weightCache.get(key);
    if (cached !== undefined) return cached;
    const src = this.weights.get(name)!;
    let value: string;
    if (src.kind === 'float') {
      const t = toOnnxLayout(src.tensor.values, src.tensor.shape, layout);
      value = this.b.addInitializer(name, 'float32', t.shape, t.data);
    } else if (this.mode === 'dense') {
      const t = toOnnxLayout(dequantize(src.tensor, src.codebook), src.tensor.shape, layout);
      value = this.b.addInitializer(name, 'float32', t.shape, t.data);
    } else {
      const { tensor, codebook } = src;
      const narrow = codebook.values.length <= 256;
      const t = toOnnxLayout(narrow ? Uint8Array.from(tensor.indices) : tensor.indices, tensor.shape, layout);
      const indices = this.b.addInitializer(`${name}/indices`, narrow ? 'uint8' : 'uint16', t.shape, t.data);
      // Gather accepts only int32/int64 indices, hence the Cast of the compact uint8/uint16 initializer.
      const wide = this.b.addNode('Cast', `${name}/cast`, [indices], { base: `${name}/indices_int32` }, { type: 'int32', shape: t.shape }, { to: { int: onnx.TensorProto.DataType.INT32 } }, 'prelude');
      value = this.b.addNode('Gather', `${name}/gather`, [this.codebook(codebook), wide], { base: name }, { type: 'float32', shape: t.shape }, { axis: { int: 0 } }, 'prelude');
    }
    this.weightCache.set(key, value);
    return value;
  }

  private codebook(cb: Codebook): string {
    let name = this.codebookCache.get(cb.name);
    if (name === undefined) {
      name = this.b.addInitializer(`codebook/${cb.name}`, 'float32', [cb.values.length], cb.values);
      this.codebookCache.set(cb.name, name);
    }
    return name;
  }

  /** Dense float32 values of a weight in tfjs layout (for parameters folded at export time). */
  private weightValues(name: string): Float32Array {
    const src = this.weights.get(name)!;
    return src.kind === 'float' ? src.tensor.values : dequantize(src.tensor, src.codebook);
  }

  private emit(node: GraphNode, ins: number[][], shape: number[]): void {
    const b = this.b;
    const first = node.inputs[0]!;
    switch (node.kind) {
      case 'dense': {
        const x = this.need(first, 'native');
        const args = [x, this.weight(node.kernel, 'asIs')];
        if (node.bias !== undefined) args.push(this.weight(node.bias, 'asIs'));
        this.withActivation(node, 'native', shape, node.activation, (out, type) => b.addNode('Gemm', node.name, args, out, type));
        return;
      }
      case 'conv2d':
      case 'depthwiseConv2d': {
        const [h, w, c] = ins[0] as [number, number, number];
        const x = this.need(first, 'nchw');
        const args = [x, this.weight(node.kernel, node.kind === 'conv2d' ? 'oihw' : 'depthwise')];
        if (node.bias !== undefined) args.push(this.weight(node.bias, 'asIs'));
        const attrs = {
          kernel_shape: { ints: node.kernelSize },
          strides: { ints: node.strides },
          dilations: { ints: node.dilation },
          pads: { ints: convPads([h, w], node.kernelSize, node.strides, node.dilation, node.padding) },
          group: { int: node.kind === 'conv2d' ? 1 : c },
        };
        this.withActivation(node, 'nchw', shape, node.activation, (out, type) => b.addNode('Conv', node.name, args, out, type, attrs));
        return;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const [h, w] = ins[0] as [number, number, number];
        const x = this.need(first, 'nchw');
        const attrs = {
          kernel_shape: { ints: node.poolSize },
          strides: { ints: node.strides },
          pads: { ints: convPads([h, w], node.poolSize, node.strides, [1, 1], node.padding) },
          // tfjs averages over the window's real pixels only: padding does not count.
          ...(node.kind === 'avgPool2d' ? { count_include_pad: { int: 0 } } : {}),
        };
        const op = node.kind === 'maxPool2d' ? 'MaxPool' : 'AveragePool';
        this.record(node, 'nchw', shape, b.addNode(op, node.name, [x], this.target(node, 'nchw'), nchwType(shape), attrs));
        return;
      }
      case 'globalAvgPool2d': {
        const c = shape[0]!;
        const pooled = b.addNode('GlobalAveragePool', node.name, [this.need(first, 'nchw')], { base: `${this.finalName(node.name)}/nchw` }, { type: 'float32', shape: ['N', c, 1, 1] });
        this.record(node, 'native', shape, b.addNode('Flatten', `${node.name}/flatten`, [pooled], this.target(node, 'native'), nativeType(shape), { axis: { int: 1 } }));
        return;
      }
      case 'flatten':
        // Flattening the tfjs-layout (NHWC) value keeps tfjs's element order for the dense layer after it.
        this.record(node, 'native', shape, b.addNode('Flatten', node.name, [this.need(first, 'native')], this.target(node, 'native'), nativeType(shape), { axis: { int: 1 } }));
        return;
      case 'reshape': {
        // 0 copies the batch dimension from the input (Reshape's default allowzero = 0).
        const target = this.b.addInitializer(`${this.finalName(node.name)}/shape`, 'int64', [shape.length + 1], BigInt64Array.from([0, ...shape].map(BigInt)));
        this.record(node, 'native', shape, b.addNode('Reshape', node.name, [this.need(first, 'native'), target], this.target(node, 'native'), nativeType(shape)));
        return;
      }
      case 'activation':
      case 'dropout': {
        const layout = this.pickLayout(node.inputs, shape);
        const x = this.need(first, layout);
        const act: Activation = node.kind === 'activation' ? node.activation : 'linear';
        this.record(node, layout, shape, this.activate(node.name, act, x, this.target(node, layout), this.typeIn(layout, shape), layout));
        return;
      }
      case 'batchNorm': {
        this.batchNorm(node, shape);
        return;
      }
      case 'add': {
        const layout = this.pickLayout(node.inputs, shape);
        const xs = node.inputs.map((i) => this.need(i, layout));
        this.record(node, layout, shape, b.addNode(xs.length === 2 ? 'Add' : 'Sum', node.name, xs, this.target(node, layout), this.typeIn(layout, shape)));
        return;
      }
      case 'concat': {
        const layout = this.pickLayout(node.inputs, shape);
        const rank = shape.length + 1;
        const axis = node.axis < 0 ? rank + node.axis : node.axis;
        // tfjs axes 1, 2, 3 are H, W, C; in NCHW they sit at 2, 3, 1.
        const onnxAxis = layout === 'nchw' ? [0, 2, 3, 1][axis]! : axis;
        const xs = node.inputs.map((i) => this.need(i, layout));
        this.record(node, layout, shape, b.addNode('Concat', node.name, xs, this.target(node, layout), this.typeIn(layout, shape), { axis: { int: onnxAxis } }));
        return;
      }
      case 'zeroPadding2d': {
        const layout = this.pickLayout(node.inputs, shape);
        const [[t, bo], [l, r]] = node.padding;
        const pads = layout === 'nchw' ? [0, 0, t, l, 0, 0, bo, r] : [0, t, l, 0, 0, bo, r, 0];
        const padsName = this.b.addInitializer(`${this.finalName(node.name)}/pads`, 'int64', [8], BigInt64Array.from(pads.map(BigInt)));
        this.record(node, layout, shape, b.addNode('Pad', node.name, [this.need(first, layout), padsName], this.target(node, layout), this.typeIn(layout, shape), {}));
        return;
      }
      default: {
        const other = node as { name: string; kind: string };
        throw new UnsupportedLayerError([{ name: other.name, kind: other.kind }], 'the ONNX exporter (@softweight/onnx)');
      }
    }
  }

  private batchNorm(node: Extract<GraphNode, { kind: 'batchNorm' }>, shape: number[]): void {
    const c = shape[shape.length - 1]!;
    if (shape.length === 3 || shape.length === 1) {
      // ONNX BatchNormalization normalises axis 1: the channel axis of NCHW and of [N, C].
      const layout: Layout = shape.length === 3 ? 'nchw' : 'native';
      const args = [
        this.need(node.inputs[0]!, layout),
        node.gamma !== undefined ? this.weight(node.gamma, 'asIs') : this.constant(`${this.finalName(node.name)}/gamma`, 'float32', [c], new Float32Array(c).fill(1)),
        node.beta !== undefined ? this.weight(node.beta, 'asIs') : this.constant(`${this.finalName(node.name)}/beta`, 'float32', [c], new Float32Array(c)),
        this.weight(node.movingMean, 'asIs'),
        this.weight(node.movingVariance, 'asIs'),
      ];
      this.record(node, layout, shape, this.b.addNode('BatchNormalization', node.name, args, this.target(node, layout), this.typeIn(layout, shape), { epsilon: { float: node.epsilon } }));
      return;
    }
    // Other ranks keep channels last, where BatchNormalization cannot reach: fold to x * scale + shift.
    const gamma = node.gamma !== undefined ? this.weightValues(node.gamma) : new Float32Array(c).fill(1);
    const beta = node.beta !== undefined ? this.weightValues(node.beta) : new Float32Array(c);
    const mean = this.weightValues(node.movingMean);
    const variance = this.weightValues(node.movingVariance);
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      scale[k] = gamma[k]! / Math.sqrt(variance[k]! + node.epsilon);
      shift[k] = beta[k]! - mean[k]! * scale[k]!;
    }
    const base = this.finalName(node.name);
    const type = nativeType(shape);
    const scaled = this.b.addNode('Mul', `${node.name}/scale`, [this.need(node.inputs[0]!, 'native'), this.b.addInitializer(`${base}/scale`, 'float32', [c], scale)], { base: `${base}/scaled` }, type);
    this.record(node, 'native', shape, this.b.addNode('Add', `${node.name}/shift`, [scaled, this.b.addInitializer(`${base}/shift`, 'float32', [c], shift)], this.target(node, 'native'), type));
  }
}

/**
 * Exports a compressed model to ONNX (ai.onnx opset 13 by default) and returns the `.onnx` file bytes.
 * The graph input keeps the tfjs NHWC layout and a symbolic batch dimension `N`; outputs match the
 * tfjs model's. Throws `UnsupportedLayerError` listing every node the exporter cannot express, core's
 * `GraphValidationError`/`CompressedModelError` for an inconsistent model, and `OnnxExportError` for bad options.
 */
export function toOnnx(compressed: CompressedModel, options: ToOnnxOptions = {}): Uint8Array {
  checkNodes(compressed);
  const { mode, opset, rename } = resolveOptions(compressed, options);
  validateCompressedModel(compressed);
  return new Exporter(compressed, mode, rename).run(opset);
}
