// One entropy-coded symbol stream: the encoder tries constant, raw, canonical Huffman and rANS and keeps the smallest.
import { canonicalCodes, huffmanDecode, huffmanEncode, huffmanLengths, MAX_HUFFMAN_LENGTH } from './huffman.js';
import { BitReader, BitWriter, bitLength, expGolombBits, type ByteReader, type ByteWriter } from './io.js';
import { MAX_RANS_PRECISION, normalizeFrequencies, ransCostBits, ransDecode, ransEncode } from './rans.js';

/** How a stream is coded; the byte value is stored in the file. */
export const StreamMethod = { constant: 0, raw: 1, huffman: 2, rans: 3 } as const;
/** Name of a stream coding method. */
export type StreamMethodName = keyof typeof StreamMethod;
const METHOD_NAMES: readonly StreamMethodName[] = ['constant', 'raw', 'huffman', 'rans'];

/** What the encoder chose for one stream and what it cost. */
export interface StreamStats {
  /** The coding method chosen (the smallest). */
  method: StreamMethodName;
  /** Number of symbols. */
  symbols: number;
  /** Distinct symbols used. */
  distinct: number;
  /** Bytes of the stream's code table (symbol set, lengths or frequencies), with its length prefix. */
  tableBytes: number;
  /** Bytes of the coded payload, with its length prefix. */
  payloadBytes: number;
  /** Total bytes of the stream in the file (method byte + table + payload). */
  bytes: number;
  /** Empirical order-0 entropy of the symbols, in bits (what an ideal static coder reaches without a table). */
  entropyBits: number;
}

/** Empirical order-0 entropy in bits of a histogram. */
export function entropyBits(counts: ArrayLike<number>): number {
  let n = 0;
  for (let s = 0; s < counts.length; s++) n += counts[s]!;
  let h = 0;
  for (let s = 0; s < counts.length; s++) {
    const c = counts[s]!;
    if (c > 0) h -= c * Math.log2(c / n);
  }
  return h;
}

function varintBytes(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Writes the used-symbol set: exp-Golomb(m - 2, 0), a 4-bit order k, then each symbol's gap to the previous with exp-Golomb(k). */
function writeSymbolSet(bw: BitWriter, used: readonly number[]): void {
  let best = 0;
  let bestBits = Infinity;
  for (let k = 0; k < 16; k++) {
    let bits = 0;
    let prev = -1;
    for (const s of used) {
      bits += expGolombBits(s - prev - 1, k);
      prev = s;
    }
    if (bits < bestBits) {
      bestBits = bits;
      best = k;
    }
  }
  bw.expGolomb(used.length - 2, 0);
  bw.write(best, 4);
  let prev = -1;
  for (const s of used) {
    bw.expGolomb(s - prev - 1, best);
    prev = s;
  }
}

function readSymbolSet(br: BitReader, alphabet: number): number[] {
  const m = br.expGolomb(0, 'symbolCount') + 2;
  if (m > alphabet) br.fail('symbolCount', `${m} symbols in an alphabet of ${alphabet}`);
  const k = br.read(4);
  const used: number[] = [];
  let prev = -1;
  for (let i = 0; i < m; i++) {
    const s = prev + 1 + br.expGolomb(k, 'symbol');
    if (s >= alphabet) br.fail('symbol', `symbol ${s} outside the alphabet of ${alphabet}`);
    used.push(s);
    prev = s;
  }
  return used;
}

interface Candidate {
  method: number;
  table: Uint8Array;
  payload: Uint8Array;
  bytes: number;
}

function candidateSize(table: Uint8Array | null, payload: Uint8Array): number {
  return 1 + (table ? varintBytes(table.length) + table.length : 0) + varintBytes(payload.length) + payload.length;
}

/** Best rANS precision and frequency table for `counts` by estimated total size (payload + table). */
function chooseRans(counts: Uint32Array, used: readonly number[]): { precision: number; freq: Uint32Array; table: Uint8Array } {
  const minP = Math.max(1, bitLength(used.length - 1));
  let best: { precision: number; freq: Uint32Array; table: Uint8Array; bits: number } | null = null;
  for (let p = minP; p <= MAX_RANS_PRECISION; p++) {
    const freq = normalizeFrequencies(counts, p);
    const bw = new BitWriter();
    writeSymbolSet(bw, used);
    bw.write(p - 1, 4);
    let bestK = 0;
    let bestKBits = Infinity;
    for (let k = 0; k < 16; k++) {
      let bits = 0;
      for (let i = 0; i < used.length - 1; i++) bits += expGolombBits(freq[used[i]!]! - 1, k);
      if (bits < bestKBits) {
        bestKBits = bits;
        bestK = k;
      }
    }
    bw.write(bestK, 4);
    for (let i = 0; i < used.length - 1; i++) bw.expGolomb(freq[used[i]!]! - 1, bestK);
    const table = bw.finish();
    const bits = ransCostBits(counts, freq, p) + 8 * table.length;
    if (best === null || bits < best.bits) best = { precision: p, freq, table, bits };
  }
  return best!;
}

/**
 * Encodes `symbols` (each < `alphabet`, alphabet <= 65536) as the smallest of the four methods and
 * appends the stream to `out`. The symbol count and alphabet are not stored: the reader knows them.
 */
export function encodeStream(symbols: ArrayLike<number>, alphabet: number, out: ByteWriter): StreamStats {
  const counts = new Uint32Array(Math.max(1, alphabet));
  for (let i = 0; i < symbols.length; i++) counts[symbols[i]!]!++;
  const used: number[] = [];
  for (let s = 0; s < counts.length; s++) if (counts[s]! > 0) used.push(s);
  const entropy = entropyBits(counts);
  const stats = (c: Candidate, tableBytes: number): StreamStats => ({
    method: METHOD_NAMES[c.method]!,
    symbols: symbols.length,
    distinct: used.length,
    tableBytes,
    payloadBytes: c.bytes - 1 - tableBytes,
    bytes: c.bytes,
    entropyBits: entropy,
  });

  if (used.length <= 1) {
    const sym = used.length === 1 ? used[0]! : 0;
    const start = out.length;
    out.u8(StreamMethod.constant);
    out.varint(sym);
    const bytes = out.length - start;
    return { method: 'constant', symbols: symbols.length, distinct: used.length, tableBytes: bytes - 1, payloadBytes: 0, bytes, entropyBits: entropy };
  }

  const candidates: Candidate[] = [];
  // raw: fixed width
  {
    const width = bitLength(alphabet - 1);
    const bw = new BitWriter();
    for (let i = 0; i < symbols.length; i++) bw.write(symbols[i]!, width);
    const payload = bw.finish();
    candidates.push({ method: StreamMethod.raw, table: Uint8Array.of(width), payload, bytes: 2 + varintBytes(payload.length) + payload.length });
  }
  // canonical Huffman
  {
    const lengths = huffmanLengths(counts);
    const bw = new BitWriter();
    writeSymbolSet(bw, used);
    for (const s of used) bw.write(lengths[s]! - 1, 4);
    const table = bw.finish();
    const pw = new BitWriter();
    huffmanEncode(symbols, lengths, pw);
    const payload = pw.finish();
    candidates.push({ method: StreamMethod.huffman, table, payload, bytes: candidateSize(table, payload) });
  }
  // rANS
  {
    const { precision, freq, table } = chooseRans(counts, used);
    const payload = ransEncode(symbols, freq, precision);
    candidates.push({ method: StreamMethod.rans, table, payload, bytes: candidateSize(table, payload) });
  }
  let best = candidates[0]!;
  for (const c of candidates) if (c.bytes < best.bytes) best = c;
  out.u8(best.method);
  if (best.method === StreamMethod.raw) {
    out.u8(best.table[0]!);
    out.varint(best.payload.length);
    out.bytes(best.payload);
    return stats(best, 1);
  }
  out.varint(best.table.length);
  out.bytes(best.table);
  out.varint(best.payload.length);
  out.bytes(best.payload);
  return stats(best, varintBytes(best.table.length) + best.table.length);
}

/**
 * Reads one stream of `count` symbols over `alphabet` into `out`. Everything is validated against the
 * stream's own byte lengths; any inconsistency throws `SwsFormatError` naming `field`. `out` holds at least `count`.
 * Returns the symbol of a constant stream, -1 otherwise.
 */
export function decodeStream(r: ByteReader, count: number, alphabet: number, out: Uint16Array, field: string): number {
  if (alphabet > 65536) throw new RangeError('alphabet above 65536');
  const method = r.u8(`${field}.method`);
  switch (method) {
    case StreamMethod.constant: {
      const sym = r.varint(`${field}.symbol`);
      if (sym >= Math.max(1, alphabet)) r.fail(`${field}.symbol`, `constant symbol ${sym} outside the alphabet of ${alphabet}`);
      out.fill(sym, 0, count);
      return sym;
    }
    case StreamMethod.raw: {
      const width = r.u8(`${field}.width`);
      if (width < 1 || width > 16) r.fail(`${field}.width`, `raw width ${width} outside [1, 16]`);
      const len = r.varint(`${field}.payloadLength`);
      if (len !== Math.ceil((count * width) / 8)) r.fail(`${field}.payloadLength`, `${len} bytes for ${count} symbols of ${width} bits`);
      const br = new BitReader(r.take(len, `${field}.payload`), r.section, `${field}.payload`);
      for (let i = 0; i < count; i++) {
        const s = br.read(width);
        if (s >= alphabet) br.fail('', `symbol ${s} at ${i} outside the alphabet of ${alphabet}`);
        out[i] = s;
      }
      br.finish();
      return -1;
    }
    case StreamMethod.huffman: {
      const tlen = r.varint(`${field}.tableLength`, r.remaining);
      const br = new BitReader(r.take(tlen, `${field}.table`), r.section, `${field}.table`);
      const used = readSymbolSet(br, alphabet);
      const lengths = new Uint8Array(alphabet);
      let kraft = 0; // in units of 2^-MAX_HUFFMAN_LENGTH
      for (const s of used) {
        const l = br.read(4) + 1;
        lengths[s] = l;
        kraft += 2 ** (MAX_HUFFMAN_LENGTH - l);
      }
      br.finish();
      if (kraft !== 2 ** MAX_HUFFMAN_LENGTH) r.fail(`${field}.table`, 'code lengths do not form a complete prefix code');
      const plen = r.varint(`${field}.payloadLength`, r.remaining);
      // Each symbol costs at least one bit: a cheap bound before decoding.
      if (count > plen * 8) r.fail(`${field}.payloadLength`, `${plen} bytes cannot hold ${count} symbols`);
      const pr = new BitReader(r.take(plen, `${field}.payload`), r.section, `${field}.payload`);
      huffmanDecode(lengths, count, pr, out);
      pr.finish();
      return -1;
    }
    case StreamMethod.rans: {
      const tlen = r.varint(`${field}.tableLength`, r.remaining);
      const br = new BitReader(r.take(tlen, `${field}.table`), r.section, `${field}.table`);
      const used = readSymbolSet(br, alphabet);
      const precision = br.read(4) + 1;
      if (2 ** precision < used.length) br.fail('precision', `2^${precision} slots for ${used.length} symbols`);
      const k = br.read(4);
      const freq = new Uint32Array(alphabet);
      const total = 2 ** precision;
      let sum = 0;
      for (let i = 0; i < used.length - 1; i++) {
        const f = br.expGolomb(k, 'frequency') + 1;
        sum += f;
        if (sum > total - (used.length - 1 - i)) br.fail('frequency', `frequencies exceed 2^${precision}`);
        freq[used[i]!] = f;
      }
      freq[used[used.length - 1]!] = total - sum;
      br.finish();
      const plen = r.varint(`${field}.payloadLength`, r.remaining);
      const failure = ransDecode(r.take(plen, `${field}.payload`), count, freq, precision, out);
      if (failure !== null) {
        const why = {
          state: 'initial state outside [2^15, 2^31)',
          truncated: 'payload ends before the last symbol',
          'final-state': 'final state is not 2^15: the payload is corrupted',
          trailing: 'unread words after the last symbol',
        }[failure];
        r.fail(`${field}.payload`, why);
      }
      return -1;
    }
    default:
      return r.fail(`${field}.method`, `unknown stream method ${method}`);
  }
}

/** Canonical codes, re-exported for the spec's test vectors. */
export { canonicalCodes };
