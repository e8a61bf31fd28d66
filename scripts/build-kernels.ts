/**
 * Compiles the engine's SIMD kernels (src/engine/simd/*.as, AssemblyScript, with helpers they
 * import from src/engine/simd/lib/) into the .wasm files committed beside them: one build with
 * plain wasm SIMD (`<name>.simd.wasm`) and one with relaxed SIMD, whose fused multiply-add V8 has
 * behind a flag (`<name>.relaxed.wasm`); the engine picks one at run time
 * (src/engine/simd/kernel-module.ts).
 *
 *   npx tsx scripts/build-kernels.ts [--check]
 *
 * `--check` compiles in memory and exits 1 if a committed .wasm differs from its rebuild (the test
 * suite runs it). The sources carry the `.as` extension so that the project's TypeScript program
 * (tsconfig: every .ts under src) leaves AssemblyScript alone; the compiler is handed them under
 * the `.ts` name it expects.
 */
import asc from 'assemblyscript/asc';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SIMD_DIR = fileURLToPath(new URL('../src/engine/simd/', import.meta.url));

/** The flags of both builds: no runtime, no allocator, no data, the backend's memory imported. */
const COMMON = ['--runtime', 'stub', '--importMemory', '--initialMemory', '0', '--noAssert', '--optimizeLevel', '3', '--shrinkLevel', '0'];
const VARIANTS = [
  { suffix: 'simd', features: 'simd' },
  { suffix: 'relaxed', features: 'simd,relaxed-simd' },
];

async function compile(source: string, features: string): Promise<Uint8Array> {
  const entry = relative(process.cwd(), join(SIMD_DIR, source.replace(/\.as$/, '.ts')));
  let wasm: Uint8Array | undefined;
  const { error, stderr } = await asc.main([entry, '--outFile', 'out.wasm', '--enable', features, ...COMMON], {
    readFile: (name: string, baseDir: string) => {
      const path = resolve(baseDir, name.replace(/\.ts$/, '.as'));
      return existsSync(path) ? readFileSync(path, 'utf8') : null;
    },
    writeFile: (name: string, contents: Uint8Array) => { if (name.endsWith('.wasm')) wasm = contents; },
    listFiles: () => [],
  } as never);
  if (error || !wasm) throw new Error(`asc failed on ${source}: ${stderr.toString()}`);
  return wasm;
}

const check = process.argv.includes('--check');
let stale = 0;
for (const source of readdirSync(SIMD_DIR).filter((f) => f.endsWith('.as')).sort()) {
  for (const { suffix, features } of VARIANTS) {
    const file = source.replace(/\.as$/, `.${suffix}.wasm`);
    const bytes = await compile(source, features);
    const path = join(SIMD_DIR, file);
    const same = existsSync(path) && Buffer.compare(readFileSync(path), Buffer.from(bytes)) === 0;
    if (check) {
      if (!same) stale++;
      console.log(`${same ? 'same' : 'DIFFERS'} ${file} (${bytes.length} bytes)`);
    } else {
      writeFileSync(path, bytes);
      console.log(`${same ? 'unchanged' : 'wrote'} ${file} (${bytes.length} bytes)`);
    }
  }
}
if (stale) {
  console.error(`${stale} committed kernel(s) differ from their source; run: npx tsx scripts/build-kernels.ts`);
  process.exit(1);
}
