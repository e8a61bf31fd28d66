export * from './norms.js';
export * from './classify.js';
