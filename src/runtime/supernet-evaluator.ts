/**
 * The one-shot evaluator: one slimmable supernet, trained once (on the first proxy task it is
 * given, or resumed from its checkpoint), answers every proxy task by reading the task's widths
 * from it (BN recalibrated on training images, accuracy on the validation split). Its results say
 * `source: 'supernet'`, so a journal tells them from trainings. Final trainings (negative trial
 * ids, or a `saveTo`) go to `fallback`, which trains. This module loads no tfjs until it trains.
 */
import type { WidthVector } from '../core/shapes.js';
import type { Evaluator } from '../trial/evaluator.js';
import type { TrialEvent, TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';
import { spaceCost } from '../cost/cost.js';
import type { SearchSpace } from '../space/types.js';
import type { TrainedSupernet } from './supernet-run.js';

/**
 * Defaults of a search's supernet: 1 epoch on 6,000 images, the setting measured in
 * results/experiments/oneshot.md (3 epochs ranked no better there).
 */
export const SUPERNET_DEFAULTS = { epochs: 1, maxTrain: 6000, widthFactor: 2 } as const;

export interface SupernetEvaluatorOptions {
  /** Epochs of the supernet training (default 1). */
  epochs?: number;
  /** Training images of the supernet training (default 6,000); the proxy tasks' other data settings are kept. */
  maxTrain?: number;
  /** The supernet's widths (default: `supernetWidths(space, start)`). */
  maxWidths?: WidthVector;
  /** The search's start widths, which the default supernet widths scale. */
  start?: WidthVector;
  /** Checkpoint folder of the supernet training (resumed from, written every epoch). */
  checkpointDir?: string;
  /** Trains the final trainings (and anything with `saveTo`). */
  fallback: Evaluator;
  /** Progress lines: the supernet's epochs, a resume. */
  log?: (line: string) => void;
  concurrency?: number;
}

/**
 * The default supernet of a search: each group `widthFactor` (2) times its start width, on its grid,
 * at most its `max` and at least its `min`. Proposals wider than this are answered as failed.
 */
export function supernetWidths(space: SearchSpace, start: WidthVector, widthFactor: number = SUPERNET_DEFAULTS.widthFactor): WidthVector {
  return space.groups.map((g, i) => {
    const target = start[i] * widthFactor;
    const k = Math.ceil((target - g.min) / g.step - 1e-9);
    return Math.max(g.min, Math.min(g.max, g.min + Math.max(0, k) * g.step));
  });
}

export class SupernetEvaluator implements Evaluator {
  readonly concurrency: number;
  private trained?: Promise<TrainedSupernet>;
  private readonly abort = new AbortController();

  constructor(private readonly options: SupernetEvaluatorOptions) {
    this.concurrency = options.concurrency ?? 1;
  }

  async evaluate(task: TrialTask, onEvent?: (event: TrialEvent) => void): Promise<TrialResult> {
    if (task.trialId < 0 || task.saveTo !== undefined) return this.options.fallback.evaluate(task, onEvent);
    const started = performance.now();
    try {
      this.trained ??= this.train(task);
      const trained = await this.trained;
      onEvent?.({ trialId: task.trialId, kind: 'started' });
      const { readSubnet } = await import('../train/supernet-evaluate.js');
      const data = trained.dataset;
      const read = readSubnet(trained.supernet, task.widths, data.train, data.validation, data.inputShape, { seed: task.data.seed ?? 0 });
      const cost = spaceCost(task.space, task.widths, trained.supernet.classes);
      return {
        trialId: task.trialId, status: 'ok', widths: [...task.widths],
        metrics: { validationAccuracy: read.accuracy, testAccuracy: NaN, trainLoss: NaN, validationLoss: read.loss, params: cost.params, macs: cost.macs } as TrialResult['metrics'],
        seconds: (performance.now() - started) / 1000,
        // The journal's mark of a number read from the supernet, not trained.
        source: 'supernet', supernet: { widths: trained.supernet.maxWidths, epochs: trained.history.length, trainExamples: data.train.count },
      } as TrialResult;
    } catch (err) {
      return { trialId: task.trialId, status: 'failed', reason: (err as Error).message, widths: [...task.widths], seconds: (performance.now() - started) / 1000, source: 'supernet' } as TrialResult;
    }
  }

  private async train(task: TrialTask): Promise<TrainedSupernet> {
    const { runSupernet } = await import('./supernet-run.js');
    const { initBackend } = await import('../engine/backend.js');
    const { backendInfo } = await import('../engine/backend.js');
    if (!backendInfo()) await initBackend((task.backend ?? 'auto') as never);
    const o = this.options;
    const epochs = o.epochs ?? SUPERNET_DEFAULTS.epochs;
    const maxWidths = o.maxWidths ?? supernetWidths(task.space, o.start ?? task.widths);
    const log = o.log ?? (() => undefined);
    log(`supernet ${maxWidths.join(',')}: ${epochs} epochs on ${o.maxTrain ?? SUPERNET_DEFAULTS.maxTrain} images (sandwich rule, in-place distillation)`);
    return runSupernet({
      // The recipe's seed is the study's (a trial's own seed differs by trial, and a resumed
      // search may ask another trial first): the supernet is the same whichever asks.
      space: task.space, maxWidths, seed: task.recipe.seed,
      data: { ...task.data, maxTrain: o.maxTrain ?? SUPERNET_DEFAULTS.maxTrain },
      recipe: { ...task.recipe, epochs, keepBest: false },
    }, {
      checkpointDir: o.checkpointDir, signal: this.abort.signal,
      onEpoch: (r, n) => log(`supernet epoch ${r.epoch}/${n}: loss ${r.trainLoss.toFixed(4)}, widest's train accuracy ${(100 * r.trainAccuracy).toFixed(2)}%, ${r.seconds.toFixed(1)} s`),
      onResumed: (done, n) => log(done >= n ? `supernet: loaded the finished training from ${o.checkpointDir}` : `supernet: resumed after epoch ${done} of ${n} from ${o.checkpointDir}`),
    });
  }

  async close(): Promise<void> {
    this.abort.abort(new Error('the search stopped'));
    await this.options.fallback.close();
    const trained = await this.trained?.catch(() => undefined);
    trained?.supernet.dispose();
    this.trained = undefined;
  }
}
