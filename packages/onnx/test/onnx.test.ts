// File structure, weight modes, options and errors of toOnnx.
import { describe, test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { GraphValidationError, UnsupportedLayerError, type CompressedModel, type GraphNode, type ModelGraph } from '@softweight/core';
import { IR_VERSION_BY_OPSET, OnnxExportError, PRODUCER_NAME, toOnnx } from '../src/index.js';
import { compare, ortPredict } from './support/ort.js';
import { denseWeights, lenet300100Graph, lenet5CaffeGraph, quantizeRandomly, randomInputs } from './support/models.js';
import { checkOnnx, decodeOnnx } from './support/spec.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

function dims(vi: { type?: { tensorType?: { shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null } | null } | null }): (number | string)[] {
  return (vi.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
}

describe('file structure', () => {
  const model = quantizeRandomly(lenet5CaffeGraph(), { seed: 1, codes: 16, pruned: 0.9 });

  test('opset 13 with IR version 7, producer, NHWC input and output with a symbolic batch dimension', () => {
    const m = checkOnnx(toOnnx(model));
    assert.equal(Number(m.irVersion), 7);
    assert.equal(IR_VERSION_BY_OPSET[13], 7);
    assert.deepEqual(m.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 13]]);
    assert.equal(m.producerName, PRODUCER_NAME);
    assert.deepEqual(dims(m.graph.input[0]!), ['N', 28, 28, 1]);
    assert.equal(m.graph.input[0]!.name, 'image');
    assert.deepEqual(dims(m.graph.output[0]!), ['N', 10]);
    assert.equal(m.graph.output[0]!.name, 'fc2');
    assert.ok(m.graph.valueInfo.length > 0);
  });

  test('codebook mode: uint8 indices pre-transposed to OIHW, one float32 codebook, Cast(int32) + Gather, no runtime weight Transpose', () => {
    const g = checkOnnx(toOnnx(model, { weights: 'codebook' })).graph;
    const init = new Map(g.initializer.map((t) => [t.name, t]));
    const indices = g.initializer.filter((t) => t.dataType === DT.UINT8);
    assert.equal(indices.length, model.quantized.length);
    const conv1 = indices.find((t) => t.name.startsWith('conv1/kernel'))!;
    assert.deepEqual(conv1.dims.map(Number), [20, 1, 5, 5]);
    // Element [o, i, y, x] of the OIHW initializer is element [y, x, i, o] of the HWIO tensor.
    const src = model.quantized.find((t) => t.name === 'conv1/kernel')!.indices;
    for (const [o, y, x] of [[0, 0, 0], [3, 1, 4], [19, 4, 2]] as const) {
      assert.equal(conv1.rawData[o * 25 + y * 5 + x], src[(y * 5 + x) * 20 + o]);
    }
    const codebooks = g.initializer.filter((t) => t.dataType === DT.FLOAT && t.dims.length === 1 && t.name.startsWith('codebook/'));
    assert.equal(codebooks.length, 1);
    const casts = g.node.filter((n) => n.opType === 'Cast');
    const gathers = g.node.filter((n) => n.opType === 'Gather');
    assert.equal(casts.length, model.quantized.length);
    assert.equal(gathers.length, model.quantized.length);
    for (const c of casts) assert.equal(Number(c.attribute[0]!.i), DT.INT32);
    for (const n of g.node.filter((x) => x.opType === 'Transpose')) assert.ok(!n.input.some((i) => init.has(i)), `Transpose ${n.name} reads an initializer`);
    assert.ok(!g.input.some((i) => init.has(i.name)));
  });

  test('dense mode stores only float32 initializers and no Cast/Gather', () => {
    const g = checkOnnx(toOnnx(model, { weights: 'dense' })).graph;
    assert.ok(g.initializer.every((t) => t.dataType === DT.FLOAT));
    assert.ok(!g.node.some((n) => n.opType === 'Cast' || n.opType === 'Gather'));
  });

  test('the same model exports to the same bytes', () => {
    assert.deepEqual(toOnnx(model, { weights: 'codebook' }), toOnnx(model, { weights: 'codebook' }));
  });

  test('returns a plain Uint8Array', () => {
    assert.equal(toOnnx(model).constructor, Uint8Array);
  });
});

describe('weight modes', () => {
  test('a compressed LeNet-300-100 (5% non-zeros, 16 codes) is at least 3.5x smaller in codebook mode', () => {
    const model = quantizeRandomly(lenet300100Graph(), { seed: 2, codes: 16, pruned: 0.95 });
    const kept = model.quantized.reduce((s, t) => s + t.indices.filter((i) => i !== model.codebooks[0]!.zeroIndex).length, 0);
    const total = model.quantized.reduce((s, t) => s + t.indices.length, 0);
    assert.ok(Math.abs(kept / total - 0.05) < 0.005, `non-zero fraction ${kept / total}`);
    const dense = toOnnx(model, { weights: 'dense' }).length;
    const codebook = toOnnx(model, { weights: 'codebook' }).length;
    assert.ok(dense / codebook >= 3.5, `dense ${dense} B / codebook ${codebook} B = ${(dense / codebook).toFixed(2)}`);
  });

  test('onnxruntime folds the codebook decoding at load: the optimized graph has no Cast or Gather', async () => {
    const model = quantizeRandomly(lenet5CaffeGraph(), { seed: 3, codes: 16, pruned: 0.9 });
    const dir = mkdtempSync(join(tmpdir(), 'softweight-onnx-'));
    try {
      const path = join(dir, 'optimized.onnx');
      const session = await ort.InferenceSession.create(toOnnx(model, { weights: 'codebook' }), { graphOptimizationLevel: 'basic', optimizedModelFilePath: path });
      await session.release();
      const ops = decodeOnnx(readFileSync(path)).graph!.node.map((n) => n.opType);
      assert.ok(ops.includes('Conv') && !ops.includes('Cast') && !ops.includes('Gather'), ops.join(','));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('more than 256 codes: uint16 indices, still exact', async () => {
    const model = quantizeRandomly(lenet300100Graph(), { seed: 4, codes: 300, pruned: 0.5 });
    const bytes = toOnnx(model, { weights: 'codebook' });
    const g = checkOnnx(bytes).graph;
    assert.equal(g.initializer.filter((t) => t.dataType === DT.UINT16).length, 3);
    assert.equal(g.initializer.filter((t) => t.dataType === DT.UINT8).length, 0);
    const x = randomInputs([28, 28, 1], 16, 3);
    const [a] = await ortPredict(bytes, [x], [[28, 28, 1]], 16);
    const [b] = await ortPredict(toOnnx(model, { weights: 'dense' }), [x], [[28, 28, 1]], 16);
    assert.equal(compare(a!, b!, 10).maxAbs, 0);
  });
});

describe('dilated depthwise convolution', () => {
  // tfjs-layers' DepthwiseConv2D drops dilationRate, so compare with the tfjs op, which honours it.
  test('matches tf.depthwiseConv2d with dilation and same padding', async () => {
    await tf.setBackend('cpu');
    const graph: ModelGraph = {
      inputs: [{ name: 'x', shape: [9, 10, 3] }],
      nodes: [{ kind: 'depthwiseConv2d', name: 'd', inputs: ['x'], kernelSize: [3, 2], strides: [1, 1], padding: 'same', dilation: [2, 3], depthMultiplier: 2, kernel: 'd/kernel', bias: 'd/bias', activation: 'linear' }],
      outputs: ['d'],
    };
    const model = quantizeRandomly(graph, { seed: 5, codes: 10, pruned: 0.2 });
    const w = denseWeights(model);
    const x = randomInputs([9, 10, 3], 4, 6);
    const expected = tf.tidy(() => {
      const y = tf.depthwiseConv2d(tf.tensor4d(x, [4, 9, 10, 3]), tf.tensor4d(w.get('d/kernel')!.values, [3, 2, 3, 2]), 1, 'same', 'NHWC', [2, 3]);
      return y.add(tf.tensor1d(w.get('d/bias')!.values)).dataSync() as Float32Array;
    });
    for (const weights of ['dense', 'codebook'] as const) {
      const [got] = await ortPredict(toOnnx(model, { weights }), [x], [[9, 10, 3]], 4);
      assert.ok(compare(expected, got!, expected.length / 4).maxAbs <= 1e-5);
    }
  });
});

describe('options', () => {
  const model = quantizeRandomly(lenet300100Graph(), { seed: 6, codes: 8, pruned: 0.5 });

  test('names renames graph inputs and outputs', async () => {
    const bytes = toOnnx(model, { weights: 'codebook', names: { image: 'pixels', fc3: 'probabilities' } });
    checkOnnx(bytes);
    const session = await ort.InferenceSession.create(bytes);
    assert.deepEqual(session.inputNames, ['pixels']);
    assert.deepEqual(session.outputNames, ['probabilities']);
    await session.release();
  });

  test('a renamed value that clashes with another name is an OnnxExportError naming the option', () => {
    assert.throws(() => toOnnx(model, { names: { image: 'fc1' } }), (e: unknown) => e instanceof OnnxExportError && e.field === 'names.image' && /fc1/.test(e.message));
  });

  test('renaming something that is not a graph input or output is an OnnxExportError', () => {
    assert.throws(() => toOnnx(model, { names: { fc1: 'hidden' } }), (e: unknown) => e instanceof OnnxExportError && e.field === 'names.fc1');
  });

  test('an opset outside 13..21 or an unknown weight mode is an OnnxExportError', () => {
    assert.throws(() => toOnnx(model, { opset: 12 }), (e: unknown) => e instanceof OnnxExportError && e.field === 'opset' && /13/.test(e.message));
    assert.throws(() => toOnnx(model, { opset: 13.5 }), OnnxExportError);
    assert.throws(() => toOnnx(model, { weights: 'sparse' as 'dense' }), (e: unknown) => e instanceof OnnxExportError && e.field === 'weights');
  });

  test('metadata of the compressed model is carried in metadata_props', () => {
    const m = decodeOnnx(toOnnx({ ...model, metadata: { accuracy: 0.99 } }));
    const props = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    assert.equal(props['softweight.weights'], 'dense');
    assert.deepEqual(JSON.parse(props['softweight.metadata']!), { accuracy: 0.99 });
  });
});

describe('errors', () => {
  const base = quantizeRandomly(lenet300100Graph(), { seed: 8, codes: 8, pruned: 0.5 });

  test('unsupported node kinds and activations give one UnsupportedLayerError naming each node and kind', () => {
    const nodes = [...base.graph.nodes] as GraphNode[];
    nodes.splice(1, 0, { kind: 'lstm', name: 'rnn', inputs: ['flatten'] } as unknown as GraphNode);
    nodes[2] = { ...(nodes[2] as Extract<GraphNode, { kind: 'dense' }>), activation: 'gelu' as 'relu' };
    const model: CompressedModel = { ...base, graph: { ...base.graph, nodes } };
    assert.throws(
      () => toOnnx(model),
      (e: unknown) => {
        assert.ok(e instanceof UnsupportedLayerError);
        assert.deepEqual(e.layers, [
          { name: 'rnn', kind: 'lstm' },
          { name: 'fc1', kind: 'dense with activation "gelu"' },
        ]);
        assert.match(e.message, /"rnn" \(lstm\)/);
        assert.equal(e.code, 'UNSUPPORTED_LAYER');
        return true;
      },
    );
  });

  test('an inconsistent model is rejected with core validation errors before anything is written', () => {
    const graph = { ...base.graph, nodes: base.graph.nodes.map((n) => (n.name === 'fc2' ? { ...n, inputs: ['nowhere'] } : n)) };
    assert.throws(() => toOnnx({ ...base, graph }), GraphValidationError);
  });
});
