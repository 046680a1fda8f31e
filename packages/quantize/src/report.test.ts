// The paper's accounting on hand-built matrices: orientation, fillers, Huffman bits written out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompressedModel } from '@softweight/core';
import { compressionReport, quantize, scanOrder, sparseStreams } from './index.js';
import { convModel, denseModel, mixtureOf } from './test-utils/fixtures.js';

/** The dense model of the fixture with a given codebook and tfjs-layout indices. */
function model(inputs: number, units: number, values: number[], zeroIndex: number, indices: number[]): CompressedModel {
  const { graph } = denseModel(new Float32Array(inputs * units), inputs, units);
  return {
    graph,
    codebooks: [{ name: 'cb', values: Float32Array.from(values), zeroIndex }],
    quantized: [{ name: 'fc/kernel', shape: [inputs, units], codebook: 'cb', indices: Uint16Array.from(indices) }],
    float: [{ name: 'fc/bias', shape: [units], values: new Float32Array(units) }],
  };
}

test('scan orders: dense [in, out] as [out, in], conv HWIO as [out, in*kh*kw], depthwise as [in*mult, kh*kw]', () => {
  assert.deepEqual(Array.from(scanOrder([3, 2], 'dense-kernel')), [0, 2, 4, 1, 3, 5]);
  // [kh=1, kw=2, in=1, out=2]: element (h, w, c, o) sits at ((h*kw + w)*in + c)*out + o.
  assert.deepEqual(Array.from(scanOrder([1, 2, 1, 2], 'conv-kernel')), [0, 2, 1, 3]);
  // [kh=2, kw=1, in=2, out=1]: row o=0 reads (c=0,h=0), (c=0,h=1), (c=1,h=0), (c=1,h=1).
  assert.deepEqual(Array.from(scanOrder([2, 1, 2, 1], 'conv-kernel')), [0, 2, 1, 3]);
  assert.deepEqual(Array.from(scanOrder([1, 2, 2, 1], 'depthwise-kernel')), [0, 2, 1, 3]);
  assert.deepEqual(Array.from(scanOrder([4], 'flat')), [0, 1, 2, 3]);
});

test('bits of a 40x2 dense kernel with two gaps that need fillers, computed by hand', () => {
  // Codebook [-0.5, 0, 0.25, 0.5], zero at 1 (0.5 unused). tfjs kernel [in=40, out=2] is read as the
  // [out=2, in=40] matrix; matrix position p = o*40 + i is tfjs element i*2 + o. Non-zeros:
  //   p=0  (o=0,i=0)  -> tfjs 0  : 0.25 (index 2)
  //   p=3  (o=0,i=3)  -> tfjs 6  : 0.25 (index 2)
  //   p=45 (o=1,i=5)  -> tfjs 11 : -0.5 (index 0)
  //   p=79 (o=1,i=39) -> tfjs 79 : 0.25 (index 2)
  const indices = new Array<number>(80).fill(1);
  indices[0] = 2;
  indices[6] = 2;
  indices[11] = 0;
  indices[79] = 2;
  const cm = model(40, 2, [-0.5, 0, 0.25, 0.5], 1, indices);
  // Gaps (zeros skipped before each entry), 5 bits so at most 31:
  //   p=0: 0.  p=3: 2 (positions 1, 2).
  //   p=45: 41 zeros (4..44) > 31 -> filler with gap 31 at p=35 (index 1), then gap 9 (36..44).
  //   p=79: 33 zeros (46..78) > 31 -> filler with gap 31 at p=77, then gap 1 (78).
  const s = sparseStreams(cm.quantized[0]!.indices, cm.codebooks[0]!, scanOrder([40, 2], 'dense-kernel'), 5);
  assert.deepEqual(Array.from(s.gaps), [0, 2, 31, 9, 31, 1]);
  assert.deepEqual(Array.from(s.indices), [2, 2, 1, 0, 1, 2]);
  assert.equal(s.fillers, 2);
  // Gap histogram {31: 2, 0: 1, 2: 1, 9: 1, 1: 1}. Huffman merges 1+1=2, 1+1=2, 2+2=4, 2+4=6:
  //   bits = sum of merged weights = 2 + 2 + 4 + 6 = 14.
  // Index histogram {2: 3, 1: 2, 0: 1}. Huffman merges 1+2=3, 3+3=6: bits = 3 + 6 = 9
  //   (index 2 gets 1 bit, indices 1 and 0 get 2 bits: 3*1 + 2*2 + 1*2 = 9).
  // Codebook: the tensor's distinct values -0.5, 0, 0.25 -> 3 * 32 = 96 bits.
  // Total 14 + 9 + 96 = 119 bits; CR = 32 * 80 / 119.
  const r = compressionReport(cm);
  const t = r.tensors[0]!;
  assert.equal(t.matrixKind, 'dense');
  assert.deepEqual(t.bits, { positions: 14, indices: 9, codebook: 96, total: 119 });
  assert.equal(t.weights, 80);
  assert.equal(t.nonZeros, 4);
  assert.equal(t.nonZeroPercent, 5);
  assert.equal(t.distinctValues, 3);
  assert.equal(t.fillers, 2);
  assert.equal(t.compressionRate, 2560 / 119);
  // Entropy: gaps 2 log2(6/2) + 4 log2(6/1); indices 3 log2(6/3) + 2 log2(6/2) + 1 log2(6/1).
  assert.ok(Math.abs(t.entropyBits.positions - (2 * Math.log2(3) + 4 * Math.log2(6))) < 1e-12);
  assert.ok(Math.abs(t.entropyBits.indices - (3 + 2 * Math.log2(3) + Math.log2(6))) < 1e-12);
  assert.deepEqual(r.total.bits, t.bits);
  assert.equal(r.total.compressionRate, 2560 / 119);
  assert.deepEqual(r.float, { tensors: 1, values: 2, bits: 64 });
  // Before Huffman: 6 entries x 5 bits, 6 x ceil(log2 3) = 2 bits, same codebook: 30 + 12 + 96 = 138.
  assert.deepEqual(compressionReport(cm, { coding: 'fixed' }).tensors[0]!.bits, { positions: 30, indices: 12, codebook: 96, total: 138 });
});

test('a run of exactly 31 zeros needs no filler, 32 needs one, 64 needs two', () => {
  const cb = { name: 'cb', values: Float32Array.from([0, 1]), zeroIndex: 0 };
  const streams = (zeros: number) => {
    const idx = new Uint16Array(zeros + 1);
    idx[zeros] = 1;
    return sparseStreams(idx, cb, scanOrder([zeros + 1], 'flat'), 5);
  };
  assert.deepEqual([Array.from(streams(31).gaps), streams(31).fillers], [[31], 0]);
  assert.deepEqual([Array.from(streams(32).gaps), streams(32).fillers], [[31, 0], 1]);
  assert.deepEqual([Array.from(streams(64).gaps), streams(64).fillers], [[31, 31, 0], 2]);
});

test('conv kernels use 8-bit gaps and the conv orientation; totals add up over tensors', () => {
  const conv = Float32Array.from({ length: 36 }, (_, i) => (i % 5 === 0 ? 0.25 : 0));
  const dense = Float32Array.from({ length: 192 }, (_, i) => (i % 7 === 0 ? -0.25 : 0));
  const m = mixtureOf([0, 0.25, -0.25], [0.01, 0.02, 0.02], [0.95, 0.025, 0.025]);
  const { compressed } = quantize(convModel(conv, dense), m);
  const r = compressionReport(compressed, { coding: 'fixed' });
  const [c, d] = r.tensors;
  assert.equal(c!.matrixKind, 'conv');
  assert.equal(d!.matrixKind, 'dense');
  assert.equal(c!.nonZeros, 8);
  assert.equal(c!.bits.positions, 8 * 8);
  assert.equal(d!.nonZeros, 28);
  assert.equal(r.total.weights, 36 + 192);
  assert.equal(r.total.nonZeros, 36);
  assert.equal(r.total.bits.total, c!.bits.total + d!.bits.total);
  assert.equal(r.float.values, 4);
});

test('an all-pruned tensor costs only its codebook entry', () => {
  const r = compressionReport(model(4, 2, [0, 0.5], 0, new Array(8).fill(0)));
  assert.deepEqual(r.tensors[0]!.bits, { positions: 0, indices: 0, codebook: 32, total: 32 });
  assert.equal(r.tensors[0]!.compressionRate, 8);
});
