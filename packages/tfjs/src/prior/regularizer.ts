// The tfjs regularizer that puts the mixture prior into a layer's loss; serializable so models saved with it load again.
import * as tf from '@tensorflow/tfjs';
import { PriorError } from './errors.js';

/** What a bound regularizer calls to compute its penalty (implemented by `GaussianMixturePrior`). */
export interface PriorBinding {
  /** The penalty (tau/N) * (-sum log p(w)) of covered weight `index`, with its gradient. */
  penalty(index: number, weights: tf.Tensor): tf.Scalar;
}

/** tfjs-layers' (unexported) `Regularizer` base class, so that layers accept our instances as regularizers. */
const RegularizerBase = Object.getPrototypeOf(tf.regularizers.l1l2().constructor) as typeof tf.serialization.Serializable;

/** Where a regularizer instance came from: made by `attach`, or rebuilt by tfjs from a saved model's config. */
export type RegularizerOrigin = 'attach' | 'config';

/**
 * The Gaussian-mixture prior as a tfjs regularizer on one weight tensor. Its config holds the prior's
 * options only (never the learned mixture, which lives in the prior and its checkpoints). A freshly loaded
 * model carries unbound instances: `GaussianMixturePrior.fromModel` binds them again; `model.fit` on an
 * unbound one throws, so a model never trains silently without the prior it was saved with. After
 * `detach()` an instance is released and adds exactly 0.
 */
export class GaussianMixtureRegularizer extends RegularizerBase {
  /** The name tfjs serializes this class under. */
  static readonly className = 'SoftweightGaussianMixturePrior';
  /** The prior's options (JSON). */
  readonly options: tf.serialization.ConfigDict;
  /** Whether this instance was made by `attach` or rebuilt from a saved config. */
  readonly origin: RegularizerOrigin;
  private binding: { prior: PriorBinding; index: number } | null = null;
  private released = false;

  constructor(options: tf.serialization.ConfigDict, origin: RegularizerOrigin = 'config') {
    super();
    this.options = options;
    this.origin = origin;
  }

  /** Connects this instance to a prior, as covered weight `index`. */
  bind(prior: PriorBinding, index: number): void {
    this.binding = { prior, index };
    this.released = false;
  }

  /** Disconnects from the prior: from now on the penalty is exactly 0. */
  release(): void {
    this.binding = null;
    this.released = true;
  }

  /** Whether a prior is bound. */
  get bound(): boolean {
    return this.binding !== null;
  }

  /** The penalty of `x` (called by tfjs-layers on every training step). */
  apply(x: tf.Tensor): tf.Scalar {
    if (this.binding !== null) return this.binding.prior.penalty(this.binding.index, x);
    if (this.released) return tf.scalar(0);
    throw new PriorError(
      'regularizer',
      'this model carries a softweight mixture prior that is not bound to a mixture (it was loaded from a saved model): ' +
        'call GaussianMixturePrior.fromModel(model, checkpoint) before model.fit, or fromModel(model).detach() to drop it',
    );
  }

  /** The prior's options, as saved in the model's layer config. */
  getConfig(): tf.serialization.ConfigDict {
    return { ...this.options };
  }

  /** Rebuilds an (unbound) instance from a saved config. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config, 'config');
  }
}

/** Whether `x` is one of our regularizers (also across two loaded copies of this package). */
export function isMixtureRegularizer(x: unknown): x is GaussianMixtureRegularizer {
  return (
    x instanceof GaussianMixtureRegularizer ||
    (typeof x === 'object' &&
      x !== null &&
      (x.constructor as { className?: unknown }).className === GaussianMixtureRegularizer.className &&
      typeof (x as { bind?: unknown }).bind === 'function')
  );
}

/** Registers the class with tfjs serialization once (a second copy of this package must not re-register). */
export function registerMixtureRegularizer(): void {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  if (!(GaussianMixtureRegularizer.className in map)) tf.serialization.registerClass(GaussianMixtureRegularizer);
}

registerMixtureRegularizer();
