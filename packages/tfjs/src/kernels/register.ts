// registerWasmTrainingKernels: adds the training kernels the tfjs wasm backend lacks and replaces its slow ones.
import * as tf from '@tensorflow/tfjs';
import { SoftweightError } from '@softweight/core';
import { fastBatchMatMul } from './batch-matmul.js';
import { conv2DBackpropFilter, conv2DBackpropInput } from './conv2d-grads.js';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './depthwise-grads.js';
import { fastGather } from './gather.js';
import { maxPoolGrad } from './pool-grads.js';
import { fastSum } from './sum.js';
import { fastTile } from './tile.js';
import type { Attrs, Info, WasmBackend } from './wasm-backend.js';

/** Options of `registerWasmTrainingKernels`. */
export interface WasmTrainingKernelsOptions {
  /**
   * Also replace wasm kernels that exist but are slow for training (default `true`): `Conv2DBackpropInput` (naive
   * loops -> an XNNPACK conv or matmul + col2im), `BatchMatMul` with transposed operands (naive loops -> explicit
   * transpose + the XNNPACK path), `MaxPoolGrad` (-> one JS pass), `Sum` and `Mean` over all leading axes (bias
   * gradients, batch-norm moments: transpose + reduce -> one pass), `Tile` (batch-norm gradients: per element ->
   * block copies) and `GatherV2` of whole rows (model.fit's batch slicing: per element -> one copy per row).
   * The replacements compute the same function; every other case is delegated to the original kernel.
   */
  replaceSlowKernels?: boolean;
}

/** What `registerWasmTrainingKernels` did. */
export interface WasmTrainingKernelsReport {
  /** Kernels the wasm backend lacked and that softweight now provides. */
  added: string[];
  /** Existing wasm kernels now replaced by faster softweight versions. */
  replaced: string[];
  /** Kernels this call found already registered by softweight (a repeated call): left as they are. */
  skipped: string[];
}

/** Marks kernel functions as ours, across copies of this package (Symbol.for is global), for idempotence. */
const MARK = Symbol.for('@softweight/tfjs/wasm-kernel');

type KernelImpl = (args: { inputs: Record<string, Info>; attrs: Attrs; backend: WasmBackend }) => Info;

function asKernelFunc(impl: KernelImpl): tf.KernelFunc {
  const f = ((args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }) =>
    impl({ inputs: args.inputs as Record<string, Info>, attrs: (args.attrs ?? {}) as Attrs, backend: args.backend as WasmBackend })) as tf.KernelFunc;
  Object.defineProperty(f, MARK, { value: true });
  return f;
}

function isOurs(config: tf.KernelConfig | undefined): boolean {
  return config !== undefined && (config.kernelFunc as unknown as Record<symbol, unknown>)[MARK] === true;
}

/** The kernels the wasm backend does not have, which training convnets (and depthwise convs) needs. */
const MISSING: ReadonlyArray<[string, KernelImpl]> = [
  ['Conv2DBackpropFilter', conv2DBackpropFilter],
  ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter],
  ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput],
];

/** Existing kernels replaced for speed; each gets the original's kernelFunc to delegate to. */
const REPLACEMENTS: ReadonlyArray<[string, (original: tf.KernelFunc) => KernelImpl]> = [
  ['BatchMatMul', (original) => fastBatchMatMul(original)],
  ['Sum', (original) => fastSum(original)],
  ['GatherV2', (original) => fastGather(original)],
  ['Mean', (original) => fastSum(original, true)],
  ['Tile', (original) => fastTile(original)],
  ['MaxPoolGrad', () => maxPoolGrad],
  ['Conv2DBackpropInput', () => conv2DBackpropInput],
];

/**
 * Registers on the tfjs wasm backend the kernels it lacks for training (Conv2DBackpropFilter and the two depthwise
 * backprop kernels) and, unless `replaceSlowKernels: false`, replaces its slow training kernels with fast ones.
 * Enough to train LeNet-300-100, LeNet-5-Caffe and BatchNorm ResNets on wasm. Call it after importing
 * `@tensorflow/tfjs-backend-wasm` (before or after `tf.setBackend('wasm')`). Idempotent: a second call, even from
 * another copy of this package, changes nothing. Throws `SoftweightError` (`WASM_BACKEND_MISSING`) if the wasm
 * backend's kernels are not loaded.
 */
export function registerWasmTrainingKernels(options: WasmTrainingKernelsOptions = {}): WasmTrainingKernelsReport {
  const replaceSlow = options.replaceSlowKernels ?? true;
  if (tf.getKernel('Conv2D', 'wasm') === undefined) {
    throw new SoftweightError(
      'WASM_BACKEND_MISSING',
      "registerWasmTrainingKernels: the wasm backend's kernels are not registered; import '@tensorflow/tfjs-backend-wasm' first",
    );
  }
  const report: WasmTrainingKernelsReport = { added: [], replaced: [], skipped: [] };
  for (const [name, impl] of MISSING) {
    const existing = tf.getKernel(name, 'wasm');
    if (isOurs(existing)) report.skipped.push(name);
    if (existing !== undefined) continue; // someone else (a newer tfjs) provides it: keep theirs
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: asKernelFunc(impl) });
    report.added.push(name);
  }
  if (!replaceSlow) return report;
  for (const [name, make] of REPLACEMENTS) {
    const original = tf.getKernel(name, 'wasm');
    if (original === undefined) continue;
    if (isOurs(original)) {
      report.skipped.push(name);
      continue;
    }
    const config: tf.KernelConfig = { kernelName: name, backendName: 'wasm', kernelFunc: asKernelFunc(make(original.kernelFunc)) };
    // The original's setup (cwrap of its wasm function) must still run if the backend initialises after this call.
    if (original.setupFunc !== undefined) config.setupFunc = original.setupFunc;
    if (original.disposeFunc !== undefined) config.disposeFunc = original.disposeFunc;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
    report.replaced.push(name);
  }
  return report;
}
