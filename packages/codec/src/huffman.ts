// Canonical, length-limited Huffman codes: code lengths from counts, and a table-driven LSB-first coder.
import { huffmanCodeLengths } from '@softweight/core';
import type { BitReader, BitWriter } from './io.js';

/** Longest code length; 16 is enough for 65536 symbols with all-equal counts. */
export const MAX_HUFFMAN_LENGTH = 16;

/**
 * Code length per symbol (0 = unused) of a Huffman code for `counts` with at least two used symbols,
 * limited to `MAX_HUFFMAN_LENGTH` by flattening the counts (c -> max(1, c >> s)) until it fits
 * (core's `huffmanCodeLengths`; docs/format.md specifies the same construction).
 */
export function huffmanLengths(counts: ArrayLike<number>): Uint8Array {
  return huffmanCodeLengths(counts, MAX_HUFFMAN_LENGTH);
}

function reverseBits(v: number, n: number): number {
  let r = 0;
  for (let i = 0; i < n; i++) {
    r = (r << 1) | (v & 1);
    v >>>= 1;
  }
  return r;
}

/**
 * Canonical codes for `lengths`: symbols sorted by (length, symbol) get consecutive codes, the code of
 * the first symbol of each length being (last code of the previous length + 1) shifted left. Returned
 * bit-reversed, ready for an LSB-first bit stream (the code's first bit is its most significant bit).
 */
export function canonicalCodes(lengths: Uint8Array): Uint32Array {
  const blCount = new Uint32Array(MAX_HUFFMAN_LENGTH + 1);
  for (const l of lengths) if (l > 0) blCount[l]!++;
  const nextCode = new Uint32Array(MAX_HUFFMAN_LENGTH + 2);
  let code = 0;
  for (let len = 1; len <= MAX_HUFFMAN_LENGTH; len++) {
    code = (code + blCount[len - 1]!) << 1;
    if (len === 1) code = 0;
    nextCode[len] = code;
  }
  const codes = new Uint32Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s]!;
    if (l > 0) codes[s] = reverseBits(nextCode[l]!++, l);
  }
  return codes;
}

/** Writes `symbols` with the canonical code of `lengths`. */
export function huffmanEncode(symbols: ArrayLike<number>, lengths: Uint8Array, out: BitWriter): void {
  const codes = canonicalCodes(lengths);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i]!;
    out.write(codes[s]!, lengths[s]!);
  }
}

/**
 * Decodes `count` symbols into `out`. `lengths` must describe a complete prefix code (checked by the
 * caller), so every `maxLen`-bit window maps to exactly one symbol.
 */
export function huffmanDecode(lengths: Uint8Array, count: number, input: BitReader, out: Uint16Array): void {
  let maxLen = 0;
  for (const l of lengths) maxLen = Math.max(maxLen, l);
  const codes = canonicalCodes(lengths);
  const table = new Uint32Array(1 << maxLen); // symbol << 5 | length
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s]!;
    if (l === 0) continue;
    const entry = (s << 5) | l;
    for (let j = codes[s]!; j < table.length; j += 1 << l) table[j] = entry;
  }
  for (let i = 0; i < count; i++) {
    const e = table[input.peek(maxLen)]!;
    input.skip(e & 31);
    out[i] = e >>> 5;
  }
}
