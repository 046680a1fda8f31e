// One entropy-coded symbol stream: the encoder tries constant, raw, canonical Huffman and rANS and keeps the smallest.
import { entropyBits } from '@softweight/core';
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
  /** Bytes of the stream's method byte and code table (symbol set, lengths or frequencies; rounded up to whole bytes). */
  tableBytes: number;
  /** Bytes of the coded payload (for rANS: the 4-byte final state and the renormalisation words). */
  payloadBytes: number;
  /** Total bytes of the stream in the file (method byte + table + payload). */
  bytes: number;
  /** Empirical order-0 entropy of the symbols, in bits (what an ideal static coder reaches without a table). */
  entropyBits: number;
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
  /** Everything after the method byte. */
  body: Uint8Array;
  /** Bytes of `body` that are the code table (the rest is payload). */
  tableBytes: number;
}

/**
 * Best rANS precision and frequency table for `counts`: every precision is estimated (ideal payload +
 * table); for short streams the three best are encoded for real, because there the state flush and
 * rounding decide. Ties go to the higher precision, whose payload is closer to the entropy.
 */
function chooseRans(symbols: ArrayLike<number>, counts: Uint32Array, used: readonly number[]): { precision: number; table: Uint8Array; payload: Uint8Array } {
  const minP = Math.max(1, bitLength(used.length - 1));
  const options: { precision: number; freq: Uint32Array; table: Uint8Array; bits: number }[] = [];
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
    options.push({ precision: p, freq, table, bits: ransCostBits(counts, freq, p) + 8 * table.length });
  }
  options.sort((a, b) => a.bits - b.bits || b.precision - a.precision);
  const tries = symbols.length <= 65536 ? 3 : 1;
  let best: { precision: number; table: Uint8Array; payload: Uint8Array } | null = null;
  for (const o of options.slice(0, tries)) {
    const payload = ransEncode(symbols, o.freq, o.precision);
    const size = o.table.length + payload.length;
    const bestSize = best === null ? Infinity : best.table.length + best.payload.length;
    if (size < bestSize || (size === bestSize && o.precision > best!.precision)) best = { precision: o.precision, table: o.table, payload };
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

  if (used.length <= 1) {
    const sym = used.length === 1 ? used[0]! : 0;
    const start = out.length;
    out.u8(StreamMethod.constant);
    out.varint(sym);
    const bytes = out.length - start;
    return { method: 'constant', symbols: symbols.length, distinct: used.length, tableBytes: bytes, payloadBytes: 0, bytes, entropyBits: entropy };
  }

  const candidates: Candidate[] = [];
  // raw: fixed width
  {
    const width = bitLength(alphabet - 1);
    const bw = new BitWriter();
    bw.write(width, 8);
    for (let i = 0; i < symbols.length; i++) bw.write(symbols[i]!, width);
    candidates.push({ method: StreamMethod.raw, body: bw.finish(), tableBytes: 1 });
  }
  // canonical Huffman: table and codes in one bit stream
  {
    const lengths = huffmanLengths(counts);
    const bw = new BitWriter();
    writeSymbolSet(bw, used);
    for (const s of used) bw.write(lengths[s]! - 1, 4);
    const tableBits = bw.bits;
    huffmanEncode(symbols, lengths, bw);
    candidates.push({ method: StreamMethod.huffman, body: bw.finish(), tableBytes: tableBits / 8 });
  }
  // rANS: table bits padded to a byte, then the payload (needs 2^P >= used symbols, P <= 15)
  if (used.length <= 2 ** MAX_RANS_PRECISION) {
    const { table, payload } = chooseRans(symbols, counts, used);
    const body = new Uint8Array(table.length + payload.length);
    body.set(table);
    body.set(payload, table.length);
    candidates.push({ method: StreamMethod.rans, body, tableBytes: table.length });
  }
  let best = candidates[0]!;
  for (const c of candidates) if (c.body.length < best.body.length) best = c;
  out.u8(best.method);
  out.bytes(best.body);
  return {
    method: METHOD_NAMES[best.method]!,
    symbols: symbols.length,
    distinct: used.length,
    tableBytes: 1 + best.tableBytes,
    payloadBytes: best.body.length - best.tableBytes,
    bytes: 1 + best.body.length,
    entropyBits: entropy,
  };
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
      r.need(Math.ceil((count * width) / 8), `${field}.payload`);
      const br = new BitReader(r.bytes, r.pos, r.end, r.section, `${field}.payload`);
      for (let i = 0; i < count; i++) {
        const s = br.read(width);
        if (s >= alphabet) br.fail('', `symbol ${s} at ${i} outside the alphabet of ${alphabet}`);
        out[i] = s;
      }
      r.pos = br.close();
      return -1;
    }
    case StreamMethod.huffman: {
      const br = new BitReader(r.bytes, r.pos, r.end, r.section, `${field}.huffman`);
      const used = readSymbolSet(br, alphabet);
      const lengths = new Uint8Array(alphabet);
      let kraft = 0; // in units of 2^-MAX_HUFFMAN_LENGTH
      for (const s of used) {
        const l = br.read(4) + 1;
        lengths[s] = l;
        kraft += 2 ** (MAX_HUFFMAN_LENGTH - l);
      }
      if (br.overrun > 0) br.fail('table', 'truncated');
      if (kraft !== 2 ** MAX_HUFFMAN_LENGTH) br.fail('table', 'code lengths do not form a complete prefix code');
      // Each symbol costs at least one bit: a cheap bound before decoding.
      if (count > (r.end - r.pos) * 8) br.fail('payload', `${r.end - r.pos} bytes cannot hold ${count} symbols`);
      huffmanDecode(lengths, count, br, out);
      r.pos = br.close();
      return -1;
    }
    case StreamMethod.rans: {
      const br = new BitReader(r.bytes, r.pos, r.end, r.section, `${field}.rans.table`);
      const used = readSymbolSet(br, alphabet);
      const precision = br.read(4) + 1;
      if (precision > MAX_RANS_PRECISION) br.fail('precision', `2^${precision} exceeds the maximum 2^${MAX_RANS_PRECISION}`);
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
      r.pos = br.close();
      const result = ransDecode(r.bytes, r.pos, r.end, count, freq, precision, out);
      if (typeof result === 'string') {
        const why = {
          state: 'initial state outside [2^15, 2^31)',
          truncated: 'payload ends before the last symbol',
          'final-state': 'final state is not 2^15: the payload is corrupted',
        }[result];
        r.fail(`${field}.rans.payload`, why);
      }
      r.pos = result;
      return -1;
    }
    default:
      return r.fail(`${field}.method`, `unknown stream method ${method}`);
  }
}

/** Canonical codes, re-exported for the spec's test vectors. */
export { canonicalCodes };
