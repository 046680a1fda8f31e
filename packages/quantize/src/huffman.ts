// Huffman code lengths and empirical entropy of a symbol histogram: the paper's stream accounting.

/**
 * Code lengths (bits) of a Huffman code for a histogram: `lengths[s]` for every symbol with `counts[s] > 0`,
 * 0 for absent symbols. A lone symbol gets length 1 (a real coder cannot emit 0-bit codes).
 *
 * Deterministic: ties are broken by symbol order (smaller count first, then smaller symbol, leaves before
 * merged nodes), so the same histogram always yields the same lengths, ready for a canonical code.
 * No length limit is applied (accounting only needs the optimal total, `sum counts[s] * lengths[s]`);
 * a coder with a maximum code length (e.g. 15 as in DEFLATE) may spend slightly more. Lengths stay below
 * 80 for any histogram whose total fits in a double.
 */
export function huffmanCodeLengths(counts: ArrayLike<number>): Uint8Array {
  const n = counts.length;
  const lengths = new Uint8Array(n);
  const symbols: number[] = [];
  for (let s = 0; s < n; s++) {
    const c = counts[s]!;
    if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError(`huffmanCodeLengths: count of symbol ${s} is ${c}, expected a finite number >= 0`);
    if (c > 0) symbols.push(s);
  }
  if (symbols.length === 0) return lengths;
  if (symbols.length === 1) {
    lengths[symbols[0]!] = 1;
    return lengths;
  }
  symbols.sort((a, b) => counts[a]! - counts[b]! || a - b);
  // Two-queue Huffman: leaves sorted by weight, merged nodes are created in non-decreasing weight order.
  const m = symbols.length;
  const weight = new Float64Array(2 * m - 1);
  const parent = new Int32Array(2 * m - 1);
  for (let i = 0; i < m; i++) weight[i] = counts[symbols[i]!]!;
  let leaf = 0;
  let node = m;
  let next = m;
  const take = (): number => {
    if (leaf < m && (node >= next || weight[leaf]! <= weight[node]!)) return leaf++;
    return node++;
  };
  while (next < 2 * m - 1) {
    const a = take();
    const b = take();
    weight[next] = weight[a]! + weight[b]!;
    parent[a] = next;
    parent[b] = next;
    next++;
  }
  const depth = new Uint8Array(2 * m - 1);
  for (let i = 2 * m - 3; i >= 0; i--) depth[i] = depth[parent[i]!]! + 1;
  for (let i = 0; i < m; i++) lengths[symbols[i]!] = depth[i]!;
  return lengths;
}

/** Total bits of a stream with this histogram under its Huffman code: `sum counts[s] * lengths[s]`. */
export function huffmanBits(counts: ArrayLike<number>): number {
  const lengths = huffmanCodeLengths(counts);
  let bits = 0;
  for (let s = 0; s < counts.length; s++) bits += counts[s]! * lengths[s]!;
  return bits;
}

/** Empirical entropy of a stream in total bits, `sum c log2(n / c)`: the size an ideal coder reaches. */
export function entropyBits(counts: ArrayLike<number>): number {
  let n = 0;
  for (let s = 0; s < counts.length; s++) n += counts[s]!;
  if (n === 0) return 0;
  let bits = 0;
  for (let s = 0; s < counts.length; s++) {
    const c = counts[s]!;
    if (c > 0) bits += c * Math.log2(n / c);
  }
  return bits;
}
