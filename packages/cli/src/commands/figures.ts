// `softweight figures RUN_DIR`: (re)renders Figures 1 and 3 of a compress run from its checkpoint, e.g. mid-run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '../backend.js';
import { CliError } from '../errors.js';
import { figure1, figure3Dynamics, figure3Scatter, type MixtureSnapshot } from '../figures.js';
import { findCheckpoint } from '../checkpoint.js';
import { writeFileAtomic } from '../fsutil.js';
import { loadModel } from '../model-io.js';
import { graphOf } from '../prior-adapter.js';
import type * as tf from '@tensorflow/tfjs';

/** Result of `softweight figures`. */
export interface FiguresResult {
  files: string[];
  epoch: number;
}

function kernels(model: tf.LayersModel): Float32Array {
  const { graph, weights } = graphOf(model);
  const names = graph.nodes.flatMap((n) => ('kernel' in n && typeof n.kernel === 'string' ? [n.kernel] : []));
  const parts = names.map((nm) => {
    const w = weights instanceof Map ? weights.get(nm) : (weights as Record<string, { values: Float32Array }>)[nm];
    if (!w) throw new CliError(`internal: kernel ${nm} missing`);
    return w.values;
  });
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Runs `softweight figures`. */
export async function figuresCommand(runDir: string, opts: { backend: string; threads?: string; points?: string }): Promise<FiguresResult> {
  await useBackend(opts.backend, opts.threads);
  const ck = findCheckpoint(runDir);
  if (!ck) throw new CliError(`${runDir}: no compress checkpoint (expected ${join(runDir, 'checkpoint', 'state.json')})`);
  const state = JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8')) as { kind?: string; mixtures?: MixtureSnapshot[]; finishedEpochs: number };
  if (state.kind !== 'compress' || !state.mixtures) throw new CliError(`${runDir}: the checkpoint is not from softweight compress`);
  const initial = kernels(await loadModel(join(runDir, 'pretrained', 'model.json')));
  const final = kernels(await loadModel(join(ck, 'model.json')));
  const last = state.mixtures[state.mixtures.length - 1] as MixtureSnapshot;
  const files = [join(runDir, 'figure1.svg'), join(runDir, 'figure3-dynamics.svg'), join(runDir, 'figure3-scatter.svg')];
  writeFileAtomic(files[0] as string, await figure1(initial, final));
  writeFileAtomic(files[1] as string, await figure3Dynamics(state.mixtures));
  writeFileAtomic(files[2] as string, await figure3Scatter(initial, final, last, opts.points ? Number(opts.points) : undefined));
  return { files, epoch: state.finishedEpochs };
}
