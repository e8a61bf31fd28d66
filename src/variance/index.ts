export * from './norms.js';
export * from './classify.js';
export * from './label-layers.js';
export * from './norm-kinds.js';
export * from './scores.js';
export * from './group-signal.js';
export * from './default-signal.js';
