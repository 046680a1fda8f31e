// GaussianMixturePrior on real tfjs models, on the cpu and wasm backends: what model.fit computes, memory, save/load, resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { hyperPriorLogDensity, mixingProportions, priorLogDensity, type MixtureState } from '@softweight/core';
import { GaussianMixturePrior, GaussianMixtureRegularizer, PriorError, type GaussianMixturePriorOptions, type PriorCheckpoint } from '../index.js';
import { gaussian, rng } from './test-utils/random.js';

const BACKENDS = ['cpu', 'wasm'] as const;

async function useBackend(name: string): Promise<void> {
  assert.ok(await tf.setBackend(name), `backend ${name} did not initialise`);
  await tf.ready();
  assert.equal(tf.getBackend(), name);
}

/** A deterministic data set: N examples of `inputs` features, one-hot labels over `classes`. */
function dataset(N: number, inputs: number, classes: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const r = rng(seed);
  const x = new Float32Array(N * inputs).map(() => gaussian(r));
  const labels = Int32Array.from({ length: N }, () => Math.floor(r() * classes));
  return { x: tf.tensor2d(x, [N, inputs]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), classes) as tf.Tensor2D };
}

/** Sets every weight of a model from a seeded generator so runs are reproducible. */
function seedWeights(model: tf.LayersModel, seed: number, scale = 0.2): void {
  const r = rng(seed);
  model.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => gaussian(r) * scale), w.shape)));
}

function mlp(inputs: number, hidden: number, classes: number, functional: boolean): tf.LayersModel {
  if (!functional) {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: hidden, activation: 'relu', inputShape: [inputs] }));
    m.add(tf.layers.dense({ units: classes, activation: 'softmax' }));
    return m;
  }
  const input = tf.input({ shape: [inputs] });
  const h = tf.layers.dense({ units: hidden, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    assert.ok(d <= atol + rtol * Math.abs(b[i]!), `${what}[${i}]: ${a[i]} vs ${b[i]} (difference ${d})`);
  }
}

/**
 * The hand-written reference: plain tfjs ops on CE + tau_t/N * (-sum log p(w) - log p(theta)), the joint gradient
 * w.r.t. weights and mixture at the same point, then Adam on the weights (lr `weightLr`) and one Adam per
 * mixture group with the prior's learning rates. Returns the weights and mixture after all batches.
 */
function referenceTraining(
  init: tf.Tensor[],
  state0: MixtureState,
  opts: Required<Pick<GaussianMixturePriorOptions, 'tau' | 'datasetSize'>> & {
    warmupSteps: number;
    rates: { means: number; logPrecisions: number; mixingLogits: number; pi0: number };
    hyper: { zero: [number, number]; others: [number, number]; beta: [number, number] | null };
    includeBiases: boolean;
  },
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  batchSize: number,
  epochs: number,
  weightLr: number,
): { weights: Float32Array[]; state: MixtureState } {
  const J = state0.means.length;
  const [W1, b1, W2, b2] = init.map((t) => tf.variable(t.clone()));
  const free = Array.from({ length: J - 1 }, (_, k) => k + 1);
  const mu = tf.variable(tf.tensor1d(free.map((j) => state0.means[j]!)));
  const gamma = tf.variable(tf.tensor1d(Array.from(state0.logPrecisions)));
  const rho = tf.variable(tf.tensor1d(free.map((j) => state0.mixingLogits[j]!)));
  const u = tf.variable(tf.scalar(Math.log(state0.pi0 / (1 - state0.pi0))));
  const covered = opts.includeBiases ? [W1!, b1!, W2!, b2!] : [W1!, W2!];
  const weightOpt = tf.train.adam(weightLr);
  const muOpt = tf.train.adam(opts.rates.means);
  const gammaOpt = tf.train.adam(opts.rates.logPrecisions);
  const rhoOpt = tf.train.adam(opts.rates.mixingLogits);
  const uOpt = tf.train.adam(opts.rates.pi0);
  const N = x.shape[0];
  let step = 0;
  const alpha = tf.tensor1d(Array.from({ length: J }, (_, j) => (j === 0 ? opts.hyper.zero[0] : opts.hyper.others[0])));
  const beta = tf.tensor1d(Array.from({ length: J }, (_, j) => (j === 0 ? opts.hyper.zero[1] : opts.hyper.others[1])));
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let start = 0; start < N; start += batchSize) {
      const tau = opts.tau * Math.min(1, (step + 1) / opts.warmupSteps);
      const xb = x.slice([start, 0], [batchSize, -1]);
      const yb = y.slice([start, 0], [batchSize, -1]);
      const weightVars = [W1!, b1!, W2!, b2!];
      const mixtureVars = [mu, gamma, rho, u];
      const { grads } = tf.variableGrads(() => {
        const h = tf.relu(tf.add(tf.matMul(xb, W1!), b1!));
        const p = tf.softmax(tf.add(tf.matMul(h, W2!), b2!));
        const ce = tf.mean(tf.metrics.categoricalCrossentropy(yb, p));
        const means = tf.concat([tf.zeros([1]), mu]);
        const pi0 = tf.sigmoid(u);
        const logPi = tf.concat([tf.reshape(tf.log(pi0), [1]), tf.add(tf.log(tf.sub(1, pi0)), tf.logSoftmax(rho))]);
        const lam = tf.exp(gamma);
        let logPrior = tf.scalar(0);
        for (const v of covered) {
          const w = tf.reshape(v, [-1, 1]);
          const a = tf.sub(tf.add(logPi, tf.sub(tf.mul(0.5, gamma), 0.5 * Math.log(2 * Math.PI))), tf.mul(0.5, tf.mul(lam, tf.square(tf.sub(w, means)))));
          logPrior = tf.add(logPrior, tf.sum(tf.logSumExp(a, 1)));
        }
        let logHyper = tf.sum(tf.sub(tf.mul(tf.sub(alpha, 1), gamma), tf.mul(beta, lam)));
        if (opts.hyper.beta !== null) {
          const [a, b] = opts.hyper.beta;
          logHyper = tf.add(logHyper, tf.add(tf.mul(a - 1, tf.log(pi0)), tf.mul(b - 1, tf.log(tf.sub(1, pi0)))));
        }
        return tf.add(ce, tf.mul(tau / opts.datasetSize, tf.neg(tf.add(logPrior, logHyper)))) as tf.Scalar;
      }, [...weightVars, ...mixtureVars]);
      const named = (vs: tf.Variable[]) => vs.map((v) => ({ name: v.name, tensor: grads[v.name]! }));
      weightOpt.applyGradients(named(weightVars));
      muOpt.applyGradients(named([mu]));
      gammaOpt.applyGradients(named([gamma]));
      rhoOpt.applyGradients(named([rho]));
      if (state0.learnPi0) uOpt.applyGradients(named([u]));
      tf.dispose(grads);
      tf.dispose([xb, yb]);
      step++;
    }
  }
  const muV = mu.dataSync();
  const rhoV = rho.dataSync();
  const state: MixtureState = {
    means: Float64Array.from({ length: J }, (_, j) => (j === 0 ? 0 : muV[j - 1]!)),
    logPrecisions: Float64Array.from(gamma.dataSync()),
    mixingLogits: Float64Array.from({ length: J }, (_, j) => (j === 0 ? 0 : rhoV[j - 1]!)),
    zeroIndex: 0,
    pi0: 1 / (1 + Math.exp(-u.dataSync()[0]!)),
    learnPi0: state0.learnPi0,
  };
  const weights = [W1!, b1!, W2!, b2!].map((v) => Float32Array.from(v.dataSync()));
  tf.dispose([W1!, b1!, W2!, b2!, mu, gamma, rho, u, alpha, beta]);
  for (const o of [weightOpt, muOpt, gammaOpt, rhoOpt, uOpt]) o.dispose();
  return { weights, state };
}

const VARIANTS = [
  {
    name: 'Sequential, kernels, table kernel (2560-weight layer)',
    functional: false,
    inputs: 40,
    options: { datasetSize: 64, tau: 2, components: 5, learningRates: { means: 3e-3, logPrecisions: 1e-2, mixingLogits: 1e-2 } },
    beta: null,
  },
  {
    name: 'functional, kernels + biases, learned pi0 under a Beta prior, tau warm-up',
    functional: true,
    inputs: 12,
    options: {
      datasetSize: 64,
      tau: 2,
      components: 4,
      includeBiases: true,
      learnPi0: true,
      pi0: 0.8,
      tauWarmup: { steps: 5 },
      hyperPriors: { zero: { alpha: 50, beta: 0.01 }, others: { alpha: 20, beta: 0.05 }, pi0: { a: 5, b: 2 } },
      learningRates: { means: 3e-3, logPrecisions: 1e-2, mixingLogits: 1e-2, pi0: 1e-2 },
    },
    beta: [5, 2] as [number, number],
  },
] as const;

for (const backend of BACKENDS) {
  for (const variant of VARIANTS) {
    test(`model.fit with the prior = hand-written joint CE + tau/N (-log prior) loop: ${variant.name} (${backend})`, async () => {
      await useBackend(backend);
      const N = 64;
      const batchSize = 16;
      const epochs = 2;
      const weightLr = 1e-2;
      const { x, y } = dataset(N, variant.inputs, 3, 11);
      const model = mlp(variant.inputs, 64, 3, variant.functional);
      seedWeights(model, 5);
      model.compile({ optimizer: tf.train.adam(weightLr), loss: 'categoricalCrossentropy' });
      const init = model.getWeights().map((w) => w.clone());
      const prior = new GaussianMixturePrior(variant.options as GaussianMixturePriorOptions).attach(model);
      assert.deepEqual(
        prior.covered.map((c) => c.role),
        'includeBiases' in variant.options ? ['kernel', 'bias', 'kernel', 'bias'] : ['kernel', 'kernel'],
      );
      const state0 = prior.state();
      await model.fit(x, y, { batchSize, epochs, shuffle: false, verbose: 0, callbacks: [prior.callback()] });
      assert.equal(prior.step, (N / batchSize) * epochs);
      const o = prior.options;
      const ref = referenceTraining(
        init,
        state0,
        {
          tau: o.tau,
          datasetSize: o.datasetSize,
          warmupSteps: o.tauWarmup !== null && 'steps' in o.tauWarmup ? o.tauWarmup.steps : 1,
          rates: o.learningRates,
          hyper: { zero: [o.hyperPriors.zero!.alpha, o.hyperPriors.zero!.beta], others: [o.hyperPriors.others!.alpha, o.hyperPriors.others!.beta], beta: variant.beta },
          includeBiases: o.includeBiases,
        },
        x,
        y,
        batchSize,
        epochs,
        weightLr,
      );
      const got = model.getWeights().map((w) => w.dataSync());
      got.forEach((w, i) => close(w, ref.weights[i]!, 2e-5, 1e-4, `weight tensor ${i}`));
      const s = prior.state();
      // The mixture must have moved, or the comparison would not test the mixture step.
      assert.ok(Math.abs(s.means[1]! - state0.means[1]!) > 1e-3, 'the means did not move');
      close(s.means, ref.state.means, 2e-5, 1e-4, 'means');
      close(s.logPrecisions, ref.state.logPrecisions, 2e-5, 1e-4, 'logPrecisions');
      close(s.mixingLogits, ref.state.mixingLogits, 2e-5, 1e-4, 'mixingLogits');
      close([s.pi0], [ref.state.pi0], 2e-6, 1e-5, 'pi0');
      if ('learnPi0' in variant.options) assert.ok(Math.abs(s.pi0 - state0.pi0) > 1e-3, 'pi0 did not move');
      prior.detach();
      tf.dispose([x, y, ...init]);
      model.dispose();
    });
  }

  test(`no tensor leaks across fit epochs with the prior (${backend})`, async () => {
    await useBackend(backend);
    const { x, y } = dataset(256, 40, 3, 3);
    const model = mlp(40, 64, 3, false);
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const prior = new GaussianMixturePrior({ datasetSize: 256 }).attach(model);
    const fit = (epochs: number) => model.fit(x, y, { batchSize: 32, epochs, verbose: 0, callbacks: [prior.callback()] });
    await fit(1); // creates the optimizer's moment variables
    const before = tf.memory().numTensors;
    await fit(3);
    prior.lossTerms();
    assert.equal(tf.memory().numTensors, before);
    prior.detach();
    await model.fit(x, y, { batchSize: 32, epochs: 1, verbose: 0 });
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, y]);
    model.dispose();
  });

  test(`fitting only the mixture recovers a known 3-component mixture (${backend})`, async () => {
    await useBackend(backend);
    const r = rng(2024);
    const truth = [
      { pi: 0.5, mean: 0, sigma: 0.02 },
      { pi: 0.3, mean: -0.25, sigma: 0.03 },
      { pi: 0.2, mean: 0.3, sigma: 0.05 },
    ];
    const n = 300 * 100;
    const values = new Float32Array(n).map(() => {
      const v = r();
      const c = v < 0.5 ? truth[0]! : v < 0.8 ? truth[1]! : truth[2]!;
      return c.mean + gaussian(r) * c.sigma;
    });
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 100, inputShape: [300], useBias: false })] });
    model.setWeights([tf.tensor2d(values, [300, 100])]);
    const prior = new GaussianMixturePrior({
      datasetSize: n,
      tau: 1,
      components: 3,
      learnPi0: true,
      pi0: 0.9,
      hyperPriors: { zero: null, others: null, pi0: null },
      learningRates: { means: 3e-3, logPrecisions: 3e-2, mixingLogits: 3e-2, pi0: 3e-2 },
    }).attach(model);
    for (let i = 0; i < 1500; i++) prior.stepMixture();
    const s = prior.state();
    const pi = mixingProportions(s);
    for (const c of truth) {
      let best = 0;
      for (let j = 1; j < 3; j++) if (Math.abs(s.means[j]! - c.mean) < Math.abs(s.means[best]! - c.mean)) best = j;
      assert.ok(Math.abs(s.means[best]! - c.mean) <= 0.02, `mean ${s.means[best]} should be within 0.02 of ${c.mean}`);
      assert.ok(Math.abs(pi[best]! - c.pi) <= 0.05, `proportion ${pi[best]} of the component at ${c.mean} should be within 0.05 of ${c.pi}`);
    }
    prior.detach();
    model.dispose();
  });

  test(`a model saved with the prior attached loads again, and checkpoint/resume gives identical parameters (${backend})`, async () => {
    await useBackend(backend);
    const { x, y } = dataset(64, 40, 3, 8);
    const model = mlp(40, 64, 3, false);
    seedWeights(model, 9);
    model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
    const options: GaussianMixturePriorOptions = { datasetSize: 64, tau: 1, components: 5, learningRates: { means: 3e-3 } };
    const prior = new GaussianMixturePrior(options).attach(model);
    const fitArgs = (p: GaussianMixturePrior) => ({ batchSize: 16, epochs: 1, shuffle: false, verbose: 0 as const, callbacks: [p.callback()] });
    await model.fit(x, y, fitArgs(prior));
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    const checkpoint = JSON.parse(JSON.stringify(prior.checkpoint())) as PriorCheckpoint;
    const history = await model.fit(x, y, fitArgs(prior));

    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    assert.ok(loaded.layers.some((l) => (l as unknown as { kernelRegularizer: unknown }).kernelRegularizer instanceof GaussianMixtureRegularizer));
    // An unbound prior must not train silently.
    await assert.rejects(loaded.fit(x, y, { batchSize: 16, epochs: 1, verbose: 0 }), PriorError);
    const resumed = GaussianMixturePrior.fromModel(loaded, checkpoint);
    assert.equal(resumed.step, checkpoint.adam.step);
    const resumedHistory = await loaded.fit(x, y, fitArgs(resumed));
    // With the worker, attach()'s loss functions are taken off for the passes; a loaded model's own (tfjs-made)
    // ones defer instead: the same parameters and the same reported loss either way.
    assert.ok(prior.parallelDeferredEvaluations > 0 && resumed.parallelDeferredEvaluations > 0, `deferred: ${prior.parallelDeferredEvaluations} attached, ${resumed.parallelDeferredEvaluations} loaded; main thread ${prior.mainThreadDeferredEvaluations}, ${resumed.mainThreadDeferredEvaluations}; worker ${prior.parallelEvaluations}, ${resumed.parallelEvaluations}`);
    assert.deepEqual(resumedHistory.history['loss'], history.history['loss']);
    const a = model.getWeights().map((w) => Array.from(w.dataSync()));
    const b = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(b, a);
    assert.deepEqual(resumed.checkpoint().parameters, prior.checkpoint().parameters);
    assert.deepEqual(resumed.checkpoint().adam, prior.checkpoint().adam);
    resumed.detach();
    prior.detach();
    tf.dispose([x, y]);
    model.dispose();
    loaded.dispose();
  });
}

test('lossTerms is the penalty the regularizers add: (tau/N)(-sum log p(w) - log p(theta))', async () => {
  await useBackend('cpu');
  const model = mlp(40, 64, 3, false);
  seedWeights(model, 4);
  const prior = new GaussianMixturePrior({ datasetSize: 1000, tau: 0.01, tauWarmup: { epochs: 2, batchSize: 100 } }).attach(model);
  const terms = prior.lossTerms();
  const kernels = [model.layers[0]!.getWeights()[0]!, model.layers[1]!.getWeights()[0]!];
  const logPrior = kernels.reduce((s, k) => s + priorLogDensity(k.dataSync(), prior.state()), 0);
  const logHyper = hyperPriorLogDensity(prior.state(), prior.options.hyperPriors).logDensity;
  assert.ok(Math.abs(terms.logPrior - logPrior) <= 1e-6 * Math.abs(logPrior));
  assert.equal(terms.tau, 0.01 / 20); // warm-up over 2 epochs of 10 batches: step 1 of 20
  assert.ok(Math.abs(terms.penalty - (terms.tau / 1000) * (-logPrior - logHyper)) <= 1e-6 * Math.abs(terms.penalty));
  const value = tf.tidy(() => model.calculateLosses().reduce((s, l) => s + l.dataSync()[0]!, 0));
  assert.ok(Math.abs(value - terms.penalty) <= 1e-4 * Math.abs(terms.penalty), `regularizers add ${value}, lossTerms says ${terms.penalty}`);
  prior.detach();
  model.dispose();
});

test('a non-finite weight makes fit fail with a PriorError naming the weight (worker and main thread, cpu and wasm)', async () => {
  for (const backend of BACKENDS) {
    for (const parallel of ['auto', false] as const) {
      await useBackend(backend);
      const model = mlp(40, 64, 3, false);
      seedWeights(model, 4);
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
      const prior = new GaussianMixturePrior({ datasetSize: 64, parallel }).attach(model);
      const [kernel, bias] = model.layers[1]!.getWeights();
      const values = Float32Array.from(kernel!.dataSync());
      values[5] = NaN;
      const broken = tf.tensor(values, kernel!.shape);
      model.layers[1]!.setWeights([broken, bias!]);
      const { x, y } = dataset(64, 40, 3, 1);
      const name = prior.covered[1]!.name;
      await assert.rejects(
        model.fit(x, y, { batchSize: 16, epochs: 1, verbose: 0, callbacks: [prior.callback()] }),
        (e: unknown) => e instanceof PriorError && e.message.includes(`"${name}"`) && e.message.includes('NaN'),
        `${backend}, parallel ${parallel}`,
      );
      prior.detach();
      tf.dispose([x, y, broken]);
      model.dispose();
    }
  }
});

test('detach restores the layers as they were, including an existing regularizer', async () => {
  await useBackend('cpu');
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 8, inputShape: [4], kernelRegularizer: tf.regularizers.l2({ l2: 0.1 }) }));
  m.add(tf.layers.dense({ units: 2 }));
  const l2 = (m.layers[0] as unknown as { kernelRegularizer: unknown }).kernelRegularizer;
  const lossCounts = m.layers.map((l) => l.losses.length);
  const prior = new GaussianMixturePrior({ datasetSize: 10, components: 3 }).attach(m);
  assert.equal(prior.state().pi0, 0.999); // a fixed pi0 comes back exactly as given
  assert.equal(m.layers[0]!.losses.length, lossCounts[0]! + 1);
  assert.ok((m.layers[0] as unknown as { kernelRegularizer: unknown }).kernelRegularizer instanceof GaussianMixtureRegularizer);
  prior.detach();
  assert.deepEqual(m.layers.map((l) => l.losses.length), lossCounts);
  assert.equal((m.layers[0] as unknown as { kernelRegularizer: unknown }).kernelRegularizer, l2);
  m.dispose();
});

test('options and attachment errors name what is wrong', async () => {
  await useBackend('cpu');
  assert.throws(() => new GaussianMixturePrior({} as GaussianMixturePriorOptions), (e: unknown) => e instanceof PriorError && e.subject === 'datasetSize');
  assert.throws(() => new GaussianMixturePrior({ datasetSize: 10, pi0: 1 }), (e: unknown) => e instanceof PriorError && e.subject === 'pi0');
  assert.throws(() => new GaussianMixturePrior({ datasetSize: 10, components: 1 }), (e: unknown) => e instanceof PriorError && e.subject === 'components');
  const m = mlp(4, 5, 2, false);
  const dense = m.layers[0]!.name;
  const withDropout = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] }), tf.layers.dropout({ rate: 0.5, name: 'drop' })] });
  assert.throws(
    () => new GaussianMixturePrior({ datasetSize: 10, layers: ['drop'] }).attach(withDropout),
    (e: unknown) => e instanceof PriorError && /"drop"/.test(e.message) && /Dropout/.test(e.message),
  );
  assert.deepEqual(new GaussianMixturePrior({ datasetSize: 10, layers: [dense] }).attach(m).covered.map((c) => c.layer), [dense]);
  // (that prior is still attached: a second one on the same layer must be refused)
  assert.throws(() => new GaussianMixturePrior({ datasetSize: 10, layers: ['nope'] }).attach(m), (e: unknown) => e instanceof PriorError && /nope/.test(e.message));
  assert.throws(() => new GaussianMixturePrior({ datasetSize: 10 }).attach(m), (e: unknown) => e instanceof PriorError && /already has a mixture prior/.test(e.message));
  m.dispose();
  withDropout.dispose();
});

test('covers Conv2D kernels and the layers of a nested model, and fit minimises their prior', async () => {
  await useBackend('cpu');
  const inner = tf.sequential({ layers: [tf.layers.dense({ units: 6, activation: 'relu', inputShape: [8], name: 'inner_dense' })] });
  const input = tf.input({ shape: [6, 6, 1] });
  let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 8, name: 'mid' }).apply(h) as tf.SymbolicTensor;
  h = inner.apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'head' }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const prior = new GaussianMixturePrior({ datasetSize: 16, tau: 1, components: 3 }).attach(model);
  assert.deepEqual(prior.covered.map((c) => `${c.layer}:${c.kind}:${c.role}`), ['conv:Conv2D:kernel', 'mid:Dense:kernel', 'inner_dense:Dense:kernel', 'head:Dense:kernel']);
  const penalty = tf.tidy(() => model.calculateLosses().reduce((s, l) => s + l.dataSync()[0]!, 0));
  assert.ok(Math.abs(penalty - prior.lossTerms().penalty) <= 1e-4 * Math.abs(penalty), `${penalty} vs ${prior.lossTerms().penalty}`);
  const x = tf.randomNormal([16, 6, 6, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 2), 'int32'), 2);
  const hist = await model.fit(x, y, { batchSize: 8, epochs: 2, verbose: 0, callbacks: [prior.callback()] });
  assert.equal(prior.step, 4);
  assert.ok(hist.history.loss!.every((l) => Number.isFinite(l as number)));
  prior.detach();
  tf.dispose([x, y]);
  model.dispose();
});
