// Parser of the IDX format (MNIST's): big-endian header, validated magic number, dimensions and exact size.
import { DatasetError } from './errors.js';

/** Element types an IDX file can hold, by the name of its type code. */
export type IdxType = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

/** A parsed IDX file: element type, dimensions and the data (row-major, native byte order). */
export interface IdxArray {
  /** Element type (third byte of the magic number). */
  type: IdxType;
  /** Dimensions, outermost first (e.g. `[60000, 28, 28]`). */
  dims: number[];
  /** The elements; for `ubyte` a view on the input bytes, otherwise a converted copy. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: ReadonlyMap<number, { type: IdxType; size: number }> = new Map([
  [0x08, { type: 'ubyte', size: 1 }],
  [0x09, { type: 'byte', size: 1 }],
  [0x0b, { type: 'short', size: 2 }],
  [0x0c, { type: 'int', size: 4 }],
  [0x0d, { type: 'float', size: 4 }],
  [0x0e, { type: 'double', size: 8 }],
]);

/** The 32-bit magic number of an IDX file of `type` with `rank` dimensions, e.g. `0x00000803` for ubyte images. */
export function idxMagic(type: IdxType, rank: number): number {
  for (const [code, t] of TYPES) if (t.type === type) return (code << 8) | rank;
  throw new DatasetError(null, `unknown IDX type "${type}"`);
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * Parses one IDX file. Checks the magic number (two zero bytes, a known type code, 1 to 255 dimensions), the
 * dimensions, and that the file is exactly header + data long. `name` (usually the path) is named in every error.
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (bytes.length < 4) {
    throw new DatasetError(name, `is ${bytes.length} bytes, too short for an IDX header (at least 4 bytes); the file is truncated or not an IDX file`, { actualBytes: bytes.length });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = TYPES.get(bytes[2]!);
  const rank = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || rank === 0) {
    throw new DatasetError(name, `is not an IDX file: magic number ${hex(magic)}; an IDX file starts with 0x0000, a type code (0x08 ubyte ... 0x0e double) and the number of dimensions, e.g. 0x00000803 for images, 0x00000801 for labels`);
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new DatasetError(name, `truncated: its header declares ${rank} dimensions, so the header alone is ${headerBytes} bytes, but the file is ${bytes.length} bytes`, { expectedBytes: headerBytes, actualBytes: bytes.length });
  }
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    dims.push(n);
    count *= n;
  }
  const expected = headerBytes + count * type.size;
  const layout = `${headerBytes}-byte header + ${dims.join(' x ')} ${type.type}${type.size > 1 ? ` x ${type.size} bytes` : ''}`;
  if (bytes.length < expected) {
    throw new DatasetError(name, `truncated: expected ${expected} bytes (${layout}), got ${bytes.length}; download the file again`, { expectedBytes: expected, actualBytes: bytes.length });
  }
  if (bytes.length > expected) {
    throw new DatasetError(name, `has ${bytes.length - expected} unexpected trailing bytes: expected ${expected} bytes (${layout}), got ${bytes.length}`, { expectedBytes: expected, actualBytes: bytes.length });
  }
  const body = bytes.subarray(headerBytes);
  return { type: type.type, dims, data: convert(type.type, body, count) };
}

function convert(type: IdxType, body: Uint8Array, count: number): IdxArray['data'] {
  if (type === 'ubyte') return body;
  if (type === 'byte') return new Int8Array(body.buffer, body.byteOffset, count).slice();
  // Multi-byte elements are big-endian in IDX: read them through a DataView instead of reinterpreting memory.
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (type) {
    case 'short': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = v.getInt16(2 * i, false);
      return out;
    }
    case 'int': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = v.getInt32(4 * i, false);
      return out;
    }
    case 'float': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = v.getFloat32(4 * i, false);
      return out;
    }
    case 'double': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = v.getFloat64(8 * i, false);
      return out;
    }
  }
}

/** Serialises an array as an IDX file (big-endian), the inverse of `parseIdx`; handy for writing test fixtures. */
export function encodeIdx(array: IdxArray): Uint8Array {
  const t = [...TYPES.entries()].find(([, v]) => v.type === array.type);
  if (t === undefined) throw new DatasetError(null, `unknown IDX type "${array.type}"`);
  const [code, { size }] = t;
  const count = array.dims.reduce((a, b) => a * b, 1);
  if (array.data.length !== count) throw new DatasetError(null, `IDX data has ${array.data.length} elements but dimensions [${array.dims.join(', ')}] need ${count}`);
  const headerBytes = 4 + 4 * array.dims.length;
  const out = new Uint8Array(headerBytes + count * size);
  const v = new DataView(out.buffer);
  v.setUint32(0, (code << 8) | array.dims.length, false);
  array.dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const x = array.data[i]!;
    const at = headerBytes + i * size;
    switch (array.type) {
      case 'ubyte':
        v.setUint8(at, x);
        break;
      case 'byte':
        v.setInt8(at, x);
        break;
      case 'short':
        v.setInt16(at, x, false);
        break;
      case 'int':
        v.setInt32(at, x, false);
        break;
      case 'float':
        v.setFloat32(at, x, false);
        break;
      case 'double':
        v.setFloat64(at, x, false);
        break;
    }
  }
  return out;
}
