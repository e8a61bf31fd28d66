/**
 * What a worker accepts from the queue. A task is data from the network: it is checked field by
 * field before anything trains, and nothing in it is ever run as code or names a file the worker
 * did not choose. The space goes through the same schema as a space file, the widths must be on
 * its grid, the dataset must be one widthwise knows, and the only folder a trial reads is the
 * worker's own `--data-dir` (a task may name that folder or one inside it, nothing else); a task
 * that would write a file (`saveTo`) is refused, since final trainings run on the controller.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import { dataSpecSchema, imageShapeSchema } from '../core/dataset.js';
import { trainRecipeSchema } from '../core/recipe.js';
import { DATASET_NAMES } from '../data/registry.js';
import { checkWidths } from '../space/widths.js';
import { validateSpace } from '../space/validate.js';
import { trialTaskSchema, type TrialTask } from '../trial/task.js';

/** A task the worker will not run, with the reason it logs and returns. */
export class RefusedTask extends Error {
  override name = 'RefusedTask';
}

/**
 * The trial contract as the queue takes it: the task's schema with no unknown field at its top
 * level, in its data or in its recipe, a dataset widthwise knows, and an image size that cannot make
 * the worker allocate without bound (a hostile task's).
 */
const queuedTaskSchema = trialTaskSchema.extend({
  // Proxy trials only: final trainings (negative ids) run on the controller.
  trialId: z.number().int().nonnegative(),
  data: dataSpecSchema.extend({
    name: z.string().refine((name) => DATASET_NAMES.includes(name), (name) => ({ message: `unknown dataset ${JSON.stringify(name)} (known: ${DATASET_NAMES.join(', ')})` })),
    imageShape: imageShapeSchema.refine(([h, w, c]) => h <= 1024 && w <= 1024 && (c === 1 || c === 3), 'must be [height, width, channels] with height and width in 1..1024 and 1 or 3 channels').optional(),
  }).strict(),
  recipe: trainRecipeSchema.strict(),
}).strict();

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function refuse(reason: string): never {
  throw new RefusedTask(reason);
}

/** One line per schema issue, naming the field: `recipe.epochs: ...`, `the task has unknown fields: code`. */
function issueLine(issue: z.ZodIssue): string {
  const where = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') return `${where || 'the task'} has unknown fields: ${issue.keys.slice(0, 5).join(', ')}`;
  // A failed check of a custom message says the field itself; zod's own messages are prefixed with it.
  return `${where}: ${issue.message}`;
}

/** `dir` if it is `root` or inside it; refuses anything else. */
function insideDataDir(dir: string, root: string | undefined): string {
  if (root === undefined) refuse(`the task names a data folder (${JSON.stringify(dir)}) but this worker has no --data-dir`);
  const full = resolve(root, dir);
  const rel = relative(resolve(root), full);
  if (rel.startsWith('..') || isAbsolute(rel)) refuse(`the task's data folder ${JSON.stringify(dir)} is outside this worker's --data-dir`);
  return full;
}

/**
 * Checks a queued task and returns the task this worker runs: the same, with the data folder
 * resolved inside `dataDir` (or set to `dataDir` when the task names none). Throws `RefusedTask`.
 */
export function acceptQueuedTask(value: unknown, dataDir: string | undefined): TrialTask {
  if (!isObject(value)) refuse('the task is not an object');
  if (value.saveTo !== undefined) refuse('the task asks to save a checkpoint (saveTo): workers write no files; final trainings run on the controller');
  const parsed = queuedTaskSchema.safeParse(value);
  if (!parsed.success) refuse(parsed.error.issues.slice(0, 3).map(issueLine).join('; '));
  const task = parsed.data;
  let space;
  try {
    // `file` only names a space file in messages; a worker never reads it, so it is dropped.
    const doc = Object.fromEntries(Object.entries(task.space).filter(([k]) => k !== 'file'));
    space = validateSpace(doc, 'the task\'s space');
  } catch (err) {
    refuse(`its space does not pass the space schema: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    checkWidths(space, task.widths);
  } catch (err) {
    refuse(`its widths are not on the space's grid: ${err instanceof Error ? err.message : String(err)}`);
  }
  const folder = task.data.dataDir !== undefined ? insideDataDir(task.data.dataDir, dataDir) : dataDir !== undefined ? resolve(dataDir) : undefined;
  return { ...task, space, data: { ...task.data, dataDir: folder } };
}
