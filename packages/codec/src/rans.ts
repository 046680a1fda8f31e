// Static rANS with a 31-bit state and 16-bit renormalisation (L = 2^15), probabilities scaled to 2^P, P <= 15.
import { ByteWriter } from './io.js';

/** Lower bound of the normalised state interval [L, 2^31): the state stays a non-negative int32, which JS engines keep unboxed. */
export const RANS_L = 32768;
/** Largest probability precision P (frequencies sum to 2^P); L must be a multiple of 2^P. */
export const MAX_RANS_PRECISION = 15;

/**
 * Frequencies summing to 2^P, every used symbol (count > 0) at least 1, close to minimising
 * sum(count * -log2(freq / 2^P)). Deterministic: ties are broken by symbol order. Requires 2^P >= used symbols.
 */
export function normalizeFrequencies(counts: ArrayLike<number>, precision: number): Uint32Array {
  const total = 2 ** precision;
  let n = 0;
  for (let s = 0; s < counts.length; s++) n += counts[s]!;
  const freq = new Uint32Array(counts.length);
  const used: number[] = [];
  let sum = 0;
  for (let s = 0; s < counts.length; s++) {
    const c = counts[s]!;
    if (c === 0) continue;
    used.push(s);
    const f = Math.max(1, Math.floor((c * total) / n));
    freq[s] = f;
    sum += f;
  }
  // Give the remainder to the symbols that gain the most from one more slot.
  while (sum < total) {
    const gain = (s: number): number => counts[s]! * Math.log2((freq[s]! + 1) / freq[s]!);
    const order = [...used].sort((a, b) => gain(b) - gain(a) || a - b);
    const k = Math.min(total - sum, order.length);
    for (let i = 0; i < k; i++) freq[order[i]!]!++;
    sum += k;
  }
  // Take back the slots the max(1, .) floor added from the symbols that lose the least.
  // Several slots per symbol and pass when the excess is large, so a pass count stays logarithmic
  // even when one frequent symbol has to pay for thousands of rare ones.
  while (sum > total) {
    const loss = (s: number): number => counts[s]! * Math.log2(freq[s]! / (freq[s]! - 1));
    const order = used.filter((s) => freq[s]! > 1).sort((a, b) => loss(a) - loss(b) || a - b);
    const step = Math.max(1, Math.floor((sum - total) / order.length));
    for (const s of order) {
      const take = Math.min(step, freq[s]! - 1, sum - total);
      freq[s]! -= take;
      sum -= take;
      if (sum === total) break;
    }
  }
  return freq;
}

/** Cost in bits of coding `counts` with `freq` at precision P (the ideal rANS payload, without the flush). */
export function ransCostBits(counts: ArrayLike<number>, freq: Uint32Array, precision: number): number {
  let bits = 0;
  for (let s = 0; s < counts.length; s++) {
    const c = counts[s]!;
    if (c > 0) bits += c * (precision - Math.log2(freq[s]!));
  }
  return bits;
}

/**
 * Encodes `symbols` (last to first, as rANS requires) and returns the payload: the final state as a u32,
 * then the 16-bit renormalisation words (u16, little-endian) in the order the decoder reads them.
 */
export function ransEncode(symbols: ArrayLike<number>, freq: Uint32Array, precision: number): Uint8Array {
  const start = new Uint32Array(freq.length);
  let acc = 0;
  for (let s = 0; s < freq.length; s++) {
    start[s] = acc;
    acc += freq[s]!;
  }
  const words = new Uint16Array(symbols.length + 1);
  let w = 0;
  let x = RANS_L;
  const xMaxScale = 2 ** (31 - precision);
  for (let i = symbols.length - 1; i >= 0; i--) {
    const s = symbols[i]!;
    const f = freq[s]!;
    if (x >= xMaxScale * f) {
      words[w++] = x & 0xffff;
      x >>>= 16;
    }
    x = ((Math.floor(x / f) << precision) | 0) + (x % f) + start[s]!;
  }
  const out = new ByteWriter();
  out.u32(x);
  for (let i = w - 1; i >= 0; i--) out.u16(words[i]!);
  return out.finish();
}

/** Why a rANS payload was rejected. */
export type RansFailure = 'state' | 'truncated' | 'final-state';

/**
 * Decodes `count` symbols into `out` from the payload starting at `bytes[start]`, never reading at or past
 * `end`. Returns the offset after the last word read, or the failure: an initial state outside [L, 2^31),
 * words running out, or a final state other than L (the encoder's initial state: a strong corruption check).
 */
export function ransDecode(
  bytes: Uint8Array,
  start: number,
  end: number,
  count: number,
  freq: Uint32Array,
  precision: number,
  out: Uint16Array,
): number | RansFailure {
  if (end - start < 4) return 'truncated';
  const mask = (1 << precision) - 1;
  // Per slot: its symbol, the symbol's frequency, and the slot's offset inside the symbol's range.
  const slots = 1 << precision;
  const slotSymbol = new Uint16Array(slots);
  const slotFreq = new Uint16Array(slots);
  const slotOffset = new Uint16Array(slots);
  let acc = 0;
  for (let s = 0; s < freq.length; s++) {
    const f = freq[s]!;
    for (let j = 0; j < f; j++) {
      slotSymbol[acc + j] = s;
      slotFreq[acc + j] = f;
      slotOffset[acc + j] = j;
    }
    acc += f;
  }
  let x = (bytes[start]! | (bytes[start + 1]! << 8) | (bytes[start + 2]! << 16) | (bytes[start + 3]! << 24)) | 0;
  if (x < RANS_L) return 'state'; // also rejects states >= 2^31, which read as negative
  let p = start + 4;
  const last = end - 1; // a word needs two bytes: p <= end - 2
  for (let i = 0; i < count; i++) {
    const slot = x & mask;
    out[i] = slotSymbol[slot]!;
    x = slotFreq[slot]! * (x >>> precision) + slotOffset[slot]!;
    if (x < RANS_L) {
      if (p >= last) return 'truncated';
      x = (x << 16) | bytes[p]! | (bytes[p + 1]! << 8);
      p += 2;
    }
  }
  if (x !== RANS_L) return 'final-state';
  return p;
}
