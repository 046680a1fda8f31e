// `softweight compress`: retrain a pretrained model under the mixture prior, quantize a copy after every epoch, write .sws/.onnx/report/figures.
import * as tf from '@tensorflow/tfjs';
import { compressionReport, quantize, type QuantizeResult } from '@softweight/quantize';
import { toOnnx } from '@softweight/onnx';
import type { CompressionReport, MixtureState } from '@softweight/core';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '../backend.js';
import { readCheckpoint, restoreOptimizer, writeCheckpoint, type TensorBlob } from '../checkpoint.js';
import { fitInputShape, loadData, type Dataset } from '../data.js';
import { applyCompressed, encodeSws } from '../engine.js';
import { CliError, InterruptedError } from '../errors.js';
import { ensureOutDir, writeFileAtomic } from '../fsutil.js';
import { figure1, figure3Dynamics, figure3Scatter, type MixtureSnapshot } from '../figures.js';
import { loadModel, saveModel } from '../model-io.js';
import { attachPrior, graphOf, snapshotOf, type PriorSettings } from '../prior-adapter.js';
import { EpochProgress, type Output } from '../progress.js';
import { InterruptFlag, formatDuration, guardOutDir, nonNegInt, num, posInt } from '../run-util.js';
import { bytes, table } from '../table.js';
import { batchesPerEpoch, evaluateError, trainEpoch } from '../training.js';

/** Options of `softweight compress` as commander parses them (strings until validated). */
export interface CompressOptions {
  data: string;
  out: string;
  epochs?: string;
  tau?: string;
  tauWarmup?: string;
  components?: string;
  pi0?: string;
  initSigma?: string;
  batchSize?: string;
  lrWeights?: string;
  lrMeans?: string;
  lrLogPrecisions?: string;
  lrLogits?: string;
  assignment?: string;
  seed?: string;
  backend: string;
  /** --threads: threads of the wasm backend, 1-8 or 'auto' (default). */
  threads?: string;
  resume?: boolean;
  force?: boolean;
  limitTrain?: string;
  limitTest?: string;
  maxEpochsThisRun?: string;
  figures?: boolean;
}

/** The validated settings of a compress run (stored in checkpoints and reports). */
export interface CompressSettings extends PriorSettings {
  model: string;
  data: string;
  epochs: number;
  batchSize: number;
  lrWeights: number;
  assignment: 'map' | 'ml' | 'nearest';
  seed: number;
  backend: string;
  limits: { train?: number; test?: number };
}

/** One epoch of a compress run. */
export interface CompressEpoch {
  epoch: number;
  loss: number;
  /** Test error of the retrained, unquantized network (%). */
  retrainedError: number;
  /** Test error after quantizing a copy (%): the number that matters. */
  quantizedError: number;
  nonZeroPercent: number;
  compressionRate: number;
  /** Distinct values in the codebook after merging. */
  codebookSize: number;
  seconds: number;
}

interface CompressState {
  kind: 'compress';
  settings: CompressSettings;
  pretrainedError: number;
  finishedEpochs: number;
  history: CompressEpoch[];
  mixtures: MixtureSnapshot[];
  elapsedSeconds: number;
}

/** What `softweight compress` returns (and prints with `--json`). */
export interface CompressResult {
  out: string;
  complete: boolean;
  settings: CompressSettings;
  pretrainedError: number;
  retrainedError: number;
  quantizedError: number;
  nonZeroPercent: number;
  compressionRate: number;
  files: { sws?: number; onnx?: number; onnxCodebook?: number; dense: number };
  fileCompressionRate?: number;
  epochs: number;
  wallSeconds: number;
  history: CompressEpoch[];
}

const PRETRAINED_DIR = 'pretrained';

function settingsFrom(path: string, opts: CompressOptions, backend: string): CompressSettings {
  const assignment = opts.assignment ?? 'map';
  if (assignment !== 'map' && assignment !== 'ml' && assignment !== 'nearest') throw new CliError(`--assignment ${assignment}: expected map, ml or nearest`, { exitCode: 2 });
  return {
    model: path,
    data: opts.data,
    epochs: posInt('--epochs', opts.epochs, 30),
    tau: num('--tau', opts.tau, 0.02, (n) => n >= 0, 'a non-negative number'),
    tauWarmupEpochs: nonNegInt('--tau-warmup', opts.tauWarmup, 0),
    components: posInt('--components', opts.components, 17),
    pi0: num('--pi0', opts.pi0, 0.999, (n) => n > 0 && n < 1, 'a number in (0, 1)'),
    initSigma: num('--init-sigma', opts.initSigma, 0.25, (n) => n > 0, 'a positive number'),
    batchSize: posInt('--batch-size', opts.batchSize, 128),
    lrWeights: num('--lr-weights', opts.lrWeights, 5e-4, (n) => n > 0, 'a positive number'),
    lrMeans: num('--lr-means', opts.lrMeans, 1e-4, (n) => n > 0, 'a positive number'),
    lrLogPrecisions: num('--lr-log-precisions', opts.lrLogPrecisions, 3e-3, (n) => n > 0, 'a positive number'),
    lrLogits: num('--lr-logits', opts.lrLogits, 3e-3, (n) => n > 0, 'a positive number'),
    assignment,
    seed: nonNegInt('--seed', opts.seed, 1),
    backend,
    limits: {
      ...(opts.limitTrain ? { train: posInt('--limit-train', opts.limitTrain, 0) } : {}),
      ...(opts.limitTest ? { test: posInt('--limit-test', opts.limitTest, 0) } : {}),
    },
    datasetSize: 0,
  };
}

/** Quantizes the current weights under the current mixture (a copy: the training model is untouched). */
function quantizeNow(model: tf.LayersModel, mixture: MixtureState, covered: string[], s: CompressSettings): { q: QuantizeResult; report: CompressionReport } {
  const { graph, weights } = graphOf(model);
  const q = quantize({ graph, weights, covered }, mixture, { assignment: s.assignment });
  return { q, report: compressionReport(q.compressed) };
}

function coveredValues(model: tf.LayersModel, covered: string[]): Float32Array {
  const { weights } = graphOf(model);
  const parts = covered.map((n) => {
    const w = weights instanceof Map ? weights.get(n) : (weights as Record<string, { values: Float32Array }>)[n];
    if (!w) throw new CliError(`internal: covered tensor ${n} missing from the graph weights`);
    return w.values;
  });
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Runs `softweight compress`. */
export async function compress(path: string, opts: CompressOptions, out: Output): Promise<CompressResult> {
  const resume = opts.resume === true;
  guardOutDir(opts.out, ['model.sws', 'report.json', 'checkpoint'], resume, opts.force === true);
  if (!resume && !existsSync(path)) throw new CliError(`model file not found: ${path}`);
  // The prior computes on a worker thread during the forward pass: leave it a core.
  const backend = await useBackend(opts.backend, opts.threads, 1);

  let state: CompressState;
  let model: tf.LayersModel;
  let optimizerBlob: TensorBlob | undefined;
  let priorBlob: TensorBlob | undefined;
  let priorExtra: Record<string, unknown> | undefined;
  if (resume) {
    const ck = await readCheckpoint<CompressState & { prior?: Record<string, unknown> }>(opts.out);
    state = ck.state;
    if (opts.epochs !== undefined) state.settings.epochs = posInt('--epochs', opts.epochs, state.settings.epochs);
    model = ck.model;
    optimizerBlob = ck.optimizer;
    priorBlob = existsSync(join(ck.dir, 'prior.json')) ? ck.readExtra('prior') : undefined;
    priorExtra = ck.state.prior;
    out.line(`resuming from ${ck.dir} after epoch ${state.finishedEpochs}/${state.settings.epochs}`);
  } else {
    const settings = settingsFrom(path, opts, backend);
    model = await loadModel(path);
    state = { kind: 'compress', settings, pretrainedError: NaN, finishedEpochs: 0, history: [], mixtures: [], elapsedSeconds: 0 };
  }
  const s = state.settings;
  const data: Dataset = await loadData(s.data, s.limits);
  const inputShape = fitInputShape(model.inputs[0]?.shape ?? [], data.train, `--data ${s.data}`);
  s.datasetSize = data.train.count;
  // Structure check before any long work: unsupported layers fail here, with every one named.
  graphOf(model);
  ensureOutDir(opts.out);

  const pretrainedPath = join(opts.out, PRETRAINED_DIR, 'model.json');
  if (!resume) {
    state.pretrainedError = evaluateError(model, data.test, inputShape);
    await saveModel(model, join(opts.out, PRETRAINED_DIR));
  }
  const initialModel = await loadModel(pretrainedPath);
  const evalModel = await loadModel(pretrainedPath);

  const prior = attachPrior(model, s);
  const covered = prior.covered();
  const initialWeights = coveredValues(initialModel, covered);
  initialModel.dispose();
  if (priorBlob || priorExtra) await prior.restore(priorBlob, priorExtra);
  if (!resume) state.mixtures.push(snapshotOf(prior.mixture(), 0));

  const optimizer = tf.train.adam(s.lrWeights);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
  await restoreOptimizer(optimizer, optimizerBlob);

  out.line(
    `compress ${path}: ${data.train.count} train / ${data.test.count} test (${data.source}), ${s.components} components, tau ${s.tau}` +
      `${s.tauWarmupEpochs ? ` (warm-up ${s.tauWarmupEpochs} epochs)` : ''}, pi0 ${s.pi0}, batch ${s.batchSize}, ${backend}; pretrained test error ${state.pretrainedError.toFixed(2)}%`,
  );
  const maxThisRun = opts.maxEpochsThisRun ? posInt('--max-epochs-this-run', opts.maxEpochsThisRun, 1) : Infinity;
  const progress = new EpochProgress(out);
  const flag = new InterruptFlag(() => {
    model.stopTraining = true;
  });
  const t0 = Date.now();
  const elapsedBefore = state.elapsedSeconds;
  let ran = 0;
  let lastQ: { q: QuantizeResult; report: CompressionReport } | undefined;
  try {
    while (state.finishedEpochs < s.epochs && ran < maxThisRun) {
      const e = state.finishedEpochs;
      const te = Date.now();
      const last = state.history[state.history.length - 1];
      const extra = last ? `| after epoch ${e}: err ${last.retrainedError.toFixed(2)}% -> q ${last.quantizedError.toFixed(2)}%, nz ${last.nonZeroPercent.toFixed(1)}%, CR ${last.compressionRate.toFixed(1)}x` : '';
      progress.start(e + 1, s.epochs, batchesPerEpoch(data.train.count, s.batchSize));
      const loss = await trainEpoch(model, data.train, {
        batchSize: s.batchSize,
        seed: s.seed,
        epoch: e,
        inputShape,
        callbacks: prior.callbacks(),
        onBatch: (b, l) => progress.update(b, l, extra),
      });
      if (flag.interrupted) {
        progress.abort();
        throw new InterruptedError(`interrupted during epoch ${e + 1}; the checkpoint after epoch ${e} is kept: rerun with --resume`);
      }
      const retrainedError = evaluateError(model, data.test, inputShape);
      const mixture = prior.mixture();
      lastQ = quantizeNow(model, mixture, covered, s);
      applyCompressed(evalModel, lastQ.q.compressed);
      const quantizedError = evaluateError(evalModel, data.test, inputShape);
      const seconds = (Date.now() - te) / 1000;
      const rec: CompressEpoch = {
        epoch: e + 1,
        loss,
        retrainedError,
        quantizedError,
        nonZeroPercent: lastQ.report.total.nonZeroPercent,
        compressionRate: lastQ.report.total.compressionRate,
        codebookSize: lastQ.q.compressed.codebooks[0]?.values.length ?? 0,
        seconds,
      };
      state.history.push(rec);
      state.mixtures.push(snapshotOf(mixture, e + 1));
      state.finishedEpochs = e + 1;
      state.elapsedSeconds = elapsedBefore + (Date.now() - t0) / 1000;
      const saved = await prior.save();
      const optWeights = await optimizer.getWeights();
      await prior.withDetached(() =>
        writeCheckpoint(opts.out, model, {
          state: { ...state, prior: saved.json },
          optimizer: optWeights,
          ...(saved.blob ? { extra: { prior: saved.blob } } : {}),
        }),
      );
      progress.stop(
        `epoch ${e + 1}/${s.epochs}  loss ${loss.toFixed(4)}  error ${retrainedError.toFixed(2)}% -> quantized ${quantizedError.toFixed(2)}%  ` +
          `non-zero ${rec.nonZeroPercent.toFixed(2)}%  CR ${rec.compressionRate.toFixed(1)}x  codebook ${rec.codebookSize}  ${formatDuration(seconds)}`,
      );
      ran += 1;
    }
  } finally {
    flag.dispose();
  }

  const complete = state.finishedEpochs >= s.epochs;
  const lastRec = state.history[state.history.length - 1];
  const denseBytes = statSync(join(opts.out, PRETRAINED_DIR, 'weights.bin')).size;
  const result: CompressResult = {
    out: opts.out,
    complete,
    settings: s,
    pretrainedError: state.pretrainedError,
    retrainedError: lastRec?.retrainedError ?? NaN,
    quantizedError: lastRec?.quantizedError ?? NaN,
    nonZeroPercent: lastRec?.nonZeroPercent ?? 100,
    compressionRate: lastRec?.compressionRate ?? 1,
    files: { dense: denseBytes },
    epochs: state.finishedEpochs,
    wallSeconds: state.elapsedSeconds,
    history: state.history,
  };
  if (!complete) {
    out.line(`stopped after epoch ${state.finishedEpochs}/${s.epochs}: continue with --resume`);
    prior.detach();
    evalModel.dispose();
    return result;
  }
  const mixture = prior.mixture();
  if (!lastQ) lastQ = quantizeNow(model, mixture, covered, s);
  const compressed = lastQ.q.compressed;
  compressed.metadata = {
    ...(compressed.metadata ?? {}),
    producer: '@softweight/cli',
    pretrainedError: state.pretrainedError,
    quantizedError: result.quantizedError,
    tau: s.tau,
    components: s.components,
    epochs: state.finishedEpochs,
  };
  const sws = encodeSws(compressed);
  const onnx = toOnnx(compressed, { weights: 'dense' });
  const onnxCb = toOnnx(compressed, { weights: 'codebook' });
  writeFileAtomic(join(opts.out, 'model.sws'), sws);
  writeFileAtomic(join(opts.out, 'model.onnx'), onnx);
  writeFileAtomic(join(opts.out, 'model.codebook.onnx'), onnxCb);
  result.files = { sws: sws.byteLength, onnx: onnx.byteLength, onnxCodebook: onnxCb.byteLength, dense: denseBytes };
  result.fileCompressionRate = denseBytes / sws.byteLength;
  if (opts.figures !== false) {
    const finalWeights = coveredValues(model, covered);
    const initialCopy = initialWeights;
    const lastMix = state.mixtures[state.mixtures.length - 1] ?? snapshotOf(mixture, state.finishedEpochs);
    writeFileAtomic(join(opts.out, 'figure1.svg'), await figure1(initialCopy, finalWeights));
    writeFileAtomic(join(opts.out, 'figure3-dynamics.svg'), await figure3Dynamics(state.mixtures));
    writeFileAtomic(join(opts.out, 'figure3-scatter.svg'), await figure3Scatter(initialCopy, finalWeights, lastMix));
  }
  const reportJson = {
    ...result,
    report: lastQ.report,
    merge: lastQ.q.merge,
    mixtures: state.mixtures,
  };
  writeFileAtomic(join(opts.out, 'report.json'), JSON.stringify(reportJson, null, 1));
  writeFileAtomic(join(opts.out, 'report.md'), reportMarkdown(result, lastQ.report));
  prior.detach();
  await saveModel(model, join(opts.out, 'retrained'));
  evalModel.dispose();
  return result;
}

/** The summary table printed at the end of compress and by the demo. */
export function summaryTable(r: CompressResult): string {
  const rows: Array<Array<string | number>> = [
    ['test error, pretrained', `${r.pretrainedError.toFixed(2)}%`],
    ['test error, retrained (not quantized)', `${r.retrainedError.toFixed(2)}%`],
    ['test error, after quantization', `${r.quantizedError.toFixed(2)}%`],
    ['non-zero weights', `${r.nonZeroPercent.toFixed(2)}%`],
    ['CR (paper accounting)', `${r.compressionRate.toFixed(1)}x`],
    ['dense model (weights.bin)', bytes(r.files.dense)],
  ];
  if (r.files.sws !== undefined) rows.push(['model.sws', `${bytes(r.files.sws)}  (${(r.files.dense / r.files.sws).toFixed(1)}x smaller)`]);
  if (r.files.onnx !== undefined) rows.push(['model.onnx (dense weights)', `${bytes(r.files.onnx)}  (${(r.files.dense / r.files.onnx).toFixed(1)}x)`]);
  if (r.files.onnxCodebook !== undefined) rows.push(['model.codebook.onnx', `${bytes(r.files.onnxCodebook)}  (${(r.files.dense / r.files.onnxCodebook).toFixed(1)}x smaller)`]);
  rows.push(['retraining', `${r.epochs} epochs, ${formatDuration(r.wallSeconds)}`]);
  return table(['', 'value'], rows);
}

function reportMarkdown(r: CompressResult, report: CompressionReport): string {
  const s = r.settings;
  const per = report.tensors.map((t) => [
    t.name,
    t.shape.join('x'),
    t.weights,
    `${t.nonZeroPercent.toFixed(2)}%`,
    t.distinctValues,
    Math.round(t.bits.total),
    `${t.compressionRate.toFixed(1)}x`,
  ]);
  const hist = r.history.map((h) => [h.epoch, h.loss.toFixed(4), `${h.retrainedError.toFixed(2)}%`, `${h.quantizedError.toFixed(2)}%`, `${h.nonZeroPercent.toFixed(2)}%`, `${h.compressionRate.toFixed(1)}x`, h.codebookSize, formatDuration(h.seconds)]);
  const md = (header: string[], rows: Array<Array<string | number>>) =>
    [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((x) => `| ${x.join(' | ')} |`)].join('\n');
  return `# softweight compress report

Model \`${s.model}\`, data ${s.data}${s.limits.train ? ` (first ${s.limits.train} train)` : ''}${s.limits.test ? ` (first ${s.limits.test} test)` : ''}.

| | |
|---|---|
| test error, pretrained | ${r.pretrainedError.toFixed(2)}% |
| test error, retrained (not quantized) | ${r.retrainedError.toFixed(2)}% |
| **test error, after quantization** | **${r.quantizedError.toFixed(2)}%** |
| non-zero weights | ${r.nonZeroPercent.toFixed(2)}% |
| CR (paper accounting) | ${r.compressionRate.toFixed(1)}x |
| dense weights.bin | ${r.files.dense} bytes |
| model.sws | ${r.files.sws ?? '-'} bytes (${r.fileCompressionRate?.toFixed(1) ?? '-'}x smaller) |
| model.onnx / model.codebook.onnx | ${r.files.onnx ?? '-'} / ${r.files.onnxCodebook ?? '-'} bytes |
| epochs, wall time | ${r.epochs}, ${formatDuration(r.wallSeconds)} |

Settings: tau ${s.tau}, tau warm-up ${s.tauWarmupEpochs} epochs, ${s.components} components, pi0 ${s.pi0}, initial sigma ${s.initSigma ?? 0.25}, batch ${s.batchSize},
learning rates weights ${s.lrWeights} / means ${s.lrMeans} / log-precisions ${s.lrLogPrecisions} / logits ${s.lrLogits},
assignment ${s.assignment}, seed ${s.seed}, backend ${s.backend}.

## Per tensor

${md(['tensor', 'shape', 'weights', 'non-zero', 'distinct', 'bits', 'CR'], per)}

## Per epoch

${md(['epoch', 'loss', 'error', 'quantized error', 'non-zero', 'CR', 'codebook', 'time'], hist)}

![Figure 1](figure1.svg)
![Figure 3, mixture dynamics](figure3-dynamics.svg)
![Figure 3, initial vs final weights](figure3-scatter.svg)
`;
}
