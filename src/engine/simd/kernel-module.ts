/**
 * The engine's compiled SIMD kernels (AssemblyScript sources beside this file, built by
 * scripts/build-kernels.ts into committed .wasm files), instantiated on the wasm backend's own
 * memory so that they read and write tensors where they lie.
 *
 * Two builds of each kernel exist: one with relaxed SIMD (`f32x4.relaxed_madd`, a fused
 * multiply-add on CPUs that have one), which Node 20's V8 has behind
 * `--experimental-wasm-relaxed-simd`, and one with plain SIMD (multiply, then add), which V8
 * always has. The flag is set before the first compilation, and the relaxed build is used if V8
 * then validates it. Each worker thread has its own backend, memory and instance.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { WasmBackend } from '../kernels/heap.js';

/** Which build the kernels run: relaxed SIMD (fused multiply-add), plain SIMD, or none loadable. */
export type SimdMode = 'relaxed-simd' | 'simd' | 'unavailable';

/** The exports of a kernel module; pointers are byte offsets on the backend's heap. */
export interface SimdKernels {
  conv2dFilterGrad(
    x: number, dy: number, dw: number,
    batch: number, h: number, w: number, cin: number, ho: number, wo: number, cout: number,
    kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number,
    dwRow: number, chunkRows: number, pix: number,
  ): void;
  conv2d(
    x: number, w: number, y: number,
    batch: number, h: number, width: number, cin: number, ho: number, wo: number, cout: number,
    kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number,
    yRow: number, yPixel: number,
  ): void;
  columnSums(x: number, rows: number, n: number, totals: number): void;
  maxPoolGrad2x2(dy: number, x: number, dx: number, batch: number, h: number, w: number, c: number, ho: number, wo: number): void;
  channelSums(u: number, ref: number, w: number, wRef: number, rows: number, c: number, totals: number): void;
  channelAffine(u: number, a: number, w: number, k: number, m: number, b: number, out: number, rows: number, c: number): void;
  conv2dInputGrad(
    dy: number, wt: number, dxPadded: number,
    batch: number, cin: number, ho: number, wo: number, cout: number,
    kh: number, kw: number, sh: number, sw: number,
  ): void;
}

const SOURCES = ['batch-norm', 'column-sums', 'conv2d', 'conv2d-filter-grad', 'conv2d-input-grad', 'max-pool-grad'] as const;

/** Which build to load: the best V8 accepts (`auto`), one of them, or none (the XNNPACK formulations). */
export type SimdPreference = 'auto' | 'relaxed-simd' | 'simd' | 'none';

interface Loaded {
  mode: SimdMode;
  modules: WebAssembly.Module[];
  reason?: string;
  instances: WeakMap<WebAssembly.Memory, SimdKernels>;
}

let preference: SimdPreference = 'auto';
let loaded: Loaded | undefined;

function read(name: string, suffix: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(new URL(`./${name}.${suffix}.wasm`, import.meta.url)));
}

function compiled(mode: 'relaxed-simd' | 'simd'): Loaded | undefined {
  const bytes = SOURCES.map((n) => read(n, mode === 'relaxed-simd' ? 'relaxed' : 'simd'));
  // The flag must be set before the first compilation of a module that uses the instructions.
  if (mode === 'relaxed-simd') setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (!bytes.every((b) => WebAssembly.validate(b))) return undefined;
  return { mode, modules: bytes.map((b) => new WebAssembly.Module(b)), instances: new WeakMap() };
}

/** Compiles the kernels once per thread in the build the preference asks for. */
function load(): Loaded {
  if (loaded) return loaded;
  const none = (reason: string): Loaded => ({ mode: 'unavailable', modules: [], reason, instances: new WeakMap() });
  try {
    if (preference === 'none') loaded = none('switched off');
    else if (preference === 'relaxed-simd') loaded = compiled('relaxed-simd') ?? none('this V8 does not validate relaxed SIMD');
    else if (preference === 'simd') loaded = compiled('simd') ?? none('this V8 does not validate wasm SIMD');
    else loaded = compiled('relaxed-simd') ?? compiled('simd') ?? none('this V8 does not validate wasm SIMD');
  } catch (e) {
    loaded = none(e instanceof Error ? e.message : String(e));
  }
  return loaded;
}

/**
 * Chooses the build for the kernels called from now on in this thread (default `auto`). For
 * side-by-side measurements and for tests of each build; a training keeps the automatic choice.
 */
export function preferSimdBuild(p: SimdPreference): void {
  preference = p;
  loaded = undefined;
}

/** The build in use in this thread (compiling the kernels if that has not happened yet). */
export function simdMode(): SimdMode {
  return load().mode;
}

/** Why no build is in use, when `simdMode()` is `unavailable`. */
export function simdUnavailableReason(): string | undefined {
  return load().reason;
}

/** The backend's heap (undefined for backends other than wasm). */
export function heapMemory(backend: unknown): WebAssembly.Memory | undefined {
  return (backend as Partial<WasmBackend>).wasm?.asm?.memory;
}

/** The kernels bound to this backend's memory, or undefined when it is not wasm or no build is in use. */
export function simdKernels(backend: unknown): SimdKernels | undefined {
  const memory = heapMemory(backend);
  if (!memory) return undefined;
  const { modules, instances } = load();
  const known = instances.get(memory);
  if (known) return known;
  if (modules.length === 0) return undefined;
  const exports = Object.assign({}, ...modules.map((m) => new WebAssembly.Instance(m, { env: { memory } }).exports)) as SimdKernels;
  instances.set(memory, exports);
  return exports;
}
