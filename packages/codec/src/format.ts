// The .sws container: header, CRC-checked sections (head, graph, metadata, data), tensor records; encode, decode, inspect.
import {
  CompressedModelError,
  entropyBits,
  GraphValidationError,
  shapeSize,
  validateCompressedModel,
  type Codebook,
  type CompressedModel,
  type FloatTensor,
  type JsonValue,
  type QuantizedTensor,
} from '@softweight/core';
import { crc32 } from './crc32.js';
import { SwsFormatError, type SwsSection } from './errors.js';
import { BitWriter, ByteReader, ByteWriter, bitLength } from './io.js';
import { checkGraphJson, canonicalJson, expandJson, JSON_DICTIONARY, parseJson, tokenizeJson } from './json.js';
import { decodeStream, encodeStream, type StreamStats } from './stream.js';

/** The four magic bytes every `.sws` file starts with: "SWS" and 0x1A. */
export const SWS_MAGIC: readonly number[] = [0x53, 0x57, 0x53, 0x1a];
/** The format version this package writes and reads. */
export const SWS_FORMAT_VERSION = 1;

/** Size limits the decoder enforces before allocating anything (see docs/format.md, "Limits"). */
export const SWS_LIMITS = {
  /** Default cap on decoded elements in total (codebook values + quantized + float elements). */
  maxElements: 2 ** 28,
  /** Codebooks per file. */
  maxCodebooks: 65536,
  /** Quantized tensors, and float tensors, per file (each). */
  maxTensors: 65536,
  /** Values per codebook (indices are 16-bit). */
  maxCodebookSize: 65536,
  /** Tensor rank. */
  maxRank: 16,
  /** Bytes of a UTF-8 name. */
  maxNameBytes: 4096,
  /** Bytes of the graph's or the metadata's UTF-8 JSON text (each). */
  maxJsonBytes: 16 * 2 ** 20,
} as const;

/** Options of `decode` and `inspect`. */
export interface DecodeOptions {
  /** Cap on decoded elements in total; files declaring more are rejected before allocation. Default `SWS_LIMITS.maxElements`. */
  maxElements?: number;
}

const SECTION = { head: 1, graph: 2, metadata: 3, data: 4 } as const;
type SectionName = keyof typeof SECTION;
const HEADER_BYTES = 8;
/** Largest "direct" gap width and "mantissa" width of the gap tokens. */
const MAX_DIRECT_BITS = 8;
const MAX_MANTISSA_BITS = 3;

const LAYOUT_GAPS = 0;
const LAYOUT_DENSE = 1;
/** Gaps counted in last-axis-major order: for a dense kernel `[in, out]`, unit by unit. */
const LAYOUT_GAPS_LAST_AXIS = 2;
const FLOAT_RAW = 0;
const FLOAT_PLANES = 1;

/** How a quantized tensor's record stores its indices (see `QuantizedTensorStats.layout`). */
export type QuantizedLayout = 'gaps' | 'gaps-last-axis' | 'dense';

/** Statistics of one quantized tensor's record. */
export interface QuantizedTensorStats {
  /** Tensor name. */
  name: string;
  /** Number of elements. */
  elements: number;
  /** Elements whose index is not the codebook's zero index. */
  nonZeros: number;
  /**
   * `gaps`: positions as gap tokens + extra bits in row-major order, then the non-zero indices;
   * `gaps-last-axis`: the same, scanning the last axis outermost (a dense kernel unit by unit);
   * `dense`: every element's index coded.
   */
  layout: QuantizedLayout;
  /** Bytes of the tensor's record in the data section. */
  bytes: number;
  /** Gap token parameters (`gaps` layout): gaps below 2^direct are tokens, longer gaps keep `mantissa` bits in the token. */
  gapParams?: { direct: number; mantissa: number };
  /** The gap token stream (`gaps` layout); `entropyBits` is over the tokens. */
  gapTokens?: StreamStats;
  /** Bytes of the gaps' extra (raw) bits (`gaps` layout). */
  gapExtraBytes?: number;
  /** Empirical entropy of the gap values themselves, in bits (`gaps` layout). */
  gapEntropyBits?: number;
  /** The non-zero indices stream (`gaps` layout). */
  indices?: StreamStats;
  /** The all-elements index stream (`dense` layout). */
  symbols?: StreamStats;
}

/** Statistics of one float tensor's record. */
export interface FloatTensorStats {
  /** Tensor name. */
  name: string;
  /** Number of elements. */
  elements: number;
  /** `raw` little-endian float32, or `planes`: the four bytes of each value as four coded streams. */
  layout: 'raw' | 'planes';
  /** Bytes of the tensor's record in the data section. */
  bytes: number;
  /** The four byte-plane streams (`planes` layout), least significant byte first. */
  planes?: StreamStats[];
}

/** What `encodeWithStats` reports: every section's size and every stream's coding choice and cost. */
export interface SwsEncodeStats {
  /** Total file size. */
  fileBytes: number;
  /** Bytes per section including its 9 framing bytes (id, length, CRC); `header` is the 8-byte file header. */
  sections: { name: 'header' | SectionName; bytes: number }[];
  /** The graph JSON stream. */
  graph: StreamStats;
  /** The metadata JSON stream, when the model has metadata. */
  metadata?: StreamStats;
  /** One entry per quantized tensor, in file order. */
  quantized: QuantizedTensorStats[];
  /** One entry per float tensor, in file order. */
  float: FloatTensorStats[];
}

/** Header and per-tensor summary of a `.sws` file, read without decoding any weights. */
export interface SwsInfo {
  /** Format version of the file. */
  formatVersion: number;
  /** File size. */
  fileBytes: number;
  /** Every section with its offset and payload size. */
  sections: { name: SectionName; offset: number; bytes: number }[];
  /** Bytes of the graph's JSON text. */
  graphJsonBytes: number;
  /** Whether the file carries metadata. */
  hasMetadata: boolean;
  /** Codebooks, with their values. */
  codebooks: { name: string; size: number; zeroIndex: number; values: Float32Array }[];
  /** Quantized tensors. */
  quantized: { name: string; shape: number[]; codebook: string; elements: number; nonZeros: number; bytes: number; layout: QuantizedLayout }[];
  /** Float tensors. */
  float: { name: string; shape: number[]; elements: number; bytes: number; layout: 'raw' | 'planes' }[];
}

// ---------------------------------------------------------------------------------------------- encode

const utf8 = new TextEncoder();

function writeString(w: ByteWriter, s: string, section: SwsSection, field: string): void {
  const b = utf8.encode(s);
  if (b.length > SWS_LIMITS.maxNameBytes) throw new SwsFormatError(section, field, `name "${s.slice(0, 40)}..." is ${b.length} bytes, the limit is ${SWS_LIMITS.maxNameBytes}`);
  w.varint(b.length);
  w.bytes(b);
}

function writeShape(w: ByteWriter, shape: readonly number[], name: string): void {
  if (shape.length > SWS_LIMITS.maxRank) throw new SwsFormatError('head', `tensor "${name}".shape`, `rank ${shape.length} exceeds ${SWS_LIMITS.maxRank}`);
  w.varint(shape.length);
  for (const d of shape) {
    if (d > 0xffffffff) throw new SwsFormatError('head', `tensor "${name}".shape`, `dimension ${d} exceeds 2^32 - 1`);
    w.varint(d);
  }
}

/** Token alphabet size for gap parameters (d, m): 2^d direct tokens, then 2^m per exponent d..31. */
function tokenAlphabet(d: number, m: number): number {
  return 2 ** d + (32 - d) * 2 ** m;
}

/** Splits gap values into tokens and extra bits (see docs/format.md, "Gap tokens"). */
function gapTokens(gaps: Uint32Array, d: number, m: number): { tokens: Uint32Array; extraBits: number } {
  const tokens = new Uint32Array(gaps.length);
  const direct = 2 ** d;
  let extraBits = 0;
  for (let i = 0; i < gaps.length; i++) {
    const v = gaps[i]!;
    if (v < direct) {
      tokens[i] = v;
      continue;
    }
    const n = bitLength(v) - 1;
    const top = Math.floor(v / 2 ** (n - m)) - 2 ** m;
    tokens[i] = direct + (n - d) * 2 ** m + top;
    extraBits += n - m;
  }
  return { tokens, extraBits };
}

/**
 * Candidate (d, m) pairs, best first by estimated size: token entropy + extra bits + a rough table
 * cost. The caller encodes the first few for real: tables and rounding decide between close ones.
 */
function rankGapParams(gaps: Uint32Array): { d: number; m: number }[] {
  const ranked: { d: number; m: number; bits: number }[] = [];
  for (let d = 0; d <= MAX_DIRECT_BITS; d++) {
    for (let m = 0; m <= Math.min(d, MAX_MANTISSA_BITS); m++) {
      const { tokens, extraBits } = gapTokens(gaps, d, m);
      const counts = new Uint32Array(tokenAlphabet(d, m));
      for (const t of tokens) counts[t]!++;
      let used = 0;
      for (const c of counts) if (c > 0) used++;
      ranked.push({ d, m, bits: entropyBits(counts) + extraBits + used * 12 });
    }
  }
  return ranked.sort((x, y) => x.bits - y.bits || x.d - y.d || x.m - y.m);
}

/** Token stream and extra bits of `gaps` with parameters (d, m). */
function encodeGapTokens(gaps: Uint32Array, d: number, m: number): { bytes: Uint8Array; tokens: StreamStats; extraBytes: number } {
  const w = new ByteWriter();
  w.u8(d | (m << 4));
  const tokens = encodeStream(gapTokens(gaps, d, m).tokens, tokenAlphabet(d, m), w);
  const extra = new BitWriter();
  for (let i = 0; i < gaps.length; i++) {
    const v = gaps[i]!;
    if (v < 2 ** d) continue;
    const nb = bitLength(v) - 1 - m;
    extra.writeLong(v % 2 ** nb, nb);
  }
  const extraBytes = extra.finish();
  w.bytes(extraBytes);
  return { bytes: w.finish(), tokens, extraBytes: extraBytes.length };
}

/** Rows and columns of the scan: last-axis-major order reads element `r * cols + c` at position `c * rows + r`. */
function scanShape(shape: readonly number[]): { rows: number; cols: number } {
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  return { rows: cols === 0 ? 0 : shapeSize(shape) / cols, cols };
}

/** The gaps record of one scan order: gap tokens, extra bits, non-zero indices. */
function encodeGaps(t: QuantizedTensor, cb: Codebook, nonZeros: number, lastAxis: boolean): { bytes: Uint8Array; stats: Omit<QuantizedTensorStats, 'name' | 'elements' | 'nonZeros' | 'bytes'> } {
  const n = t.indices.length;
  const z = cb.zeroIndex;
  const { rows, cols } = scanShape(t.shape);
  const gaps = new Uint32Array(nonZeros);
  const syms = new Uint16Array(nonZeros);
  let prev = -1;
  let j = 0;
  for (let p = 0; p < n; p++) {
    const s = t.indices[lastAxis ? (p % rows) * cols + Math.floor(p / rows) : p]!;
    if (s === z) continue;
    gaps[j] = p - prev - 1;
    syms[j] = s > z ? s - 1 : s;
    prev = p;
    j++;
  }
  let best: (ReturnType<typeof encodeGapTokens> & { d: number; m: number }) | null = null;
  for (const { d, m } of rankGapParams(gaps).slice(0, 6)) {
    const c = encodeGapTokens(gaps, d, m);
    if (best === null || c.bytes.length < best.bytes.length) best = { ...c, d, m };
  }
  const { d, m } = best!;
  const gw = new ByteWriter();
  gw.u8(lastAxis ? LAYOUT_GAPS_LAST_AXIS : LAYOUT_GAPS);
  gw.bytes(best!.bytes);
  const tokenStats = best!.tokens;
  const extraBytes = { length: best!.extraBytes };
  const indexStats = encodeStream(syms, cb.values.length - 1, gw);
  const gapCounts = new Map<number, number>();
  for (const v of gaps) gapCounts.set(v, (gapCounts.get(v) ?? 0) + 1);
  return {
    bytes: gw.finish(),
    stats: {
      layout: lastAxis ? 'gaps-last-axis' : 'gaps',
      gapParams: { direct: d, mantissa: m },
      gapTokens: tokenStats,
      gapExtraBytes: extraBytes.length,
      gapEntropyBits: entropyBits([...gapCounts.values()]),
      indices: indexStats,
    },
  };
}

function encodeQuantized(t: QuantizedTensor, cb: Codebook, out: ByteWriter): QuantizedTensorStats {
  const n = t.indices.length;
  const z = cb.zeroIndex;
  let nonZeros = 0;
  for (let i = 0; i < n; i++) if (t.indices[i] !== z) nonZeros++;
  const base = { name: t.name, elements: n, nonZeros };

  // Candidates: gaps in row-major order, gaps in last-axis-major order (when that is a different
  // order), every element's index in one stream. The smallest wins; ties keep the earlier.
  const candidates: { bytes: Uint8Array; stats: Omit<QuantizedTensorStats, 'name' | 'elements' | 'nonZeros' | 'bytes'> }[] = [encodeGaps(t, cb, nonZeros, false)];
  const { rows, cols } = scanShape(t.shape);
  if (rows > 1 && cols > 1) candidates.push(encodeGaps(t, cb, nonZeros, true));
  const dw = new ByteWriter();
  dw.u8(LAYOUT_DENSE);
  const symbols = encodeStream(t.indices, cb.values.length, dw);
  candidates.push({ bytes: dw.finish(), stats: { layout: 'dense', symbols } });
  let best = candidates[0]!;
  for (const c of candidates) if (c.bytes.length < best.bytes.length) best = c;
  out.bytes(best.bytes);
  return { ...base, bytes: best.bytes.length, ...best.stats };
}

function encodeFloat(t: FloatTensor, out: ByteWriter): FloatTensorStats {
  const n = t.values.length;
  const bytes = new Uint8Array(n * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) view.setFloat32(4 * i, t.values[i]!, true);
  const pw = new ByteWriter();
  pw.u8(FLOAT_PLANES);
  const planes: StreamStats[] = [];
  const plane = new Uint8Array(n);
  for (let b = 0; b < 4; b++) {
    for (let i = 0; i < n; i++) plane[i] = bytes[4 * i + b]!;
    planes.push(encodeStream(plane, 256, pw));
  }
  if (pw.length < 1 + bytes.length) {
    out.bytes(pw.peek());
    return { name: t.name, elements: n, layout: 'planes', bytes: pw.length, planes };
  }
  out.u8(FLOAT_RAW);
  out.bytes(bytes);
  return { name: t.name, elements: n, layout: 'raw', bytes: 1 + bytes.length };
}

/** Symbols of the JSON streams: the 256 byte values, then the dictionary entries. */
const JSON_ALPHABET = 256 + JSON_DICTIONARY.length;

function encodeJson(text: string, section: 'graph' | 'metadata', out: ByteWriter): StreamStats {
  const b = utf8.encode(text);
  if (b.length > SWS_LIMITS.maxJsonBytes) throw new SwsFormatError(section, 'json', `${b.length} bytes of JSON exceed the limit of ${SWS_LIMITS.maxJsonBytes}`);
  const symbols = tokenizeJson(b);
  out.varint(b.length);
  out.varint(symbols.length);
  return encodeStream(symbols, JSON_ALPHABET, out);
}

function writeSection(out: ByteWriter, name: SectionName, payload: Uint8Array): number {
  const start = out.length;
  out.u8(SECTION[name]);
  out.u32(payload.length);
  out.bytes(payload);
  out.u32(crc32(out.peek(), start, out.length));
  return out.length - start;
}

/**
 * Encodes a compressed model as `.sws` bytes and reports every section's and stream's size. The model is
 * validated first (core's `validateCompressedModel`); the output is a pure function of the model.
 */
export function encodeWithStats(model: CompressedModel): { bytes: Uint8Array; stats: SwsEncodeStats } {
  validateCompressedModel(model);
  const codebookIndex = new Map(model.codebooks.map((cb, i) => [cb.name, i]));
  if (model.codebooks.length > SWS_LIMITS.maxCodebooks) throw new SwsFormatError('head', 'codebookCount', `${model.codebooks.length} codebooks exceed ${SWS_LIMITS.maxCodebooks}`);
  if (model.quantized.length > SWS_LIMITS.maxTensors || model.float.length > SWS_LIMITS.maxTensors) {
    throw new SwsFormatError('head', 'tensorCount', `more than ${SWS_LIMITS.maxTensors} tensors of one kind`);
  }

  const data = new ByteWriter();
  const quantized = model.quantized.map((t) => encodeQuantized(t, model.codebooks[codebookIndex.get(t.codebook)!]!, data));
  const float = model.float.map((t) => encodeFloat(t, data));

  const head = new ByteWriter();
  head.varint(model.codebooks.length);
  for (const cb of model.codebooks) {
    writeString(head, cb.name, 'head', 'codebook.name');
    head.varint(cb.values.length - 1);
    head.varint(cb.zeroIndex);
    for (const v of cb.values) head.f32(v);
  }
  head.varint(model.quantized.length);
  model.quantized.forEach((t, i) => {
    writeString(head, t.name, 'head', 'quantized.name');
    writeShape(head, t.shape, t.name);
    head.varint(codebookIndex.get(t.codebook)!);
    head.varint(quantized[i]!.nonZeros);
    head.varint(quantized[i]!.bytes);
  });
  head.varint(model.float.length);
  model.float.forEach((t, i) => {
    writeString(head, t.name, 'head', 'float.name');
    writeShape(head, t.shape, t.name);
    head.varint(float[i]!.bytes);
  });

  const graphW = new ByteWriter();
  const graph = encodeJson(canonicalJson(model.graph, 'graph'), 'graph', graphW);
  let metaW: ByteWriter | null = null;
  let metadata: StreamStats | undefined;
  if (model.metadata !== undefined) {
    metaW = new ByteWriter();
    metadata = encodeJson(canonicalJson(model.metadata, 'metadata'), 'metadata', metaW);
  }

  const out = new ByteWriter();
  for (const b of SWS_MAGIC) out.u8(b);
  out.u16(SWS_FORMAT_VERSION);
  out.u16(0);
  const sections: SwsEncodeStats['sections'] = [{ name: 'header', bytes: HEADER_BYTES }];
  sections.push({ name: 'head', bytes: writeSection(out, 'head', head.peek()) });
  sections.push({ name: 'graph', bytes: writeSection(out, 'graph', graphW.peek()) });
  if (metaW) sections.push({ name: 'metadata', bytes: writeSection(out, 'metadata', metaW.peek()) });
  sections.push({ name: 'data', bytes: writeSection(out, 'data', data.peek()) });
  const bytes = out.finish();
  const stats: SwsEncodeStats = { fileBytes: bytes.length, sections, graph, quantized, float };
  if (metadata) stats.metadata = metadata;
  return { bytes, stats };
}

/** Encodes a compressed model as `.sws` bytes (deterministic: the same model always gives the same bytes). */
export function encode(model: CompressedModel): Uint8Array {
  return encodeWithStats(model).bytes;
}

// ---------------------------------------------------------------------------------------------- decode

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function readString(r: ByteReader, field: string): string {
  const n = r.varint(`${field}.length`, SWS_LIMITS.maxNameBytes);
  const b = r.take(n, field);
  try {
    return utf8Decoder.decode(b);
  } catch (cause) {
    throw new SwsFormatError(r.section, field, 'not valid UTF-8', { cause });
  }
}

interface Budget {
  left: number;
}

function spend(r: ByteReader, budget: Budget, n: number, field: string): void {
  if (n > budget.left) r.fail(field, `${n} more elements exceed the decoder's element limit (maxElements); raise DecodeOptions.maxElements if the file is trusted`);
  budget.left -= n;
}

function readShape(r: ByteReader, field: string, budget: Budget): { shape: number[]; size: number } {
  const rank = r.varint(`${field}.rank`, SWS_LIMITS.maxRank);
  const shape: number[] = [];
  let size = 1;
  for (let k = 0; k < rank; k++) {
    const d = r.varint(`${field}.shape[${k}]`);
    shape.push(d);
    size *= d;
    // Bounded early so the product never grows past the budget (a 0 dimension keeps it at 0).
    if (size > budget.left) r.fail(`${field}.shape`, `[${shape.join(', ')}...] exceeds the decoder's element limit (maxElements)`);
  }
  spend(r, budget, size, `${field}.shape`);
  return { shape, size };
}

interface HeadEntry {
  name: string;
  shape: number[];
  size: number;
  bytes: number;
}
interface Head {
  codebooks: Codebook[];
  quantized: (HeadEntry & { codebook: number; nonZeros: number })[];
  float: HeadEntry[];
}

interface Framed {
  head: [number, number];
  graph: [number, number];
  metadata: [number, number] | null;
  data: [number, number];
  version: number;
}

function readFrame(bytes: Uint8Array): Framed {
  if (!(bytes instanceof Uint8Array)) throw new SwsFormatError('header', 'bytes', 'input must be a Uint8Array');
  const r = new ByteReader(bytes, 'header');
  for (let i = 0; i < SWS_MAGIC.length; i++) {
    if (r.u8('magic') !== SWS_MAGIC[i]) r.fail('magic', 'not a .sws file (bad magic bytes)');
  }
  const version = r.u16('formatVersion');
  if (version !== SWS_FORMAT_VERSION) r.fail('formatVersion', `version ${version} is not supported; this decoder reads version ${SWS_FORMAT_VERSION}`);
  const flags = r.u16('flags');
  if (flags !== 0) r.fail('flags', `reserved flags ${flags} must be 0 in version ${SWS_FORMAT_VERSION}`);
  const found: Partial<Record<SectionName, [number, number]>> = {};
  const order: SectionName[] = ['head', 'graph', 'metadata', 'data'];
  let next = 0;
  while (r.remaining > 0) {
    const sr = new ByteReader(bytes, 'header', r.pos);
    const id = sr.u8('section.id');
    const name = order.slice(next).find((n) => SECTION[n] === id);
    if (name === undefined) return sr.fail('section.id', `unexpected section id ${id} at offset ${r.pos}`);
    const section = new ByteReader(bytes, name, r.pos + 1);
    const len = section.u32('length');
    section.need(len + 4, 'length');
    const crc = new DataView(bytes.buffer, bytes.byteOffset).getUint32(section.pos + len, true);
    if (crc32(bytes, r.pos, section.pos + len) !== crc) section.fail('crc32', 'checksum mismatch: the section is corrupted');
    found[name] = [section.pos, section.pos + len];
    r.pos = section.pos + len + 4;
    next = order.indexOf(name) + 1;
    if (name === 'data') break;
  }
  if (!found.head) throw new SwsFormatError('head', 'section', 'missing (truncated file?)');
  if (!found.graph) throw new SwsFormatError('graph', 'section', 'missing (truncated file?)');
  if (!found.data) throw new SwsFormatError('data', 'section', 'missing (truncated file?)');
  if (r.remaining > 0) r.fail('trailer', `${r.remaining} bytes after the data section`);
  return { head: found.head, graph: found.graph, metadata: found.metadata ?? null, data: found.data, version };
}

function readHead(bytes: Uint8Array, [start, end]: [number, number], budget: Budget): Head {
  const r = new ByteReader(bytes, 'head', start, end);
  const codebookCount = r.varint('codebookCount', SWS_LIMITS.maxCodebooks);
  const codebooks: Codebook[] = [];
  for (let c = 0; c < codebookCount; c++) {
    const at = `codebooks[${c}]`;
    const name = readString(r, `${at}.name`);
    const size = r.varint(`${at}.size`, SWS_LIMITS.maxCodebookSize - 1) + 1;
    const zeroIndex = r.varint(`${at}.zeroIndex`, size - 1);
    spend(r, budget, size, `${at}.size`);
    r.need(4 * size, `${at}.values`);
    const values = new Float32Array(size);
    for (let k = 0; k < size; k++) values[k] = r.f32(`${at}.values`);
    codebooks.push({ name, values, zeroIndex });
  }
  const qCount = r.varint('quantizedCount', SWS_LIMITS.maxTensors);
  const quantized: Head['quantized'] = [];
  for (let i = 0; i < qCount; i++) {
    const at = `quantized[${i}]`;
    const name = readString(r, `${at}.name`);
    const { shape, size } = readShape(r, `quantized "${name}"`, budget);
    const codebook = r.varint(`quantized "${name}".codebook`, codebookCount - 1);
    if (codebookCount === 0) r.fail(`quantized "${name}".codebook`, 'refers to a codebook but the file has none');
    const nonZeros = r.varint(`quantized "${name}".nonZeros`, size);
    const dataBytes = r.varint(`quantized "${name}".dataBytes`);
    quantized.push({ name, shape, size, codebook, nonZeros, bytes: dataBytes });
  }
  const fCount = r.varint('floatCount', SWS_LIMITS.maxTensors);
  const float: HeadEntry[] = [];
  for (let i = 0; i < fCount; i++) {
    const name = readString(r, `float[${i}].name`);
    const { shape, size } = readShape(r, `float "${name}"`, budget);
    const dataBytes = r.varint(`float "${name}".dataBytes`);
    float.push({ name, shape, size, bytes: dataBytes });
  }
  r.expectEnd('end');
  return { codebooks, quantized, float };
}

function checkDataExtents(head: Head, [start, end]: [number, number]): void {
  let total = 0;
  for (const t of [...head.quantized, ...head.float]) total += t.bytes;
  if (total !== end - start) {
    throw new SwsFormatError('head', 'dataBytes', `tensor records add up to ${total} bytes but the data section has ${end - start}`);
  }
}

/**
 * Writes the non-zeros at their positions: gap i is `base[token] + extra bits`. Kept apart from the
 * record parsing so the engine optimises this hot loop on its own. Returns -1, or the first non-zero
 * that would land past the end.
 */
function placeNonZeros(indices: Uint16Array, tokens: Uint16Array, syms: Uint16Array, base: Float64Array, bits: Uint8Array, extra: Uint8Array, z: number): number {
  const size = indices.length;
  const nz = tokens.length;
  let pos = -1;
  let bit = 0;
  for (let i = 0; i < nz; i++) {
    const t = tokens[i]!;
    const nb = bits[t]!;
    // LSB-first field of nb bits at `bit`, read without a data-dependent branch (nb = 0 reads nothing);
    // fields over 16 bits (gaps of 2^17 and more) take a second read.
    let p = bit >>> 3;
    const window = (extra[p]! | (extra[p + 1]! << 8) | (extra[p + 2]! << 16)) >>> (bit & 7);
    let gap = base[t]!;
    if (nb <= 16) {
      gap += window & ((1 << nb) - 1);
      bit += nb;
    } else {
      gap += window & 0xffff;
      bit += 16;
      p = bit >>> 3;
      gap += (((extra[p]! | (extra[p + 1]! << 8) | (extra[p + 2]! << 16)) >>> (bit & 7)) & ((1 << (nb - 16)) - 1)) * 65536;
      bit += nb - 16;
    }
    pos += gap + 1;
    if (pos >= size) return i;
    const s = syms[i]!;
    indices[pos] = s >= z ? s + 1 : s;
  }
  return -1;
}

/** `placeNonZeros` for the last-axis-major scan: scan position `p` is element `(p mod rows) * cols + floor(p / rows)`. */
function placeNonZerosLastAxis(indices: Uint16Array, tokens: Uint16Array, syms: Uint16Array, base: Float64Array, bits: Uint8Array, extra: Uint8Array, z: number, rows: number, cols: number): number {
  const size = indices.length;
  const nz = tokens.length;
  let pos = -1;
  let bit = 0;
  for (let i = 0; i < nz; i++) {
    const t = tokens[i]!;
    const nb = bits[t]!;
    let p = bit >>> 3;
    const window = (extra[p]! | (extra[p + 1]! << 8) | (extra[p + 2]! << 16)) >>> (bit & 7);
    let gap = base[t]!;
    if (nb <= 16) {
      gap += window & ((1 << nb) - 1);
      bit += nb;
    } else {
      gap += window & 0xffff;
      bit += 16;
      p = bit >>> 3;
      gap += (((extra[p]! | (extra[p + 1]! << 8) | (extra[p + 2]! << 16)) >>> (bit & 7)) & ((1 << (nb - 16)) - 1)) * 65536;
      bit += nb - 16;
    }
    pos += gap + 1;
    if (pos >= size) return i;
    const c = Math.floor(pos / rows);
    const s = syms[i]!;
    indices[(pos - c * rows) * cols + c] = s >= z ? s + 1 : s;
  }
  return -1;
}

/** Number of elements of `indices` other than `z`. */
function countNonZeros(indices: Uint16Array, z: number): number {
  let nz = 0;
  for (let i = 0; i < indices.length; i++) if (indices[i] !== z) nz++;
  return nz;
}

function decodeQuantized(r: ByteReader, e: Head['quantized'][number], cb: Codebook): Uint16Array {
  const field = `quantized "${e.name}"`;
  const k = cb.values.length;
  const z = cb.zeroIndex;
  const layout = r.u8(`${field}.layout`);
  const indices = new Uint16Array(e.size);
  if (layout === LAYOUT_DENSE) {
    const constant = decodeStream(r, e.size, k, indices, `${field}.symbols`);
    let nz = 0;
    if (constant >= 0) nz = constant === z ? 0 : e.size;
    else nz = countNonZeros(indices, z);
    if (nz !== e.nonZeros) r.fail(`${field}.nonZeros`, `head says ${e.nonZeros} non-zeros, the data has ${nz}`);
    return indices;
  }
  if (layout !== LAYOUT_GAPS && layout !== LAYOUT_GAPS_LAST_AXIS) r.fail(`${field}.layout`, `unknown layout ${layout}`);
  const params = r.u8(`${field}.gapParams`);
  const d = params & 15;
  const m = params >>> 4;
  if (d > MAX_DIRECT_BITS || m > Math.min(d, MAX_MANTISSA_BITS)) r.fail(`${field}.gapParams`, `direct bits ${d} / mantissa bits ${m} out of range`);
  const nz = e.nonZeros;
  const alphabet = tokenAlphabet(d, m);
  const tokens = new Uint16Array(nz);
  decodeStream(r, nz, alphabet, tokens, `${field}.gapTokens`);
  const syms = new Uint16Array(nz);
  // Per token: the smallest gap it stands for and how many extra bits refine it.
  const base = new Float64Array(alphabet);
  const bits = new Uint8Array(alphabet);
  const direct = 2 ** d;
  for (let t = 0; t < alphabet; t++) {
    if (t < direct) {
      base[t] = t;
      continue;
    }
    const u = t - direct;
    const n = d + (u >>> m);
    base[t] = ((u & ((1 << m) - 1)) + 2 ** m) * 2 ** (n - m);
    bits[t] = n - m;
  }
  let extraBits = 0;
  for (let i = 0; i < nz; i++) extraBits += bits[tokens[i]!]!;
  const extraBytes = Math.ceil(extraBits / 8);
  // Zero-padded copy of the extra bits so the loop below can read 4 bytes at any bit position.
  const extraIn = r.take(extraBytes, `${field}.gapExtra`);
  const extra = new Uint8Array(extraBytes + 4);
  extra.set(extraIn);
  if (nz > 0 && k < 2) r.fail(`${field}.nonZeros`, `${nz} non-zeros but codebook "${cb.name}" has only the zero value`);
  decodeStream(r, nz, k - 1, syms, `${field}.indices`);
  if (z !== 0) indices.fill(z);
  const { rows, cols } = scanShape(e.shape);
  const failedAt = layout === LAYOUT_GAPS ? placeNonZeros(indices, tokens, syms, base, bits, extra, z) : placeNonZerosLastAxis(indices, tokens, syms, base, bits, extra, z, rows, cols);
  if (failedAt >= 0) r.fail(`${field}.gapTokens`, `non-zero ${failedAt} lands past the ${e.size} elements`);
  // Exactly the extra bits the tokens call for, with zero padding.
  if (extraBits % 8 !== 0 && extra[extraBytes - 1]! >>> (extraBits % 8) !== 0) r.fail(`${field}.gapExtra`, 'non-zero padding bits');
  return indices;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decodeFloat(r: ByteReader, e: HeadEntry): Float32Array {
  const field = `float "${e.name}"`;
  const layout = r.u8(`${field}.layout`);
  const n = e.size;
  let raw: Uint8Array;
  if (layout === FLOAT_RAW) {
    raw = r.take(4 * n, `${field}.values`);
  } else if (layout === FLOAT_PLANES) {
    raw = new Uint8Array(4 * n);
    const plane = new Uint16Array(n);
    for (let b = 0; b < 4; b++) {
      decodeStream(r, n, 256, plane, `${field}.planes[${b}]`);
      for (let i = 0; i < n; i++) raw[4 * i + b] = plane[i]!;
    }
  } else {
    return r.fail(`${field}.layout`, `unknown layout ${layout}`);
  }
  if (littleEndianHost) {
    // Copy into a fresh, aligned buffer (not `raw.slice()`: a Node Buffer's slice is a view of its pool).
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    return new Float32Array(copy.buffer);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

function readJsonSection(bytes: Uint8Array, [start, end]: [number, number], section: 'graph' | 'metadata'): JsonValue {
  const r = new ByteReader(bytes, section, start, end);
  const n = r.varint('jsonLength', SWS_LIMITS.maxJsonBytes);
  const count = r.varint('symbolCount', n);
  const symbols = new Uint16Array(count);
  decodeStream(r, count, JSON_ALPHABET, symbols, 'json');
  r.expectEnd('end');
  const text = expandJson(symbols, n);
  if (text === null) return r.fail('json', `the symbols do not expand to the declared ${n} bytes`);
  let s: string;
  try {
    s = utf8Decoder.decode(text);
  } catch (cause) {
    throw new SwsFormatError(section, 'json', 'not valid UTF-8', { cause });
  }
  return parseJson(s, section);
}

function maxElements(options: DecodeOptions | undefined): number {
  const m = options?.maxElements ?? SWS_LIMITS.maxElements;
  if (!Number.isSafeInteger(m) || m < 0) throw new SwsFormatError('options', 'maxElements', `${m} is not a non-negative integer`);
  return m;
}

/**
 * Decodes `.sws` bytes into a compressed model. Every length, count and checksum is validated before
 * use, and the result passes core's `validateCompressedModel`; anything wrong throws `SwsFormatError`
 * naming the section and field.
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): CompressedModel {
  const budget = { left: maxElements(options) };
  const frame = readFrame(bytes);
  const head = readHead(bytes, frame.head, budget);
  checkDataExtents(head, frame.data);
  const graph = checkGraphJson(readJsonSection(bytes, frame.graph, 'graph'));
  let metadata: { [key: string]: JsonValue } | undefined;
  if (frame.metadata) {
    const m = readJsonSection(bytes, frame.metadata, 'metadata');
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new SwsFormatError('metadata', '$', 'metadata must be a JSON object');
    metadata = m;
  }
  let at = frame.data[0];
  const quantized: QuantizedTensor[] = head.quantized.map((e) => {
    const r = new ByteReader(bytes, 'data', at, at + e.bytes);
    const cb = head.codebooks[e.codebook]!;
    const indices = decodeQuantized(r, e, cb);
    r.expectEnd(`quantized "${e.name}".end`);
    at += e.bytes;
    return { name: e.name, shape: e.shape, codebook: cb.name, indices };
  });
  const float: FloatTensor[] = head.float.map((e) => {
    const r = new ByteReader(bytes, 'data', at, at + e.bytes);
    const values = decodeFloat(r, e);
    r.expectEnd(`float "${e.name}".end`);
    at += e.bytes;
    return { name: e.name, shape: e.shape, values };
  });
  const model: CompressedModel = { graph, codebooks: head.codebooks, quantized, float };
  if (metadata !== undefined) model.metadata = metadata;
  try {
    // The decoder only emits indices inside their codebook (stream alphabets are bounded by K), so the
    // O(elements) index pass is skipped; names, shapes, codebooks, floats and the graph are all checked.
    validateCompressedModel(model, { checkIndices: false });
  } catch (cause) {
    const what = cause instanceof CompressedModelError ? `tensor "${cause.tensor}"` : cause instanceof GraphValidationError ? `node "${cause.node}"` : 'validation';
    throw new SwsFormatError('model', what, `the decoded model is inconsistent: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return model;
}

/** Reads the header, checks every section's CRC and returns the tensor directory without decoding weights. */
export function inspect(bytes: Uint8Array, options?: DecodeOptions): SwsInfo {
  const budget = { left: maxElements(options) };
  const frame = readFrame(bytes);
  const head = readHead(bytes, frame.head, budget);
  checkDataExtents(head, frame.data);
  const gr = new ByteReader(bytes, 'graph', frame.graph[0], frame.graph[1]);
  const graphJsonBytes = gr.varint('jsonLength', SWS_LIMITS.maxJsonBytes);
  const sections: SwsInfo['sections'] = [];
  for (const name of ['head', 'graph', 'metadata', 'data'] as const) {
    const s = frame[name];
    if (s) sections.push({ name, offset: s[0] - 5, bytes: s[1] - s[0] });
  }
  let at = frame.data[0];
  const layoutAt = (n: number): number => {
    const v = n > 0 ? bytes[at]! : -1;
    at += n;
    return v;
  };
  return {
    formatVersion: frame.version,
    fileBytes: bytes.length,
    sections,
    graphJsonBytes,
    hasMetadata: frame.metadata !== null,
    codebooks: head.codebooks.map((cb) => ({ name: cb.name, size: cb.values.length, zeroIndex: cb.zeroIndex, values: cb.values })),
    quantized: head.quantized.map((e) => ({
      name: e.name,
      shape: e.shape,
      codebook: head.codebooks[e.codebook]!.name,
      elements: e.size,
      nonZeros: e.nonZeros,
      bytes: e.bytes,
      layout: (['gaps', 'dense', 'gaps-last-axis'] as const)[layoutAt(e.bytes)] ?? 'gaps',
    })),
    float: head.float.map((e) => ({ name: e.name, shape: e.shape, elements: e.size, bytes: e.bytes, layout: layoutAt(e.bytes) === FLOAT_PLANES ? 'planes' : 'raw' })),
  };
}
