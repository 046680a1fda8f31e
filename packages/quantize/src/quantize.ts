// Algorithm 1 of the paper: merge components, assign every covered weight to one, prune the zero component.
import { validateMixture, type Codebook, type CompressedModel, type FloatTensor, type MixtureState, type QuantizedTensor } from '@softweight/core';
import { createAssigner, type AssignmentRule } from './assign.js';
import { mergeComponents, type MergeDivergence, type MergeReport } from './merge.js';
import { resolveInput, type QuantizeInput } from './input.js';
import { QuantizeError } from './errors.js';

/** Options of `quantize`. */
export interface QuantizeOptions {
  /** Merge components whose divergence (nats) is below this (default 1e-10 as the tutorial; 0 disables). */
  mergeThreshold?: number;
  /** How a pair's KL divergence is symmetrised (default `symmetric`; `min` is the tutorial's rule). */
  mergeDivergence?: MergeDivergence;
  /** Assignment rule (default `map`, the paper's); `ml` and `nearest` are there to compare. */
  assignment?: AssignmentRule;
  /** Name of the codebook in the compressed model (default `shared`). */
  codebookName?: string;
}

/** How far the quantized covered weights moved from the input (float64 sums). */
export interface WeightError {
  /** sum_i (q_i - w_i)^2. */
  sumSquared: number;
  /** Root mean square of q_i - w_i. */
  rms: number;
  /** max_i |q_i - w_i|. */
  maxAbs: number;
}

/** Everything `quantize` produced. */
export interface QuantizeResult {
  /** The compressed model: one codebook, covered tensors quantized, the rest in float32. */
  compressed: CompressedModel;
  /** The merged mixture the weights were assigned under. */
  mixture: MixtureState;
  /** What the merge step did (which original components merged). */
  merge: MergeReport;
  /** The assignment rule used. */
  assignment: AssignmentRule;
  /** Weights assigned to each merged component. */
  componentCounts: number[];
  /** Codebook index of each merged component, or -1 when no weight uses it (dropped); the zero component always has one. */
  codebookIndexOf: number[];
  /**
   * Merged components with weights whose own float32 mean is assigned to a component with a different
   * value. Quantizing the output again with `mixture` moves exactly those weights; empty means
   * quantizing twice changes nothing. Happens only for a broad, low-weight component that wins in the
   * tails of a sharper one.
   */
  unstableComponents: number[];
  /** Distance of the quantized covered weights from the input. */
  weightError: WeightError;
}

/**
 * Quantizes a model with a trained mixture prior (PAPER.md section 5): merges near-identical components,
 * assigns every covered weight to a component (MAP with the true log pi by default), sets it to that
 * component's mean and prunes the zero component's weights to exactly 0. Tensors not in `covered` pass
 * through in float32.
 *
 * The codebook holds the float32 means of the merged components that at least one weight uses, plus 0,
 * sorted ascending and without duplicates (two means that round to the same float32 share an entry; a
 * mean that rounds to 0 joins the pruned entry). Unused components are dropped: they would only cost
 * codebook bits.
 */
export function quantize(input: QuantizeInput, mixture: MixtureState, options: QuantizeOptions = {}): QuantizeResult {
  validateMixture(mixture);
  const assignment = options.assignment ?? 'map';
  const codebookName = options.codebookName ?? 'shared';
  if (typeof codebookName !== 'string' || codebookName === '') throw new QuantizeError('codebookName', 'must be a non-empty string');
  const { tensors } = resolveInput(input);
  const merged = mergeComponents(mixture, { threshold: options.mergeThreshold, divergence: options.mergeDivergence });
  const m = merged.mixture;
  const J = m.means.length;
  const assigner = createAssigner(m, assignment);

  const assigned = new Map<string, Uint16Array>();
  const counts = new Float64Array(J);
  for (const t of tensors) {
    if (!t.covered) continue;
    const idx = assigner.assign(t.values);
    for (let i = 0; i < idx.length; i++) counts[idx[i]!]++;
    assigned.set(t.name, idx);
  }

  // Codebook: float32 means of used components plus 0, unique and ascending.
  const valueOf = new Float64Array(J);
  for (let k = 0; k < J; k++) valueOf[k] = k === m.zeroIndex ? 0 : Math.fround(m.means[k]!) + 0; // + 0 turns -0 into 0
  const used = new Set<number>([0]);
  for (let k = 0; k < J; k++) if (counts[k]! > 0) used.add(valueOf[k]!);
  const values = Float32Array.from([...used].sort((a, b) => a - b));
  const position = new Map<number, number>();
  values.forEach((v, i) => position.set(v, i));
  const codebookIndexOf: number[] = [];
  for (let k = 0; k < J; k++) codebookIndexOf.push(counts[k]! > 0 || k === m.zeroIndex ? position.get(valueOf[k]!)! : -1);
  const codebook: Codebook = { name: codebookName, values, zeroIndex: position.get(0)! };

  const remap = Uint16Array.from(codebookIndexOf.map((i) => Math.max(i, 0)));
  const quantized: QuantizedTensor[] = [];
  const float: FloatTensor[] = [];
  let sumSquared = 0;
  let maxAbs = 0;
  let n = 0;
  for (const t of tensors) {
    const idx = assigned.get(t.name);
    if (idx === undefined) {
      float.push({ name: t.name, shape: t.shape, values: Float32Array.from(t.values) });
      continue;
    }
    const w = t.values;
    for (let i = 0; i < idx.length; i++) {
      const k = idx[i]!;
      const e = valueOf[k]! - w[i]!;
      sumSquared += e * e;
      const a = Math.abs(e);
      if (a > maxAbs) maxAbs = a;
      idx[i] = remap[k]!;
    }
    n += idx.length;
    quantized.push({ name: t.name, shape: t.shape, codebook: codebookName, indices: idx });
  }

  const unstableComponents: number[] = [];
  for (let k = 0; k < J; k++) {
    if (counts[k] === 0) continue;
    const again = assigner.assignOne(valueOf[k]!);
    if (valueOf[again] !== valueOf[k]) unstableComponents.push(k);
  }

  return {
    compressed: { graph: input.graph, codebooks: [codebook], quantized, float },
    mixture: m,
    merge: merged.report,
    assignment,
    componentCounts: Array.from(counts),
    codebookIndexOf,
    unstableComponents,
    weightError: { sumSquared, rms: n === 0 ? 0 : Math.sqrt(sumSquared / n), maxAbs },
  };
}

