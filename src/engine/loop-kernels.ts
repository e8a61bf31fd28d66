/**
 * The path `src/train/model.ts` imports batch norm from; the op lives in `batch-norm-train.ts`.
 * Remove this file once that import points there.
 */
export { batchNormTrain } from './batch-norm-train.js';
