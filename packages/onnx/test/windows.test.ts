// Property test: random window ops (conv, depthwise, pooling) with random sizes, strides, dilations and padding match tfjs.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import type { GraphNode, ModelGraph } from '@softweight/core';
import { inferShapes } from '@softweight/core';
import { agreement, reference } from './support/agree.js';
import { quantizeRandomly, tfjsModel } from './support/models.js';

before(async () => {
  await tf.setBackend('cpu');
});

const windowNode = fc
  .record({
    kind: fc.constantFrom('conv2d', 'depthwiseConv2d', 'maxPool2d', 'avgPool2d'),
    k: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    d: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    padding: fc.constantFrom('valid', 'same'),
    h: fc.integer({ min: 4, max: 11 }),
    w: fc.integer({ min: 4, max: 11 }),
    c: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .map((r): { graph: ModelGraph; seed: number } => {
    // tfjs rejects dilation together with stride > 1, and tfjs-layers ignores depthwise dilation.
    const dilation: [number, number] = r.kind === 'conv2d' && r.s[0] === 1 && r.s[1] === 1 ? r.d : [1, 1];
    let node: GraphNode;
    if (r.kind === 'conv2d') {
      node = { kind: 'conv2d', name: 'op', inputs: ['x'], filters: 3, kernelSize: r.k, strides: r.s, padding: r.padding, dilation, kernel: 'op/kernel', bias: 'op/bias', activation: 'linear' };
    } else if (r.kind === 'depthwiseConv2d') {
      node = { kind: 'depthwiseConv2d', name: 'op', inputs: ['x'], kernelSize: r.k, strides: r.s, padding: r.padding, dilation, depthMultiplier: 2, kernel: 'op/kernel', bias: 'op/bias', activation: 'linear' };
    } else {
      node = { kind: r.kind, name: 'op', inputs: ['x'], poolSize: r.k, strides: r.s, padding: r.padding };
    }
    return { graph: { inputs: [{ name: 'x', shape: [r.h, r.w, r.c] }], nodes: [node], outputs: ['op'] }, seed: r.seed };
  })
  .filter(({ graph }) => {
    try {
      inferShapes(graph);
      return true;
    } catch {
      return false; // the window does not fit the input
    }
  });

test('random window ops agree with tfjs in both weight modes', async () => {
  await fc.assert(
    fc.asyncProperty(windowNode, async ({ graph, seed }) => {
      const model = quantizeRandomly(graph, { seed, codes: 9, pruned: 0.3 });
      const m = tfjsModel(model);
      const ref = reference(model, m, 3, seed);
      m.dispose();
      for (const weights of ['dense', 'codebook'] as const) {
        const a = await agreement(model, { weights }, ref, 3);
        assert.ok(a.outputs[0]!.maxAbs <= 1e-5, `${JSON.stringify(graph.nodes[0])}: ${a.outputs[0]!.maxAbs}`);
      }
    }),
    { numRuns: 60, seed: 42 },
  );
});
