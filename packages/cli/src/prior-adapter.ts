// The CLI's one seam to @softweight/tfjs's prior and graph adapter: attach, step, read and checkpoint the mixture.
import type * as tf from '@tensorflow/tfjs';
import { mixingProportions, type ModelGraph, type MixtureState } from '@softweight/core';
import type { WeightMap } from '@softweight/quantize';
import * as swtf from '@softweight/tfjs';
import { GaussianMixturePrior, type PriorCheckpoint } from '@softweight/tfjs';
import type { TensorBlob } from './checkpoint.js';
import { CliError } from './errors.js';
import type { MixtureSnapshot } from './figures.js';

/** Prior settings the CLI passes through. */
export interface PriorSettings {
  components: number;
  pi0: number;
  tau: number;
  tauWarmupEpochs: number;
  lrMeans: number;
  lrLogPrecisions: number;
  lrLogits: number;
  datasetSize: number;
  /** Initial standard deviation of every component (paper: 0.25). */
  initSigma: number;
}

/** A prior attached to a model, as the compress loop uses it. */
export interface AttachedPrior {
  /** Names of the covered tensors (graph weight names). */
  covered(): string[];
  /** Callbacks to pass to fit. */
  callbacks(): tf.Callback[];
  /** Runs `fn` with the prior detached (for saving the model without the regularizer in its config). */
  withDetached<T>(fn: () => Promise<T>): Promise<T>;
  /** The current mixture. */
  mixture(): MixtureState;
  /** State for a checkpoint. */
  save(): Promise<{ json: Record<string, unknown>; blob?: TensorBlob }>;
  /** Restores `save()`'s output. */
  restore(blob: TensorBlob | undefined, json: Record<string, unknown> | undefined): Promise<void>;
  /** Removes the prior from the model. */
  detach(): void;
}

const api = swtf as unknown as Record<string, unknown>;

function need<T>(name: string): T {
  const v = api[name];
  if (v === undefined) throw new CliError(`@softweight/tfjs does not export ${name} yet: compress needs it`, { code: 'MISSING_API' });
  return v as T;
}

/** The model's framework-neutral graph and weights (@softweight/tfjs `toGraph`). */
export function graphOf(model: tf.LayersModel): { graph: ModelGraph; weights: WeightMap } {
  const toGraph = need<(m: tf.LayersModel) => { graph: ModelGraph; weights: WeightMap }>('toGraph');
  return toGraph(model);
}

/** Attaches the GaussianMixturePrior to `model` (the model's kernels; biases stay float32, as the paper's reimplementation). */
export function attachPrior(model: tf.LayersModel, s: PriorSettings & { batchSize: number }): AttachedPrior {
  const prior = new GaussianMixturePrior({
    datasetSize: s.datasetSize,
    tau: s.tau,
    tauWarmup: s.tauWarmupEpochs > 0 ? { epochs: s.tauWarmupEpochs, batchSize: s.batchSize } : null,
    components: s.components,
    pi0: s.pi0,
    initSigma: s.initSigma,
    learningRates: { means: s.lrMeans, logPrecisions: s.lrLogPrecisions, mixingLogits: s.lrLogits },
  });
  prior.attach(model);
  const callback = prior.callback();
  return {
    covered: () => prior.covered.map((c) => `${c.layer}/${c.role}`),
    callbacks: () => [callback],
    mixture: () => prior.state(),
    save: async () => ({ json: prior.checkpoint() as unknown as Record<string, unknown> }),
    restore: async (_blob, json) => {
      if (json) prior.restore(json as unknown as PriorCheckpoint);
    },
    withDetached: async <T>(fn: () => Promise<T>): Promise<T> => {
      // Saved models must not name the prior's regularizer: plain tfjs could not load them.
      prior.detach();
      try {
        return await fn();
      } finally {
        prior.attach(model);
      }
    },
    detach: () => prior.detach(),
  };
}

/** A figure-ready snapshot of a mixture. */
export function snapshotOf(m: MixtureState, epoch: number): MixtureSnapshot {
  const pis = Array.from(mixingProportions(m));
  return {
    epoch,
    means: Array.from(m.means),
    sigmas: Array.from(m.logPrecisions, (g) => Math.exp(-0.5 * g)),
    pis,
  };
}
