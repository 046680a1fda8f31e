// Feature-detects optional parts of @softweight/tfjs so the CLI works while that package is still growing.
import * as swtf from '@softweight/tfjs';

const api = swtf as unknown as Record<string, unknown>;

/** Registers the wasm training kernels from @softweight/tfjs when that version provides them. */
export function registerTrainingKernels(): boolean {
  const fn = api['registerWasmTrainingKernels'];
  if (typeof fn === 'function') {
    (fn as () => void)();
    return true;
  }
  return false;
}

/** Whether @softweight/tfjs exports `name`. */
export function hasExport(name: string): boolean {
  return name in api && api[name] !== undefined;
}
