// A small ONNX spec checker (onnx's Python checker is not available here): structure, names, types, op schemas.
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';

const { onnx } = onnxProto;

/** An int64 as protobufjs decodes it (a Long when the long package is present); `Number()` reads both. */
type Int64 = number | { toString(): string };

/** A decoded model with the fields protobufjs always sets on decode (defaults and empty repeated fields). */
export interface DecodedTensor {
  name: string;
  dataType: number;
  dims: Int64[];
  rawData: Uint8Array;
}
/** See `DecodedTensor`. */
export interface DecodedAttribute {
  name: string;
  type: number;
  i: Int64;
  f: number;
  ints: Int64[];
}
/** See `DecodedTensor`. */
export interface DecodedValueInfo {
  name: string;
  type?: P.ITypeProto | null;
}
/** See `DecodedTensor`. */
export interface DecodedNode {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: DecodedAttribute[];
}
/** See `DecodedTensor`. */
export interface DecodedGraph {
  name: string;
  node: DecodedNode[];
  initializer: DecodedTensor[];
  input: DecodedValueInfo[];
  output: DecodedValueInfo[];
  valueInfo: DecodedValueInfo[];
}
/** See `DecodedTensor`. */
export interface DecodedModel {
  irVersion: Int64;
  opsetImport: { domain: string; version: Int64 }[];
  producerName: string;
  producerVersion: string;
  graph: DecodedGraph | null;
  metadataProps: { key: string; value: string }[];
}

/** Decodes ONNX bytes with onnx-proto. */
export function decodeOnnx(bytes: Uint8Array): DecodedModel {
  return onnx.ModelProto.decode(bytes) as unknown as DecodedModel;
}
const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

/** IR version of the ONNX release that introduced each opset (onnx/helper.py VERSION_TABLE). */
const IR_FOR_OPSET: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

const BYTES: Record<number, number> = { [DT.FLOAT]: 4, [DT.UINT8]: 1, [DT.UINT16]: 2, [DT.INT32]: 4, [DT.INT64]: 8 };

const FLOATS = new Set([DT.FLOAT]);
const INT_INDEX = new Set([DT.INT32, DT.INT64]);

interface OpSchema {
  /** Inputs: min and max count. */
  inputs: [number, number];
  /** Allowed attributes and their types. */
  attrs: Record<string, number>;
  /** Required attributes. */
  required?: string[];
  /** Allowed element types per input position (undefined = unchecked). */
  types?: (Set<number> | undefined)[];
}

const POOL_ATTRS = { kernel_shape: AT.INTS, strides: AT.INTS, pads: AT.INTS, auto_pad: AT.STRING, ceil_mode: AT.INT };
const F = [FLOATS];
/** The ai.onnx operators the exporter may write, with their opset 13-21 signatures (what we rely on). */
const SCHEMAS: Record<string, OpSchema> = {
  Gemm: { inputs: [2, 3], attrs: { alpha: AT.FLOAT, beta: AT.FLOAT, transA: AT.INT, transB: AT.INT }, types: [FLOATS, FLOATS, FLOATS] },
  Conv: { inputs: [2, 3], attrs: { ...POOL_ATTRS, dilations: AT.INTS, group: AT.INT }, types: [FLOATS, FLOATS, FLOATS] },
  MaxPool: { inputs: [1, 1], attrs: { ...POOL_ATTRS, dilations: AT.INTS, storage_order: AT.INT }, required: ['kernel_shape'], types: F },
  AveragePool: { inputs: [1, 1], attrs: { ...POOL_ATTRS, count_include_pad: AT.INT }, required: ['kernel_shape'], types: F },
  GlobalAveragePool: { inputs: [1, 1], attrs: {}, types: F },
  Flatten: { inputs: [1, 1], attrs: { axis: AT.INT } },
  Reshape: { inputs: [2, 2], attrs: { allowzero: AT.INT }, types: [undefined, new Set([DT.INT64])] },
  Transpose: { inputs: [1, 1], attrs: { perm: AT.INTS } },
  Relu: { inputs: [1, 1], attrs: {}, types: F },
  Clip: { inputs: [1, 3], attrs: {}, types: [FLOATS, FLOATS, FLOATS] },
  Elu: { inputs: [1, 1], attrs: { alpha: AT.FLOAT }, types: F },
  Sigmoid: { inputs: [1, 1], attrs: {}, types: F },
  Tanh: { inputs: [1, 1], attrs: {}, types: F },
  Softmax: { inputs: [1, 1], attrs: { axis: AT.INT }, types: F },
  Identity: { inputs: [1, 1], attrs: {} },
  BatchNormalization: { inputs: [5, 5], attrs: { epsilon: AT.FLOAT, momentum: AT.FLOAT }, types: [FLOATS, FLOATS, FLOATS, FLOATS, FLOATS] },
  Add: { inputs: [2, 2], attrs: {} },
  Sum: { inputs: [1, 2147483647], attrs: {} },
  Mul: { inputs: [2, 2], attrs: {} },
  Concat: { inputs: [1, 2147483647], attrs: { axis: AT.INT }, required: ['axis'] },
  Pad: { inputs: [2, 3], attrs: { mode: AT.STRING }, types: [undefined, new Set([DT.INT64])] },
  Cast: { inputs: [1, 1], attrs: { to: AT.INT }, required: ['to'] },
  Gather: { inputs: [2, 2], attrs: { axis: AT.INT }, types: [undefined, INT_INDEX] },
};

function fail(msg: string): never {
  throw new Error(`ONNX spec check: ${msg}`);
}

function tensorType(t: P.ITypeProto | null | undefined, where: string): { elem: number; dims: (number | string)[] } {
  const tt = t?.tensorType;
  if (!tt || !tt.elemType) fail(`${where} has no tensor element type`);
  if (!tt.shape || !tt.shape.dim) fail(`${where} has no shape`);
  const dims = tt.shape.dim.map((d, i) => {
    if (d.dimParam) return d.dimParam;
    const v = Number(d.dimValue);
    if (!Number.isInteger(v) || v < 0) fail(`${where} dim ${i} has neither dim_value >= 0 nor dim_param`);
    return v;
  });
  return { elem: tt.elemType, dims };
}

/** Decodes `bytes` and checks it against the rules of the ONNX IR spec we depend on; returns the decoded model. */
export function checkOnnx(bytes: Uint8Array): DecodedModel & { graph: DecodedGraph } {
  const model = decodeOnnx(bytes);
  const ir = Number(model.irVersion);
  if (model.opsetImport.length !== 1) fail(`expected exactly one opset_import, got ${model.opsetImport.length}`);
  const op = model.opsetImport[0]!;
  if (op.domain !== '' && op.domain !== 'ai.onnx') fail(`unexpected opset domain "${op.domain}"`);
  const opset = Number(op.version);
  if (IR_FOR_OPSET[opset] === undefined) fail(`opset ${opset} outside the checked range 13-21`);
  if (ir !== IR_FOR_OPSET[opset]) fail(`ir_version ${ir} does not go with opset ${opset} (expected ${IR_FOR_OPSET[opset]})`);
  if (!model.producerName || !model.producerVersion) fail('producer_name/producer_version missing');
  const g = model.graph;
  if (!g) fail('no graph');
  if (!g.name) fail('graph has no name');
  const checked = model as DecodedModel & { graph: DecodedGraph };

  const types = new Map<string, { elem: number; dims: (number | string)[] }>();
  const define = (name: string, t: { elem: number; dims: (number | string)[] }, what: string): void => {
    if (!name) fail(`${what} with an empty name`);
    if (types.has(name)) fail(`value "${name}" defined twice (${what}); ONNX graphs are SSA`);
    types.set(name, t);
  };
  const initNames = new Set<string>();
  for (const init of g.initializer) {
    const dims = init.dims.map(Number);
    const n = dims.reduce((a, b) => a * b, 1);
    const size = BYTES[init.dataType];
    if (size === undefined) fail(`initializer "${init.name}" has unexpected data_type ${init.dataType}`);
    if (init.rawData.length !== n * size) fail(`initializer "${init.name}" has ${init.rawData.length} bytes, dims [${dims}] need ${n * size}`);
    define(init.name, { elem: init.dataType, dims }, 'initializer');
    initNames.add(init.name);
  }
  if (g.input.length === 0) fail('graph has no inputs');
  for (const input of g.input) {
    if (initNames.has(input.name)) fail(`initializer "${input.name}" is also listed as a graph input`);
    const t = tensorType(input.type, `input "${input.name}"`);
    if (t.dims[0] !== 'N') fail(`input "${input.name}" batch dimension is ${t.dims[0]}, expected dim_param "N"`);
    define(input.name, t, 'graph input');
  }

  const infos = new Map<string, { elem: number; dims: (number | string)[] }>();
  for (const vi of g.valueInfo) {
    if (infos.has(vi.name)) fail(`value_info "${vi.name}" listed twice`);
    infos.set(vi.name, tensorType(vi.type, `value_info "${vi.name}"`));
  }
  const outputs = new Map(g.output.map((o) => [o.name, tensorType(o.type, `output "${o.name}"`)]));
  if (outputs.size !== g.output.length) fail('duplicate graph output names');

  const nodeNames = new Set<string>();
  for (const node of g.node) {
    if (!node.name) fail(`a ${node.opType} node has no name`);
    if (nodeNames.has(node.name)) fail(`node name "${node.name}" used twice`);
    nodeNames.add(node.name);
    if (node.domain !== '' && node.domain !== 'ai.onnx') fail(`node "${node.name}" has domain "${node.domain}"`);
    const schema = SCHEMAS[node.opType];
    if (!schema) fail(`node "${node.name}" uses operator ${node.opType}, which the checker does not know`);
    const [lo, hi] = schema.inputs;
    if (node.input.length < lo || node.input.length > hi) fail(`node "${node.name}" (${node.opType}) has ${node.input.length} inputs, expected ${lo}..${hi}`);
    const attrNames = new Set<string>();
    for (const a of node.attribute) {
      if (attrNames.has(a.name)) fail(`node "${node.name}" repeats attribute ${a.name}`);
      attrNames.add(a.name);
      const type = schema.attrs[a.name];
      if (type === undefined) fail(`node "${node.name}" (${node.opType}) has unknown attribute ${a.name}`);
      if (a.type !== type) fail(`node "${node.name}" attribute ${a.name} has type ${a.type}, expected ${type}`);
    }
    for (const r of schema.required ?? []) if (!attrNames.has(r)) fail(`node "${node.name}" (${node.opType}) lacks required attribute ${r}`);
    node.input.forEach((input, i) => {
      const t = types.get(input);
      if (t === undefined) fail(`node "${node.name}" reads "${input}" before it is defined (not topologically sorted or dangling)`);
      const allowed = schema.types?.[i];
      if (allowed && !allowed.has(t.elem)) fail(`node "${node.name}" (${node.opType}) input ${i} "${input}" has element type ${t.elem}`);
    });
    if (node.output.length !== 1) fail(`node "${node.name}" has ${node.output.length} outputs, the exporter writes one`);
    const out = node.output[0]!;
    const declared = outputs.get(out) ?? infos.get(out);
    if (!declared) fail(`node output "${out}" has neither a value_info nor a graph output entry`);
    define(out, declared, `output of node "${node.name}"`);
    if (node.opType === 'Cast') {
      const to = node.attribute.find((a) => a.name === 'to')!;
      if (Number(to.i) !== declared.elem) fail(`Cast "${node.name}" casts to ${Number(to.i)} but its output is declared ${declared.elem}`);
    }
  }
  for (const name of infos.keys()) if (!types.has(name) || initNames.has(name)) fail(`value_info "${name}" names no node output`);
  for (const [name, t] of outputs) {
    if (!types.has(name)) fail(`graph output "${name}" is never produced`);
    if (t.dims[0] !== 'N') fail(`output "${name}" batch dimension is ${t.dims[0]}, expected dim_param "N"`);
    if (t.elem !== DT.FLOAT) fail(`output "${name}" is not float32`);
  }
  return checked;
}
