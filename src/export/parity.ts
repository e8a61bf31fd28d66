/**
 * The export's proof: the same inputs through ONNX Runtime and through tfjs, compared.
 */
import * as tf from '@tensorflow/tfjs';
import { WidthwiseError } from '../core/errors.js';
import type { ImageShape } from '../core/types.js';
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

/**
 * Runs `n` NHWC examples through ONNX Runtime (from `onnxBytes`) and through `model`, and throws
 * `ExportError` unless the logits agree within `tolerance` and every argmax matches.
 */
export async function checkParity(model: WidthModel, onnxBytes: Uint8Array, x: Float32Array, n: number, tolerance = 1e-4): Promise<ParityReport> {
  const ort = await import('onnxruntime-node');
  const shape = model.net.input;
  const session = await ort.InferenceSession.create(onnxBytes);
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
