/**
 * The export's proof: the same inputs through ONNX Runtime (its WebAssembly build) and through
 * tfjs, compared.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WidthwiseError } from '../core/errors.js';
import type { ImageShape } from '../core/shapes.js';
import type { WidthModel } from '../train/model.js';

/** An export whose ONNX model does not compute what the tfjs model computes. */
export class ExportError extends WidthwiseError {}

export interface ParityReport {
  examples: number;
  maxAbsDiff: number;
  /** Fraction of inputs whose argmax agrees. */
  argmaxAgreement: number;
}

/** NHWC examples to NCHW. */
export function nhwcToNchw(x: Float32Array, n: number, [h, w, c]: ImageShape): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) {
    out[((b * c + k) * h + i) * w + j] = x[((b * h + i) * w + j) * c + k];
  }
  return out;
}

type OnnxRuntime = typeof import('onnxruntime-web');
let runtime: Promise<OnnxRuntime> | undefined;

/**
 * ONNX Runtime, loaded on the first parity check. It is onnxruntime-web's WebAssembly build (the
 * same CPU kernels as onnxruntime-node, compiled to wasm), which runs in Node from the npm
 * registry alone: no install script, no native or GPU binaries fetched from elsewhere.
 */
function loadOnnxRuntime(): Promise<OnnxRuntime> {
  runtime ??= import('onnxruntime-web').then(
    (ort) => {
      // One thread: the check is a few hundred inputs, and ORT's threaded wasm would start worker
      // threads of its own beside the trainings' (the cores are theirs).
      ort.env.wasm.numThreads = 1;
      return ort;
    },
    (e: unknown) => {
      runtime = undefined;
      const cause = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new ExportError(`ONNX Runtime (the onnxruntime-web package, a dependency of widthwise) could not be loaded for the parity check: ${cause}; reinstall widthwise's dependencies (npm install)`);
    },
  );
  return runtime;
}

/**
 * Runs `n` NHWC examples through ONNX Runtime (from `onnxBytes`) and through `model`, and throws
 * `ExportError` unless the logits agree within `tolerance` and every argmax matches.
 */
export async function checkParity(model: WidthModel, onnxBytes: Uint8Array, x: Float32Array, n: number, tolerance = 1e-4): Promise<ParityReport> {
  const ort = await loadOnnxRuntime();
  const shape = model.net.input;
  const session = await ort.InferenceSession.create(onnxBytes, { executionProviders: ['wasm'] });
  let ortLogits: Float32Array;
  try {
    const feeds = { input: new ort.Tensor('float32', nhwcToNchw(x, n, shape), [n, shape[2], shape[0], shape[1]]) };
    const out = await session.run(feeds);
    ortLogits = out.logits.data as Float32Array;
  } finally {
    await session.release();
  }
  const tfLogits = tf.tidy(() => model.apply(tf.tensor4d(x, [n, ...shape]), false).dataSync() as Float32Array);
  const classes = model.net.classes;
  if (ortLogits.length !== tfLogits.length) throw new ExportError(`ONNX Runtime returned ${ortLogits.length} logits, tfjs ${tfLogits.length} (expected ${n} x ${classes})`);
  let maxAbsDiff = 0;
  let agree = 0;
  for (let b = 0; b < n; b++) {
    let ai = 0, bi = 0;
    for (let k = 0; k < classes; k++) {
      const i = b * classes + k;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ortLogits[i] - tfLogits[i]));
      if (ortLogits[i] > ortLogits[b * classes + ai]) ai = k;
      if (tfLogits[i] > tfLogits[b * classes + bi]) bi = k;
    }
    if (ai === bi) agree++;
  }
  const report = { examples: n, maxAbsDiff, argmaxAgreement: agree / n };
  if (!(maxAbsDiff <= tolerance) || agree !== n) {
    throw new ExportError(`ONNX Runtime and tfjs disagree on ${n} inputs: max |difference| ${maxAbsDiff.toExponential(3)} (allowed ${tolerance}), argmax agreement ${(100 * report.argmaxAgreement).toFixed(1)}%`);
  }
  return report;
}
