// Mutation fuzzer for .sws decoding: bit flips, byte edits, truncation, insertion, deletion, edited length fields, forged CRCs.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { CompressedModel } from '@softweight/core';
import { crc32, decode, encode, SwsFormatError } from '../index.js';
import { modelFromSpec } from './arbitraries.js';
import { rng, syntheticLenet300 } from './lenet.js';

/** The kinds of mutation applied. `forged-*` mutations also recompute every section CRC, reaching the parsers behind the checksums. */
export const MUTATIONS = ['bitflip', 'byte', 'truncate', 'insert', 'delete', 'length', 'forged-bitflip', 'forged-byte', 'forged-length', 'forged-varint'] as const;
/** One mutation kind. */
export type Mutation = (typeof MUTATIONS)[number];

/** What a fuzz run found. */
export interface FuzzReport {
  runs: number;
  /** Mutated files rejected with `SwsFormatError`. */
  rejected: number;
  /** Mutated files identical to their original (e.g. a truncation to full length), decoded correctly. */
  unchanged: number;
  /** Forged files (valid CRCs) that decoded to a valid model: expected, the file is well-formed. */
  forgedAccepted: number;
  /** Non-forged mutated files that decoded to a model different from the original: must be 0. */
  wrongModels: number;
  /** Errors other than `SwsFormatError`: must be empty. */
  unexpected: { mutation: Mutation; error: string }[];
  /** Slowest single decode in ms (must stay below 1000). */
  maxDecodeMs: number;
  /** Runs per mutation kind. */
  byMutation: Record<string, number>;
  /** Rejections per section named by the error. */
  bySection: Record<string, number>;
  /** Wall time in ms. */
  ms: number;
}

/** The valid files mutations start from: the synthetic LeNet-300-100 and small models covering every layout and method. */
export function fuzzCorpus(): { model: CompressedModel; bytes: Uint8Array }[] {
  const layer = (units: number, pattern: 'zeros' | 'noZeros' | 'sparse' | 'uniform' | 'ends', density = 0.1, codebook = 0) => ({ units, pattern, density, bias: true, quantized: true, codebook });
  const models: CompressedModel[] = [
    syntheticLenet300(3),
    modelFromSpec({ inputWidth: 20, layers: [layer(30, 'sparse', 0.05), layer(12, 'uniform', 0, 1), layer(3, 'zeros')], codebookSizes: [17, 300], seed: 11, name: 'small', metadata: { tau: 0.005, note: 'fuzz', list: [1, 2, -0] } }),
    modelFromSpec({ inputWidth: 6, layers: [layer(5, 'noZeros'), layer(1, 'ends')], codebookSizes: [3], seed: 5, name: null, metadata: null }),
    modelFromSpec({ inputWidth: 64, layers: [layer(64, 'sparse', 0.5), { units: 8, pattern: 'sparse' as const, density: 0, bias: true, quantized: false, codebook: 0 }], codebookSizes: [9], seed: 2, name: 'dense-layout', metadata: {} }),
  ];
  // Whole live units (columns): stored in the last-axis-major gaps layout.
  const columns = modelFromSpec({ inputWidth: 40, layers: [layer(12, 'zeros')], codebookSizes: [7], seed: 9, name: 'columns', metadata: null });
  const kernel = columns.quantized[0]!;
  const zi = columns.codebooks[0]!.zeroIndex;
  for (let i = 0; i < 40; i++) for (const c of [2, 7, 8]) kernel.indices[i * 12 + c] = zi === 0 ? 1 + (i % 6) : (i % 6) >= zi ? (i % 6) + 1 : i % 6;
  models.push(columns);
  const corpus = models.map((model) => ({ model, bytes: encode(model) }));
  // The real LeNet-300-100 fixture, when the tests' files are at hand.
  try {
    const bytes = new Uint8Array(readFileSync(new URL('../../test/fixtures/lenet-300-100.sws', import.meta.url)));
    corpus.push({ model: decode(bytes), bytes });
  } catch {
    // not shipped with the package: the synthetic models still cover every layout
  }
  return corpus;
}

/** Byte offsets of every section's id byte (walking the valid framing). */
function sectionOffsets(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  let p = 8;
  while (p + 5 <= bytes.length) {
    out.push(p);
    p += 5 + view.getUint32(p + 1, true) + 4;
  }
  return out;
}

/** Recomputes every section CRC that the (possibly broken) framing still lets us find. */
function forgeCrcs(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  while (p + 5 <= bytes.length) {
    const len = view.getUint32(p + 1, true);
    const end = p + 5 + len;
    if (end + 4 > bytes.length) return;
    view.setUint32(end, crc32(bytes, p, end), true);
    p = end + 4;
  }
}

function mutate(orig: Uint8Array, kind: Mutation, r: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(r() * n);
  const b = orig.slice();
  switch (kind) {
    case 'bitflip':
    case 'forged-bitflip': {
      const flips = 1 + int(4);
      for (let i = 0; i < flips; i++) {
        const bit = int(b.length * 8);
        b[bit >> 3]! ^= 1 << (bit & 7);
      }
      break;
    }
    case 'byte':
    case 'forged-byte':
      b[int(b.length)] = int(256);
      break;
    case 'truncate':
      return orig.slice(0, int(orig.length));
    case 'insert': {
      const at = int(orig.length + 1);
      const extra = Uint8Array.from({ length: 1 + int(8) }, () => int(256));
      const out = new Uint8Array(orig.length + extra.length);
      out.set(orig.subarray(0, at));
      out.set(extra, at);
      out.set(orig.subarray(at), at + extra.length);
      return out;
    }
    case 'delete': {
      const at = int(orig.length);
      const n = Math.min(1 + int(8), orig.length - at);
      const out = new Uint8Array(orig.length - n);
      out.set(orig.subarray(0, at));
      out.set(orig.subarray(at + n), at);
      return out;
    }
    case 'length':
    case 'forged-length': {
      const offs = sectionOffsets(b);
      const at = offs[int(offs.length)]! + 1;
      const view = new DataView(b.buffer);
      const old = view.getUint32(at, true);
      const choices = [old + 1, old - 1, old + 1 + int(64), Math.max(0, old - 1 - int(64)), int(2 ** 32), 0, 2 ** 32 - 1, old * 2];
      view.setUint32(at, choices[int(choices.length)]! >>> 0, true);
      break;
    }
    case 'forged-varint': {
      // Small bytes (varint-sized values: counts, lengths, dims, symbols) nudged up or down.
      const candidates: number[] = [];
      for (let i = 8; i < b.length; i++) if (b[i]! < 0x80) candidates.push(i);
      const at = candidates[int(candidates.length)] ?? int(b.length);
      b[at] = (b[at]! + (r() < 0.5 ? 1 : 127)) & 0x7f;
      break;
    }
  }
  if (kind.startsWith('forged-')) forgeCrcs(b);
  return b;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Mutates the corpus files `runs` times (deterministic in `seed`) and decodes each mutant. */
export function fuzz(runs: number, seed = 1, onProgress?: (done: number) => void): FuzzReport {
  const corpus = fuzzCorpus();
  const r = rng(seed);
  const report: FuzzReport = { runs, rejected: 0, unchanged: 0, forgedAccepted: 0, wrongModels: 0, unexpected: [], maxDecodeMs: 0, byMutation: {}, bySection: {}, ms: 0 };
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const { model, bytes } = corpus[Math.floor(r() * corpus.length)]!;
    const kind = MUTATIONS[Math.floor(r() * MUTATIONS.length)]!;
    report.byMutation[kind] = (report.byMutation[kind] ?? 0) + 1;
    const mutant = mutate(bytes, kind, r);
    const t = performance.now();
    let decoded: CompressedModel | null = null;
    try {
      decoded = decode(mutant);
    } catch (e) {
      if (e instanceof SwsFormatError) {
        report.rejected++;
        report.bySection[e.section] = (report.bySection[e.section] ?? 0) + 1;
      } else {
        report.unexpected.push({ mutation: kind, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      }
    }
    report.maxDecodeMs = Math.max(report.maxDecodeMs, performance.now() - t);
    if (decoded !== null) {
      if (sameBytes(mutant, bytes)) report.unchanged++;
      else if (kind.startsWith('forged-')) report.forgedAccepted++;
      else if (!isDeepStrictEqual(decoded, model)) report.wrongModels++;
      else report.unchanged++;
    }
    if (onProgress && (i + 1) % 10000 === 0) onProgress(i + 1);
  }
  report.ms = performance.now() - start;
  return report;
}
