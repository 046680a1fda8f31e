// Size accounting of an encoded model against the paper's bits and each weight stream's empirical entropy.
import type { CompressedModel, CompressionReport } from '@softweight/core';
import { encodeWithStats, type SwsEncodeStats } from '../index.js';

/** One weight stream compared with its empirical entropy. */
export interface StreamRow {
  tensor: string;
  /** `positions` (gap tokens + extra bits, or the all-elements stream of the dense layout) or `indices`. */
  stream: 'positions' | 'indices' | 'positions+indices';
  method: string;
  /** Empirical entropy of what the stream carries, bytes (gap values for positions). */
  entropyBytes: number;
  /** Method byte + code table, bytes. */
  tableBytes: number;
  /** Coded payload, bytes (for gaps: token payload + extra bits). */
  payloadBytes: number;
  /** `payloadBytes / entropyBytes - 1`: the coder's loss, table aside. */
  overhead: number;
  /** `(tableBytes + payloadBytes) / (entropyBytes + tableBytes) - 1`: the "within 2% of its entropy plus its table". */
  overheadWithTable: number;
  /** Entropy of what is actually entropy coded, bytes (for positions: the gap tokens, plus the raw extra bits). */
  codedEntropyBytes: number;
  /** `payloadBytes / codedEntropyBytes - 1`: the coder's own loss. */
  coderOverhead: number;
}

function row(tensor: string, stream: StreamRow['stream'], method: string, entropyBytes: number, tableBytes: number, payloadBytes: number, codedEntropyBytes = entropyBytes): StreamRow {
  return {
    tensor,
    stream,
    method,
    entropyBytes,
    tableBytes,
    payloadBytes,
    overhead: entropyBytes === 0 ? 0 : payloadBytes / entropyBytes - 1,
    overheadWithTable: (tableBytes + payloadBytes) / (entropyBytes + tableBytes) - 1,
    codedEntropyBytes,
    coderOverhead: codedEntropyBytes === 0 ? 0 : payloadBytes / codedEntropyBytes - 1,
  };
}

/** Rows for every weight stream of a file. */
export function streamRows(stats: SwsEncodeStats): StreamRow[] {
  const rows: StreamRow[] = [];
  for (const q of stats.quantized) {
    if (q.layout === 'dense') {
      const s = q.symbols!;
      rows.push(row(q.name, 'positions+indices', s.method, s.entropyBits / 8, s.tableBytes, s.payloadBytes));
      continue;
    }
    const g = q.gapTokens!;
    const payload = g.payloadBytes + q.gapExtraBytes!;
    const gapEntropy = q.gapEntropyBits! / 8;
    rows.push(row(q.name, 'positions', g.method, gapEntropy, g.tableBytes + 1, payload, g.entropyBits / 8 + q.gapExtraBytes!));
    const s = q.indices!;
    rows.push(row(q.name, 'indices', s.method, s.entropyBits / 8, s.tableBytes, s.payloadBytes));
  }
  return rows;
}

/** File size against the paper's accounting (with and without the float tensors it leaves out). */
export function sizeSummary(model: CompressedModel, report: CompressionReport): { bytes: Uint8Array; stats: SwsEncodeStats; fileBytes: number; paperBytes: number; paperWithFloatBytes: number; rows: StreamRow[] } {
  const { bytes, stats } = encodeWithStats(model);
  return {
    bytes,
    stats,
    fileBytes: bytes.length,
    paperBytes: report.total.bits.total / 8,
    paperWithFloatBytes: (report.total.bits.total + report.float.bits) / 8,
    rows: streamRows(stats),
  };
}
