// Loading and saving tfjs LayersModels as model.json + weights.bin with plain fs (tfjs has no file:// handler without tfjs-node).
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError } from './errors.js';
import { readUserFile, writeFileAtomic, ensureOutDir } from './fsutil.js';

/** The weights file name written next to model.json. */
export const WEIGHTS_FILE = 'weights.bin';

/** An IOHandler that saves `model.json` + `weights.bin` into `dir`, each written atomically. */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      ensureOutDir(dir);
      const data = artifacts.weightData;
      const weights = data === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(data);
      // Weights first: model.json is the file readers look for, so it appears only once its weights exist.
      writeFileAtomic(join(dir, WEIGHTS_FILE), new Uint8Array(weights));
      const json = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: 'softweight',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

function isModelJson(v: unknown): v is ModelJson {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.modelTopology === 'object' &&
    o.modelTopology !== null &&
    Array.isArray(o.weightsManifest) &&
    o.weightsManifest.every(
      (g: unknown) =>
        typeof g === 'object' && g !== null && Array.isArray((g as Record<string, unknown>).paths) && Array.isArray((g as Record<string, unknown>).weights),
    )
  );
}

/** Reads model.json and its weight files into tfjs ModelArtifacts, with one-line errors for bad input. */
export function readModelArtifacts(path: string): tf.io.ModelArtifacts {
  const bytes = readUserFile(path, 'model file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new CliError(`${path} is not JSON: expected a tfjs layers model (model.json)`);
  }
  if (!isModelJson(parsed)) {
    throw new CliError(`${path} is not a tfjs layers model: expected "modelTopology" and "weightsManifest"`);
  }
  const dir = dirname(resolve(path));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of parsed.weightsManifest) {
    for (const p of group.paths) chunks.push(readUserFile(join(dir, p), 'weights file'));
    specs.push(...group.weights);
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * bytesPerElement(s.dtype), 0);
  if (total !== expected) {
    throw new CliError(`${path}: weight files hold ${total} bytes but the manifest describes ${expected}; the model is truncated or mismatched`);
  }
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    weightData.set(c, off);
    off += c.byteLength;
  }
  return {
    modelTopology: parsed.modelTopology,
    weightSpecs: specs,
    weightData: weightData.buffer,
    format: parsed.format,
    generatedBy: parsed.generatedBy,
    convertedBy: parsed.convertedBy ?? null,
  };
}

function bytesPerElement(dtype: string): number {
  return dtype === 'float16' ? 2 : dtype === 'uint8' || dtype === 'bool' ? 1 : 4;
}

/** Loads a tfjs LayersModel from a model.json path. */
export async function loadModel(path: string): Promise<tf.LayersModel> {
  const artifacts = readModelArtifacts(path);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    const unknown = /Unknown (layer|regularizer|initializer|constraint)[^.:]*?:?\s*([A-Za-z0-9_]+)/.exec(msg ?? '');
    if (unknown) throw new CliError(`${path}: unsupported ${unknown[1]} "${unknown[2]}" (the model uses a class softweight cannot load)`, { cause: err });
    throw new CliError(`${path}: cannot load the tfjs model: ${msg}`, { cause: err });
  }
}

/** Saves a LayersModel as model.json + weights.bin in `dir`. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSaveHandler(dir));
}

/** Reads a JSON file, or undefined if it does not exist. */
export function readJsonIfExists<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
