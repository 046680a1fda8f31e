// Adam over a small float64 parameter vector with a learning rate per entry: how the mixture parameters are stepped.

/** Adam hyper-parameters shared by every mixture group. */
export interface AdamSettings {
  /** Decay of the first moment (default 0.9). */
  beta1: number;
  /** Decay of the second moment (default 0.999). */
  beta2: number;
  /** Added to the root of the second moment (default 1e-7, tfjs' `tf.train.adam` default on cpu and wasm). */
  epsilon: number;
}

/** Adam state: moments and the number of steps taken. */
export interface AdamState {
  /** First moments, one per parameter. */
  m: Float64Array;
  /** Second moments, one per parameter. */
  v: Float64Array;
  /** Steps taken so far. */
  step: number;
}

/** Fresh Adam state for `size` parameters. */
export function createAdam(size: number): AdamState {
  return { m: new Float64Array(size), v: new Float64Array(size), step: 0 };
}

/**
 * One Adam step in place, the same update as tfjs' `AdamOptimizer`:
 * p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon). Entries with `lr[i] === 0` are left alone.
 */
export function adamStep(params: Float64Array, grad: Float64Array, lr: Float64Array, state: AdamState, s: AdamSettings): void {
  state.step += 1;
  const c1 = 1 - Math.pow(s.beta1, state.step);
  const c2 = 1 - Math.pow(s.beta2, state.step);
  for (let i = 0; i < params.length; i++) {
    if (lr[i] === 0) continue;
    const g = grad[i]!;
    const m = s.beta1 * state.m[i]! + (1 - s.beta1) * g;
    const v = s.beta2 * state.v[i]! + (1 - s.beta2) * g * g;
    state.m[i] = m;
    state.v[i] = v;
    params[i]! -= (lr[i]! * (m / c1)) / (Math.sqrt(v / c2) + s.epsilon);
  }
}
