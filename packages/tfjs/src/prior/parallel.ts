// Runs the prior kernel of a training step on a worker thread (Node), while the main thread computes the model's forward and backward passes.
//
// The fit callback's onBatchBegin copies the covered weights (final for this step) into shared memory and
// posts a job (on tfjs's threaded wasm build, whose heap is shared memory, the worker instead reads the weights in
// place and writes each gradient into a tfjs tensor allocated for it); the worker runs createPriorKernel's own
// source text (kernel.ts), so it computes bit for bit what the main thread would; after the model's backward pass the
// prior (prior.ts, computeWithPrior) waits (Atomics.wait) for the worker's result of each tensor. Anything unexpected (no worker_threads, a worker that fails to start, an error, a
// timeout) makes the caller compute synchronously instead.
import { interpolateWasmBytes } from './fast.js';
import { createPriorKernel, type PreparedMixture, type PriorMethod, type PriorTerms } from './kernel.js';

/** The subset of node:worker_threads' Worker this file uses (kept structural: the package also runs in browsers). */
interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: 'message' | 'error' | 'exit', listener: (value: unknown) => void): unknown;
  unref(): void;
  terminate(): Promise<number>;
}

type WorkerConstructor = new (
  code: string,
  options: { eval: true; execArgv: string[]; name?: string; workerData: unknown; transferList: unknown[] },
) => NodeWorker;

/** How long the main thread waits for a worker result before computing it itself (a stalled or overloaded worker). */
const TAKE_TIMEOUT_MS = 2000;
/** How long a starting worker may take to report ready. */
const START_TIMEOUT_MS = 10000;
/** The worker re-checks for a quit request this often while idle (a blocked Atomics.wait must not delay termination). */
const IDLE_POLL_MS = 250;
/** Fixed control words: last finished job, last posted job, quit request, buffer generation. */
const DONE = 0;
const JOB = 1;
const QUIT = 2;
const GEN = 3;
/** The float64 result area starts with the job's range hint (2: min, max of all covered weights, kernel.ts). */
const HINT = 2;
/** Then per slot: logDensity, exactWeights, nodes, grid (index in GRIDS), then means, logPrecisions, responsibility (J each). */
const HEAD = 4;
const GRIDS: ReadonlyArray<PriorTerms['grid']> = ['uniform', 'adaptive', 'exact'];
/** Job parameters (float64): gradScale, method (0 auto, 1 table, 2 exact), then means, precisions, logNorm (J each). */
const PARAMS_HEAD = 2;
const METHODS: readonly PriorMethod[] = ['auto', 'table', 'exact'];
/**
 * Jobs rotate over this many weight and gradient buffers: writing into a buffer the other core read one step
 * ago costs the writer the invalidation of that core's cached copy; one read three steps ago is cheaper to
 * overwrite (measured here: 1 MB copy 0.17 ms with one buffer, 0.12 ms with three).
 */
const BUFFER_SETS = 3;

/**
 * The worker's script: the kernel factory's source, and a loop that waits on shared memory for jobs (posting
 * a message per step costs the main thread about 1 ms on a busy machine; an Atomics.notify a few microseconds).
 * Plain JS, no loader needed.
 */
function workerSource(): string {
  return `'use strict';
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
// Bundlers' and tsx's name-keeping helper, which the kernel's source text may call.
var __name = (f) => f;
const kernel = (${createPriorKernel.toString()})((subject, message) => new Error(subject + ' ' + message), workerData.wasm);
const METHODS = ${JSON.stringify(METHODS)};
const GRIDS = ${JSON.stringify(GRIDS)};
const control = new Int32Array(workerData.control);
const port = workerData.port;
let gen = 0, slotDone = null, weightSets = [], gradientSets = [], results = null, params = null, layout = [], J = 0, heap = null, offsets = null;
parentPort.postMessage('ready');
let last = 0;
for (;;) {
  if (Atomics.load(control, ${QUIT}) !== 0) break;
  const id = Atomics.load(control, ${JOB});
  if (id === last) {
    Atomics.wait(control, ${JOB}, id, ${IDLE_POLL_MS});
    continue;
  }
  last = id;
  const want = Atomics.load(control, ${GEN});
  while (gen !== want) {
    const m = receiveMessageOnPort(port);
    if (m === undefined) break;
    const b = m.message;
    gen = b.gen;
    slotDone = new Int32Array(b.slotDone);
    weightSets = b.weights.map((x) => new Float32Array(x));
    gradientSets = b.gradient.map((x) => new Float32Array(x));
    results = new Float64Array(b.results);
    params = new Float64Array(b.params);
    layout = b.layout;
    J = b.J;
    heap = b.heap;
    offsets = b.offsets === null ? null : new Float64Array(b.offsets);
  }
  if (gen === want) {
    const weights = weightSets[id % ${BUFFER_SETS}], gradient = gradientSets[id % ${BUFFER_SETS}];
    const gradScale = params[0];
    const method = METHODS[params[1]];
    const mix = { count: J, means: params.slice(${PARAMS_HEAD}, ${PARAMS_HEAD} + J), precisions: params.slice(${PARAMS_HEAD} + J, ${PARAMS_HEAD} + 2 * J), logNorm: params.slice(${PARAMS_HEAD} + 2 * J, ${PARAMS_HEAD} + 3 * J) };
    // Every covered tensor in one kernel call (one table for all, kernel.ts).
    let all = null;
    try {
      // In place: the weights are read where they are, in the tfjs wasm backend's shared heap.
      const ws = layout.map(({ offset, size }, i) => (heap === null ? weights.subarray(offset, offset + size) : new Float32Array(heap, offsets[2 * i], size)));
      // The gradients too, when the main thread gave a slot a tensor there (offset >= 0).
      const gs = layout.map(({ offset, size }, i) => (heap !== null && offsets[2 * i + 1] >= 0 ? new Float32Array(heap, offsets[2 * i + 1], size) : gradient.subarray(offset, offset + size)));
      all = kernel.mixturePriorTermsShared(ws, mix, { gradScale, method, outs: gs, rangeHint: results.subarray(0, ${HINT}) });
    } catch (e) {
      all = null;
    }
    for (let i = 0; i < layout.length; i++) {
      const t = all === null ? null : all[i];
      if (t !== null) {
        const result = layout[i].result;
        results[result] = t.logDensity;
        results[result + 1] = t.exactWeights;
        results[result + 2] = t.nodes;
        results[result + 3] = GRIDS.indexOf(t.grid);
        results.set(t.means, result + ${HEAD});
        results.set(t.logPrecisions, result + ${HEAD} + J);
        results.set(t.responsibility, result + ${HEAD} + 2 * J);
      }
      Atomics.store(slotDone, i, t !== null ? id : -id);
      Atomics.notify(slotDone, i);
    }
  }
  Atomics.store(control, ${DONE}, id);
  Atomics.notify(control, ${DONE});
}
port.close();
`;
}

interface NodeMessagePort {
  postMessage(message: unknown): void;
  close(): void;
}

interface NodeWorkerThreads {
  Worker: WorkerConstructor;
  MessageChannel: new () => { port1: NodeMessagePort; port2: NodeMessagePort };
}

function workerThreads(): NodeWorkerThreads | null {
  const p = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof p?.versions?.node !== 'string' || typeof p.getBuiltinModule !== 'function') return null;
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics?.wait !== 'function') return null;
  // One core: the worker could only take turns with the main thread.
  const os = p.getBuiltinModule('node:os') as { availableParallelism?: () => number; cpus?: () => unknown[] } | undefined;
  const cores = os?.availableParallelism?.() ?? os?.cpus?.().length ?? 1;
  if (cores < 2) return null;
  const mod = p.getBuiltinModule('node:worker_threads') as Partial<NodeWorkerThreads> | undefined;
  return typeof mod?.Worker === 'function' && typeof mod.MessageChannel === 'function' ? (mod as NodeWorkerThreads) : null;
}

/** The inputs of one covered tensor for a job. */
export interface ParallelSlotInput {
  /** The weights (read before the step's forward pass). */
  weights: Float32Array;
  /**
   * With weights in the shared heap: the byte offset there of a float32 tensor of the weights' size that the
   * worker writes the gradient into (the main thread then hands that tensor to tfjs, no copy).
   */
  gradientAt?: number;
}

/**
 * The SharedArrayBuffer every slot's weights are a view of (tfjs's threaded wasm build: its heap), or null.
 * The worker then reads the weights in place: no copy on the main thread, whose cache lines the other core
 * would otherwise have to hand back.
 */
function sharedHeapOf(slots: readonly ParallelSlotInput[]): SharedArrayBuffer | null {
  const first = slots[0]?.weights.buffer;
  if (typeof SharedArrayBuffer !== 'function' || !(first instanceof SharedArrayBuffer)) return null;
  return slots.every((s) => s.weights.buffer === first) ? first : null;
}

/** Prior kernel jobs on one worker thread: at most one job in flight, one result per covered tensor. */
export class ParallelPriorRunner {
  private worker: NodeWorker | null;
  private broken = false;
  /** Whether the worker thread has exited (it can write nothing any more). */
  private exited = false;
  private readonly control = new Int32Array(new SharedArrayBuffer(16));
  private port: NodeMessagePort;
  private gen = 0;
  private slotDone: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** BUFFER_SETS sets of weights and gradients in shared memory; job `id` uses set id % BUFFER_SETS. */
  private weights: Array<Float32Array<ArrayBufferLike>> = [];
  private gradient: Array<Float32Array<ArrayBufferLike>> = [];
  private results: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private params: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private layout: Array<{ offset: number; size: number; result: number }> = [];
  private J = 0;
  /** The shared heap the covered weights live in (tfjs's threaded wasm build), read in place; null: copied. */
  private heap: SharedArrayBuffer | null = null;
  /** In place: per slot, the byte offsets in `heap` of its weights and of its gradient tensor (-1: none), per job. */
  private offsets: Float64Array<ArrayBufferLike> = new Float64Array(0);
  /** Jobs whose weights the worker read in place. */
  inPlaceJobs = 0;
  private lastId = 0;
  /** The range hint of the running job's caller, updated when a result is taken. */
  private hint: Float64Array | null = null;

  private constructor(worker: NodeWorker, port: NodeMessagePort, control: Int32Array<SharedArrayBuffer>) {
    this.worker = worker;
    this.port = port;
    this.control = control;
  }

  /** Starts a worker and waits until it runs; null where worker threads are unavailable or the worker fails to start. */
  static async start(): Promise<ParallelPriorRunner | null> {
    const wt = workerThreads();
    if (wt === null) return null;
    let worker: NodeWorker;
    const control = new Int32Array(new SharedArrayBuffer(16));
    const { port1, port2 } = new wt.MessageChannel();
    try {
      // execArgv []: the parent's loaders (e.g. tsx) are not needed by plain JS and would slow the start.
      worker = new wt.Worker(workerSource(), {
        eval: true,
        execArgv: [],
        name: 'softweight-prior',
        workerData: { control: control.buffer, port: port2, wasm: interpolateWasmBytes },
        transferList: [port2],
      });
    } catch {
      port1.close();
      return null;
    }
    worker.unref();
    const runner = new ParallelPriorRunner(worker, port1, control);
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
      (timer as { unref?: () => void }).unref?.();
      worker.on('message', (m) => {
        if (m === 'ready') {
          clearTimeout(timer);
          resolve(true);
        }
      });
      worker.on('error', () => {
        clearTimeout(timer);
        runner.broken = true;
        resolve(false);
      });
      worker.on('exit', () => {
        clearTimeout(timer);
        runner.exited = true;
        runner.broken = true;
        runner.worker = null;
        resolve(false);
      });
    });
    if (!ok) {
      void runner.close();
      return null;
    }
    return runner;
  }

  /** Whether the runner can take jobs. */
  get usable(): boolean {
    return this.worker !== null && !this.broken;
  }

  /**
   * Posts the prior of every covered tensor as one job (one kernel call over all of them, with `rangeHint` for
   * all their weights, updated when a result is taken); returns its id, or 0 if the runner cannot take it (then
   * compute synchronously).
   */
  begin(slots: readonly ParallelSlotInput[], mix: PreparedMixture, gradScale: number, method: PriorMethod, rangeHint: Float64Array): number {
    if (!this.usable || !this.waitIdle()) return 0;
    const J = mix.count;
    const heap = sharedHeapOf(slots);
    const same = this.layout.length === slots.length && this.J === J && this.heap === heap && slots.every((s, i) => s.weights.length === this.layout[i]!.size);
    if (!same) {
      const layout: Array<{ offset: number; size: number; result: number }> = [];
      let total = 0;
      let result = HINT;
      for (const s of slots) {
        layout.push({ offset: total, size: s.weights.length, result });
        total += s.weights.length;
        result += HEAD + 3 * J;
      }
      this.layout = layout;
      this.J = J;
      this.slotDone = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, slots.length)));
      const sets = Array.from({ length: BUFFER_SETS });
      this.weights = sets.map(() => new Float32Array(new SharedArrayBuffer(4 * Math.max(1, heap === null ? total : 1))));
      this.gradient = sets.map(() => new Float32Array(new SharedArrayBuffer(4 * Math.max(1, total))));
      this.results = new Float64Array(new SharedArrayBuffer(8 * Math.max(1, result)));
      this.params = new Float64Array(new SharedArrayBuffer(8 * (PARAMS_HEAD + 3 * J)));
      this.heap = heap;
      this.offsets = new Float64Array(new SharedArrayBuffer(8 * Math.max(1, 2 * slots.length)));
      this.gen++;
      // Queued now, read by the worker (receiveMessageOnPort) when it sees the new generation with the job.
      this.port.postMessage({
        gen: this.gen,
        slotDone: this.slotDone.buffer,
        weights: this.weights.map((w) => w.buffer),
        gradient: this.gradient.map((g) => g.buffer),
        results: this.results.buffer,
        params: this.params.buffer,
        layout,
        J,
        heap,
        offsets: heap === null ? null : this.offsets.buffer,
      });
      Atomics.store(this.control, GEN, this.gen);
    }
    const id = ++this.lastId;
    const weights = this.weights[id % BUFFER_SETS]!;
    slots.forEach((s, i) => {
      const l = this.layout[i]!;
      if (heap !== null) {
        this.offsets[2 * i] = s.weights.byteOffset;
        this.offsets[2 * i + 1] = s.gradientAt ?? -1;
      } else weights.set(s.weights, l.offset);
    });
    this.results.set(rangeHint.subarray(0, HINT), 0);
    this.hint = rangeHint;
    const p = this.params;
    p[0] = gradScale;
    p[1] = METHODS.indexOf(method);
    p.set(mix.means, PARAMS_HEAD);
    p.set(mix.precisions, PARAMS_HEAD + J);
    p.set(mix.logNorm, PARAMS_HEAD + 2 * J);
    if (heap !== null) this.inPlaceJobs++;
    Atomics.store(this.control, JOB, id);
    Atomics.notify(this.control, JOB);
    return id;
  }

  /**
   * Waits for covered tensor `index` of job `id`; null when the worker failed on it or did not answer in time
   * (compute it synchronously). The gradient is a view of shared memory, valid until the next `begin`
   * (its buffer is reused BUFFER_SETS jobs later; treat it as valid for this job only).
   */
  take(id: number, index: number): PriorTerms | null {
    if (id !== this.lastId || !this.usable || index >= this.layout.length) return null;
    if (!this.waitFor(this.slotDone, index, (v) => v === id || v === -id)) return null;
    if (Atomics.load(this.slotDone, index) !== id) return null;
    const l = this.layout[index]!;
    const J = this.J;
    const r = this.results;
    const base = l.result;
    this.hint?.set(r.subarray(0, HINT));
    const gradientAt = this.heap === null ? -1 : this.offsets[2 * index + 1]!;
    return {
      logDensity: r[base]!,
      gradient: gradientAt >= 0 ? new Float32Array(this.heap!, gradientAt, l.size) : this.gradient[id % BUFFER_SETS]!.subarray(l.offset, l.offset + l.size),
      means: r.slice(base + HEAD, base + HEAD + J),
      logPrecisions: r.slice(base + HEAD + J, base + HEAD + 2 * J),
      responsibility: r.slice(base + HEAD + 2 * J, base + HEAD + 3 * J),
      exactWeights: r[base + 1]!,
      nodes: r[base + 2]!,
      grid: GRIDS[r[base + 3]!] ?? 'exact',
    };
  }

  /**
   * Waits until the worker has finished the last posted job, whether or not its results were taken: after that
   * it writes nothing until the next `begin`. False if it did not finish in time (it is then given up) and may
   * still be running.
   */
  finish(): boolean {
    return this.exited || this.waitIdle();
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.broken = true;
    Atomics.store(this.control, QUIT, 1);
    Atomics.notify(this.control, JOB);
    this.port.close();
    if (w !== null) await w.terminate();
  }

  /** Waits until the worker has finished the last posted job (false: it did not in time, and is given up). */
  private waitIdle(): boolean {
    if (this.lastId === 0) return true;
    return this.waitFor(this.control, DONE, (v) => v === this.lastId);
  }

  private waitFor(words: Int32Array<ArrayBufferLike>, at: number, done: (v: number) => boolean): boolean {
    const deadline = performance.now() + TAKE_TIMEOUT_MS;
    for (;;) {
      const v = Atomics.load(words, at);
      if (done(v)) return true;
      const left = deadline - performance.now();
      if (left <= 0 || this.broken) {
        // A worker that stalls this long is not worth waiting for again.
        void this.close();
        return false;
      }
      try {
        Atomics.wait(words, at, v, left);
      } catch {
        // A thread that may not block (a browser's or Electron renderer's main thread): no worker then.
        void this.close();
        return false;
      }
    }
  }
}

/** Untimed worker steps at the start of every cycle (worker start, its JIT, caches). */
const WARM_STEPS = 8;
/** Timed steps, alternating worker and main thread so that both see the same machine load. */
const PROBE_STEPS = 16;
/** Steps run in the chosen mode before probing again (the machine's load changes). */
const RUN_STEPS = 480;

/**
 * Chooses, online, between the worker thread and the main thread for the prior (option `parallel: 'auto'`):
 * the worker only pays off when a second core is actually free, which on a busy machine it is not (then the
 * worker takes turns with the main thread and adds its hand-over costs). Every cycle runs WARM_STEPS steps
 * with the worker, times PROBE_STEPS steps alternating worker and main thread, then runs RUN_STEPS steps in
 * the cheaper mode. What is timed is the prior's own main-thread time per step (hand-over and waiting, or the
 * kernel; plus the gradient upload), not the whole step: the model's forward and backward passes vary by more
 * than the difference being measured. Results are bit for bit the same in both modes, so the choice never
 * changes what is computed.
 */
export class ParallelChooser {
  private position = 0;
  private worker: number[] = [];
  private main: number[] = [];
  private choice = true;

  /** Whether the coming step should use the worker. */
  useWorker(): boolean {
    const p = this.position;
    if (p < WARM_STEPS) return true;
    if (p < WARM_STEPS + PROBE_STEPS) return (p - WARM_STEPS) % 2 === 0;
    return this.choice;
  }

  /** Records the prior's main-thread ms of a finished training step (in the mode `useWorker` gave for it). */
  record(ms: number): void {
    const p = this.position;
    if (p >= WARM_STEPS && p < WARM_STEPS + PROBE_STEPS) ((p - WARM_STEPS) % 2 === 0 ? this.worker : this.main).push(ms);
    this.position++;
    if (this.position === WARM_STEPS + PROBE_STEPS) {
      this.choice = median(this.worker) <= median(this.main);
      this.worker = [];
      this.main = [];
    } else if (this.position === WARM_STEPS + PROBE_STEPS + RUN_STEPS) {
      this.position = 0;
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[s.length >> 1]!;
}
