/**
 * Named errors. Each message says what was wrong, where (file, JSON path, layer, epoch) and what
 * would be right. The CLI prints `name: message` on one line and exits non-zero.
 */
export class WidthwiseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A search-space file or width vector that does not fit the schema or its groups. */
export class SpaceError extends WidthwiseError {}
/** A dataset that is missing, truncated or corrupt, or a dataset request that cannot be met. */
export class DataError extends WidthwiseError {}
/** Training that cannot go on: a NaN or infinite loss, a bad recipe. */
export class TrainError extends WidthwiseError {}
/** A backend that was asked for and cannot be loaded, or a kernel that is missing. */
export class EngineError extends WidthwiseError {}
/** A budget that no width vector of the space can meet. */
export class BudgetError extends WidthwiseError {}
/** A command-line usage error: a flag with a bad value or a bad combination of flags. */
export class UsageError extends WidthwiseError {}
/** A checkpoint that is missing, corrupt, or does not fit its own space, recipe or data. */
export class CheckpointError extends WidthwiseError {}
/** A run folder that another live process is writing to. */
export class RunFolderLockedError extends WidthwiseError {}
