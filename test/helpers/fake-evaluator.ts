/**
 * An evaluator with a known answer, for controller tests without tfjs: validation accuracy peaks
 * at `optimum` (0.99 minus 0.1 per unit of summed |log(width / optimum width)|), and every layer's
 * variance series rises then falls (DS) below its group's optimum width and rises and stays (IS)
 * at or above it.
 */
import { spaceCost } from '../../src/cost/cost.js';
import { resolveNetwork, weightedOps } from '../../src/space/network.js';
import type { Evaluator } from '../../src/trial/evaluator.js';
import type { LayerTelemetry, TrialEvent, TrialResult } from '../../src/trial/result.js';
import type { TrialTask } from '../../src/trial/task.js';

const rise = (n: number) => Array.from({ length: n }, (_, i) => 0.05 + 0.3 * (1 - Math.exp(-i / 2)));
const riseFall = (n: number) => Array.from({ length: n }, (_, i) => (i <= 4 ? 0.05 + 0.07 * i : Math.max(0.15, 0.33 - 0.04 * (i - 4))));

export class FakeEvaluator implements Evaluator {
  readonly concurrency = 2;
  /** Every task evaluated, in order. */
  readonly tasks: TrialTask[] = [];
  closed = 0;

  constructor(private readonly optimum: readonly number[]) {}

  get calls(): number[][] {
    return this.tasks.map((t) => t.widths);
  }

  async evaluate(task: TrialTask, onEvent?: (event: TrialEvent) => void): Promise<TrialResult> {
    this.tasks.push(task);
    onEvent?.({ trialId: task.trialId, kind: 'epoch', epoch: 1, epochs: task.recipe.epochs, loss: 1 });
    const distance = task.widths.reduce((s, w, i) => s + Math.abs(Math.log(w / this.optimum[i])), 0);
    const telemetry: LayerTelemetry[] = weightedOps(resolveNetwork(task.space, task.widths)).map((op) => {
      const g = op.group === null ? -1 : task.space.groups.findIndex((x) => x.name === op.group);
      const series = g >= 0 && task.widths[g] < this.optimum[g] ? riseFall(12) : rise(12);
      return { layer: op.name, group: op.group, width: 0, outgoing: series.map((v, i) => ({ epoch: i, step: i, variance: v, mean: 1, min: 0, max: 2 })) };
    });
    const cost = spaceCost(task.space, task.widths);
    return {
      trialId: task.trialId, status: 'ok', widths: task.widths, seconds: 0, telemetry,
      metrics: { validationAccuracy: 0.99 - 0.1 * distance, testAccuracy: 0.5, trainLoss: 0, params: cost.params, macs: cost.macs },
    };
  }

  async close(): Promise<void> {
    this.closed++;
  }
}
