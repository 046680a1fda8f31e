// The prior computed on a worker thread (option parallel) gives bit for bit the synchronous results, falls back when weights change, exits cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { GaussianMixturePrior } from '../index.js';
import { OPTIONS, meddle, setup, train } from './test-utils/parallel-train.js';

const BACKENDS = ['cpu', 'wasm'] as const;

for (const backend of BACKENDS) {
  test(`the worker thread gives bit for bit the parameters of the synchronous path after k fit steps (${backend})`, async () => {
    assert.ok(await tf.setBackend(backend));
    const sync = await train(false);
    const parallel = await train('auto');
    assert.equal(sync.parallelEvaluations, 0);
    // Without the worker the prior is computed on the main thread after the backward pass, the same way.
    assert.equal(sync.mainThreadDeferred, 4 * sync.steps);
    // Every covered tensor (2 kernels, 2 biases) of every step came from the worker.
    assert.equal(parallel.parallelEvaluations, 4 * parallel.steps);
    // ... and reached the optimizer after the backward pass, the regularizers having deferred to it.
    assert.equal(parallel.deferredEvaluations, parallel.parallelEvaluations);
    assert.equal(parallel.steps, 8);
    // The single-threaded wasm build's heap is not shared memory: the weights are copied for the worker.
    assert.equal(parallel.inPlaceJobs, 0);
    assert.equal(parallel.inPlaceGradients, 0);
    assert.deepEqual(parallel.weights, sync.weights);
    assert.deepEqual(parallel.state, sync.state);
  });

  test(`weights written after the step began are computed on the main thread, with the same results (${backend})`, async () => {
    assert.ok(await tf.setBackend(backend));
    // meddle rescales the first kernel at every other batch start: the worker's results are stale then (all four
    // tensors': each depends on all covered weights, through the one table over their range).
    const sync = await train(false, meddle);
    const parallel = await train('auto', meddle);
    assert.equal(parallel.parallelEvaluations, 4 * 8 - 4 * 4);
    assert.equal(parallel.deferredEvaluations, parallel.parallelEvaluations);
    // The stale steps' prior: on the main thread, after the backward pass, for the rewritten weights.
    assert.equal(parallel.mainThreadDeferred, 4 * 4);
    assert.deepEqual(parallel.weights, sync.weights);
    assert.deepEqual(parallel.state, sync.state);
  });

  test(`no tensor leaks with the prior on the worker thread (${backend})`, async () => {
    assert.ok(await tf.setBackend(backend));
    const { model, x, y } = setup(3);
    const prior = new GaussianMixturePrior({ datasetSize: 64 }).attach(model);
    const fit = (epochs: number) => model.fit(x, y, { batchSize: 16, epochs, verbose: 0, callbacks: [prior.callback()] });
    await fit(1);
    const before = tf.memory().numTensors;
    await fit(3);
    assert.ok(prior.parallelEvaluations > 0);
    assert.equal(tf.memory().numTensors, before);
    prior.detach();
    tf.dispose([x, y]);
    model.dispose();
  });
}

test('auto times steps with and without the worker and keeps the faster mode; parameters stay bit for bit the same', async () => {
  assert.ok(await tf.setBackend('cpu'));
  const run = async (parallel: 'auto' | false) => {
    const { model, x, y } = setup(11);
    const prior = new GaussianMixturePrior({ ...OPTIONS, parallel }).attach(model);
    // 32 steps: 8 with the worker, 16 timed alternating worker and main thread, then 8 in the faster mode.
    await model.fit(x, y, { batchSize: 16, epochs: 8, shuffle: false, verbose: 0, callbacks: [prior.callback()] });
    const out = { weights: model.getWeights().map((w) => Float32Array.from(w.dataSync())), state: prior.state(), evaluations: prior.parallelEvaluations };
    prior.detach();
    tf.dispose([x, y]);
    model.dispose();
    return out;
  };
  const sync = await run(false);
  const auto = await run('auto');
  assert.ok(auto.evaluations === 4 * 16 || auto.evaluations === 4 * 24, `worker evaluations ${auto.evaluations}`);
  assert.deepEqual(auto.weights, sync.weights);
  assert.deepEqual(auto.state, sync.state);
});

test('a script that trains with the prior on the worker thread and never detaches exits by itself', () => {
  const fixture = join(dirname(fileURLToPath(import.meta.url)), 'test-utils', 'fit-and-exit.ts');
  for (const backend of BACKENDS) {
    const run = spawnSync(process.execPath, ['--conditions=@softweight/source', '--import', 'tsx', fixture, backend], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.error, undefined, `${backend}: ${String(run.error)}`);
    assert.equal(run.status, 0, `${backend}: exit ${run.status}, signal ${run.signal}\n${run.stderr}`);
    assert.match(run.stdout, /parallel evaluations [1-9]/, backend);
  }
});

test('parallel: false and invalid values', () => {
  assert.equal(new GaussianMixturePrior({ datasetSize: 1 }).options.parallel, 'auto');
  assert.equal(new GaussianMixturePrior({ datasetSize: 1, parallel: false }).options.parallel, false);
  assert.throws(() => new GaussianMixturePrior({ datasetSize: 1, parallel: true as unknown as false }), /parallel/);
});

test("parallel 'auto' chooser: warms up on the worker, probes both modes alternately, keeps the cheaper, probes again later", async () => {
  const { ParallelChooser } = await import('./parallel.js');
  /** Runs `steps` steps where a worker step costs `worker` ms and a main-thread step `main` ms; returns the modes used. */
  const run = (chooser: InstanceType<typeof ParallelChooser>, steps: number, worker: number, main: number): boolean[] => {
    const modes: boolean[] = [];
    for (let i = 0; i < steps; i++) {
      const w = chooser.useWorker();
      modes.push(w);
      chooser.record(w ? worker : main);
    }
    return modes;
  };
  const cheapWorker = new ParallelChooser();
  const first = run(cheapWorker, 24, 0.4, 1.3);
  assert.deepEqual(first.slice(0, 8), Array(8).fill(true), 'warm-up on the worker');
  assert.deepEqual(first.slice(8), Array.from({ length: 16 }, (_, i) => i % 2 === 0), 'probe alternates');
  assert.ok(run(cheapWorker, 480, 0.4, 1.3).every((w) => w), 'keeps the worker while it is cheaper');
  // A loaded machine: the worker's hand-over now waits for a core; the next probe moves the prior to the main thread.
  const next = run(cheapWorker, 24 + 480, 3.0, 1.3);
  assert.ok(next.slice(24).every((w) => !w), 'switches to the main thread after the next probe');
  const cheapMain = new ParallelChooser();
  assert.ok(run(cheapMain, 24 + 100, 2.0, 1.3).slice(24).every((w) => !w));
});

test("parallel 'auto' counts the wait for the worker: a worker slower than the main thread is dropped after the probe", async () => {
  assert.ok(await tf.setBackend('cpu'));
  const { ParallelPriorRunner } = await import('./parallel.js');
  const runner = ParallelPriorRunner.prototype;
  const take = runner.take;
  // A worker whose results arrive 3 ms late (a busy second core), against a main-thread prior of well under 1 ms here.
  runner.take = function (id: number, index: number) {
    const until = performance.now() + 3;
    while (performance.now() < until);
    return take.call(this, id, index);
  };
  try {
    const { model, x, y } = setup(5);
    const prior = new GaussianMixturePrior({ ...OPTIONS, parallel: 'auto' }).attach(model);
    // 4 steps per epoch: 8 warm-up steps on the worker, 16 probing (8 on the worker), then 16 more.
    await model.fit(x, y, { batchSize: 16, epochs: 10, shuffle: false, verbose: 0, callbacks: [prior.callback()] });
    assert.equal(prior.step, 40);
    assert.equal(prior.parallelEvaluations, (8 + 8) * prior.covered.length, 'no worker steps after the probe');
    prior.detach();
    tf.dispose([x, y]);
    model.dispose();
  } finally {
    runner.take = take;
  }
});

test("model.fit delivers the prior through the model's optimizer, wrapped only while attached (a recompiled model's new optimizer too); custom loops are left alone", async () => {
  assert.ok(await tf.setBackend('cpu'));
  const { model, x, y } = setup(13);
  const own = (o: tf.Optimizer) => Object.prototype.hasOwnProperty.call(o, 'computeGradients');
  const first = model.optimizer;
  const prior = new GaussianMixturePrior({ ...OPTIONS }).attach(model);
  const fit = () => model.fit(x, y, { batchSize: 16, epochs: 1, shuffle: false, verbose: 0, callbacks: [prior.callback()] });
  await fit();
  assert.ok(own(first), 'wrapped during fit');
  assert.equal(prior.parallelDeferredEvaluations, 4 * 4);
  // Recompiling gives the model another optimizer: the old one gets its own computeGradients back, the new one is wrapped.
  model.compile({ optimizer: tf.train.sgd(1e-2), loss: 'categoricalCrossentropy' });
  await fit();
  assert.equal(own(first), false);
  assert.ok(own(model.optimizer));
  assert.equal(prior.parallelDeferredEvaluations, 4 * 8);
  // Outside model.fit the optimizer's own computation runs, and the regularizers deliver the prior: a custom
  // loop's gradients through the wrapped optimizer equal tf.variableGrads' of the same loss, prior included
  // (weighted 2 here: a prior added after the passes, as in fit, would enter with weight 1). Even right after a
  // fit that failed mid-step (the prior's step had begun, its onBatchEnd never came).
  assert.ok(own(model.optimizer));
  const stop = new tf.CustomCallback({
    onBatchBegin: async () => {
      throw new Error('stopped by a callback');
    },
  }) as unknown as tf.Callback;
  await assert.rejects(model.fit(x, y, { batchSize: 16, epochs: 1, verbose: 0, callbacks: [prior.callback(), stop] }), /stopped by a callback/);
  const loss = () =>
    tf.tidy(() => {
      const ce = tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor);
      return model.layers.flatMap((l) => l.losses as Array<() => tf.Scalar>).reduce((a: tf.Scalar, l) => tf.add(a, tf.mul(2, l())), ce as tf.Scalar);
    });
  const viaOptimizer = model.optimizer.computeGradients(loss);
  const direct = tf.variableGrads(loss);
  assert.deepEqual(Object.keys(viaOptimizer.grads).sort(), Object.keys(direct.grads).sort());
  for (const k of Object.keys(direct.grads)) assert.deepEqual(viaOptimizer.grads[k]!.dataSync(), direct.grads[k]!.dataSync(), k);
  tf.dispose([viaOptimizer.value, direct.value, ...Object.values(viaOptimizer.grads), ...Object.values(direct.grads)]);
  // The layers' loss functions are back after the passes: they add up to the prior's penalty.
  const losses = () => tf.tidy(() => model.layers.flatMap((l) => l.losses as Array<() => tf.Scalar>).map((l) => l()).reduce((a, b) => tf.add(a, b)).dataSync()[0]!);
  const penalty = prior.lossTerms().penalty;
  assert.ok(Math.abs(losses() - penalty) <= 1e-6 * Math.abs(penalty), `${losses()} vs ${penalty}`);
  prior.detach();
  assert.equal(own(model.optimizer), false, 'restored at detach');
  tf.dispose([x, y]);
  model.dispose();
});

test('the loss model.fit reports includes the prior, with the worker and without it', async () => {
  assert.ok(await tf.setBackend('wasm'));
  const run = async (parallel: 'auto' | false) => {
    const { model, x, y } = setup(17);
    const prior = new GaussianMixturePrior({ ...OPTIONS, parallel }).attach(model);
    // Before each batch (after the prior's onBatchBegin, which changes no weight): the loss the step must report,
    // mean CE of the batch plus the prior's penalty, at the weights and mixture the step starts from.
    const expected: number[] = [];
    const reported: number[] = [];
    let batch = 0;
    const check = new tf.CustomCallback({
      onBatchBegin: async () => {
        const i = batch++ % 4;
        const ce = tf.tidy(() => tf.mean(tf.metrics.categoricalCrossentropy(y.slice(16 * i, 16), model.predict(x.slice(16 * i, 16)) as tf.Tensor)).dataSync()[0]!);
        expected.push(ce + prior.lossTerms().penalty);
      },
      onBatchEnd: async (_b, logs) => {
        reported.push(logs!['loss'] as number);
      },
    }) as unknown as tf.Callback;
    await model.fit(x, y, { batchSize: 16, epochs: 3, shuffle: false, verbose: 0, callbacks: [prior.callback(), check] });
    const out = { expected, reported, deferred: prior.parallelDeferredEvaluations, main: prior.mainThreadDeferredEvaluations, penalty: prior.lossTerms().penalty };
    prior.detach();
    tf.dispose([x, y]);
    model.dispose();
    return out;
  };
  for (const parallel of [false, 'auto'] as const) {
    const r = await run(parallel);
    // 12 steps, all delivered after the backward pass: with 'auto', 8 on the worker, then the probe alternates.
    assert.equal(r.deferred + r.main, 4 * 12);
    assert.equal(r.deferred, parallel === false ? 0 : 4 * 10);
    // The penalty is a sizeable part of the loss here (tau 2, N 64): leaving it out would show.
    assert.ok(Math.abs(r.penalty) > 0.1 * Math.abs(r.reported[11]!), `penalty ${r.penalty}, loss ${r.reported[11]}`);
    assert.equal(r.reported.length, 12);
    for (let i = 0; i < 12; i++) assert.ok(Math.abs(r.reported[i]! - r.expected[i]!) <= 1e-5 * Math.abs(r.expected[i]!), `${parallel}, step ${i}: reported ${r.reported[i]}, expected ${r.expected[i]}`);
  }
});
