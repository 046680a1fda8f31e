// The passes of loops.wat, instantiated on the active tfjs wasm backend's own memory (ordinary or shared), so that
// they run in place on tensors, addressed by heap byte offset. Falls back to the JS loops (null) where the memory
// is not reachable or WebAssembly cannot be compiled synchronously.
import type * as tf from '@tensorflow/tfjs';
import { decodeBase64 } from '../base64.js';
import { LOOPS_WASM_BASE64, LOOPS_WASM_SHARED_BASE64 } from './loops-wasm.js';
import type { Info, WasmBackend } from './wasm-backend.js';

/** The loops of loops.wat over tensors of one wasm backend. */
export interface HeapLoops {
  /** col2im, accumulating: adds the column gradients `dc` of images first..first+images onto `dx` (see conv2d-grads.ts). */
  col2imAdd(dc: Info, dx: Info, c: tf.backend_util.Conv2DInfo, first: number, images: number): void;
  /** The transposed im2col matrix of `x` for images first..first+images into `cols`. */
  im2colT(x: Info, cols: Info, c: tf.backend_util.Conv2DInfo, first: number, images: number): void;
  /** MaxPoolGrad for 2x2 windows, stride 2, no padding, of input `x` [n, h, w, ch]; writes the 2*oh x 2*ow region of `dx`. */
  maxPoolGrad2x2(x: Info, dy: Info, dx: Info, n: number, h: number, w: number, ch: number, oh: number, ow: number): void;
}

/** A WebAssembly.Memory, typed structurally (the package's TypeScript lib has no DOM or Node types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The WebAssembly API parts used here, typed structurally. */
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** The parts of the wasm backend's internals this module reads: its memory and tensors' heap offsets. */
interface BackendInternals {
  wasm?: { wasmMemory?: WasmMemory; asm?: { memory?: WasmMemory } };
  dataIdMap?: { get(dataId: object): { memoryOffset?: number } | undefined };
}

type Loop = (...args: number[]) => void;

const cache = new WeakMap<object, HeapLoops | null>();
let enabled = true;

/** Test hook: with `false`, kernels take their JS loops (to check both paths give the same bits). */
export function setHeapLoopsEnabled(on: boolean): void {
  enabled = on;
}

/** The loops for `backend`, or null when they cannot run on its memory (the caller uses its JS loops). */
export function heapLoops(backend: WasmBackend): HeapLoops | null {
  if (!enabled) return null;
  let loops = cache.get(backend);
  if (loops === undefined) {
    loops = instantiate(backend as unknown as BackendInternals);
    cache.set(backend, loops);
  }
  return loops;
}

function instantiate(backend: BackendInternals): HeapLoops | null {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  const memory = backend.wasm?.wasmMemory ?? backend.wasm?.asm?.memory;
  const dataIdMap = backend.dataIdMap;
  if (api === undefined || !(memory instanceof api.Memory) || dataIdMap === undefined) return null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  let exports: Record<string, unknown>;
  try {
    // About 1 kB: small enough for a synchronous compile anywhere.
    const module = new api.Module(decodeBase64(shared ? LOOPS_WASM_SHARED_BASE64 : LOOPS_WASM_BASE64));
    exports = new api.Instance(module, { env: { memory } }).exports;
  } catch {
    return null; // no SIMD or bulk memory in this runtime: the JS loops remain
  }
  const col2im = exports['col2im_add'] as Loop;
  const im2col = exports['im2col_t'] as Loop;
  const pool = exports['max_pool_grad_2x2'] as Loop;
  const offset = (info: Info): number => {
    const at = dataIdMap.get(info.dataId)?.memoryOffset;
    if (at === undefined) throw new Error('heap-loops: a tensor without wasm heap memory');
    return at;
  };
  const geometry = (c: tf.backend_util.Conv2DInfo): number[] => [
    c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.filterHeight, c.filterWidth,
    c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left,
  ];
  return {
    col2imAdd: (dc, dx, c, first, images) => col2im(offset(dc), offset(dx), ...geometry(c), first, images),
    im2colT: (x, cols, c, first, images) => im2col(offset(x), offset(cols), ...geometry(c), first, images),
    maxPoolGrad2x2: (x, dy, dx, n, h, w, ch, oh, ow) => pool(offset(x), offset(dy), offset(dx), n, h, w, ch, oh, ow),
  };
}
