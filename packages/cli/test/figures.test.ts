// The figures render to SVG headless through vega-lite + vega.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figure1, figure3Dynamics, figure3Scatter } from '../src/figures.js';

test('figures 1 and 3 render as SVG', async () => {
  const before = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 0.2);
  const after = before.map((v) => (Math.abs(v) < 0.05 ? 0 : Math.round(v * 20) / 20));
  const snaps = [0, 1, 2].map((epoch) => ({ epoch, means: [0, -0.1, 0.1], sigmas: [0.02, 0.02 / (epoch + 1), 0.02], pis: [0.9, 0.05, 0.05] }));
  for (const svg of [await figure1(before, after), await figure3Dynamics(snaps), await figure3Scatter(before, after, snaps[2]!, 500)]) {
    assert.match(svg, /^<svg/);
    assert.match(svg, /<\/svg>$/);
    assert.ok(svg.length < 500_000);
  }
});
