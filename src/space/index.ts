export * from './types.js';
export * from './network.js';
export * from './load.js';
export * from './widths.js';
export { validateSpace, widthProblem } from './validate.js';
