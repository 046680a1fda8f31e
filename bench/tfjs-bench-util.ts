// Shared helpers of the tfjs benchmarks: wasm setup, synthetic MNIST-shaped data, timed fits, tables.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/** Switches to the wasm backend and waits for it. */
export async function useWasm(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
}

/** `n` synthetic MNIST-shaped examples: pixels uniform in [0, 1), one-hot labels; the timing does not depend on the values. */
export function syntheticMnist(n: number, shape: number[], seed = 1): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.randomUniform([n, ...shape], 0, 1, 'float32', seed);
  const y = tf.oneHot(tf.randomUniform([n], 0, 10, 'int32', seed + 1) as tf.Tensor1D, 10);
  return { x, y };
}

/** Throughput of one timed run: by the wall clock, and per second of this process's CPU time. */
export interface Throughput {
  /** Samples per wall-clock second. */
  wall: number;
  /** Samples per second of CPU time used by this process: what an idle core would give; robust to machine load. */
  cpu: number;
}

/** Throughput of one `model.fit` epoch over (x, y). */
export async function fitThroughput(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, batchSize: number, callbacks: tf.Callback[] = []): Promise<Throughput> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0, callbacks: callbacks as unknown as tf.CustomCallbackArgs[] });
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  const n = x.shape[0]!;
  return { wall: (n / wallMs) * 1000, cpu: (n / cpuMs) * 1000 };
}

/**
 * Sums the wall time of an epoch's training steps: from one batch's onBatchBegin to the next one's (the last
 * step ends at onEpochEnd). Put it first in the callback list, so every other callback's work counts in the
 * step it belongs to; what `model.fit` does once per call (setup before the first batch) is left out.
 */
export class StepTimer extends tf.Callback {
  /** Milliseconds of the last epoch's steps. */
  total = 0;
  private last = 0;

  override async onEpochBegin(): Promise<void> {
    this.total = 0;
    this.last = 0;
  }

  override async onBatchBegin(): Promise<void> {
    const now = performance.now();
    if (this.last !== 0) this.total += now - this.last;
    this.last = now;
  }

  override async onEpochEnd(): Promise<void> {
    if (this.last !== 0) this.total += performance.now() - this.last;
  }
}

/**
 * Throughput of one `model.fit` epoch over (x, y), timed step by step (`StepTimer`): for short epochs
 * interleaved between models, where fit's per-call setup would otherwise weigh in. CPU time spans the whole call.
 */
export async function stepTimedFit(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, batchSize: number, callbacks: tf.Callback[] = []): Promise<Throughput> {
  const timer = new StepTimer();
  const c0 = process.cpuUsage();
  await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0, callbacks: [timer, ...callbacks] as unknown as tf.CustomCallbackArgs[] });
  const c = process.cpuUsage(c0);
  const n = x.shape[0]!;
  return { wall: (n / timer.total) * 1000, cpu: (n / ((c.user + c.system) / 1000)) * 1000 };
}

/** `xs` in a random order drawn from `rand` (Fisher-Yates; the input is left as it is). */
export function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Median of a list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Prints rows as an aligned text table. */
export function printTable(header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(c < 10 ? 3 : 1)) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  for (const [k, r] of cells.entries()) {
    console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/** The 1-minute load average, to print next to timings taken on a shared machine. */
export async function loadAverage(): Promise<number | null> {
  try {
    const os = await import('node:os');
    return os.loadavg()[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * Wraps every wasm kernel to accumulate the CPU time spent in it (top-level calls only; kernels our kernels call
 * are counted in their caller). Returns a function that prints the table and unwraps.
 */
export function profileKernels(): (perSteps: number) => void {
  const stats = new Map<string, { calls: number; ms: number }>();
  let depth = 0;
  const originals = tf.getKernelsForBackend('wasm');
  for (const k of originals) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({
      ...k,
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
        depth++;
        const c0 = process.cpuUsage();
        try {
          return f(args);
        } finally {
          depth--;
          if (depth === 0) {
            const c = process.cpuUsage(c0);
            const shapes = Object.values(args.inputs).map((t) => (t === undefined ? '-' : `[${(t as tf.TensorInfo).shape.join(',')}]`)).join(' ');
            const key = `${k.kernelName} ${shapes}`;
            const s = stats.get(key) ?? { calls: 0, ms: 0 };
            s.calls++;
            s.ms += (c.user + c.system) / 1000;
            stats.set(key, s);
          }
        }
      }) as tf.KernelFunc,
    });
  }
  return (perSteps: number) => {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, 'wasm');
      tf.registerKernel(k);
    }
    const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const total = rows.reduce((s, [, v]) => s + v.ms, 0);
    console.log(`CPU time per training step by kernel (top 15 of ${rows.length}; all kernels: ${(total / perSteps).toFixed(1)} ms/step)`);
    printTable(['kernel and input shapes', 'ms/step', 'calls/step'], rows.slice(0, 15).map(([k, v]) => [k, v.ms / perSteps, v.calls / perSteps]));
  };
}
