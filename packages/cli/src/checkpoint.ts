// Per-epoch checkpoints: model + optimizer state + run state, swapped in atomically so an interrupted run resumes cleanly.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.js';
import { loadModel, saveModel } from './model-io.js';

/** A named tensor, as tfjs optimizers get and set their weights. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** Directory name of the checkpoint inside a run's output directory. */
export const CHECKPOINT_DIR = 'checkpoint';

/** Named tensors serialised as a JSON manifest + one float32 blob. */
export interface TensorBlob {
  manifest: Array<{ name: string; shape: number[]; dtype: string }>;
  data: Float32Array;
}

/** Flattens named tensors (optimizer weights, prior variables) into a blob. */
export async function packTensors(named: NamedTensor[]): Promise<TensorBlob> {
  const manifest: TensorBlob['manifest'] = [];
  const parts: Float32Array[] = [];
  for (const { name, tensor } of named) {
    manifest.push({ name, shape: tensor.shape, dtype: tensor.dtype });
    parts.push(Float32Array.from(await tensor.data()));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const data = new Float32Array(total);
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return { manifest, data };
}

/** Inverse of `packTensors` (the caller owns the returned tensors). */
export function unpackTensors(blob: TensorBlob): NamedTensor[] {
  let off = 0;
  return blob.manifest.map(({ name, shape, dtype }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const vals = blob.data.subarray(off, off + n);
    off += n;
    return { name, tensor: tf.tensor(Array.from(vals), shape, dtype as tf.DataType) };
  });
}

/** What a checkpoint holds besides the model. */
export interface CheckpointContents<S> {
  state: S;
  optimizer?: NamedTensor[];
  /** Extra binary payloads (e.g. the prior's variables), by file name. */
  extra?: Record<string, TensorBlob>;
}

function writeBlob(dir: string, name: string, blob: TensorBlob): void {
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(blob.manifest));
  writeFileSync(join(dir, `${name}.bin`), new Uint8Array(blob.data.buffer, blob.data.byteOffset, blob.data.byteLength));
}

function readBlob(dir: string, name: string): TensorBlob {
  const manifest = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as TensorBlob['manifest'];
  const bytes = readFileSync(join(dir, `${name}.bin`));
  const data = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(data.buffer).set(bytes);
  return { manifest, data };
}

/** Writes the checkpoint into `outDir/checkpoint`, replacing the previous one only once the new one is complete. */
export async function writeCheckpoint<S>(outDir: string, model: tf.LayersModel, contents: CheckpointContents<S>): Promise<void> {
  const final = join(outDir, CHECKPOINT_DIR);
  const tmp = join(outDir, `.${CHECKPOINT_DIR}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await saveModel(model, tmp);
  if (contents.optimizer) writeBlob(tmp, 'optimizer', await packTensors(contents.optimizer));
  for (const [name, blob] of Object.entries(contents.extra ?? {})) writeBlob(tmp, name, blob);
  // state.json last: its presence marks a complete checkpoint.
  writeFileSync(join(tmp, 'state.json'), JSON.stringify(contents.state, null, 1));
  const old = join(outDir, `.${CHECKPOINT_DIR}.old-${process.pid}`);
  if (existsSync(final)) renameSync(final, old);
  renameSync(tmp, final);
  rmSync(old, { recursive: true, force: true });
}

/** A loaded checkpoint. */
export interface LoadedCheckpoint<S> {
  model: tf.LayersModel;
  state: S;
  optimizer?: TensorBlob;
  dir: string;
  readExtra(name: string): TensorBlob;
}

/** Finds the newest complete checkpoint in `outDir` (also one left half-swapped by a crash). */
export function findCheckpoint(outDir: string): string | undefined {
  const final = join(outDir, CHECKPOINT_DIR);
  if (existsSync(join(final, 'state.json'))) return final;
  if (!existsSync(outDir)) return undefined;
  for (const name of readdirSync(outDir)) {
    if (name.startsWith(`.${CHECKPOINT_DIR}.old-`) && existsSync(join(outDir, name, 'state.json'))) return join(outDir, name);
  }
  return undefined;
}

/** Loads the checkpoint in `outDir`, or a one-line error when there is none. */
export async function readCheckpoint<S>(outDir: string): Promise<LoadedCheckpoint<S>> {
  const dir = findCheckpoint(outDir);
  if (!dir) throw new CliError(`--resume: no checkpoint in ${outDir} (expected ${join(outDir, CHECKPOINT_DIR, 'state.json')})`);
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as S;
  const model = await loadModel(join(dir, 'model.json'));
  const optimizer = existsSync(join(dir, 'optimizer.json')) ? readBlob(dir, 'optimizer') : undefined;
  return { model, state, optimizer, dir, readExtra: (name) => readBlob(dir, name) };
}

/** Restores an optimizer's slots (Adam moments, iteration count) from a checkpoint. */
export async function restoreOptimizer(optimizer: tf.Optimizer, blob: TensorBlob | undefined): Promise<void> {
  if (!blob) return;
  await optimizer.setWeights(unpackTensors(blob));
}
