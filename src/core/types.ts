/**
 * Compatibility barrel, retiring: only `search/` still imports it (`WidthVector` from
 * `core/shapes`, `TrialResult` from `trial/result`); every other file imports from the owner.
 * Once those three imports move, delete this file and `COMPAT_BARREL` in the import-direction test.
 */
export type { WidthVector } from './shapes.js';
export type { TrialResult } from '../trial/result.js';
