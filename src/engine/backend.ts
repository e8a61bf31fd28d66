/**
 * Backend choice at run time. `auto` takes the first that loads of tfjs-node-gpu, tfjs-node (both
 * optional: never dependencies, used when the user installed them), wasm (XNNPACK, with the
 * project's training kernels) and the pure-JS cpu backend.
 *
 * Everyone imports tf as `import * as tf from '@tensorflow/tfjs-core'` (not the `@tensorflow/tfjs`
 * umbrella, whose webgl, layers, converter and data widthwise does not use) so that one tfjs-core
 * instance holds every backend and kernel. Limitation: tfjs-node / tfjs-node-gpu register their
 * `tensorflow` backend with the tfjs-core they resolve; a copy whose tfjs-core is not the one
 * widthwise uses (another version, a nested node_modules) is reported as not loadable.
 *
 * Threads: the wasm backend runs single-threaded under Node whatever `setThreadsCount` asks
 * (tfjs-backend-wasm 4.22 reports `WASM_HAS_MULTITHREAD_SUPPORT` false under Node and loads the
 * non-threaded SIMD binary; its threaded build needs browser Web Workers). Parallelism in Node
 * comes from worker_threads, one backend per worker. `BackendInfo.threads` is the count in effect.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's gradients and chained ops, and the cpu backend (see tfjs-setup.ts).
import './tfjs-setup.js';
import { BACKEND_CHOICES, type BackendChoice } from '../core/backend-choice.js';
import { EngineError } from '../core/errors.js';
import { registerEngineKernels } from './register.js';
import { simdMode, type SimdMode } from './simd/kernel-module.js';


export interface BackendInfo {
  /** `node-gpu`, `node`, `wasm` or `cpu`. */
  name: string;
  /** The tfjs backend name in use (`tensorflow`, `wasm` or `cpu`). */
  tfBackend: string;
  /** wasm only: the number of threads the backend actually runs (1 under Node). */
  threads?: number;
  /**
   * wasm only: the build of the engine's compiled kernels in use: `relaxed-simd` (fused
   * multiply-add), `simd`, or `unavailable` (the XNNPACK formulations serve instead).
   */
  simd?: SimdMode;
}

let current: BackendInfo | undefined;

/** The backend chosen by `initBackend`, if any. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

const reason = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] : String(e));

/** Loads an optional native package; resolves to an error text, or undefined on success. */
async function tryNative(pkg: string): Promise<string | undefined> {
  try {
    // Native bindings register the 'tensorflow' backend on import; they are optional packages.
    await import(pkg);
  } catch (e) {
    return `${pkg} is not installed or failed to load (${reason(e)}); install it where its libtensorflow download works`;
  }
  if (tf.findBackend('tensorflow') === undefined) {
    return `${pkg} loaded but registered its backend with another @tensorflow/tfjs-core than the one widthwise uses; install versions that share tfjs-core ${tf.version_core}`;
  }
  try {
    if (await tf.setBackend('tensorflow')) return undefined;
    return `${pkg} loaded but its backend failed to initialise`;
  } catch (e) {
    return `${pkg} loaded but its backend failed to initialise (${reason(e)})`;
  }
}

async function tryWasm(threads: number): Promise<string | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Must precede the backend's initialisation; ignored under Node (see the module note).
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) return 'the wasm backend failed to initialise (its .wasm binary could not be loaded)';
    await tf.ready();
    registerEngineKernels('wasm');
    return undefined;
  } catch (e) {
    return `@tensorflow/tfjs-backend-wasm failed to load (${reason(e)})`;
  }
}

async function tryCpu(): Promise<string | undefined> {
  if (!(await tf.setBackend('cpu'))) return 'the cpu backend failed to initialise';
  registerEngineKernels('cpu');
  return undefined;
}

async function wasmThreads(): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  return wasm.getThreadsCount();
}

/**
 * Selects and starts a backend. `auto` tries node-gpu, node, wasm, cpu in that order; an
 * explicit choice that cannot load throws `EngineError` naming the backend and the cause.
 * Idempotent: once a backend is up, `auto` or the same choice returns the same info; another
 * explicit choice switches. `opts.threads` (default 1) is the wasm thread count asked for.
 */
export async function initBackend(choice: BackendChoice = 'auto', opts: { threads?: number } = {}): Promise<BackendInfo> {
  if (current && (choice === 'auto' || choice === current.name)) return current;
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new EngineError(`wasm threads must be a positive integer, got ${threads}`);
  // Production mode: no debug checks, and no console banner suggesting tfjs-node on every run.
  tf.enableProdMode();
  const attempts: [string, () => Promise<string | undefined>][] = [
    ['node-gpu', () => tryNative('@tensorflow/tfjs-node-gpu')],
    ['node', () => tryNative('@tensorflow/tfjs-node')],
    ['wasm', () => tryWasm(threads)],
    ['cpu', tryCpu],
  ];
  const wanted = choice === 'auto' ? attempts : attempts.filter(([name]) => name === choice);
  if (wanted.length === 0) throw new EngineError(`unknown backend "${choice}"; expected one of ${BACKEND_CHOICES.join(', ')}`);
  const failures: string[] = [];
  for (const [name, attempt] of wanted) {
    const failure = await attempt();
    if (failure === undefined) {
      current = { name, tfBackend: tf.getBackend(), ...(name === 'wasm' ? { threads: await wasmThreads(), simd: simdMode() } : {}) };
      return current;
    }
    failures.push(`${name}: ${failure}`);
  }
  throw new EngineError(`backend "${choice}" could not be loaded: ${failures.join('; ')}`);
}
