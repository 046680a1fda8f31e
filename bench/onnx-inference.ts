// onnxruntime-node latency and session-creation time of codebook-mode vs dense-mode ONNX exports, side by side.
import * as ort from 'onnxruntime-node';
import type { CompressedModel, GraphNode, ModelGraph } from '@softweight/core';
import { toOnnx, type WeightMode } from '@softweight/onnx';
import { seededRandom } from '@softweight/core';

const rng = seededRandom;

const dense = (name: string, input: string, units: number, activation: 'relu' | 'softmax'): GraphNode => ({
  kind: 'dense', name, inputs: [input], units, kernel: `${name}/kernel`, bias: `${name}/bias`, activation,
});
const conv = (name: string, input: string, filters: number): GraphNode => ({
  kind: 'conv2d', name, inputs: [input], filters, kernelSize: [5, 5], strides: [1, 1], padding: 'valid', dilation: [1, 1], kernel: `${name}/kernel`, bias: `${name}/bias`, activation: 'relu',
});
const pool = (name: string, input: string): GraphNode => ({ kind: 'maxPool2d', name, inputs: [input], poolSize: [2, 2], strides: [2, 2], padding: 'valid' });

const LENET_300_100: ModelGraph = {
  name: 'lenet-300-100',
  inputs: [{ name: 'image', shape: [28, 28, 1] }],
  nodes: [{ kind: 'flatten', name: 'flatten', inputs: ['image'] }, dense('fc1', 'flatten', 300, 'relu'), dense('fc2', 'fc1', 100, 'relu'), dense('fc3', 'fc2', 10, 'softmax')],
  outputs: ['fc3'],
};
const LENET_5_CAFFE: ModelGraph = {
  name: 'lenet-5-caffe',
  inputs: [{ name: 'image', shape: [28, 28, 1] }],
  nodes: [conv('conv1', 'image', 20), pool('pool1', 'conv1'), conv('conv2', 'pool1', 50), pool('pool2', 'conv2'), { kind: 'flatten', name: 'flatten', inputs: ['pool2'] }, dense('fc1', 'flatten', 500, 'relu'), dense('fc2', 'fc1', 10, 'softmax')],
  outputs: ['fc2'],
};

/** Kernel shapes of the two LeNets (tfjs layout); values do not affect latency, so they are random. */
const KERNELS: Record<string, [string, number[]][]> = {
  'lenet-300-100': [['fc1', [784, 300]], ['fc2', [300, 100]], ['fc3', [100, 10]]],
  'lenet-5-caffe': [['conv1', [5, 5, 1, 20]], ['conv2', [5, 5, 20, 50]], ['fc1', [800, 500]], ['fc2', [500, 10]]],
};

/** A compressed model like the paper's: 16 shared codes, `nonZero` of the weights unpruned. */
function compressed(graph: ModelGraph, nonZero: number, seed: number): CompressedModel {
  const rand = rng(seed);
  const codes = 16;
  const zeroIndex = 8;
  const values = Float32Array.from({ length: codes }, (_, k) => (k - zeroIndex) * 0.02);
  const quantized = [];
  const float = [];
  for (const [layer, shape] of KERNELS[graph.name!]!) {
    const n = shape.reduce((a, b) => a * b, 1);
    const indices = Uint16Array.from({ length: n }, () => (rand() < nonZero ? (rand() < 0.5 ? zeroIndex - 1 - Math.floor(rand() * 8) : zeroIndex + 1 + Math.floor(rand() * 7)) : zeroIndex));
    quantized.push({ name: `${layer}/kernel`, shape, codebook: 'shared', indices });
    const units = shape[shape.length - 1]!;
    float.push({ name: `${layer}/bias`, shape: [units], values: Float32Array.from({ length: units }, () => (rand() - 0.5) * 0.1) });
  }
  return { graph, codebooks: [{ name: 'shared', values, zeroIndex }], quantized, float };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const now = (): number => performance.now();

interface Row {
  model: string;
  mode: WeightMode;
  fileBytes: number;
  sessionCreateMs: number;
  sessionCreateMinMs: number;
  batch1Ms: number;
  batch64Ms: number;
}

async function createMs(bytes: Uint8Array, reps: number): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    const s = await ort.InferenceSession.create(bytes);
    times.push(now() - t0);
    await s.release();
  }
  return times;
}

async function runMs(session: ort.InferenceSession, batch: number, reps: number, seed: number): Promise<number[]> {
  const rand = rng(seed);
  const x = Float32Array.from({ length: batch * 784 }, rand);
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', x, [batch, 28, 28, 1]) };
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    await session.run(feeds);
    times.push(now() - t0);
  }
  return times;
}

const MODES: WeightMode[] = ['dense', 'codebook'];
const ROUNDS = 5;
const rows: Row[] = [];
for (const [graph, nonZero] of [[LENET_300_100, 0.05], [LENET_5_CAFFE, 0.1]] as const) {
  const model = compressed(graph, nonZero, 1);
  const files = Object.fromEntries(MODES.map((m) => [m, toOnnx(model, { weights: m })])) as Record<WeightMode, Uint8Array>;
  const sessions = Object.fromEntries(await Promise.all(MODES.map(async (m) => [m, await ort.InferenceSession.create(files[m])]))) as Record<WeightMode, ort.InferenceSession>;
  // Same outputs in both modes, or the timing comparison means nothing.
  const probe = Float32Array.from({ length: 784 }, rng(9));
  const outs = await Promise.all(MODES.map(async (m) => (await sessions[m].run({ image: new ort.Tensor('float32', probe, [1, 28, 28, 1]) }))[graph.outputs[0]!]!.data as Float32Array));
  if (outs[0]!.some((v, i) => v !== outs[1]![i])) throw new Error(`${graph.name}: dense and codebook outputs differ`);
  const acc: Record<WeightMode, { create: number[]; b1: number[]; b64: number[] }> = { dense: { create: [], b1: [], b64: [] }, codebook: { create: [], b1: [], b64: [] } };
  for (const m of MODES) {
    await runMs(sessions[m], 1, 20, 2); // warm-up
    await runMs(sessions[m], 64, 3, 2);
  }
  // Interleave the modes round by round so background load hits both alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const m of round % 2 === 0 ? MODES : [...MODES].reverse()) {
      acc[m].create.push(...(await createMs(files[m], 4)));
      acc[m].b1.push(...(await runMs(sessions[m], 1, 100, round)));
      acc[m].b64.push(...(await runMs(sessions[m], 64, 10, round)));
    }
  }
  for (const m of MODES) {
    await sessions[m].release();
    rows.push({ model: graph.name!, mode: m, fileBytes: files[m].length, sessionCreateMs: median(acc[m].create), sessionCreateMinMs: Math.min(...acc[m].create), batch1Ms: median(acc[m].b1), batch64Ms: median(acc[m].b64) });
  }
}

const pad = (s: string, n: number): string => s.padStart(n);
console.log('onnxruntime-node ' + ort.env.versions.common + ', medians (session create also min); codebook/dense ratios (of medians) below');
console.log(['model', 'weights', 'file KiB', 'create ms (med)', 'create ms (min)', 'batch 1 ms', 'batch 64 ms'].map((h, i) => (i < 2 ? h.padEnd(14) : pad(h, 17))).join(''));
for (const r of rows) {
  console.log([r.model.padEnd(14), r.mode.padEnd(14), ...[(r.fileBytes / 1024).toFixed(1), r.sessionCreateMs.toFixed(2), r.sessionCreateMinMs.toFixed(2), r.batch1Ms.toFixed(3), r.batch64Ms.toFixed(3)].map((v) => pad(v, 17))].join(''));
}
const ratios = [...new Set(rows.map((r) => r.model))].map((model) => {
  const d = rows.find((r) => r.model === model && r.mode === 'dense')!;
  const c = rows.find((r) => r.model === model && r.mode === 'codebook')!;
  return {
    model,
    fileSize: d.fileBytes / c.fileBytes,
    sessionCreate: c.sessionCreateMs / d.sessionCreateMs,
    sessionCreateMin: c.sessionCreateMinMs / d.sessionCreateMinMs,
    batch1: c.batch1Ms / d.batch1Ms,
    batch64: c.batch64Ms / d.batch64Ms,
  };
});
for (const q of ratios) {
  console.log(`${q.model}: file dense/codebook ${q.fileSize.toFixed(2)}x; codebook/dense time: create ${q.sessionCreate.toFixed(2)}x (min ${q.sessionCreateMin.toFixed(2)}x), batch 1 ${q.batch1.toFixed(2)}x, batch 64 ${q.batch64.toFixed(2)}x`);
}
console.log('BENCH_JSON ' + JSON.stringify({ bench: 'onnx-inference', ortVersion: ort.env.versions.common, rows, ratios }));
