// The paper's Figures 1 and 3 as SVG: vega-lite specs compiled to vega and rendered headless (no canvas needed).
import { compile, type TopLevelSpec } from 'vega-lite';
import { View, parse } from 'vega';
import { seededRandom } from '@softweight/core';

/** The mixture at one epoch: per component mean, standard deviation and mixing proportion. */
export interface MixtureSnapshot {
  epoch: number;
  means: number[];
  sigmas: number[];
  pis: number[];
}

/** Renders a vega-lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function histogram(values: Float32Array, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins;
  for (const v of values) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)));
    counts[b] = (counts[b] ?? 0) + 1;
  }
  return counts;
}

/** Figure 1: histogram of the weights before and after retraining (log counts), one panel each. */
export async function figure1(before: Float32Array, after: Float32Array, labels = { before: 'pretrained', after: 'after soft weight-sharing' }): Promise<string> {
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of [before, after]) for (const v of arr) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) hi = lo + 1;
  const bins = 200;
  const w = (hi - lo) / bins;
  const rows: Array<{ panel: string; x0: number; x1: number; count: number }> = [];
  for (const [panel, arr] of [
    [labels.before, before],
    [labels.after, after],
  ] as const) {
    histogram(arr, lo, hi, bins).forEach((count, i) => {
      if (count > 0) rows.push({ panel, x0: lo + i * w, x1: lo + (i + 1) * w, count });
    });
  }
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Weight distribution before and after retraining (log count)',
    data: { values: rows },
    facet: { row: { field: 'panel', type: 'nominal', title: null, sort: [labels.before, labels.after] } },
    spec: {
      width: 560,
      height: 160,
      mark: { type: 'rect', color: '#4c78a8' },
      encoding: {
        x: { field: 'x0', type: 'quantitative', title: 'weight value' },
        x2: { field: 'x1' },
        y: { field: 'count', type: 'quantitative', scale: { type: 'log' }, title: 'count (log)' },
        y2: { datum: 1 },
      },
    },
  });
}

/** Figure 3 (left): each component's mean with its ±1 standard-deviation band over the epochs. */
export async function figure3Dynamics(history: MixtureSnapshot[]): Promise<string> {
  const rows: Array<{ epoch: number; component: string; mean: number; lo: number; hi: number; pi: number }> = [];
  for (const h of history) {
    h.means.forEach((m, j) => {
      const s = h.sigmas[j] ?? 0;
      rows.push({ epoch: h.epoch, component: `c${String(j).padStart(2, '0')}`, mean: m, lo: m - s, hi: m + s, pi: h.pis[j] ?? 0 });
    });
  }
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Mixture components over retraining (mean ± 1 std)',
    width: 560,
    height: 320,
    data: { values: rows },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      color: { field: 'component', type: 'nominal', legend: null, scale: { scheme: 'category20' } },
    },
    layer: [
      { mark: { type: 'area', opacity: 0.25 }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'component mean' }, y2: { field: 'hi' } } },
      { mark: { type: 'line', strokeWidth: 1.5 }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
    ],
  });
}

/**
 * Figure 3 (right): initial vs final weight value with the final components' ±2 std bands. A subsample keeps the
 * SVG small: up to `maxPoints` weights, two thirds drawn from those that ended away from zero (the clusters the
 * figure is about), one third from all weights.
 */
export async function figure3Scatter(initial: Float32Array, final: Float32Array, mixture: MixtureSnapshot, maxPoints = 1500, seed = 7): Promise<string> {
  const n = Math.min(initial.length, final.length);
  const rand = seededRandom(seed);
  const zeroSigma = mixture.sigmas[0] ?? 0.01;
  const away: number[] = [];
  for (let i = 0; i < n; i++) if (Math.abs(final[i] ?? 0) > 3 * zeroSigma) away.push(i);
  const pick = (pool: ArrayLike<number> | null, count: number, out: number[]) => {
    const size = pool ? pool.length : n;
    for (let k = 0; k < Math.min(count, size); k++) {
      const j = Math.min(size - 1, Math.floor(((k + rand()) * size) / Math.min(count, size)));
      out.push(pool ? (pool[j] as number) : j);
    }
  };
  const chosen: number[] = [];
  pick(away, Math.round((2 * maxPoints) / 3), chosen);
  pick(null, maxPoints - chosen.length, chosen);
  const points = chosen.map((i) => ({ initial: Number((initial[i] ?? 0).toPrecision(3)), final: Number((final[i] ?? 0).toPrecision(3)) }));
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    lo = Math.min(lo, p.initial);
    hi = Math.max(hi, p.initial);
  }
  const bands = mixture.means
    .map((m, j) => ({ component: `c${String(j).padStart(2, '0')}`, lo: m - 2 * (mixture.sigmas[j] ?? 0), hi: m + 2 * (mixture.sigmas[j] ?? 0), x0: lo, x1: hi, pi: mixture.pis[j] ?? 0 }))
    .filter((b) => b.pi > 1e-6);
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Pretrained vs retrained weights (${points.length} of ${n}) with the final components (± 2 std)`,
    width: 420,
    height: 420,
    layer: [
      {
        data: { values: bands },
        mark: { type: 'rect', opacity: 0.25 },
        encoding: {
          x: { field: 'x0', type: 'quantitative', title: 'pretrained weight' },
          x2: { field: 'x1' },
          y: { field: 'lo', type: 'quantitative', title: 'retrained weight' },
          y2: { field: 'hi' },
          color: { field: 'component', type: 'nominal', legend: null, scale: { scheme: 'category20' } },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', size: 4, filled: true, opacity: 0.5, color: '#333' },
        encoding: { x: { field: 'initial', type: 'quantitative' }, y: { field: 'final', type: 'quantitative' } },
      },
    ],
  });
}
