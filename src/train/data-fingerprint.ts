/** The fingerprint moved to `data/fingerprint.ts` (the controller of a queued search needs it without train/); kept for existing imports. */
export { dataFingerprint } from '../data/fingerprint.js';
