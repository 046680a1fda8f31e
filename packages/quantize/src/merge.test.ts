// Hand-computed merge cases: near-identical pairs, transitive chains, the zero group, the divergence choice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gaussianKL, mixingProportions, validateMixture } from '@softweight/core';
import { mergeComponents, QuantizeError } from './index.js';
import { mixtureOf } from './test-utils/fixtures.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('two near-identical components merge, moment-matched', () => {
  // Equal sigma 0.01 (variance 1e-4), means 0.3 and 0.3 + 1e-7: KL = d^2 / (2 var) = 1e-14 / 2e-4 = 5e-11 < 1e-10.
  const m = mixtureOf([0, 0.3, 0.3 + 1e-7, -0.2], [0.01, 0.01, 0.01, 0.01], [0.9, 0.06, 0.02, 0.02]);
  const { mixture, report } = mergeComponents(m);
  assert.equal(report.componentsBefore, 4);
  assert.equal(report.componentsAfter, 3);
  assert.deepEqual(report.mergedGroups, [[1, 2]]);
  assert.deepEqual(report.componentOf, [0, 1, 1, 2]);
  // pi = 0.06 + 0.02 = 0.08; mu = (0.06 * 0.3 + 0.02 * (0.3 + 1e-7)) / 0.08 = 0.3 + 0.25e-7; variance stays 1e-4.
  const g = report.components[1]!;
  close(g.pi, 0.08, 1e-15, 'pi');
  close(g.mean, 0.3 + 0.25e-7, 1e-15, 'mean');
  close(g.variance, 1e-4, 1e-18, 'variance');
  validateMixture(mixture);
  close(mixture.means[1]!, 0.3 + 0.25e-7, 1e-15, 'merged mixture mean');
  const pi = mixingProportions(mixture);
  close(pi[0]!, 0.9, 1e-15, 'pi0 unchanged');
  close(pi[1]!, 0.08, 1e-15, 'merged pi');
  close(pi[2]!, 0.02, 1e-15, 'other pi');
});

test('a chain of three merges transitively although its ends are above the threshold', () => {
  // Means 0.1, 0.1 + 1e-7, 0.1 + 2e-7, sigma 0.01: neighbours KL = 5e-11 < 1e-10, ends KL = 4e-14 / 2e-4 = 2e-10 > 1e-10.
  const m = mixtureOf([0, 0.1, 0.1 + 1e-7, 0.1 + 2e-7, 0.5], [0.01, 0.01, 0.01, 0.01, 0.01], [0.9, 0.03, 0.03, 0.03, 0.01]);
  assert.ok(gaussianKL(0.1, 1e-4, 0.1 + 2e-7, 1e-4) > 1e-10);
  const { mixture, report } = mergeComponents(m);
  assert.deepEqual(report.mergedGroups, [[1, 2, 3]]);
  assert.equal(report.componentsAfter, 3);
  close(mixture.means[1]!, 0.1 + 1e-7, 1e-15, 'chain mean (equal pis: the middle one)');
  close(report.components[1]!.pi, 0.09, 1e-15, 'chain pi');
});

test('a group holding the zero component keeps mean exactly 0 and becomes the new zero component', () => {
  // Zero component sigma 0.01; component 1 at 1e-7 with the same sigma: KL = 5e-11 -> merges into zero.
  const m = mixtureOf([0, 1e-7, 0.2, -0.2], [0.01, 0.01, 0.05, 0.05], [0.99, 0.004, 0.003, 0.003]);
  const { mixture, report } = mergeComponents(m);
  assert.deepEqual(report.mergedGroups, [[0, 1]]);
  assert.equal(mixture.zeroIndex, 0);
  assert.equal(mixture.means[0], 0);
  assert.equal(report.components[0]!.mean, 0);
  assert.equal(report.components[0]!.isZero, true);
  // pi0' = 0.99 + 0.004; the others keep their proportions.
  close(mixture.pi0, 0.994, 1e-15, 'pi0');
  const pi = mixingProportions(mixture);
  close(pi[1]!, 0.003, 1e-15, 'pi of 0.2');
  close(pi[2]!, 0.003, 1e-15, 'pi of -0.2');
  validateMixture(mixture);
});

test('a zero component that is not first stays the zero component after merging', () => {
  const m = mixtureOf([0.3, 0, 0.3], [0.02, 0.01, 0.02], [0.001, 0.998, 0.001]);
  m.zeroIndex = 1;
  m.pi0 = 0.998;
  m.mixingLogits[1] = 0;
  m.mixingLogits[0] = Math.log(0.001);
  const { mixture, report } = mergeComponents(m);
  assert.deepEqual(report.mergedGroups, [[0, 2]]);
  assert.equal(mixture.zeroIndex, 1);
  assert.equal(mixture.means[1], 0);
  close(mixture.means[0]!, 0.3, 1e-16, 'merged mean');
});

test('everything merging into the zero component leaves a one-component mixture', () => {
  const m = mixtureOf([0, 1e-8, -1e-8], [0.01, 0.01, 0.01], [0.9, 0.05, 0.05]);
  const { mixture, report } = mergeComponents(m);
  assert.equal(report.componentsAfter, 1);
  assert.equal(mixture.pi0, 1);
  assert.equal(mixture.means[0], 0);
  validateMixture(mixture);
});

test('threshold 0 merges nothing, even identical components, and returns an equal copy', () => {
  const m = mixtureOf([0, 0.1, 0.1], [0.01, 0.02, 0.02], [0.9, 0.05, 0.05]);
  const { mixture, report } = mergeComponents(m, { threshold: 0 });
  assert.equal(report.componentsAfter, 3);
  assert.deepEqual(mixture, m);
  assert.notEqual(mixture.means, m.means);
  assert.equal(mergeComponents(m).report.componentsAfter, 2, 'identical components merge at the default threshold');
});

test('symmetric and min divergences differ on an asymmetric pair', () => {
  // Same mean, variances v and 1.02 v: KL(a||b) = 0.5 (log 1.02 + 1/1.02 - 1) ~ 9.7e-5, KL(b||a) ~ 9.9e-5.
  const m = mixtureOf([0, 0.5, 0.5], [0.01, 0.1, 0.1 * Math.sqrt(1.02)], [0.9, 0.05, 0.05]);
  const a = gaussianKL(0.5, 0.01, 0.5, 0.0102);
  const b = gaussianKL(0.5, 0.0102, 0.5, 0.01);
  assert.ok(a < b);
  const t = (a + (a + b) / 2) / 2; // between min and the mean
  assert.equal(mergeComponents(m, { threshold: t, divergence: 'min' }).report.componentsAfter, 2);
  assert.equal(mergeComponents(m, { threshold: t, divergence: 'symmetric' }).report.componentsAfter, 3);
});

test('a bad threshold is a QuantizeError naming the option', () => {
  const m = mixtureOf([0, 0.1], [0.01, 0.01], [0.9, 0.1]);
  assert.throws(() => mergeComponents(m, { threshold: -1 }), (e: unknown) => e instanceof QuantizeError && e.subject === 'mergeThreshold');
});
