/**
 * Backend choice at run time. `auto` takes the first that loads of tfjs-node-gpu, tfjs-node (both
 * optional: never dependencies, used when the user installed them), wasm (XNNPACK, with the
 * project's training kernels) and the pure-JS cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../core/errors.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

export type BackendChoice = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** `node-gpu`, `node`, `wasm` or `cpu`. */
  name: string;
  /** The tfjs backend name in use. */
  tfBackend: string;
  threads?: number;
}

let current: BackendInfo | undefined;

/** The backend chosen by `initBackend`, if any. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

async function tryNative(pkg: string): Promise<boolean> {
  try {
    // Native bindings register the 'tensorflow' backend on import; they are optional packages.
    await import(pkg);
    return tf.findBackend('tensorflow') !== undefined && (await tf.setBackend('tensorflow'));
  } catch {
    return false;
  }
}

async function tryWasm(threads: number): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // One thread by default: workers of the pool each own a core.
    wasm.setThreadsCount?.(threads);
    if (!(await tf.setBackend('wasm'))) return false;
    await tf.ready();
    registerWasmTrainingKernels();
    return true;
  } catch {
    return false;
  }
}

async function tryCpu(): Promise<boolean> {
  return tf.setBackend('cpu');
}

/** Selects and starts a backend; idempotent for the same choice. */
export async function initBackend(choice: BackendChoice = 'auto', opts: { threads?: number } = {}): Promise<BackendInfo> {
  if (current && (choice === 'auto' || choice === current.name)) return current;
  const threads = opts.threads ?? 1;
  // Production mode: no debug checks, and no console banner suggesting tfjs-node on every run.
  tf.enableProdMode();
  const attempts: [string, () => Promise<boolean>][] = [
    ['node-gpu', () => tryNative('@tensorflow/tfjs-node-gpu')],
    ['node', () => tryNative('@tensorflow/tfjs-node')],
    ['wasm', () => tryWasm(threads)],
    ['cpu', tryCpu],
  ];
  const wanted = choice === 'auto' ? attempts : attempts.filter(([name]) => name === choice);
  if (wanted.length === 0) throw new EngineError(`unknown backend "${choice}"; expected auto, node-gpu, node, wasm or cpu`);
  for (const [name, attempt] of wanted) {
    if (await attempt()) {
      current = { name, tfBackend: tf.getBackend(), ...(name === 'wasm' ? { threads } : {}) };
      return current;
    }
  }
  const hint = choice === 'node' || choice === 'node-gpu' ? ` (install @tensorflow/tfjs-${choice === 'node' ? 'node' : 'node-gpu'} where its libtensorflow download works)` : '';
  throw new EngineError(`backend "${choice}" could not be loaded${hint}`);
}
