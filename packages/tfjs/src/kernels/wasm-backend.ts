// Typed access to the parts of the tfjs wasm backend our kernels use: its heap, its outputs and its own kernels.
import * as tf from '@tensorflow/tfjs';

/** A tensor handle as the kernel API passes it (no engine bookkeeping). */
export type Info = tf.TensorInfo;

/**
 * The structural subset of `BackendWasm` (from `@tensorflow/tfjs-backend-wasm`) the kernels rely on. Typed here so
 * this package does not import the optional wasm package.
 */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): Info;
  typedArrayFromHeap(info: Info): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Attributes of a kernel call, as tfjs passes them. */
export type Attrs = Record<string, unknown>;

/** Runs a kernel registered on the wasm backend directly (no engine, no tape): the result is a fresh handle we own. */
export function runWasm(kernelName: string, inputs: Record<string, Info>, attrs: Attrs, backend: WasmBackend): Info {
  const config = tf.getKernel(kernelName, 'wasm');
  if (config === undefined) throw new Error(`wasm kernel "${kernelName}" is not registered: import '@tensorflow/tfjs-backend-wasm' first`);
  const out = config.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, attrs: attrs as tf.NamedAttrMap, backend: backend as unknown as tf.KernelBackend });
  return Array.isArray(out) ? out[0]! : out;
}

/** Frees a handle this kernel created and does not return. */
export function release(backend: WasmBackend, info: Info): void {
  backend.disposeData(info.dataId);
}

/**
 * A float32 view of a tensor on the wasm heap. Take views only after the kernel's last allocation: an allocation can
 * grow the heap, which detaches every earlier view.
 */
export function heapF32(backend: WasmBackend, info: Info): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** A new float32 output of `shape` on the wasm heap (uninitialised memory). */
export function newOutput(backend: WasmBackend, shape: number[]): Info {
  return backend.makeOutput(shape, 'float32');
}

/** The same data seen with another shape (no copy); the caller keeps ownership of the original handle only. */
export function withShape(info: Info, shape: number[]): Info {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** The four-tuple shape of a rank-4 tensor, checked. */
export function shape4(info: Info, what: string): [number, number, number, number] {
  if (info.shape.length !== 4) throw new Error(`${what} must be rank 4, got shape [${info.shape.join(', ')}]`);
  return info.shape as [number, number, number, number];
}
