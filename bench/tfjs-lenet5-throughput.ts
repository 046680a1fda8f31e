// Benchmark: LeNet-5-Caffe training throughput (model.fit, batch 64) on the tfjs wasm backend vs PyTorch on this CPU.
// Side by side in one run: wasm with only the kernels it lacks registered, and wasm with softweight's fast kernels
// (interleaved in this process); tfjs's threaded wasm build on every core (`useWasmBackend`; one build per process, so
// a child process of this script measures it); PyTorch on 1 thread and on every core (python3 with torch, if any).
// `--profile` adds a per-kernel CPU-time table of one epoch with the fast kernels.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { lenet5Caffe, registerWasmTrainingKernels, useWasmBackend } from '@softweight/tfjs';
import { fitThroughput, loadAverage, median, printTable, profileKernels, syntheticMnist, useWasm, type Throughput } from './tfjs-bench-util.js';

const BATCH = 64;
const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 64 * 30);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
/** Cited in the issue (measured on this machine): PyTorch (CPU) LeNet-5-Caffe training, batch 64; used when torch is not installed. */
const PYTORCH_CITED = 540;

const REPLACED = ['BatchMatMul', 'Sum', 'MaxPoolGrad', 'Conv2DBackpropInput'];

/** Swaps between two sets of kernel configs, so both variants can be interleaved in one process. */
function useKernels(configs: tf.KernelConfig[]): void {
  for (const c of configs) {
    tf.unregisterKernel(c.kernelName, c.backendName);
    tf.registerKernel(c);
  }
}

/** PyTorch's LeNet-5-Caffe training throughput (samples/s) with 1 thread and with all cores, or null without python3 + torch. */
function pytorchThroughput(): { oneThread: number; allCores: number; threads: number; version: string } | null {
  // pyenv or a venv may shadow the system python that has the distribution's torch (Debian: python3-torch).
  const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0);
  if (python === undefined) return null;
  const script = `
import os, time, torch, torch.nn as nn
def run(threads):
  torch.set_num_threads(threads)
  torch.manual_seed(0)
  m = nn.Sequential(nn.Conv2d(1,20,5), nn.MaxPool2d(2), nn.Conv2d(20,50,5), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800,500), nn.ReLU(), nn.Linear(500,10))
  opt = torch.optim.Adam(m.parameters(), 5e-4); loss = nn.CrossEntropyLoss()
  x = torch.rand(${SAMPLES},1,28,28); y = torch.randint(0,10,(${SAMPLES},))
  def epoch():
    for i in range(0, ${SAMPLES}, ${BATCH}):
      opt.zero_grad(); l = loss(m(x[i:i+${BATCH}]), y[i:i+${BATCH}]); l.backward(); opt.step()
  epoch(); ts = []
  for _ in range(${ROUNDS}):
    t = time.perf_counter(); epoch(); ts.append(${SAMPLES} / (time.perf_counter() - t))
  return sorted(ts)[len(ts)//2]
cores = os.cpu_count()
print(run(1), run(cores), cores, torch.__version__)
`;
  const run = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  if (run.status !== 0) return null;
  const [one, all, threads, version] = run.stdout.trim().split(/\s+/);
  return { oneThread: Number(one), allCores: Number(all), threads: Number(threads), version: version ?? '?' };
}

const CHILD_FLAG = '--threaded-child';

/** Child mode: the threaded build on `threads` threads with the fast kernels; prints its runs as JSON. */
async function threadedChild(threads: number): Promise<void> {
  registerWasmTrainingKernels();
  await useWasmBackend({ threads });
  const model = lenet5Caffe({ seed: 1 });
  model.compile({ optimizer: tf.train.adam(5e-4), loss: 'categoricalCrossentropy' });
  const { x, y } = syntheticMnist(SAMPLES, [28, 28, 1]);
  await fitThroughput(model, x.slice(0, 4 * BATCH), y.slice(0, 4 * BATCH), BATCH);
  const runs: Throughput[] = [];
  for (let r = 0; r < ROUNDS; r++) runs.push(await fitThroughput(model, x, y, BATCH));
  console.log(`THREADED_RUNS ${JSON.stringify(runs)}`);
}

/** Runs this script as a child on the threaded build; its runs, or null (with the reason on stderr) if it failed. */
function threadedThroughput(threads: number): Throughput[] | null {
  const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), CHILD_FLAG, String(threads)], { encoding: 'utf8', env: process.env });
  const line = run.stdout.split('\n').find((l) => l.startsWith('THREADED_RUNS '));
  if (run.status !== 0 || line === undefined) {
    console.error(`threaded wasm child failed (status ${run.status}): ${run.stderr.slice(-2000)}`);
    return null;
  }
  return JSON.parse(line.slice('THREADED_RUNS '.length)) as Throughput[];
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf(CHILD_FLAG);
  if (childAt >= 0) return threadedChild(Number(process.argv[childAt + 1]));
  await useWasm();
  registerWasmTrainingKernels({ replaceSlowKernels: false });
  const originals = REPLACED.map((k) => tf.getKernel(k, 'wasm')!);
  registerWasmTrainingKernels();
  const fast = REPLACED.map((k) => tf.getKernel(k, 'wasm')!);

  const model = lenet5Caffe({ seed: 1 });
  model.compile({ optimizer: tf.train.adam(5e-4), loss: 'categoricalCrossentropy' });
  const { x, y } = syntheticMnist(SAMPLES, [28, 28, 1]);
  const warm = { x: x.slice(0, 4 * BATCH), y: y.slice(0, 4 * BATCH) };

  const variants: Array<{ name: string; kernels: tf.KernelConfig[]; runs: Throughput[] }> = [
    { name: 'tfjs wasm, missing kernels only', kernels: originals, runs: [] },
    { name: 'tfjs wasm, softweight fast kernels', kernels: fast, runs: [] },
  ];
  for (const v of variants) {
    useKernels(v.kernels);
    await fitThroughput(model, warm.x, warm.y, BATCH);
  }
  // Interleave the variants so machine load hits both alike.
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of variants) {
      useKernels(v.kernels);
      v.runs.push(await fitThroughput(model, x, y, BATCH));
    }
  }
  useKernels(fast);
  const threads = availableParallelism();
  const threadedRuns = threadedThroughput(threads);
  const measuredTorch = pytorchThroughput();
  // The competitor is PyTorch as it runs by default here: on all cores.
  const torch = measuredTorch?.allCores ?? PYTORCH_CITED;
  const torchLabel = measuredTorch === null ? 'PyTorch CPU (cited: python3-torch not installed)' : `PyTorch ${measuredTorch.version} CPU, ${measuredTorch.threads} threads (measured now)`;
  const load = await loadAverage();

  console.log(`LeNet-5-Caffe training throughput, model.fit batch ${BATCH}, ${SAMPLES} synthetic samples/epoch, median of ${ROUNDS} epochs`);
  console.log(`load average (1 min) at the end: ${load?.toFixed(2) ?? 'n/a'} on ${(await import('node:os')).cpus().length} cores (other jobs share the machine)`);
  const wall = (v: (typeof variants)[number]) => median(v.runs.map((r) => r.wall));
  const threadedWall = threadedRuns === null ? null : median(threadedRuns.map((r) => r.wall));
  const threadedCpu = threadedRuns === null ? null : median(threadedRuns.map((r) => r.cpu));
  const cpu = (v: (typeof variants)[number]) => median(v.runs.map((r) => r.cpu));
  printTable(
    ['variant', 'samples/s (wall)', 'ms/batch', 'samples/CPU-s', 'wall vs PyTorch', 'CPU-s vs PyTorch'],
    [
      ...variants.map((v) => [v.name, wall(v), (1000 * BATCH) / wall(v), cpu(v), wall(v) / torch, cpu(v) / torch]),
      ...(threadedRuns === null ? [] : [[`tfjs wasm threaded build, ${threads} threads, fast kernels`, threadedWall!, (1000 * BATCH) / threadedWall!, threadedCpu!, threadedWall! / torch, threadedCpu! / torch]]),
      [torchLabel, torch, (1000 * BATCH) / torch, '-', 1, '-'],
      ...(measuredTorch === null ? [] : [[`PyTorch ${measuredTorch.version} CPU, 1 thread`, measuredTorch.oneThread, (1000 * BATCH) / measuredTorch.oneThread, '-', measuredTorch.oneThread / torch, '-']]),
    ],
  );
  console.log('samples/CPU-s = samples per second of CPU time of the process (all its threads): robust to load for the single-threaded rows.');
  const [slow, fastV] = [variants[0]!, variants[1]!];
  const json = {
    bench: 'tfjs-lenet5-throughput',
    batchSize: BATCH,
    samplesPerEpoch: SAMPLES,
    rounds: ROUNDS,
    loadAverage1m: load,
    wasmMissingOnly: { samplesPerSec: wall(slow), samplesPerCpuSec: cpu(slow), runs: slow.runs },
    wasmFast: { samplesPerSec: wall(fastV), samplesPerCpuSec: cpu(fastV), runs: fastV.runs },
    wasmThreaded: threadedRuns === null ? null : { threads, samplesPerSec: threadedWall, samplesPerCpuSec: threadedCpu, runs: threadedRuns },
    ratioThreadedVsPytorch: threadedWall === null ? null : threadedWall / torch,
    ratioThreadedVsPytorchOneThread: threadedWall === null || measuredTorch === null ? null : threadedWall / measuredTorch.oneThread,
    pytorch: { samplesPerSec: torch, source: measuredTorch === null ? 'cited' : 'measured', oneThreadSamplesPerSec: measuredTorch?.oneThread ?? null, threads: measuredTorch?.threads ?? null, version: measuredTorch?.version ?? null },
    // Like for like: each side on every core (the threaded build; the single-threaded build if the child failed).
    ratioVsPytorch: (threadedWall ?? wall(fastV)) / torch,
    ratioOneThreadVsPytorchOneThread: measuredTorch === null ? null : wall(fastV) / measuredTorch.oneThread,
    ratioSingleThreadedBuildVsPytorch: wall(fastV) / torch,
    ratioVsPytorchCpuTime: cpu(fastV) / torch,
    speedupOverMissingOnly: wall(fastV) / wall(slow),
  };
  console.log(`BENCH_JSON ${JSON.stringify(json)}`);
  if (process.argv.includes('--profile')) {
    const report = profileKernels();
    await fitThroughput(model, x, y, BATCH);
    report(SAMPLES / BATCH);
  }
  tf.dispose([x, y, warm.x, warm.y]);
  model.dispose();
}

void main();
