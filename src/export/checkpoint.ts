/**
 * Checkpoints: a folder with `checkpoint.json` and the binary files it lists. The json holds the
 * space itself, the widths, the recipe, every data setting, the training's position and history,
 * and for every binary file its tensors, size and sha256; it also carries the sha256 of its own
 * contents. Loading verifies all of it before anything is used: a missing, truncated, edited or
 * bit-flipped file, weights that do not fit the space, state that does not fit the recipe, masks
 * that do not match the recorded nonzero count, and NaN or infinite weights are each one
 * `CheckpointError` naming the file.
 *
 * Writing is crash-safe: the binary files of a new checkpoint get new names (`weights.<generation>.bin`),
 * are flushed to the disk, and only then does an atomic rename of `checkpoint.json` switch to them;
 * the previous checkpoint's files are removed after that. A crash at any moment leaves the previous
 * checkpoint or the new one, whole.
 */
export { CheckpointError } from '../core/errors.js';
export * from './checkpoint-format.js';
export { removeUnreferencedFiles, saveCheckpoint, saveFinishedCheckpoint, saveTrainingCheckpoint } from './checkpoint-write.js';
export { loadCheckpoint, readCheckpointMeta, releaseCheckpoint, type LoadedCheckpoint } from './checkpoint-read.js';
