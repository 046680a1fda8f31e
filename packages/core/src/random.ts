// A seeded pseudo-random generator: reproducible shuffles, initialisations and test data across packages.

/**
 * A seeded uniform generator on [0, 1) (mulberry32: 32-bit state, fast, statistically fine for shuffling and
 * test data; not cryptographic). The same seed always gives the same sequence, on every platform.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
