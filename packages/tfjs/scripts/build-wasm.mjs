// Compiles the package's WebAssembly text files to TypeScript modules holding their bytes (base64):
//   src/prior/interpolate.wat -> src/prior/interpolate-wasm.ts   (the prior kernel's per-weight loop)
//   src/kernels/loops.wat     -> src/kernels/loops-wasm.ts       (convolution-gradient passes; two builds: one
//                                importing an ordinary memory, one a shared memory)
// With --check, exits 1 if a committed file is not what its .wat compiles to. Needs the `wabt` devDependency.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const src = (p) => fileURLToPath(new URL(`../src/${p}`, import.meta.url));

/** Each output file and the constants it holds: name, .wat file, and an optional rewrite of the text. */
const TARGETS = [
  {
    out: 'prior/interpolate-wasm.ts',
    wat: 'prior/interpolate.wat',
    constants: [{ name: 'INTERPOLATE_WASM_BASE64', what: 'interpolate.wat' }],
  },
  {
    out: 'kernels/loops-wasm.ts',
    wat: 'kernels/loops.wat',
    constants: [
      { name: 'LOOPS_WASM_BASE64', what: 'loops.wat, importing an ordinary memory' },
      {
        name: 'LOOPS_WASM_SHARED_BASE64',
        what: 'loops.wat, importing a shared memory',
        rewrite: (text) => {
          const line = '(import "env" "memory" (memory $mem 1))';
          if (!text.includes(line)) throw new Error(`loops.wat: expected the line ${line}`);
          return text.replace(line, '(import "env" "memory" (memory $mem 1 65536 shared))');
        },
      },
    ],
  },
];

async function compile(wabt, name, text) {
  const features = { threads: true, simd: true, bulk_memory: true };
  const module = wabt.parseWat(name, text, features);
  try {
    module.validate(features);
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** The TypeScript text of one target. */
export async function generate(target) {
  const wabt = await wabtInit();
  const text = readFileSync(src(target.wat), 'utf8');
  const parts = [`// Generated from ${target.wat.split('/').pop()} by scripts/build-wasm.mjs (\`npm run build:wasm -w @softweight/tfjs\`): do not edit.`, ''];
  for (const c of target.constants) {
    const buffer = await compile(wabt, target.wat, c.rewrite ? c.rewrite(text) : text);
    const lines = Buffer.from(buffer).toString('base64').match(/.{1,100}/g) ?? [];
    parts.push(`/** The compiled bytes of ${c.what} (${buffer.length} bytes), base64. */`, `export const ${c.name} =`, lines.map((l) => `  '${l}'`).join(' +\n') + ';', '');
  }
  return parts.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let stale = 0;
  for (const target of TARGETS) {
    const text = await generate(target);
    const outPath = src(target.out);
    if (process.argv.includes('--check')) {
      let current = '';
      try {
        current = readFileSync(outPath, 'utf8');
      } catch {
        // missing counts as out of date
      }
      if (current !== text) {
        console.error(`${outPath} is out of date: run npm run build:wasm -w @softweight/tfjs`);
        stale++;
      } else console.log(`${outPath} matches ${target.wat}`);
    } else {
      writeFileSync(`${outPath}.tmp`, text);
      renameSync(`${outPath}.tmp`, outPath);
      console.log(`wrote ${outPath}`);
    }
  }
  if (stale > 0) process.exit(1);
}
