// Multi-threaded tfjs wasm in Node. tfjs ships a threaded build of its wasm backend (XNNPACK on a pthread pool over
// shared memory) but turns it off in Node: its pthread workers are started from a blob: URL, which Node's
// worker_threads cannot load, and the worker would then load the backend's glue from a Blob too. The emscripten glue
// itself supports Node. `useWasmBackend` closes the two gaps for the duration of the backend's initialisation:
// worker_threads.Worker starts the worker script tfjs ships (wasm-out/*.worker.js) from its text, and the worker's
// "load" message names the glue file tfjs ships next to it. tfjs also caps its pool at half the logical cores
// (it assumes two hyperthreads per core); the cap is read from os.cpus() once, during initialisation, so the
// requested count is what os.cpus() reports for that moment. Everything patched is restored before returning.
// Node's modules are imported only on the Node path (dynamically), so the package still loads in browsers.
import * as tf from '@tensorflow/tfjs';
import type * as WorkerThreads from 'node:worker_threads';

/** The Node built-ins the Node path uses. */
interface NodeModules {
  createRequire: typeof import('node:module').createRequire;
  path: typeof import('node:path');
  fs: typeof import('node:fs');
  os: typeof import('node:os');
}

async function nodeModules(): Promise<NodeModules> {
  const [{ createRequire }, path, fs, os] = await Promise.all([import('node:module'), import('node:path'), import('node:fs'), import('node:os')]);
  return { createRequire, path, fs, os };
}

/** Options of {@link useWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Threads tfjs's wasm kernels (XNNPACK) may use: a whole number from 1 to 8, or `'auto'` (default): one per core
   * (`os.availableParallelism()`), at most 8. Any count, 1 included, gives the threaded build and its shared memory.
   */
  threads?: number | 'auto';
}

/** What {@link useWasmBackend} set up. */
export interface WasmBackendInfo {
  /** Threads XNNPACK runs on, as the backend reports it. */
  threads: number;
  /** Whether the backend's heap is a `SharedArrayBuffer` (true for the threaded build). */
  sharedMemory: boolean;
}

/** The wasm backend's exports this module uses. */
interface WasmModuleExports {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** The largest pool tfjs's wasm backend accepts (compiled into its build). */
const MAX_THREADS = 8;
const THREADED_FLAG = 'WASM_HAS_MULTITHREAD_SUPPORT';

/**
 * Whether the wasm backend has been initialised (by anyone, with either build). Not `tf.findBackend`: for a
 * registered backend that is not initialised yet, that starts the initialisation, which would pick the
 * single-threaded build.
 */
export function wasmBackendStarted(): boolean {
  return engineInternals().registry?.['wasm'] !== undefined;
}

function engineInternals(): { registry?: Record<string, unknown>; pendingBackendInit?: Promise<boolean> | null } {
  return tf.engine() as unknown as { registry?: Record<string, unknown>; pendingBackendInit?: Promise<boolean> | null };
}

/** The threaded backend's heap, when the active wasm backend has one (else null). */
export function wasmSharedHeap(): SharedArrayBuffer | null {
  if (tf.getBackend() !== 'wasm') return null;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer;
  return typeof SharedArrayBuffer !== 'undefined' && heap instanceof SharedArrayBuffer ? heap : null;
}

function resolveThreads(threads: number | 'auto' | undefined, cores: number): number {
  if (threads === undefined || threads === 'auto') return Math.min(MAX_THREADS, Math.max(1, cores));
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`useWasmBackend: threads must be a whole number from 1 to ${MAX_THREADS} or 'auto', got ${String(threads)}`);
  }
  return threads;
}

async function loadWasmPackage(): Promise<WasmModuleExports> {
  try {
    return (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmModuleExports;
  } catch (e) {
    throw new Error(`useWasmBackend needs the optional peer dependency @tensorflow/tfjs-backend-wasm: ${(e as Error).message}`);
  }
}

/** Files of the threaded build that tfjs ships next to its bundles, checked. */
function threadedBuildFiles({ createRequire, path, fs }: NodeModules): { glue: string; workerSource: string } {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const glue = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const workerFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  if (!fs.existsSync(glue) || !fs.existsSync(workerFile)) {
    throw new Error(`useWasmBackend: this @tensorflow/tfjs-backend-wasm does not ship its threaded build in ${dir} (expected ${path.basename(glue)} and ${path.basename(workerFile)})`);
  }
  const exported = (require(workerFile) as { wasmWorkerContents?: unknown }).wasmWorkerContents;
  if (typeof exported !== 'string') throw new Error(`useWasmBackend: ${workerFile} does not export the worker source (wasmWorkerContents)`);
  // The source is a template literal in which "\n" inside string literals became real newlines; escape them back.
  return { glue, workerSource: exported.replace(/\n/g, '\\n') };
}

/**
 * Switches TensorFlow.js to its wasm backend with XNNPACK on `threads` threads, in Node as in browsers, and waits
 * for it. In Node this enables the threaded build tfjs ships but does not use there (see the module comment); in a
 * browser it only sets the thread count (tfjs picks the threaded build itself when the page is cross-origin
 * isolated). Call it before anything initialises the wasm backend (`tf.setBackend('wasm')`, `tf.ready()` or a
 * first op): the thread pool is fixed at initialisation. Calling it again with the same count is a no-op; with
 * another count it throws. Measured here (2 cores): LeNet-5-Caffe training 1.3x faster on 2 threads than on 1.
 */
export async function useWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackendInfo> {
  const node = isNode() ? await nodeModules() : null;
  const cores = node?.os.availableParallelism() ?? (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  const threads = resolveThreads(options.threads, cores);
  const wasm = await loadWasmPackage();
  // A backend initialisation someone started and did not await: let it finish, then look at what it started.
  const pending = engineInternals().pendingBackendInit;
  if (pending != null) await pending;
  if (wasmBackendStarted()) {
    if (!(await tf.setBackend('wasm'))) throw new Error('useWasmBackend: the wasm backend failed to initialise');
    const current = wasm.getThreadsCount();
    const sharedMemory = wasmSharedHeap() !== null;
    if (current !== threads || (isNode() && !sharedMemory)) {
      throw new Error(
        `useWasmBackend({ threads: ${threads} }): the wasm backend is already initialised (${sharedMemory ? 'threaded' : 'single-threaded'} ` +
          `build, ${current} thread(s)); call useWasmBackend before tf.setBackend('wasm'), tf.ready() or any op`,
      );
    }
    return { threads: current, sharedMemory };
  }
  wasm.setThreadsCount(threads);
  const restore = node !== null ? patchNodeForThreadedBuild(threads, node) : () => {};
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
    await tf.ready();
  } finally {
    restore();
  }
  if (!ok || tf.getBackend() !== 'wasm') throw new Error('useWasmBackend: the wasm backend failed to initialise');
  const actual = wasm.getThreadsCount();
  const sharedMemory = wasmSharedHeap() !== null;
  if (isNode() && (!sharedMemory || actual !== threads)) {
    throw new Error(`useWasmBackend: asked tfjs for ${threads} thread(s) on its threaded build, got ${actual} thread(s) and ${sharedMemory ? 'shared' : 'unshared'} memory (tfjs-backend-wasm ${tf.version_core}?)`);
  }
  return { threads: actual, sharedMemory };
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** Patches what the threaded build needs in Node; returns the undo. */
function patchNodeForThreadedBuild(threads: number, node: NodeModules): () => void {
  const { glue, workerSource } = threadedBuildFiles(node);
  const require = node.createRequire(import.meta.url);
  const workerThreads = require('node:worker_threads') as typeof WorkerThreads & { Worker: typeof WorkerThreads.Worker };
  const RealWorker = workerThreads.Worker;

  /** An emscripten pthread worker: started from tfjs's worker source, told to load the glue from its file, unref'd. */
  class PthreadWorker extends RealWorker {
    constructor(filename: string | URL, options?: WorkerThreads.WorkerOptions) {
      const fromBlob = typeof filename === 'string' && filename.startsWith('blob:');
      super(fromBlob ? workerSource : filename, fromBlob ? { eval: true } : options);
      // Pool threads idle-wait for the main thread, which blocks on them only inside its own synchronous calls:
      // they must not keep the process alive (emscripten refs a worker while its pthread runs, i.e. forever).
      super.unref();
    }

    override ref(): void {}

    override postMessage(message: unknown, transferList?: readonly WorkerThreads.TransferListItem[]): void {
      if (message !== null && typeof message === 'object' && (message as { cmd?: unknown }).cmd === 'load') {
        (message as { urlOrBlob?: unknown }).urlOrBlob = glue;
      }
      super.postMessage(message, transferList);
    }
  }

  const osModule = require('node:os') as { cpus: typeof node.os.cpus };
  const realCpus = osModule.cpus;
  // tfjs reads the core count once, during initialisation, and allows half of it.
  const fakeCpus = () => {
    const cpus = realCpus();
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % Math.max(1, cpus.length)]!);
  };
  workerThreads.Worker = PthreadWorker;
  osModule.cpus = fakeCpus;
  const hadFlag = tf.env().getFlags()[THREADED_FLAG];
  tf.env().set(THREADED_FLAG, true);
  return () => {
    workerThreads.Worker = RealWorker;
    osModule.cpus = realCpus;
    if (hadFlag === undefined) delete tf.env().getFlags()[THREADED_FLAG];
    else tf.env().set(THREADED_FLAG, hadFlag);
  };
}
