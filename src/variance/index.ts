export * from './norms.js';
export * from './classify.js';
export * from './label-layers.js';
