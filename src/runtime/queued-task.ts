/**
 * What a worker accepts from the queue. A task is data from the network: it is checked field by
 * field before anything trains, and nothing in it is ever run as code or names a file the worker
 * did not choose. The space goes through the same schema as a space file, the widths must be on
 * its grid, the dataset must be one widthwise knows, and the only folder a trial reads is the
 * worker's own `--data-dir` (a task may name that folder or one inside it, nothing else); a task
 * that would write a file (`saveTo`) is refused, since final trainings run on the controller.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { DATASET_NAMES } from '../data/registry.js';
import { checkWidths } from '../space/widths.js';
import { validateSpace } from '../space/validate.js';
import type { TrialTask } from '../trial/task.js';

/** A task the worker will not run, with the reason it logs and returns. */
export class RefusedTask extends Error {
  override name = 'RefusedTask';
}

const BACKENDS = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'];
const TASK_KEYS = ['trialId', 'space', 'widths', 'seed', 'data', 'recipe', 'recordEvery', 'backend', 'timeoutSeconds', 'sparseNonzero', 'saveTo', 'evaluation', 'dataSha256'];
const DATA_KEYS = ['name', 'dataDir', 'validationFraction', 'seed', 'maxTrain', 'maxTest', 'synthetic', 'imageShape', 'badImages'];
const RECIPE_KEYS = ['epochs', 'batchSize', 'lr', 'optimizer', 'schedule', 'seed', 'warmupEpochs', 'keepBest', 'labelSmoothing', 'augment'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const isPositive = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;

function refuse(reason: string): never {
  throw new RefusedTask(reason);
}

function onlyKeys(obj: Record<string, unknown>, allowed: string[], what: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length) refuse(`${what} has unknown fields: ${extra.slice(0, 5).join(', ')}`);
}

/** `dir` if it is `root` or inside it; refuses anything else. */
function insideDataDir(dir: unknown, root: string | undefined): string {
  if (typeof dir !== 'string') refuse('data.dataDir must be a string');
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
  onlyKeys(value, TASK_KEYS, 'the task');
  if (!isCount(value.trialId)) refuse('trialId must be a non-negative integer');
  if (value.saveTo !== undefined) refuse('the task asks to save a checkpoint (saveTo): workers write no files; final trainings run on the controller');
  let space;
  try {
    // `file` only names a space file in messages; a worker never reads it, so it is dropped.
    const doc = isObject(value.space) ? Object.fromEntries(Object.entries(value.space).filter(([k]) => k !== 'file')) : value.space;
    space = validateSpace(doc, 'the task\'s space');
  } catch (err) {
    refuse(`its space does not pass the space schema: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(value.widths) || !value.widths.every(isPositive)) refuse('widths must be a list of positive integers');
  try {
    checkWidths(space, value.widths as number[]);
  } catch (err) {
    refuse(`its widths are not on the space's grid: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Number.isFinite(value.seed)) refuse('seed must be a number');
  const data = value.data;
  if (!isObject(data)) refuse('data must be an object');
  onlyKeys(data, DATA_KEYS, 'data');
  if (typeof data.name !== 'string' || !DATASET_NAMES.includes(data.name)) refuse(`unknown dataset ${JSON.stringify(data.name)} (known: ${DATASET_NAMES.join(', ')})`);
  for (const key of ['maxTrain', 'maxTest'] as const) if (data[key] !== undefined && !isPositive(data[key])) refuse(`data.${key} must be a positive integer`);
  if (data.validationFraction !== undefined && !(typeof data.validationFraction === 'number' && data.validationFraction >= 0 && data.validationFraction < 1)) refuse('data.validationFraction must be in [0, 1)');
  if (data.imageShape !== undefined) {
    const shape = data.imageShape;
    // An image folder's target shape: a hostile task must not make the worker allocate without bound.
    if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPositive) || shape[0] > 1024 || shape[1] > 1024 || ![1, 3].includes(shape[2])) refuse('data.imageShape must be [height, width, channels] with height and width in 1..1024 and 1 or 3 channels');
  }
  if (data.badImages !== undefined && data.badImages !== 'fail' && data.badImages !== 'skip') refuse('data.badImages must be fail or skip');
  if (value.dataSha256 !== undefined && !(typeof value.dataSha256 === 'string' && /^[0-9a-f]{64}$/.test(value.dataSha256))) refuse('dataSha256 must be a sha256 in hex');
  const recipe = value.recipe;
  if (!isObject(recipe)) refuse('recipe must be an object');
  onlyKeys(recipe, RECIPE_KEYS, 'recipe');
  if (!isPositive(recipe.epochs) || !isPositive(recipe.batchSize)) refuse('recipe.epochs and recipe.batchSize must be positive integers');
  if (!(typeof recipe.lr === 'number' && recipe.lr > 0 && Number.isFinite(recipe.lr))) refuse('recipe.lr must be a positive number');
  if (!isObject(recipe.optimizer) || !['sgd', 'adam'].includes(recipe.optimizer.name as string)) refuse('recipe.optimizer must be sgd or adam');
  if (!isObject(recipe.schedule) || !['constant', 'step', 'cosine'].includes(recipe.schedule.name as string)) refuse('recipe.schedule must be constant, step or cosine');
  if (value.backend !== undefined && !BACKENDS.includes(value.backend as string)) refuse(`unknown backend ${JSON.stringify(value.backend)}`);
  for (const key of ['recordEvery', 'sparseNonzero', 'evaluation'] as const) if (value[key] !== undefined && !isCount(value[key])) refuse(`${key} must be a non-negative integer`);
  if (value.timeoutSeconds !== undefined && !(typeof value.timeoutSeconds === 'number' && value.timeoutSeconds > 0)) refuse('timeoutSeconds must be a positive number');
  const folder = data.dataDir !== undefined ? insideDataDir(data.dataDir, dataDir) : dataDir !== undefined ? resolve(dataDir) : undefined;
  const task = value as unknown as TrialTask;
  return { ...task, space, data: { ...task.data, dataDir: folder } };
}
