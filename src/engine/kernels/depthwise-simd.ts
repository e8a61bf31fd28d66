/**
 * The depthwise gradients' compiled SIMD kernels (src/engine/simd/depthwise-grad.as), in the
 * build the engine's other kernels use (`simdMode()`: relaxed SIMD, plain SIMD, or none),
 * instantiated on the wasm backend's own memory so that they work on tensors where they lie.
 * Kept beside the shared kernel module rather than in it, so the depthwise kernels stay one unit.
 */
import { readFileSync } from 'node:fs';
import { heapMemory, simdMode } from '../simd/kernel-module.js';

/** The exports of depthwise-grad.as; pointers are byte offsets on the backend's heap. */
export interface DepthwiseSimd {
  depthwiseInputGrad(
    dy: number, w: number, dx: number,
    batch: number, h: number, wd: number, c: number, ho: number, wo: number,
    kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number,
  ): void;
  depthwiseFilterGrad(
    x: number, dy: number, dw: number, partial: number,
    batch: number, h: number, wd: number, c: number, ho: number, wo: number,
    kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number,
  ): void;
}

const modules = new Map<string, WebAssembly.Module>();
const instances = new Map<string, WeakMap<WebAssembly.Memory, DepthwiseSimd>>();

/** The kernels bound to this backend's memory, or undefined off wasm or when no SIMD build is in use. */
export function depthwiseSimd(backend: unknown): DepthwiseSimd | undefined {
  const memory = heapMemory(backend);
  if (!memory) return undefined;
  // simdMode() compiles the shared kernels first, which sets V8's relaxed-SIMD flag if it is used.
  const mode = simdMode();
  if (mode === 'unavailable') return undefined;
  let module = modules.get(mode);
  if (!module) {
    const bytes = readFileSync(new URL(`../simd/depthwise-grad.${mode === 'relaxed-simd' ? 'relaxed' : 'simd'}.wasm`, import.meta.url));
    module = new WebAssembly.Module(bytes);
    modules.set(mode, module);
  }
  let byMemory = instances.get(mode);
  if (!byMemory) instances.set(mode, (byMemory = new WeakMap()));
  let kernels = byMemory.get(memory);
  if (!kernels) {
    kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as DepthwiseSimd;
    byMemory.set(memory, kernels);
  }
  return kernels;
}
