// Compiles src/prior/interpolate.wat to src/prior/interpolate-wasm.ts (the module's bytes as base64), or with
// --check exits 1 if the committed file is not what the .wat compiles to. Needs the `wabt` devDependency.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const watPath = fileURLToPath(new URL('../src/prior/interpolate.wat', import.meta.url));
const outPath = fileURLToPath(new URL('../src/prior/interpolate-wasm.ts', import.meta.url));

/** The TypeScript module holding the compiled bytes of interpolate.wat. */
export async function compileInterpolateWasm() {
  const wabt = await wabtInit();
  const module = wabt.parseWat('interpolate.wat', readFileSync(watPath, 'utf8'));
  try {
    module.validate();
    const { buffer } = module.toBinary({});
    const base64 = Buffer.from(buffer).toString('base64');
    const lines = base64.match(/.{1,100}/g) ?? [];
    return [
      '// Generated from interpolate.wat by scripts/build-wasm.mjs (`npm run build:wasm -w @softweight/tfjs`): do not edit.',
      '',
      `/** The compiled bytes of interpolate.wat (${buffer.length} bytes), base64. */`,
      'export const INTERPOLATE_WASM_BASE64 =',
      lines.map((l) => `  '${l}'`).join(' +\n') + ';',
      '',
    ].join('\n');
  } finally {
    module.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await compileInterpolateWasm();
  if (process.argv.includes('--check')) {
    const current = readFileSync(outPath, 'utf8');
    if (current !== text) {
      console.error(`${outPath} is out of date: run npm run build:wasm -w @softweight/tfjs`);
      process.exit(1);
    }
    console.log(`${outPath} matches interpolate.wat`);
  } else {
    writeFileSync(`${outPath}.tmp`, text);
    renameSync(`${outPath}.tmp`, outPath);
    console.log(`wrote ${outPath}`);
  }
}
