/**
 * A disk cache of trial results keyed by everything that decides them (space, widths, seed, data,
 * recipe, telemetry cadence), so a long experiment can be stopped and rerun: a rerun only trains
 * what is missing. One gzipped JSON file per training, written atomically as soon as it finishes,
 * without the result fields the experiment does not read (the caches are committed).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import type { TrialResult } from '../../src/trial/result.js';
import type { TrialTask } from '../../src/trial/task.js';
import type { Evaluator } from '../../src/trial/evaluator.js';

/** The settings that decide a training's outcome (not its trial id or timeout). */
export function trialKey(task: TrialTask): string {
  const { space, widths, seed, data, recipe, recordEvery, sparseNonzero, backend } = task;
  const text = JSON.stringify({ space, widths, seed, data, recipe, recordEvery: recordEvery ?? 0, sparseNonzero, backend });
  return createHash('sha256').update(text).digest('hex').slice(0, 20);
}

export class TrialCache {
  /** `drop`: result fields not kept (e.g. telemetry an accuracy-only experiment never reads). */
  constructor(private readonly dir: string, private readonly drop: (keyof TrialResult)[] = []) {
    mkdirSync(dir, { recursive: true });
  }

  private file(task: TrialTask): string {
    return join(this.dir, `${trialKey(task)}.json.gz`);
  }

  get(task: TrialTask): TrialResult | undefined {
    const f = this.file(task);
    return existsSync(f) ? (JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')) as TrialResult) : undefined;
  }

  put(task: TrialTask, result: TrialResult): void {
    const f = this.file(task);
    const kept = { ...result };
    for (const field of this.drop) delete kept[field];
    writeFileSync(`${f}.tmp`, gzipSync(JSON.stringify(kept)));
    renameSync(`${f}.tmp`, f);
  }

  /**
   * Runs every task not yet cached (in the given order, as many at once as the evaluator allows)
   * and returns all results in task order. Failed trainings are not cached, so a rerun retries them.
   */
  async runAll(evaluator: Evaluator, tasks: TrialTask[], describe: (t: TrialTask) => string): Promise<(TrialResult | undefined)[]> {
    const results: (TrialResult | undefined)[] = tasks.map((t) => this.get(t));
    const missing = tasks.map((t, i) => i).filter((i) => !results[i]);
    const started = performance.now();
    process.stderr.write(`${tasks.length - missing.length} of ${tasks.length} trainings cached, ${missing.length} to run\n`);
    let next = 0, done = 0;
    const worker = async () => {
      while (next < missing.length) {
        const i = missing[next++];
        const r = await evaluator.evaluate(tasks[i]);
        done++;
        if (r.status === 'ok') {
          this.put(tasks[i], r);
          results[i] = r;
        }
        const minutes = (performance.now() - started) / 60000;
        process.stderr.write(`[${done}/${missing.length}] ${describe(tasks[i])}: ${r.status === 'ok' ? `test acc ${r.metrics!.testAccuracy.toFixed(4)}` : `FAILED ${r.reason}`} ${r.seconds.toFixed(0)} s (${minutes.toFixed(1)} min)\n`);
      }
    };
    await Promise.all(Array.from({ length: evaluator.concurrency }, worker));
    return results;
  }
}
