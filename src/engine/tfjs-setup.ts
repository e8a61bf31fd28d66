/**
 * Completes `@tensorflow/tfjs-core` for widthwise, on import: tfjs-core's gradients and chained ops
 * (a bundle of tfjs-core's own registration modules, built by scripts/build-tfjs-registrations.ts,
 * because tfjs-core's Node entry registers neither) and the pure-JS cpu backend. widthwise depends
 * on tfjs-core and its backends, not on the `@tensorflow/tfjs` umbrella, which did both on import
 * but brought webgl, layers, converter and data besides.
 *
 * `initBackend` imports this; code that sets a backend itself (tests) imports it first.
 */
import './generated/tfjs-core-registrations.js';
import '@tensorflow/tfjs-backend-cpu';
// The chained ops' types (`tensor.mul(...)`), for the whole program: tfjs-core's index leaves them out.
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
