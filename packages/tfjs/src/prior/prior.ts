// GaussianMixturePrior: attaches the learned mixture prior to a built tfjs LayersModel so that model.fit minimises it.
//
// What one training step computes (model.fit with `prior.callback()`), with tau_t the (warmed-up) tau and N the
// dataset size:
//   1. tfjs' train function evaluates loss = mean CE(batch) + sum over covered tensors of the regularizer
//      penalty (tau_t / N) * (-sum_i log p(w_i | theta_t)); the first covered tensor also carries
//      (tau_t / N) * (-log p(theta_t)) (the hyper-priors, constant in w). The regularizer's forward pass reads
//      the weights (in place on wasm, else dataSync), computes the penalty, its weight gradient and the mixture sums in plain JS
//      (prior/kernel.ts) and hands tfjs the weight gradient through tf.customGrad. That is what custom loops get.
//      In model.fit with the callback, the regularizers sit the passes out, and the optimizer's wrapped
//      computeGradients (computeWithPrior) adds the penalties to the loss and the gradients to the covered
//      variables' gradients after the backward pass: the same sums, without a penalty op, loss addition and
//      gradient per tensor in the passes. Under Node (option parallel) the kernel runs on a worker thread from
//      onBatchBegin on (prior/parallel.ts), bit for bit what this thread would compute, and has the whole forward
//      and backward pass to finish; without a worker result for these weights, this thread computes it then.
//   2. The model's optimizer steps the weights with d loss / d w (CE + penalty), as for any regularizer.
//   3. The callback's onBatchEnd steps the mixture with its own Adam (one learning rate per group) along
//      d loss / d theta evaluated at the same (w_t, theta_t) as step 1: a joint gradient step, the same as
//      one optimizer over weights and mixture, without a second pass over the weights.
// The mixture's pi0, when learned, is stepped as its logit u = log(pi0 / (1 - pi0)) (so it stays in (0, 1)).
import * as tf from '@tensorflow/tfjs';
import {
  DEFAULT_HYPER_PRIORS,
  hyperPriorLogDensity,
  initMixture,
  validateMixture,
  type HyperPriors,
  type MixtureState,
} from '@softweight/core';
import { adamStep, createAdam, type AdamSettings, type AdamState } from './adam.js';
import { PriorError } from './errors.js';
import { mixturePriorTermsShared, prepareMixture, proportionGradients, type PreparedMixture, type PriorMethod, type PriorTerms } from './fast.js';
import { ParallelChooser, ParallelPriorRunner } from './parallel.js';
import { wasmSharedHeap } from '../wasm-threads.js';
import { GaussianMixtureRegularizer, isMixtureRegularizer, type PriorBinding } from './regularizer.js';

/** Adam learning rate of every mixture group (PAPER.md section 4; the weights use the model's own optimizer). */
export interface PriorLearningRates {
  /** Component means (default 1e-4). */
  means: number;
  /** Log-precisions gamma_j (default 3e-3). */
  logPrecisions: number;
  /** Mixing logits rho_j (default 3e-3). */
  mixingLogits: number;
  /** The logit of pi0, when pi0 is learned (default 3e-3). */
  pi0: number;
}

/** Linear tau warm-up from tau/W at the first step to tau at step W, in steps or in epochs of a given batch size. */
export type TauWarmup = { steps: number } | { epochs: number; batchSize: number };

/** Options of `GaussianMixturePrior`; everything but `datasetSize` has the paper's (tutorial's) default. */
export interface GaussianMixturePriorOptions {
  /** N, the number of training examples: the loss is CE + tau/N * (-log prior). Required. */
  datasetSize: number;
  /** tau, the weight of the prior term (default 0.005). */
  tau?: number;
  /** Optional linear warm-up of tau (default none). */
  tauWarmup?: TauWarmup | null;
  /** Number of components J including the zero component (default 17). */
  components?: number;
  /** Initial proportion of the zero component (default 0.999). */
  pi0?: number;
  /** Learn pi0 (under `hyperPriors.pi0` when given; default false). */
  learnPi0?: boolean;
  /** Initial standard deviation of every component (default 0.25). */
  initSigma?: number;
  /** Hyper-priors; a field set to null switches that one off (default: core's DEFAULT_HYPER_PRIORS). */
  hyperPriors?: Partial<HyperPriors>;
  /** Adam learning rates of the mixture groups. */
  learningRates?: Partial<PriorLearningRates>;
  /** Adam beta1, beta2, epsilon of the mixture (default 0.9, 0.999, 1e-7 as tfjs' Adam). */
  adam?: Partial<AdamSettings>;
  /** Also cover the biases of the covered layers (default false: kernels only). */
  includeBiases?: boolean;
  /** Which layers to cover: names, or a predicate (default: every Dense and Conv layer). */
  layers?: readonly string[] | ((layer: tf.layers.Layer) => boolean);
  /** Start from this mixture instead of initialising from the weights with core's `initMixture`. */
  state?: MixtureState;
  /** How the prior is computed: `auto` (fast tables for large tensors), `table` or `exact` (default `auto`). */
  method?: PriorMethod;
  /**
   * `auto` (default): under Node, `prior.callback()` computes each step's prior on a worker thread while the
   * main thread runs the model's forward and backward passes (the same results bit for bit); `false`: always on the main thread.
   */
  parallel?: 'auto' | false;
}

/** The options of a prior with defaults filled in, as JSON (what the regularizer's config stores). */
export interface ResolvedPriorOptions {
  /** N. */
  datasetSize: number;
  /** tau. */
  tau: number;
  /** tau warm-up or null. */
  tauWarmup: TauWarmup | null;
  /** J. */
  components: number;
  /** Initial pi0. */
  pi0: number;
  /** Whether pi0 is learned. */
  learnPi0: boolean;
  /** Initial sigma. */
  initSigma: number;
  /** Hyper-priors. */
  hyperPriors: HyperPriors;
  /** Mixture learning rates. */
  learningRates: PriorLearningRates;
  /** Mixture Adam settings. */
  adam: AdamSettings;
  /** Whether biases are covered. */
  includeBiases: boolean;
  /** Covered layer names, or null for the default selection (a predicate is not saved). */
  layers: string[] | null;
  /** Computation method. */
  method: PriorMethod;
  /** Whether the fit callback may compute the prior on a worker thread. */
  parallel: 'auto' | false;
}

/** One weight tensor the prior covers. */
export interface CoveredWeight {
  /** Layer name. */
  layer: string;
  /** Layer class, e.g. `Dense`. */
  kind: string;
  /** Which of the layer's weights: `kernel`, `bias`, `depthwise_kernel` or `pointwise_kernel`. */
  role: string;
  /** The tfjs variable name. */
  name: string;
  /** Shape. */
  shape: number[];
  /** Number of weights. */
  size: number;
}

/** The prior's terms of the loss at the current weights and mixture (for logging). */
export interface PriorLossTerms {
  /** sum over covered weights of log p(w_i). */
  logPrior: number;
  /** log p(theta) of the hyper-priors (up to constants). */
  logHyperPrior: number;
  /** tau at the current step (after warm-up). */
  tau: number;
  /** N. */
  datasetSize: number;
  /** (tau / N) * (-logPrior - logHyperPrior): what the regularizers add to model.fit's loss. */
  penalty: number;
}

/** A JSON-serializable snapshot of the prior: mixture, Adam moments and step, so training resumes exactly. */
export interface PriorCheckpoint {
  /** Always `softweight-prior-checkpoint`. */
  format: 'softweight-prior-checkpoint';
  /** Checkpoint format version (1). */
  version: 1;
  /** The mixture, with plain arrays. */
  state: {
    means: number[];
    logPrecisions: number[];
    mixingLogits: number[];
    zeroIndex: number;
    pi0: number;
    learnPi0: boolean;
  };
  /** The raw parameter vector [means, logPrecisions, mixingLogits, logit(pi0)] (restores pi0's logit exactly). */
  parameters: number[];
  /** Mixture Adam state over the same vector. */
  adam: { m: number[]; v: number[]; step: number };
  /** The prior's options. */
  options: ResolvedPriorOptions;
}

/** How long the worker thread outlives a finished model.fit (another fit reuses it). */
const WORKER_IDLE_MS = 1000;
/** Whether a worker's result has been checked bit for bit against the main thread's in this process (once is enough: same source text). */
let workerVerified = false;

const DEFAULT_RATES: PriorLearningRates = { means: 1e-4, logPrecisions: 3e-3, mixingLogits: 3e-3, pi0: 3e-3 };
const DEFAULT_ADAM: AdamSettings = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Layer class -> [weight field, regularizer field, role] of the kernels the prior covers by default. */
const KERNEL_SLOTS: Record<string, ReadonlyArray<readonly [string, string, string]>> = {
  Dense: [['kernel', 'kernelRegularizer', 'kernel']],
  Conv1D: [['kernel', 'kernelRegularizer', 'kernel']],
  Conv2D: [['kernel', 'kernelRegularizer', 'kernel']],
  Conv3D: [['kernel', 'kernelRegularizer', 'kernel']],
  Conv2DTranspose: [['kernel', 'kernelRegularizer', 'kernel']],
  Conv3DTranspose: [['kernel', 'kernelRegularizer', 'kernel']],
  DepthwiseConv2D: [['depthwiseKernel', 'depthwiseRegularizer', 'depthwise_kernel']],
  SeparableConv2D: [
    ['depthwiseKernel', 'depthwiseRegularizer', 'depthwise_kernel'],
    ['pointwiseKernel', 'pointwiseRegularizer', 'pointwise_kernel'],
  ],
};

interface Slot {
  layer: tf.layers.Layer;
  variable: tf.LayerVariable;
  regularizerField: string;
  role: string;
  regularizer: GaussianMixtureRegularizer;
  previous: unknown;
  lossFn: (() => tf.Scalar) | null;
  gradientBuffer?: Float32Array;
  /**
   * This step's gradient tensor in the shared wasm heap that the worker writes into. Disposed at the step's end
   * if tfjs has not disposed it by then (it does once it has used a gradient handed to it).
   */
  heapGradient?: tf.Tensor | null;
  /** Whether `heapGradient` was handed to tfjs this step. */
  heapGradientUsed?: boolean;
}

/** A prior computation started on the worker at the beginning of a step, for the weights of that moment. */
interface ParallelJob {
  id: number;
  /** Each covered variable's tensor identity when the job started: a weight write replaces it. */
  dataIds: unknown[];
  step: number;
  version: number;
  gradScale: number;
}

interface Pending {
  step: number;
  version: number;
  terms: PriorTerms;
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new PriorError(name, `is ${v}, expected a positive finite number`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!(v >= 0) || !Number.isFinite(v)) throw new PriorError(name, `is ${v}, expected a finite number >= 0`);
  return v;
}

/** Fills in defaults and checks every option; throws `PriorError` naming the option. */
export function resolvePriorOptions(options: GaussianMixturePriorOptions): ResolvedPriorOptions {
  if (options === undefined || options === null || options.datasetSize === undefined) {
    throw new PriorError('datasetSize', 'is required: pass the number of training examples N (the loss is CE + tau/N * (-log prior))');
  }
  const datasetSize = positive('datasetSize', options.datasetSize);
  const tau = nonNegative('tau', options.tau ?? 0.005);
  let tauWarmup: TauWarmup | null = null;
  if (options.tauWarmup != null) {
    const w = options.tauWarmup;
    if ('steps' in w) tauWarmup = { steps: positive('tauWarmup.steps', w.steps) };
    else tauWarmup = { epochs: positive('tauWarmup.epochs', w.epochs), batchSize: positive('tauWarmup.batchSize', w.batchSize) };
  }
  const components = options.components ?? 17;
  if (!Number.isInteger(components) || components < 2) throw new PriorError('components', `is ${components}, expected an integer >= 2`);
  const pi0 = options.pi0 ?? 0.999;
  if (!(pi0 > 0 && pi0 < 1)) throw new PriorError('pi0', `is ${pi0}, expected a value in (0, 1)`);
  const rates = { ...DEFAULT_RATES, ...(options.learningRates ?? {}) };
  for (const k of Object.keys(rates) as (keyof PriorLearningRates)[]) nonNegative(`learningRates.${k}`, rates[k]);
  const adam = { ...DEFAULT_ADAM, ...(options.adam ?? {}) };
  if (!(adam.beta1 >= 0 && adam.beta1 < 1)) throw new PriorError('adam.beta1', `is ${adam.beta1}, expected a value in [0, 1)`);
  if (!(adam.beta2 >= 0 && adam.beta2 < 1)) throw new PriorError('adam.beta2', `is ${adam.beta2}, expected a value in [0, 1)`);
  positive('adam.epsilon', adam.epsilon);
  const hyper: HyperPriors = { ...DEFAULT_HYPER_PRIORS, ...(options.hyperPriors ?? {}) };
  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'table' && method !== 'exact') throw new PriorError('method', `is "${String(method)}", expected auto, table or exact`);
  const parallel = options.parallel ?? 'auto';
  if (parallel !== 'auto' && parallel !== false) throw new PriorError('parallel', `is ${JSON.stringify(parallel)}, expected 'auto' or false`);
  return {
    datasetSize,
    tau,
    tauWarmup,
    components,
    pi0,
    learnPi0: options.learnPi0 ?? false,
    initSigma: positive('initSigma', options.initSigma ?? 0.25),
    hyperPriors: {
      zero: hyper.zero === null ? null : { alpha: hyper.zero.alpha, beta: hyper.zero.beta },
      others: hyper.others === null ? null : { alpha: hyper.others.alpha, beta: hyper.others.beta },
      pi0: hyper.pi0 === null ? null : { a: hyper.pi0.a, b: hyper.pi0.b },
    },
    learningRates: rates,
    adam,
    includeBiases: options.includeBiases ?? false,
    layers: Array.isArray(options.layers) ? [...(options.layers as readonly string[])] : null,
    method,
    parallel,
  };
}

function field(layer: tf.layers.Layer, name: string): unknown {
  return (layer as unknown as Record<string, unknown>)[name];
}

function setField(layer: tf.layers.Layer, name: string, value: unknown): void {
  (layer as unknown as Record<string, unknown>)[name] = value;
}

function isContainer(layer: tf.layers.Layer): layer is tf.LayersModel {
  return Array.isArray((layer as unknown as { layers?: unknown }).layers);
}

/** Every (layer, weight field) pair the options select, depth-first through nested models. */
function selectSlots(
  model: tf.LayersModel,
  options: ResolvedPriorOptions,
  predicate: ((layer: tf.layers.Layer) => boolean) | null,
): Array<{ layer: tf.layers.Layer; weightField: string; regularizerField: string; role: string }> {
  const out: Array<{ layer: tf.layers.Layer; weightField: string; regularizerField: string; role: string }> = [];
  const seen = new Set<tf.layers.Layer>();
  const visit = (layers: tf.layers.Layer[]): void => {
    for (const layer of layers) {
      if (seen.has(layer)) continue;
      seen.add(layer);
      if (isContainer(layer)) {
        visit(layer.layers);
        continue;
      }
      const kind = layer.getClassName();
      const slots = KERNEL_SLOTS[kind];
      const wanted = predicate !== null ? predicate(layer) : options.layers !== null ? options.layers.includes(layer.name) : slots !== undefined;
      if (!wanted) continue;
      if (slots === undefined) {
        throw new PriorError(`layer "${layer.name}"`, `is a ${kind}; the prior covers Dense and Conv kernels only (${Object.keys(KERNEL_SLOTS).join(', ')})`);
      }
      for (const [weightField, regularizerField, role] of slots) out.push({ layer, weightField, regularizerField, role });
      if (options.includeBiases && field(layer, 'bias') != null) out.push({ layer, weightField: 'bias', regularizerField: 'biasRegularizer', role: 'bias' });
    }
  };
  visit(model.layers);
  if (options.layers !== null && predicate === null) {
    const found = new Set(out.map((s) => s.layer.name));
    const missing = options.layers.filter((n) => !found.has(n));
    if (missing.length > 0) throw new PriorError('layers', `names ${missing.map((n) => `"${n}"`).join(', ')}, which the model does not have`);
  }
  return out;
}

/**
 * The soft weight-sharing prior (PAPER.md sections 2-4) for a tfjs LayersModel. Attach it to a built model,
 * pass `prior.callback()` to `model.fit`, and read the learned mixture with `prior.state()`.
 */
export class GaussianMixturePrior implements PriorBinding {
  /** The options with defaults filled in. */
  readonly options: ResolvedPriorOptions;
  private readonly predicate: ((layer: tf.layers.Layer) => boolean) | null;
  private slots: Slot[] = [];
  private attachedModel: tf.LayersModel | null = null;
  /** [means(J), logPrecisions(J), mixingLogits(J), logit(pi0)]. */
  private theta: Float64Array | null = null;
  private zeroIndex = 0;
  private fixedPi0 = 0.999;
  private lr: Float64Array | null = null;
  private adam: AdamState | null = null;
  private version = 0;
  private prepared: { version: number; mix: PreparedMixture } | null = null;
  private pending: Array<Pending | undefined> = [];
  private runner: ParallelPriorRunner | null = null;
  /** Set when worker threads turned out unavailable or unfaithful: no further attempt. */
  private parallelOff = false;
  private job: ParallelJob | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private parallelCount = 0;
  private heapHandOvers = 0;
  private deferredCount = 0;
  private mainDeferredCount = 0;
  private readonly chooser = new ParallelChooser();
  /**
   * Main-thread ms the prior cost in the current step (the worker hand-over, or the kernel, and the gradient
   * upload), for the chooser; NaN outside a step begun by the callback.
   */
  private stepCost = NaN;
  /** [min, max] of all covered weights at the last computation: the kernel's range hint (results never depend on it). */
  private readonly rangeHint = new Float64Array([NaN, NaN]);
  /** The attached model's optimizer while its computeGradients is wrapped (see `computeWithPrior`). */
  private wrapped: { optimizer: OptimizerHooks; wrapper: ComputeGradientsFn; own: PropertyDescriptor | undefined } | null = null;
  /** Set by the wrapped computeGradients while it runs the passes of a step begun by the fit callback: the regularizers defer to it. */
  private deferral: Deferral | null = null;
  /** The mixture step and version at the fit callback's onBatchBegin; null outside a step it began. */
  private stepBegun: { step: number; version: number } | null = null;
  /** The step's terms of every covered tensor, computed on this thread by the first regularizer call that needed them. */
  private stepTerms: { step: number; version: number; gradScale: number; dataIds: unknown[]; terms: PriorTerms[] } | null = null;

  constructor(options: GaussianMixturePriorOptions) {
    this.options = resolvePriorOptions(options);
    this.predicate = typeof options.layers === 'function' ? options.layers : null;
    if (options.state !== undefined) this.setState(options.state);
  }

  /**
   * Rebuilds the prior of a model that was saved with one attached (its layers carry unbound prior
   * regularizers): binds them, and restores the mixture from `checkpoint` (or initialises it from the weights).
   */
  static fromModel(model: tf.LayersModel, checkpoint?: PriorCheckpoint): GaussianMixturePrior {
    const found: { layer: string; options: tf.serialization.ConfigDict }[] = [];
    const visit = (layers: tf.layers.Layer[]): void => {
      for (const layer of layers) {
        if (isContainer(layer)) {
          visit(layer.layers);
          continue;
        }
        for (const f of ['kernelRegularizer', 'depthwiseRegularizer', 'pointwiseRegularizer', 'biasRegularizer']) {
          const r = field(layer, f);
          if (isMixtureRegularizer(r)) found.push({ layer: layer.name, options: r.options });
        }
      }
    };
    visit(model.layers);
    if (found.length === 0) throw new PriorError('model', `"${model.name}" carries no softweight prior regularizer; attach a new prior instead`);
    const saved = (checkpoint?.options ?? found[0]!.options) as unknown as ResolvedPriorOptions;
    const layers = [...new Set(found.map((f) => f.layer))];
    const prior = new GaussianMixturePrior({ ...saved, layers, state: undefined });
    if (checkpoint !== undefined) prior.restore(checkpoint);
    prior.attach(model);
    return prior;
  }

  /** The covered weight tensors (empty until attached). */
  get covered(): CoveredWeight[] {
    return this.slots.map((s) => ({
      layer: s.layer.name,
      kind: s.layer.getClassName(),
      role: s.role,
      name: s.variable.name,
      shape: [...s.variable.shape] as number[],
      size: s.variable.shape.reduce((a: number, b) => a * (b ?? 1), 1),
    }));
  }

  /** How many covered-tensor evaluations in training steps were computed on the worker thread (option `parallel`). */
  get parallelEvaluations(): number {
    return this.parallelCount;
  }

  /** @internal Gradients the worker wrote straight into a tfjs tensor in the shared heap (threaded build). */
  get parallelInPlaceGradients(): number {
    return this.heapHandOvers;
  }

  /** @internal Covered-tensor evaluations from the worker that reached the optimizer after the backward pass (see `computeWithPrior`). */
  get parallelDeferredEvaluations(): number {
    return this.deferredCount;
  }

  /** @internal Covered-tensor evaluations computed on the main thread after the backward pass of a fit step (no worker result for it). */
  get mainThreadDeferredEvaluations(): number {
    return this.mainDeferredCount;
  }

  /** @internal Worker jobs that read the weights in place in the wasm backend's shared heap (threaded build). */
  get parallelInPlaceJobs(): number {
    return this.runner?.inPlaceJobs ?? 0;
  }

  /** The model the prior is attached to, or null. */
  get model(): tf.LayersModel | null {
    return this.attachedModel;
  }

  /** Number of mixture steps taken. */
  get step(): number {
    return this.adam?.step ?? 0;
  }

  /** tau at the current step (the warm-up applied). */
  currentTau(): number {
    const w = this.options.tauWarmup;
    if (w === null) return this.options.tau;
    const steps = 'steps' in w ? w.steps : w.epochs * Math.ceil(this.options.datasetSize / w.batchSize);
    return this.options.tau * Math.min(1, (this.step + 1) / steps);
  }

  /**
   * Attaches the prior to a built model (Sequential or functional, nested models included) without rebuilding
   * it: every covered weight gets the prior as its regularizer, so `model.fit` minimises it. Initialises the
   * mixture from the covered weights (core's `initMixture`) unless a state was given.
   */
  attach(model: tf.LayersModel): this {
    if (this.attachedModel !== null) throw new PriorError('attach', `already attached to model "${this.attachedModel.name}"; detach() first`);
    const selected = selectSlots(model, this.options, this.predicate);
    if (selected.length === 0) throw new PriorError('layers', `model "${model.name}" has no Dense or Conv layer to cover`);
    const slots: Slot[] = [];
    for (const s of selected) {
      const variable = field(s.layer, s.weightField) as tf.LayerVariable | null | undefined;
      if (variable == null) {
        throw new PriorError(`layer "${s.layer.name}"`, 'is not built yet: build the model first (give it an inputShape or call model.predict once)');
      }
      const existing = field(s.layer, s.regularizerField);
      if (isMixtureRegularizer(existing) && existing.bound) {
        throw new PriorError(`layer "${s.layer.name}"`, 'already has a mixture prior attached; detach that one first');
      }
      slots.push({ layer: s.layer, variable, regularizerField: s.regularizerField, role: s.role, regularizer: existing as GaussianMixtureRegularizer, previous: existing, lossFn: null });
    }
    if (this.theta === null) {
      const parts = slots.map((s) => s.variable.read().dataSync() as Float32Array);
      const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      this.setState(initMixture(all, { components: this.options.components, pi0: this.options.pi0, sigma: this.options.initSigma, learnPi0: this.options.learnPi0 }));
    }
    const config = this.options as unknown as tf.serialization.ConfigDict;
    slots.forEach((slot, index) => {
      if (isMixtureRegularizer(slot.previous) && slot.previous.origin === 'config') {
        // tfjs built this layer with the saved regularizer: its loss function is already in place.
        slot.regularizer = slot.previous;
      } else {
        slot.regularizer = new GaussianMixtureRegularizer(config, 'attach');
        const reg = slot.regularizer;
        const variable = slot.variable;
        slot.lossFn = () => reg.apply(variable.read());
        (slot.layer.losses as Array<() => tf.Scalar>).push(slot.lossFn);
        setField(slot.layer, slot.regularizerField, reg);
      }
      slot.regularizer.bind(this, index);
    });
    this.slots = slots;
    this.attachedModel = model;
    this.pending = [];
    return this;
  }

  /** Removes the prior from the model: restores every layer's previous regularizer. The mixture is kept. */
  detach(): void {
    this.releaseStepGradients();
    for (const slot of this.slots) {
      slot.regularizer.release();
      if (slot.lossFn !== null) {
        const losses = slot.layer.losses as Array<() => tf.Scalar>;
        const at = losses.indexOf(slot.lossFn);
        if (at >= 0) losses.splice(at, 1);
        setField(slot.layer, slot.regularizerField, slot.previous);
      } else {
        // A loaded model's loss function cannot be removed; the released regularizer adds 0, and the saved
        // config no longer names it.
        setField(slot.layer, slot.regularizerField, null);
      }
    }
    this.slots = [];
    this.attachedModel = null;
    this.pending = [];
    this.unwrapOptimizer();
    this.stopWorker();
  }

  /** The fit callback that steps the mixture after every batch: `model.fit(x, y, { callbacks: [prior.callback()] })`. */
  callback(): tf.Callback {
    return new PriorCallback(this);
  }

  /** The current mixture (a copy). */
  state(): MixtureState {
    const theta = this.requireTheta();
    const J = this.options.components;
    const means = theta.slice(0, J);
    means[this.zeroIndex] = 0;
    const mixingLogits = theta.slice(2 * J, 3 * J);
    mixingLogits[this.zeroIndex] = 0;
    return {
      means,
      logPrecisions: theta.slice(J, 2 * J),
      mixingLogits,
      zeroIndex: this.zeroIndex,
      // A fixed pi0 is returned as given (sigmoid(logit(p)) need not be p to the last bit).
      pi0: this.options.learnPi0 ? 1 / (1 + Math.exp(-theta[3 * J]!)) : this.fixedPi0,
      learnPi0: this.options.learnPi0,
    };
  }

  /** Replaces the mixture (validated; its component count must match `components`). Adam moments are kept. */
  setState(state: MixtureState): void {
    validateMixture(state);
    const J = this.options.components;
    if (state.means.length !== J) throw new PriorError('state', `has ${state.means.length} components, this prior has ${J} (option components)`);
    const theta = new Float64Array(3 * J + 1);
    theta.set(state.means, 0);
    theta.set(state.logPrecisions, J);
    theta.set(state.mixingLogits, 2 * J);
    theta[3 * J] = Math.log(state.pi0) - Math.log1p(-state.pi0);
    this.theta = theta;
    this.fixedPi0 = state.pi0;
    this.zeroIndex = state.zeroIndex;
    const r = this.options.learningRates;
    const lr = new Float64Array(3 * J + 1);
    for (let j = 0; j < J; j++) {
      lr[j] = j === this.zeroIndex ? 0 : r.means;
      lr[J + j] = r.logPrecisions;
      lr[2 * J + j] = j === this.zeroIndex ? 0 : r.mixingLogits;
    }
    lr[3 * J] = this.options.learnPi0 ? r.pi0 : 0;
    this.lr = lr;
    this.adam ??= createAdam(3 * J + 1);
    this.version++;
    this.pending = [];
  }

  /** A JSON-serializable checkpoint: mixture, Adam moments and step. */
  checkpoint(): PriorCheckpoint {
    const s = this.state();
    const adam = this.adam!;
    return {
      format: 'softweight-prior-checkpoint',
      version: 1,
      state: {
        means: Array.from(s.means),
        logPrecisions: Array.from(s.logPrecisions),
        mixingLogits: Array.from(s.mixingLogits),
        zeroIndex: s.zeroIndex,
        pi0: s.pi0,
        learnPi0: s.learnPi0,
      },
      parameters: Array.from(this.requireTheta()),
      adam: { m: Array.from(adam.m), v: Array.from(adam.v), step: adam.step },
      options: JSON.parse(JSON.stringify(this.options)) as ResolvedPriorOptions,
    };
  }

  /** Restores a checkpoint: the next step continues exactly where the checkpointed prior stopped. */
  restore(checkpoint: PriorCheckpoint): void {
    if (checkpoint?.format !== 'softweight-prior-checkpoint' || checkpoint.version !== 1) {
      throw new PriorError('checkpoint', 'is not a softweight prior checkpoint (format softweight-prior-checkpoint, version 1)');
    }
    const c = checkpoint.state;
    this.setState({
      means: Float64Array.from(c.means),
      logPrecisions: Float64Array.from(c.logPrecisions),
      mixingLogits: Float64Array.from(c.mixingLogits),
      zeroIndex: c.zeroIndex,
      pi0: c.pi0,
      learnPi0: c.learnPi0,
    });
    const size = 3 * this.options.components + 1;
    if (checkpoint.adam.m.length !== size || checkpoint.adam.v.length !== size || checkpoint.parameters.length !== size) {
      throw new PriorError('checkpoint', `has ${checkpoint.parameters.length} parameters and ${checkpoint.adam.m.length} moments, expected ${size}`);
    }
    // The raw vector, not the state: logit(sigmoid(u)) is not always u to the last bit.
    this.theta = Float64Array.from(checkpoint.parameters);
    this.fixedPi0 = c.pi0;
    this.version++;
    this.adam = { m: Float64Array.from(checkpoint.adam.m), v: Float64Array.from(checkpoint.adam.v), step: checkpoint.adam.step };
  }

  /** The prior's loss terms at the current weights and mixture. */
  lossTerms(): PriorLossTerms {
    this.requireAttached('lossTerms');
    let logPrior = 0;
    for (const t of this.computeAll(this.slots.map((s) => s.variable.read().dataSync() as Float32Array), 1)) logPrior += t.logDensity;
    const logHyperPrior = hyperPriorLogDensity(this.state(), this.options.hyperPriors).logDensity;
    const tau = this.currentTau();
    return { logPrior, logHyperPrior, tau, datasetSize: this.options.datasetSize, penalty: (tau / this.options.datasetSize) * (-logPrior - logHyperPrior) };
  }

  /**
   * One mixture step (what the fit callback calls after every batch): Adam on d loss / d theta at the weights
   * the last training forward pass saw; covered tensors with no such pass are read as they are now.
   */
  stepMixture(): void {
    this.requireAttached('stepMixture');
    const J = this.options.components;
    const theta = this.requireTheta();
    const adam = this.adam!;
    const sumMeans = new Float64Array(J);
    const sumLogPrec = new Float64Array(J);
    const sumResp = new Float64Array(J);
    const valid = (p: Pending | undefined): p is Pending => p !== undefined && p.step === adam.step && p.version === this.version;
    // The terms are computed over all covered tensors together (one table): without the last forward pass's
    // terms of every tensor, compute all of them afresh.
    const all = this.slots.every((_, i) => valid(this.pending[i]))
      ? this.slots.map((_, i) => this.pending[i]!.terms)
      : this.computeAll(this.slots.map((s) => s.variable.read().dataSync() as Float32Array), 1);
    all.forEach((terms) => {
      for (let j = 0; j < J; j++) {
        sumMeans[j]! += terms.means[j]!;
        sumLogPrec[j]! += terms.logPrecisions[j]!;
        sumResp[j]! += terms.responsibility[j]!;
      }
    });
    const state = this.state();
    const hyper = hyperPriorLogDensity(state, this.options.hyperPriors);
    const { mixingLogits, pi0 } = proportionGradients(state, sumResp);
    const scale = -this.currentTau() / this.options.datasetSize; // d loss = scale * d log-density
    const grad = new Float64Array(3 * J + 1);
    for (let j = 0; j < J; j++) {
      grad[j] = j === this.zeroIndex ? 0 : scale * sumMeans[j]!;
      grad[J + j] = scale * (sumLogPrec[j]! + hyper.logPrecisions[j]!);
      grad[2 * J + j] = j === this.zeroIndex ? 0 : scale * mixingLogits[j]!;
    }
    const p0 = state.pi0;
    grad[3 * J] = this.options.learnPi0 ? scale * (pi0 + hyper.pi0) * p0 * (1 - p0) : 0;
    adamStep(theta, grad, this.lr!, adam, this.options.adam);
    this.version++;
    this.pending = [];
  }

  /**
   * @internal Called by the fit callback before every batch: the weights are final for this step, so the
   * worker can compute the prior while the main thread runs the forward and backward passes.
   */
  async beginStep(): Promise<void> {
    this.job = null;
    this.stepCost = 0;
    this.stepBegun = null;
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (this.attachedModel !== null) {
      this.wrapOptimizer();
      this.stepBegun = { step: this.step, version: this.version };
    }
    if (this.options.parallel === false || this.parallelOff || this.attachedModel === null || !this.chooser.useWorker()) return;
    if (this.runner !== null && !this.runner.usable) {
      // The worker failed, stalled past the timeout, or this thread may not block: stay on the main thread.
      this.parallelOff = true;
      this.stopWorker();
      return;
    }
    if (this.runner === null) {
      this.runner = await ParallelPriorRunner.start();
      if (this.runner === null) {
        this.parallelOff = true;
        return;
      }
      if (this.attachedModel === null) return this.stopWorker();
    }
    const t0 = performance.now();
    const tensors = this.slots.map((s) => s.variable.read());
    // On a shared wasm heap the worker writes each gradient straight into a tensor allocated here (before the
    // weight views are taken: an allocation can grow the heap).
    this.releaseStepGradients();
    const gradientAt = allocateHeapGradients(this.slots, tensors);
    const inputs = this.slots.map((_, i) => ({ weights: readWeights(tensors[i]!), gradientAt: gradientAt?.[i] }));
    const gradScale = -this.currentTau() / this.options.datasetSize;
    const id = this.runner.begin(inputs, this.mixture(), gradScale, this.options.method, this.rangeHint);
    this.stepCost += performance.now() - t0;
    if (id === 0) return;
    this.job = { id, dataIds: tensors.map((t) => t.dataId), step: this.step, version: this.version, gradScale };
  }

  /** @internal Called by the fit callback after every batch, before the mixture step: reports the step's prior cost to the chooser. */
  endStep(): void {
    this.releaseStepGradients();
    if (this.options.parallel !== false && !this.parallelOff && this.stepCost === this.stepCost) this.chooser.record(this.stepCost);
    this.stepCost = NaN;
    // The step's worker result has been used (or not); nothing later in this step may take it.
    this.job = null;
    this.stepBegun = null;
  }

  /**
   * @internal Called by the fit callback when training ends: stops the worker thread unless another fit starts
   * within WORKER_IDLE_MS (fit called once per epoch in a loop should not pay a worker start each time).
   */
  endTraining(): void {
    this.job = null;
    this.stepBegun = null;
    if (this.runner === null) return;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stopWorker(), WORKER_IDLE_MS);
    // The timer (like the worker) must not keep the process alive.
    (this.idleTimer as { unref?: () => void }).unref?.();
  }

  /**
   * Disposes the step's gradient tensors in the shared heap once the worker can no longer write into them: a job
   * whose results were not taken (weights rewritten after it began) may still be running. If the worker does not
   * finish in time (the runner then gives it up), they are left allocated rather than freed under a writer.
   */
  private releaseStepGradients(): void {
    if (this.runner !== null && this.slots.some((s) => s.heapGradient != null) && !this.runner.finish()) {
      for (const s of this.slots) {
        s.heapGradient = null;
        s.heapGradientUsed = false;
      }
      return;
    }
    releaseHeapGradients(this.slots);
  }

  private stopWorker(): void {
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    this.job = null;
    const r = this.runner;
    this.runner = null;
    if (r !== null) void r.close();
  }

  /** The step's worker job if it was started for exactly these weights (all covered tensors, `x` for `index`), mixture and tau. */
  private validJob(index: number, x: tf.Tensor, gradScale: number): ParallelJob | null {
    const job = this.job;
    if (job === null || this.runner === null) return null;
    if (job.step !== this.step || job.version !== this.version || job.gradScale !== gradScale) return null;
    // Every tensor's result depends on all covered weights (one table over their range): any one rewritten since
    // the job began makes the whole job stale.
    if (job.dataIds.some((id, i) => id !== (i === index ? x.dataId : this.slots[i]!.variable.read().dataId))) return null;
    return job;
  }

  /** The worker's result for covered tensor `index` if a job for exactly these weights, mixture and tau is running. */
  private parallelTerms(index: number, x: tf.Tensor, gradScale: number): PriorTerms | null {
    const job = this.validJob(index, x, gradScale);
    return job === null ? null : this.runner!.take(job.id, index);
  }

  /**
   * The first worker result of this process is checked against the main thread's, bit for bit (a bundler or
   * runtime that changes the kernel's source text must not change results silently); a mismatch turns the
   * worker off and returns null. `tensors`: every covered tensor's weights as the job saw them.
   */
  private verified(terms: PriorTerms, index: number, tensors: tf.Tensor[], gradScale: number): PriorTerms | null {
    if (workerVerified) return terms;
    const mine = this.computeAll(tensors.map(readWeights), gradScale)[index]!;
    if (sameTerms(terms, mine)) {
      workerVerified = true;
      return terms;
    }
    this.parallelOff = true;
    this.stopWorker();
    return null;
  }

  /**
   * Puts `computeWithPrior` in front of the attached model's optimizer's computeGradients (again after a
   * recompile gave the model another optimizer). Left as it is when the optimizer has no computeGradients.
   */
  private wrapOptimizer(): void {
    const optimizer = (this.attachedModel as unknown as { optimizer?: unknown } | null)?.optimizer as OptimizerHooks | undefined;
    if (this.wrapped !== null && this.wrapped.optimizer === optimizer && optimizer.computeGradients === this.wrapped.wrapper) return;
    this.unwrapOptimizer();
    if (optimizer == null || typeof optimizer.computeGradients !== 'function') return;
    const original = optimizer.computeGradients;
    const own = Object.getOwnPropertyDescriptor(optimizer, 'computeGradients');
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const prior = this;
    const wrapper: ComputeGradientsFn = function (this: OptimizerHooks, f, varList) {
      return prior.computeWithPrior(original, this, f, varList);
    };
    optimizer.computeGradients = wrapper;
    this.wrapped = { optimizer, wrapper, own };
  }

  /** Restores the optimizer's own computeGradients (unless something wrapped it after us: ours then passes through). */
  private unwrapOptimizer(): void {
    const w = this.wrapped;
    this.wrapped = null;
    if (w === null || w.optimizer.computeGradients !== w.wrapper) return;
    if (w.own !== undefined) Object.defineProperty(w.optimizer, 'computeGradients', w.own);
    else delete (w.optimizer as { computeGradients?: ComputeGradientsFn }).computeGradients;
  }

  /**
   * The optimizer's computeGradients in a training step begun by the fit callback: the forward and backward
   * passes run without the regularizers (attach()'s loss functions are taken off the layers; a loaded model's
   * own defer: each adds 0 and no gradient), then the prior is added: its penalties to the loss value, its weight
   * gradients to the covered variables' gradients, before the optimizer applies them. With a worker job for these
   * weights the results are the worker's, which so has the whole forward and backward pass to finish; otherwise
   * this thread computes them now (the weights are still the passes'). Either way the passes skip a penalty op,
   * a loss addition and their gradients per covered tensor. The parameters come out bit for bit as through the
   * regularizers (their gradient is added to the same variables' gradients: float addition is commutative); the
   * reported loss adds the penalties in another order, which may change its last float32 bit. Anything else
   * (custom loops, a step not begun by the callback) runs the optimizer's own computation.
   */
  private computeWithPrior(original: ComputeGradientsFn, optimizer: OptimizerHooks, f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    const begun = this.stepBegun;
    // tfjs-layers sets isTraining while fit runs (a Sequential on the model it wraps): after a fit that failed
    // mid-step, a custom loop must not be taken for one.
    const m = this.attachedModel as unknown as { isTraining?: boolean; model?: { isTraining?: boolean } } | null;
    const training = m?.isTraining === true || m?.model?.isTraining === true;
    if (begun === null || !training || begun.step !== this.step || begun.version !== this.version || this.deferral !== null || this.slots.length === 0) {
      return original.call(optimizer, f, varList);
    }
    const gradScale = -this.currentTau() / this.options.datasetSize;
    const job = this.job !== null && this.validJob(0, this.slots[0]!.variable.read(), gradScale) === this.job ? this.job : null;
    const deferral: Deferral = { job, indices: [] };
    // Nothing runs between here and the forward pass: the weights the passes see are the ones read now.
    const removed: Array<{ losses: Array<() => tf.Scalar>; at: number; fn: () => tf.Scalar }> = [];
    this.slots.forEach((slot, index) => {
      if (slot.lossFn === null) return;
      const losses = slot.layer.losses as Array<() => tf.Scalar>;
      const at = losses.indexOf(slot.lossFn);
      if (at < 0) return;
      losses.splice(at, 1);
      removed.push({ losses, at, fn: slot.lossFn });
      deferral.indices.push(index);
    });
    this.deferral = deferral;
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      result = original.call(optimizer, f, varList);
    } finally {
      this.deferral = null;
      for (let i = removed.length - 1; i >= 0; i--) removed[i]!.losses.splice(removed[i]!.at, 0, removed[i]!.fn);
    }
    if (deferral.indices.length === 0) return result;
    try {
      return this.addDeferred(deferral, result, varList);
    } catch (e) {
      tf.dispose([result.value, ...Object.values(result.grads)]);
      throw e;
    }
  }

  /**
   * The slot's tensor in the shared heap if the worker wrote `terms`' gradient into it (marked used: it serves once
   * per step), else null (the gradient is elsewhere: copy it into a new tensor).
   */
  private takeHeapGradient(slot: Slot, terms: PriorTerms): tf.Tensor | null {
    const t = slot.heapGradient;
    if (t == null || slot.heapGradientUsed || t.isDisposed || terms.gradient.buffer !== wasmSharedHeap()) return null;
    slot.heapGradientUsed = true;
    this.heapHandOvers++;
    return t;
  }

  /** The deferred regularizers' penalties and gradients, from the worker (or this thread), added into `result`. */
  private addDeferred(deferral: Deferral, result: { value: tf.Scalar; grads: tf.NamedTensorMap }, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    const { job } = deferral;
    const scale = this.currentTau() / this.options.datasetSize;
    const tensors = this.slots.map((s) => s.variable.read());
    const trainable = varList === undefined ? null : new Set(varList.map((v) => v.name));
    let penalty = 0;
    for (const index of deferral.indices) {
      const slot = this.slots[index]!;
      const tw = performance.now();
      let terms = job === null ? null : (this.runner?.take(job.id, index) ?? null);
      this.stepCost += performance.now() - tw;
      const t0 = performance.now();
      if (terms !== null) terms = this.verified(terms, index, tensors, -scale);
      let gradient: tf.Tensor;
      if (terms !== null) {
        this.parallelCount++;
        this.deferredCount++;
        gradient = this.takeHeapGradient(slot, terms) ?? tf.tensor(terms.gradient, tensors[index]!.shape, 'float32');
      } else {
        // No worker job for these weights, or the worker failed or stalled: this thread computes the step.
        terms = this.mainThreadTerms(index, tensors[index]!, -scale);
        gradient = tf.tensor(terms.gradient, tensors[index]!.shape, 'float32');
        this.mainDeferredCount++;
      }
      this.pending[index] = { step: this.step, version: this.version, terms };
      const hyper = index === 0 ? hyperPriorLogDensity(this.state(), this.options.hyperPriors).logDensity : 0;
      penalty += -scale * (terms.logDensity + hyper);
      const name = (tensors[index] as tf.Variable).name;
      const before = result.grads[name];
      if (before !== undefined && (trainable === null || trainable.has(name))) {
        result.grads[name] = tf.add(before, gradient);
        before.dispose();
      }
      if (gradient !== slot.heapGradient) gradient.dispose();
      this.stepCost += performance.now() - t0;
    }
    const extra = tf.scalar(penalty);
    const value = tf.add(result.value, extra) as tf.Scalar;
    tf.dispose([result.value, extra]);
    return { value, grads: result.grads };
  }

  /** @internal The regularizer penalty of covered tensor `index` (called by tfjs-layers through the regularizer). */
  penalty(index: number, x: tf.Tensor): tf.Scalar {
    const slot = this.slots[index];
    if (slot === undefined) throw new PriorError('regularizer', `covered weight ${index} does not exist (the prior was detached)`);
    const scale = this.currentTau() / this.options.datasetSize;
    const step = this.step;
    const version = this.version;
    // Inside the wrapped computeGradients of a fit step (with the step's worker job valid for these weights, if it
    // has one): add nothing now; computeWithPrior adds this tensor's penalty and gradient after the backward pass.
    const deferral = this.deferral;
    if (deferral !== null && (deferral.job === null || this.validJob(index, x, -scale) === deferral.job)) {
      if (!deferral.indices.includes(index)) deferral.indices.push(index);
      return tf.scalar(0);
    }
    const hyper = index === 0 ? hyperPriorLogDensity(this.state(), this.options.hyperPriors).logDensity : 0;
    // The wait for the worker counts in the step's prior cost too (what the 'auto' chooser compares).
    const tw = performance.now();
    const fromWorker = this.parallelTerms(index, x, -scale);
    this.stepCost += performance.now() - tw;
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const t0 = performance.now();
      const w = args[0] as tf.Tensor;
      let terms: PriorTerms | null = fromWorker;
      if (terms !== null) terms = this.verified(terms, index, this.slots.map((s, i) => (i === index ? w : s.variable.read())), -scale);
      // The worker's gradient may be in the tensor allocated for it: then that tensor goes to tfjs.
      const handOver = terms === null ? null : this.takeHeapGradient(slot, terms);
      if (terms !== null) {
        this.parallelCount++;
        // The worker's gradient lives in shared memory reused next step; the cpu backend keeps a new tensor's
        // array as its storage (wasm copies it into its heap at once).
        if (tf.getBackend() !== 'wasm') terms = { ...terms, gradient: terms.gradient.slice() };
      } else {
        terms = this.mainThreadTerms(index, w, -scale);
      }
      this.pending[index] = { step, version, terms };
      const gradient = terms.gradient;
      const shape = w.shape;
      this.stepCost += performance.now() - t0;
      return {
        value: tf.scalar(-scale * (terms.logDensity + hyper)),
        gradFunc: (dy: tf.Tensor) => {
          // dy is 1 when the penalty enters the loss as a plain sum (model.fit): skip a multiply over every weight.
          // Otherwise scale a copy: the step's terms may serve another call of this regularizer.
          const t1 = performance.now();
          const d = dy.dataSync()[0]!;
          let result: tf.Tensor;
          if (d === 1) result = handOver ?? tf.tensor(gradient, shape, 'float32');
          else {
            const scaled = new Float32Array(gradient.length);
            for (let i = 0; i < gradient.length; i++) scaled[i] = gradient[i]! * d;
            result = tf.tensor(scaled, shape, 'float32');
          }
          this.stepCost += performance.now() - t1;
          return result;
        },
      };
    });
    return f(x) as tf.Scalar;
  }

  /**
   * Covered tensor `index`'s terms computed on this thread, `w` being its weights. All covered tensors are computed
   * together (one table, prior/kernel.ts), once per step: the other regularizers of the step take theirs from here.
   */
  private mainThreadTerms(index: number, w: tf.Tensor, gradScale: number): PriorTerms {
    const c = this.stepTerms;
    if (c !== null && c.step === this.step && c.version === this.version && c.gradScale === gradScale && c.dataIds[index] === w.dataId) return c.terms[index]!;
    const tensors = this.slots.map((s, i) => (i === index ? w : s.variable.read()));
    // The wasm backend copies a new tensor's values into its heap at once, so there the gradient arrays can be
    // reused from step to step (one 1 MB allocation less per step for LeNet-300-100's first kernel); the cpu
    // backend keeps the array as the tensor's storage, so it gets fresh ones.
    const onWasm = tf.getBackend() === 'wasm';
    const outs = this.slots.map((s, i) => {
      if (!onWasm) return undefined;
      const size = tensors[i]!.size;
      if (s.gradientBuffer?.length !== size) s.gradientBuffer = new Float32Array(size);
      return s.gradientBuffer;
    });
    const terms = this.computeAll(tensors.map(readWeights), gradScale, outs);
    this.stepTerms = { step: this.step, version: this.version, gradScale, dataIds: tensors.map((t) => t.dataId), terms };
    return terms[index]!;
  }

  /** The kernel over every covered tensor's weights (in slot order) under the current mixture; errors name the tensor. */
  private computeAll(weights: Float32Array[], gradScale: number, outs?: Array<Float32Array | undefined>): PriorTerms[] {
    try {
      return mixturePriorTermsShared(weights, this.mixture(), { gradScale, method: this.options.method, outs, rangeHint: this.rangeHint });
    } catch (e) {
      if (!(e instanceof PriorError)) throw e;
      const bad = weights.findIndex((x) => x.some((v) => !Number.isFinite(v)));
      throw new PriorError(bad >= 0 ? `weight "${this.slots[bad]!.variable.name}"` : `covered weights (${this.slots.map((s) => s.variable.name).join(', ')})`, e.message);
    }
  }

  private mixture(): PreparedMixture {
    if (this.prepared === null || this.prepared.version !== this.version) this.prepared = { version: this.version, mix: prepareMixture(this.state()) };
    return this.prepared.mix;
  }

  private requireTheta(): Float64Array {
    if (this.theta === null) throw new PriorError('state', 'is not initialised yet: attach the prior to a model or pass options.state');
    return this.theta;
  }

  private requireAttached(what: string): void {
    if (this.attachedModel === null) throw new PriorError(what, 'needs the prior attached to a model: call prior.attach(model) first');
  }
}

/** A step's passes run by the wrapped computeGradients: the worker job for its weights (if any), and the covered tensors whose prior is deferred to after the backward pass. */
interface Deferral {
  job: ParallelJob | null;
  indices: number[];
}

/** tfjs Optimizer.computeGradients (Optimizer.minimize calls it, then applyGradients). */
type ComputeGradientsFn = (f: () => tf.Scalar, varList?: tf.Variable[]) => { value: tf.Scalar; grads: tf.NamedTensorMap };

/** The part of a tfjs Optimizer the prior wraps. */
interface OptimizerHooks {
  computeGradients: ComputeGradientsFn;
}

/** The wasm backend's internals the in-place hand-over uses (tfjs-backend-wasm 4.x), typed structurally. */
interface WasmInternals {
  dataIdMap?: { get(id: unknown): { memoryOffset?: number | null } | undefined };
  makeOutput?: (shape: number[], dtype: 'float32') => tf.TensorInfo;
}

/**
 * On a shared wasm heap: one uninitialised float32 tensor per slot, kept in `slot.heapGradient`, for the worker
 * to write the slot's gradient into; returns their heap byte offsets (null when the heap is not shared).
 */
function allocateHeapGradients(slots: Slot[], tensors: tf.Tensor[]): number[] | null {
  if (wasmSharedHeap() === null) return null;
  const backend = tf.backend() as unknown as WasmInternals;
  if (typeof backend.makeOutput !== 'function' || backend.dataIdMap === undefined) return null;
  const offsets: number[] = [];
  for (const [i, s] of slots.entries()) {
    const t = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([...tensors[i]!.shape], 'float32'));
    s.heapGradient = tf.keep(t);
    offsets.push(backend.dataIdMap.get(t.dataId)?.memoryOffset ?? -1);
  }
  return offsets;
}

/** Disposes the step's gradient tensors tfjs did not take or has not disposed after using them. */
function releaseHeapGradients(slots: Slot[]): void {
  for (const s of slots) {
    if (s.heapGradient != null && !s.heapGradient.isDisposed) s.heapGradient.dispose();
    s.heapGradient = null;
    s.heapGradientUsed = false;
  }
}

/**
 * A float32 tensor's values for a synchronous read-only pass. On the wasm backend: a view of the backend's
 * heap (no 1 MB copy and garbage per step for LeNet-300-100's first kernel; valid until the next tfjs op,
 * and the prior kernel runs no tfjs op). It reads tfjs-backend-wasm internals (4.x: dataIdMap, wasm.HEAPF32),
 * so anything unexpected falls back to dataSync.
 */
function readWeights(t: tf.Tensor): Float32Array {
  if (t.dtype === 'float32' && tf.getBackend() === 'wasm') {
    const b = tf.backend() as unknown as {
      dataIdMap?: { get(id: unknown): { memoryOffset?: number | null } | undefined };
      wasm?: { HEAPF32?: Float32Array };
    };
    const offset = b.dataIdMap?.get(t.dataId)?.memoryOffset;
    const heap = b.wasm?.HEAPF32;
    if (typeof offset === 'number' && heap instanceof Float32Array && offset % 4 === 0 && offset + 4 * t.size <= heap.buffer.byteLength) {
      return new Float32Array(heap.buffer, offset, t.size);
    }
  }
  return t.dataSync() as Float32Array;
}

/** Whether two kernel results are identical bit for bit (the worker's check). */
function sameTerms(a: PriorTerms, b: PriorTerms): boolean {
  const same = (x: Float32Array | Float64Array, y: Float32Array | Float64Array): boolean => {
    if (x.length !== y.length) return false;
    const u = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const v = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
    for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return false;
    return true;
  };
  return (
    Object.is(a.logDensity, b.logDensity) &&
    a.exactWeights === b.exactWeights &&
    a.nodes === b.nodes &&
    a.grid === b.grid &&
    same(a.gradient, b.gradient) &&
    same(a.means, b.means) &&
    same(a.logPrecisions, b.logPrecisions) &&
    same(a.responsibility, b.responsibility)
  );
}

/** Steps the mixture after every training batch; before it, starts the step's prior on the worker thread. */
class PriorCallback extends tf.Callback {
  constructor(private readonly prior: GaussianMixturePrior) {
    super();
  }

  override async onBatchBegin(): Promise<void> {
    await this.prior.beginStep();
  }

  override async onTrainEnd(): Promise<void> {
    this.prior.endTraining();
  }

  override async onBatchEnd(): Promise<void> {
    this.prior.endStep();
    this.prior.stepMixture();
  }
}
