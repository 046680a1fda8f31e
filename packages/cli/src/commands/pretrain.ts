// `softweight pretrain`: trains LeNet-300-100 or LeNet-5-Caffe from scratch with per-epoch checkpoints and --resume.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { useBackend } from '../backend.js';
import { readCheckpoint, restoreOptimizer, writeCheckpoint } from '../checkpoint.js';
import { fitInputShape, loadData } from '../data.js';
import { InterruptedError } from '../errors.js';
import { ensureOutDir, writeFileAtomic } from '../fsutil.js';
import { saveModel } from '../model-io.js';
import { buildArch } from '../models.js';
import { EpochProgress, type Output } from '../progress.js';
import { InterruptFlag, formatDuration, guardOutDir, nonNegInt, num, posInt } from '../run-util.js';
import { batchesPerEpoch, evaluateError, trainEpoch } from '../training.js';

/** Options of `softweight pretrain` as commander parses them. */
export interface PretrainOptions {
  arch: string;
  data: string;
  epochs?: string;
  out: string;
  batchSize?: string;
  lr?: string;
  seed?: string;
  resume?: boolean;
  force?: boolean;
  backend: string;
  /** --threads: threads of the wasm backend, 1-8 or 'auto' (default). */
  threads?: string;
  limitTrain?: string;
  limitTest?: string;
  maxEpochsThisRun?: string;
}

/** Per-epoch record. */
export interface PretrainEpoch {
  epoch: number;
  loss: number;
  testError: number;
  seconds: number;
}

interface PretrainState {
  kind: 'pretrain';
  arch: string;
  data: string;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  backend: string;
  limits: { train?: number; test?: number };
  finishedEpochs: number;
  history: PretrainEpoch[];
  /** Learning-rate changes made with `--resume --lr`. */
  lrChanges?: Array<{ afterEpoch: number; lr: number }>;
}

/** Result printed by `--json`. */
export interface PretrainResult {
  out: string;
  model: string;
  arch: string;
  epochs: number;
  testError: number;
  history: PretrainEpoch[];
  seconds: number;
  complete: boolean;
}

/** Runs `softweight pretrain`. */
export async function pretrain(opts: PretrainOptions, out: Output): Promise<PretrainResult> {
  const resume = opts.resume === true;
  guardOutDir(opts.out, ['model.json', 'checkpoint'], resume, opts.force === true);
  const backend = await useBackend(opts.backend, opts.threads);
  let state: PretrainState;
  let model: tf.LayersModel;
  let optimizerBlob;
  if (resume) {
    const ck = await readCheckpoint<PretrainState>(opts.out);
    state = ck.state;
    if (opts.epochs !== undefined) state.epochs = posInt('--epochs', opts.epochs, state.epochs);
    if (opts.lr !== undefined) {
      // A learning-rate step on resume (e.g. 1e-3 then 1e-4); Adam's moments carry over.
      const lr = num('--lr', opts.lr, state.lr, (n) => n > 0, 'a positive number');
      if (lr !== state.lr) (state.lrChanges ??= []).push({ afterEpoch: ck.state.finishedEpochs, lr });
      state.lr = lr;
    }
    model = ck.model;
    optimizerBlob = ck.optimizer;
    out.line(`resuming ${state.arch} from ${ck.dir} after epoch ${state.finishedEpochs}/${state.epochs}`);
  } else {
    state = {
      kind: 'pretrain',
      arch: opts.arch,
      data: opts.data,
      epochs: posInt('--epochs', opts.epochs, 20),
      batchSize: posInt('--batch-size', opts.batchSize, 128),
      lr: num('--lr', opts.lr, 1e-3, (n) => n > 0, 'a positive number'),
      seed: nonNegInt('--seed', opts.seed, 1),
      backend,
      limits: {
        ...(opts.limitTrain ? { train: posInt('--limit-train', opts.limitTrain, 0) } : {}),
        ...(opts.limitTest ? { test: posInt('--limit-test', opts.limitTest, 0) } : {}),
      },
      finishedEpochs: 0,
      history: [],
    };
    model = buildArch(state.arch, state.seed);
  }
  const data = await loadData(state.data, state.limits);
  const inputShape = fitInputShape(model.inputs[0]?.shape ?? [], data.train, `--data ${state.data}`);
  ensureOutDir(opts.out);
  const optimizer = tf.train.adam(state.lr);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
  await restoreOptimizer(optimizer, optimizerBlob);

  const maxThisRun = opts.maxEpochsThisRun ? posInt('--max-epochs-this-run', opts.maxEpochsThisRun, 1) : Infinity;
  const progress = new EpochProgress(out);
  const flag = new InterruptFlag(() => {
    model.stopTraining = true;
  });
  const t0 = Date.now();
  let ran = 0;
  try {
    out.line(`pretrain ${state.arch} on ${data.source}: ${data.train.count} train / ${data.test.count} test, batch ${state.batchSize}, Adam lr ${state.lr}, ${backend}`);
    while (state.finishedEpochs < state.epochs && ran < maxThisRun) {
      const e = state.finishedEpochs;
      const te = Date.now();
      const prev = state.history[state.history.length - 1];
      const prevError = prev ? `| test error after epoch ${prev.epoch}: ${prev.testError.toFixed(2)}%` : '';
      progress.start(e + 1, state.epochs, batchesPerEpoch(data.train.count, state.batchSize));
      const loss = await trainEpoch(model, data.train, {
        batchSize: state.batchSize,
        seed: state.seed,
        epoch: e,
        inputShape,
        onBatch: (b, l) => progress.update(b, l, prevError),
      });
      if (flag.interrupted) {
        progress.abort();
        throw new InterruptedError(`interrupted during epoch ${e + 1}; the checkpoint after epoch ${e} is kept: rerun with --resume`);
      }
      const testError = evaluateError(model, data.test, inputShape);
      const seconds = (Date.now() - te) / 1000;
      state.history.push({ epoch: e + 1, loss, testError, seconds });
      state.finishedEpochs = e + 1;
      await writeCheckpoint(opts.out, model, { state, optimizer: await optimizer.getWeights() });
      progress.stop(`epoch ${e + 1}/${state.epochs}  loss ${loss.toFixed(4)}  test error ${testError.toFixed(2)}%  ${formatDuration(seconds)}`);
      ran += 1;
    }
  } finally {
    flag.dispose();
  }
  const complete = state.finishedEpochs >= state.epochs;
  const last = state.history[state.history.length - 1];
  if (complete) {
    await saveModel(model, opts.out);
    writeFileAtomic(join(opts.out, 'pretrain.json'), JSON.stringify(state, null, 1));
    out.line(`wrote ${join(opts.out, 'model.json')} (test error ${last?.testError.toFixed(2)}%)`);
  } else {
    out.line(`stopped after epoch ${state.finishedEpochs}/${state.epochs}: continue with --resume`);
  }
  return {
    out: opts.out,
    model: join(opts.out, 'model.json'),
    arch: state.arch,
    epochs: state.finishedEpochs,
    testError: last?.testError ?? NaN,
    history: state.history,
    seconds: (Date.now() - t0) / 1000,
    complete,
  };
}
