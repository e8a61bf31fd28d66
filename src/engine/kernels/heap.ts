/**
 * What every kernel of the engine shares: the tensor-info and backend types, calls into the wasm
 * backend's own kernels with their temporaries freed, and float32 storage on the wasm heap (read
 * and written in place) or in the cpu backend's arrays.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A tensor as kernels see it: data id, shape and dtype. */
export type Info = tf.TensorInfo;

/** The part of any tfjs backend that kernels use. */
export interface Backend {
  disposeData(id: object): void;
}

/** The wasm backend's heap access. */
export interface WasmBackend extends Backend {
  makeOutput(shape: number[], dtype: 'float32'): Info;
  typedArrayFromHeap(t: Info): Float32Array;
  /** The backend's emscripten module; its `asm.memory` is the heap that tensors live in. */
  wasm: { HEAPU8: Uint8Array; asm?: { memory?: WebAssembly.Memory } };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
}

/** The byte offset of a tensor's data on the wasm heap. */
export function heapOffset(backend: WasmBackend, t: Info): number {
  const entry = backend.dataIdMap.get(t.dataId);
  if (!entry) throw new Error('tensor is not on the wasm heap');
  return entry.memoryOffset;
}

/** The cpu backend's array access. */
interface CpuBackend extends Backend {
  data: { get(id: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): Info;
}

/** The arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: Record<string, Info>;
  backend: Backend;
  attrs: Record<string, unknown>;
}

/** A kernel that wraps the backend's shipped kernel of the same name, taking faster paths around it. */
export interface WrappingKernelConfig {
  kernelName: string;
  backendName: string;
  wrap(shipped: tf.KernelFunc): tf.KernelFunc;
}

/** Temporaries made while a kernel runs, freed when it returns. */
export interface Ctx {
  backend: Backend;
  temps: Info[];
}

/** Runs the wasm backend's kernel `name`; the result is tracked as a temporary of `ctx`. */
export function run(ctx: Ctx, name: string, inputs: Record<string, Info> | Info[], attrs: Record<string, unknown> = {}): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
  const out = kernel.kernelFunc({ inputs: inputs as never, backend: ctx.backend as never, attrs: attrs as never }) as Info;
  ctx.temps.push(out);
  return out;
}

/** Runs `body` and frees every temporary except the returned one. */
export function withTemps(backend: Backend, body: (ctx: Ctx) => Info): Info {
  const ctx: Ctx = { backend, temps: [] };
  let result: Info | undefined;
  try {
    result = body(ctx);
    return result;
  } finally {
    for (const t of ctx.temps) if (t !== result) backend.disposeData(t.dataId);
  }
}

/** The wasm Transpose kernel. */
export const transpose = (ctx: Ctx, x: Info, perm: number[]): Info => run(ctx, 'Transpose', { x }, { perm });
/** The wasm Reshape kernel (shares data). */
export const reshape = (ctx: Ctx, x: Info, shape: number[]): Info => run(ctx, 'Reshape', { x }, { shape });

/** A new float32 tensor on the wasm heap, tracked as a temporary; `fill` writes it (views are taken after allocation). */
export function heapOutput(ctx: Ctx, shape: number[], fill: (out: Float32Array, read: (t: Info) => Float32Array) => void): Info {
  const backend = ctx.backend as WasmBackend;
  const out = backend.makeOutput(shape, 'float32');
  ctx.temps.push(out);
  fill(backend.typedArrayFromHeap(out), (t) => backend.typedArrayFromHeap(t));
  return out;
}

/**
 * Arrays on the wasm heap for a kernel's small per-channel operands, freed by `dispose`. `take`
 * copies float32 values in (or allocates zeros) and returns the array's byte offset; float64
 * totals are allocated with `takeFloat64` and read back with `readFloat64` (a fresh view, as
 * allocations may have grown the heap).
 */
export function heapScratch(backend: WasmBackend) {
  const infos: Info[] = [];
  return {
    take(values: ArrayLike<number> | number): number {
      const n = typeof values === 'number' ? values : values.length;
      const info = backend.makeOutput([n], 'float32');
      infos.push(info);
      const view = backend.typedArrayFromHeap(info);
      if (typeof values === 'number') view.fill(0);
      else view.set(values);
      return heapOffset(backend, info);
    },
    /** n float64 zeros, 8-byte aligned; returns their byte offset. */
    takeFloat64(n: number): number {
      const at = this.take(2 * n + 1);
      return at + (at % 8);
    },
    readFloat64(at: number, n: number): Float64Array {
      return new Float64Array(backend.wasm.HEAPU8.buffer, at, n).slice();
    },
    dispose(): void {
      for (const i of infos) backend.disposeData(i.dataId);
    },
  };
}

/** Storage access for one backend: input views, and outputs allocated then filled. */
export interface Storage {
  read(t: Info): Float32Array;
  /** Allocates outputs of these shapes (zero-filled), fills them with `fill`, returns their infos. */
  write(shapes: number[][], fill: (outs: Float32Array[], read: (t: Info) => Float32Array) => void): Info[];
}

function wasmStorage(backend: WasmBackend): Storage {
  return {
    read: (t) => backend.typedArrayFromHeap(t),
    write(shapes, fill) {
      // Allocate everything first: a heap allocation can grow (and detach) the wasm memory, so
      // views are taken only afterwards.
      const infos = shapes.map((s) => backend.makeOutput(s, 'float32'));
      const outs = infos.map((i) => backend.typedArrayFromHeap(i));
      for (const o of outs) o.fill(0);
      fill(outs, (t) => backend.typedArrayFromHeap(t));
      return infos;
    },
  };
}

function cpuStorage(backend: CpuBackend): Storage {
  const read = (t: Info) => backend.data.get(t.dataId).values as Float32Array;
  return {
    read,
    write(shapes, fill) {
      const outs = shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
      fill(outs, read);
      return shapes.map((s, i) => backend.makeTensorInfo(s, 'float32', outs[i]));
    },
  };
}

/** Storage of the backend a kernel was called with: the wasm heap, or the cpu backend's arrays. */
export function storageOf(backend: unknown): Storage {
  const b = backend as Partial<WasmBackend>;
  return typeof b.typedArrayFromHeap === 'function' ? wasmStorage(backend as WasmBackend) : cpuStorage(backend as CpuBackend);
}

/** Throws unless every tensor is float32 (the loops read Float32Arrays). */
export function requireFloat(name: string, ...ts: Info[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`${name}: expected float32 tensors, found ${t.dtype}`);
}

/**
 * Rows of this many channel vectors are walked one channel at a time with the running values in
 * locals, which V8 runs about twice as fast as a row-by-row loop over per-channel arrays while a
 * block still sits in the L1 cache.
 */
export const BLOCK_ROWS = 256;
