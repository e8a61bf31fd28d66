// After `tsc`: copies what the built code loads at run time but tsc does not emit (the engine's
// compiled kernels and the bundle of tfjs-core's gradient and chained-op registrations), so an
// installed package runs the same code as a checkout.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

const from = new URL('../src/engine/simd/', import.meta.url);
const to = new URL('../dist/engine/simd/', import.meta.url);
mkdirSync(to, { recursive: true });
for (const f of readdirSync(from).filter((f) => f.endsWith('.wasm'))) copyFileSync(new URL(f, from), new URL(f, to));
mkdirSync(new URL('../dist/engine/generated/', import.meta.url), { recursive: true });
copyFileSync(new URL('../src/engine/generated/tfjs-core-registrations.js', import.meta.url), new URL('../dist/engine/generated/tfjs-core-registrations.js', import.meta.url));
