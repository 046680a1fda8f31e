// Collects ONNX nodes, initializers and typed values with unique names, then emits an onnx-proto GraphProto.
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';

const { onnx } = onnxProto;

/** Element types the exporter writes. */
export type ElemType = 'float32' | 'uint8' | 'uint16' | 'int32' | 'int64';

/** A dimension: a fixed size, or the symbolic batch dimension. */
export type Dim = number | 'N';

/** The static type of an ONNX value. */
export interface ValueType {
  type: ElemType;
  shape: Dim[];
}

/** An attribute value: an int, a float, or a list of ints. */
export type AttrValue = { int: number } | { float: number } | { ints: readonly number[] };

const DATA_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  uint16: onnx.TensorProto.DataType.UINT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** Symbolic name of the batch dimension in graph inputs, outputs and value infos. */
export const BATCH_DIM = 'N';

function typeProto(t: ValueType): P.ITypeProto {
  return {
    tensorType: {
      elemType: DATA_TYPE[t.type],
      shape: { dim: t.shape.map((d) => (d === 'N' ? { dimParam: BATCH_DIM } : { dimValue: d })) },
    },
  };
}

function attribute(name: string, value: AttrValue): P.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: T.INT, i: value.int };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.INTS, ints: [...value.ints] };
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Little-endian bytes of a typed array, as TensorProto.raw_data requires on every platform. */
function rawBytes(data: Float32Array | Uint8Array | Uint16Array | Int32Array | BigInt64Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i]!, true);
    else if (data instanceof Uint16Array) view.setUint16(i * 2, data[i]!, true);
    else if (data instanceof Int32Array) view.setInt32(i * 4, data[i]!, true);
    else view.setBigInt64(i * 8, data[i]!, true);
  }
  return out;
}

/** Builds one ONNX graph: every value is defined exactly once and every name is unique. */
export class GraphBuilder {
  private readonly taken = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly types = new Map<string, ValueType>();
  private readonly inputs: P.IValueInfoProto[] = [];
  private readonly initializers: P.ITensorProto[] = [];
  private readonly initializerNames = new Set<string>();
  /** Weight-decoding nodes (Cast, Gather) go first so the main body reads in graph order. */
  private readonly prelude: P.INodeProto[] = [];
  private readonly body: P.INodeProto[] = [];

  /** Keeps `name` free for a later `define` with exactly that name. */
  reserve(name: string): void {
    this.taken.add(name);
  }

  /** A value name based on `base` that nothing has used or reserved. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  private freshNodeName(base: string): string {
    let name = base;
    for (let k = 1; this.nodeNames.has(name); k++) name = `${base}_${k}`;
    this.nodeNames.add(name);
    return name;
  }

  private define(name: string, type: ValueType): void {
    if (this.types.has(name)) throw new Error(`internal: ONNX value "${name}" defined twice`);
    this.taken.add(name);
    this.types.set(name, type);
  }

  /** The type of a defined value. */
  typeOf(name: string): ValueType {
    const t = this.types.get(name);
    if (t === undefined) throw new Error(`internal: ONNX value "${name}" used before it is defined`);
    return t;
  }

  /** Declares a graph input. */
  addInput(name: string, type: ValueType): void {
    this.define(name, type);
    this.inputs.push({ name, type: typeProto(type) });
  }

  /** Adds a constant tensor (never also a graph input) under a fresh name based on `base`; returns the name. */
  addInitializer(
    base: string,
    type: ElemType,
    dims: readonly number[],
    data: Float32Array | Uint8Array | Uint16Array | Int32Array | BigInt64Array,
  ): string {
    const name = this.fresh(base);
    this.define(name, { type, shape: [...dims] });
    this.initializerNames.add(name);
    this.initializers.push({ name, dataType: DATA_TYPE[type], dims: [...dims], rawData: rawBytes(data) });
    return name;
  }

  /**
   * Adds a node with one output. `output` is either an exact, previously reserved name or `{ base }` for a
   * fresh one. Every input must already be defined, which keeps the node list topologically sorted.
   */
  addNode(
    opType: string,
    nodeName: string,
    inputs: readonly string[],
    output: string | { base: string },
    outType: ValueType,
    attrs: Readonly<Record<string, AttrValue>> = {},
    where: 'body' | 'prelude' = 'body',
  ): string {
    for (const input of inputs) this.typeOf(input);
    const out = typeof output === 'string' ? output : this.fresh(output.base);
    this.define(out, outType);
    const node: P.INodeProto = {
      name: this.freshNodeName(nodeName),
      opType,
      domain: '',
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    };
    (where === 'prelude' ? this.prelude : this.body).push(node);
    return out;
  }

  /** The GraphProto with `outputs` as graph outputs and a value_info for every other node output. */
  toGraph(name: string, docString: string, outputs: readonly string[]): P.IGraphProto {
    const outSet = new Set(outputs);
    const nodes = [...this.prelude, ...this.body];
    const valueInfo: P.IValueInfoProto[] = [];
    for (const node of nodes) {
      for (const out of node.output ?? []) {
        if (!outSet.has(out)) valueInfo.push({ name: out, type: typeProto(this.typeOf(out)) });
      }
    }
    return {
      name,
      docString,
      node: nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: outputs.map((o) => ({ name: o, type: typeProto(this.typeOf(o)) })),
      valueInfo,
    };
  }
}

/** Serialises a ModelProto with onnx-proto's protobuf encoder; always returns a plain `Uint8Array`. */
export function encodeModel(model: P.IModelProto): Uint8Array {
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  // protobufjs hands back a Node Buffer (a pooled Uint8Array subclass) under Node; copy to a plain array.
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes);
}
