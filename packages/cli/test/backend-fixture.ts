// Fixture for backend.test.ts: starts the backend the way every CLI command does, in a fresh process, and prints
// what it got: the build (threaded = shared heap) and the thread count.
import { useBackend } from '../src/backend.js';
import { wasmSharedHeap } from '@softweight/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const [threads, reserved] = [process.argv[2] ?? 'auto', Number(process.argv[3] ?? 0)];
await useBackend('wasm', threads, reserved);
console.log(`shared ${wasmSharedHeap() !== null} threads ${getThreadsCount()}`);
