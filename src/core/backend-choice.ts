/**
 * The tfjs backends a run may ask for, declared once: the CLI's `--backend` choices, the engine's
 * start-up, a trial task's schema and the queue's check all read this list.
 */

/** `auto` tries the others in this order (after itself): node-gpu, node, wasm, cpu. */
export const BACKEND_CHOICES = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;

/** `auto` or one backend's name. */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
