// `softweight inspect`: what a .sws file holds, per tensor, without running the model.
import { shapeSize, type CompressedModel } from '@softweight/core';
import { decodeSws } from '../engine.js';
import { readUserFile } from '../fsutil.js';
import { bytes, table } from '../table.js';

/** One row of `softweight inspect`. */
export interface InspectTensor {
  name: string;
  kind: 'quantized' | 'float';
  shape: number[];
  values: number;
  nonZeros: number;
  nonZeroPercent: number;
  distinct: number;
  codebook?: string;
}

/** Result of `softweight inspect`. */
export interface InspectResult {
  file: string;
  fileBytes: number;
  nodes: number;
  codebooks: Array<{ name: string; size: number; values: number[] }>;
  tensors: InspectTensor[];
  totals: { quantizedWeights: number; nonZeros: number; nonZeroPercent: number; floatValues: number };
  metadata: CompressedModel['metadata'];
}

/** Summarises a decoded compressed model. */
export function describe(model: CompressedModel, file: string, fileBytes: number): InspectResult {
  const tensors: InspectTensor[] = [];
  let qw = 0;
  let nz = 0;
  for (const q of model.quantized) {
    const cb = model.codebooks.find((c) => c.name === q.codebook);
    const zero = cb?.zeroIndex ?? -1;
    let n = 0;
    const seen = new Set<number>();
    for (const i of q.indices) {
      if (i !== zero) n += 1;
      seen.add(i);
    }
    const values = shapeSize(q.shape);
    qw += values;
    nz += n;
    tensors.push({ name: q.name, kind: 'quantized', shape: q.shape, values, nonZeros: n, nonZeroPercent: (100 * n) / Math.max(1, values), distinct: seen.size, codebook: q.codebook });
  }
  let fv = 0;
  for (const f of model.float) {
    let n = 0;
    for (const v of f.values) if (v !== 0) n += 1;
    fv += f.values.length;
    tensors.push({ name: f.name, kind: 'float', shape: f.shape, values: f.values.length, nonZeros: n, nonZeroPercent: (100 * n) / Math.max(1, f.values.length), distinct: new Set(f.values).size });
  }
  return {
    file,
    fileBytes,
    nodes: model.graph.nodes.length,
    codebooks: model.codebooks.map((c) => ({ name: c.name, size: c.values.length, values: Array.from(c.values) })),
    tensors,
    totals: { quantizedWeights: qw, nonZeros: nz, nonZeroPercent: (100 * nz) / Math.max(1, qw), floatValues: fv },
    metadata: model.metadata,
  };
}

/** Runs `softweight inspect`. */
export function inspectCommand(path: string): InspectResult {
  const buf = readUserFile(path, '.sws file');
  return describe(decodeSws(buf, path), path, buf.byteLength);
}

/** Human rendering of `softweight inspect`. */
export function formatInspect(r: InspectResult): string {
  const rows = r.tensors.map((t) => [
    t.name,
    t.kind,
    t.shape.join('x'),
    t.values,
    t.nonZeros,
    `${t.nonZeroPercent.toFixed(2)}%`,
    t.distinct,
  ]);
  const cbs = r.codebooks.map((c) => `  ${c.name}: ${c.size} values [${c.values.map((v) => v.toPrecision(3)).join(', ')}]`).join('\n');
  return [
    `${r.file}: ${bytes(r.fileBytes)}, ${r.nodes} graph nodes, ${r.codebooks.length} codebook(s)`,
    cbs,
    '',
    table(['tensor', 'kind', 'shape', 'values', 'non-zero', 'non-zero %', 'distinct'], rows),
    '',
    `quantized weights: ${r.totals.quantizedWeights}, non-zero ${r.totals.nonZeros} (${r.totals.nonZeroPercent.toFixed(2)}%); float values: ${r.totals.floatValues}`,
  ].join('\n');
}
