// Huffman code lengths and empirical entropy of symbol histograms: shared by the paper's accounting and the .sws coder.

/** Code lengths of a Huffman tree over `weights` (all > 0, at least 2); ties broken by position, so deterministic. */
function treeDepths(weights: Float64Array): Uint8Array {
  const m = weights.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => weights[a]! - weights[b]! || a - b);
  // Two-queue Huffman: nodes 0..m-1 are the leaves in weight order, m.. the merged nodes in creation
  // (hence non-decreasing weight) order.
  const weight = new Float64Array(2 * m - 1);
  const parent = new Int32Array(2 * m - 1).fill(-1);
  for (let i = 0; i < m; i++) weight[i] = weights[order[i]!]!;
  let leaf = 0;
  let inner = m;
  let next = m;
  const take = (): number => {
    if (leaf < m && (inner >= next || weight[leaf]! <= weight[inner]!)) return leaf++;
    return inner++;
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
  const out = new Uint8Array(m);
  for (let i = 0; i < m; i++) out[order[i]!] = depth[i]!;
  return out;
}

/**
 * Code length per symbol of a Huffman code for a histogram (0 for absent symbols; a lone symbol gets 1,
 * since a real coder cannot emit 0-bit codes). Deterministic: ties go to the smaller symbol, so the same
 * histogram always gives the same lengths, ready for a canonical code. With `maxLength`, counts are
 * flattened (`c -> max(1, floor(c / 2^s))` for s = 1, 2, ...) until the longest code fits; without it the
 * code is optimal (lengths stay below 80 for any histogram whose total fits in a double).
 */
export function huffmanCodeLengths(counts: ArrayLike<number>, maxLength = Infinity): Uint8Array {
  const lengths = new Uint8Array(counts.length);
  const used: number[] = [];
  for (let s = 0; s < counts.length; s++) {
    const c = counts[s]!;
    if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError(`huffmanCodeLengths: count of symbol ${s} is ${c}, expected a finite number >= 0`);
    if (c > 0) used.push(s);
  }
  if (used.length === 0) return lengths;
  if (used.length === 1) {
    lengths[used[0]!] = 1;
    return lengths;
  }
  if (!(maxLength >= Math.ceil(Math.log2(used.length)))) {
    throw new RangeError(`huffmanCodeLengths: ${used.length} symbols cannot be coded in at most ${maxLength} bits`);
  }
  for (let shift = 0; ; shift++) {
    const w = Float64Array.from(used, (s) => (shift === 0 ? counts[s]! : Math.max(1, Math.floor(counts[s]! / 2 ** shift))));
    const depths = treeDepths(w);
    let longest = 0;
    for (const d of depths) if (d > longest) longest = d;
    if (longest <= maxLength) {
      used.forEach((s, i) => (lengths[s] = depths[i]!));
      return lengths;
    }
  }
}

/** Total bits of a stream with this histogram under its (unlimited) Huffman code: `sum counts[s] * lengths[s]`. */
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
