// Seeded pseudo-random numbers for reproducible shuffles (resume must replay the same order).
import { seededRandom } from '@softweight/core';

/** The sample order of epoch `epoch` for a run seeded with `seed`: a pure function of both, so resume replays it. */
export function epochPermutation(n: number, seed: number, epoch: number): Uint32Array {
  const rand = seededRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}
