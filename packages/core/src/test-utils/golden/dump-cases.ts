// Prints the golden test cases as JSON for golden.py (regenerate: see golden.py).
import { extremeCases, randomCase } from '../random.js';

const cases = [...extremeCases(), randomCase(42), randomCase(43, { lambdaMin: 1e-8, lambdaMax: 1e8 }), randomCase(44, { pi0: 0.999999 })];
process.stdout.write(
  JSON.stringify(
    cases.map((c) => ({
      label: c.label,
      means: Array.from(c.state.means),
      logPrecisions: Array.from(c.state.logPrecisions),
      mixingLogits: Array.from(c.state.mixingLogits),
      zeroIndex: c.state.zeroIndex,
      pi0: c.state.pi0,
      weights: Array.from(c.weights),
    })),
  ),
);
