/**
 * The network a search recommends: its winner, unless uniform scaling of the start validated better
 * in the final trainings. Why: the winner is chosen on short proxy trainings, whose ranking of
 * networks is partly luck (results/experiments/benchmark.md: the winner with the better proxy score
 * is often not the better network after the final training). Uniform scaling is trained with the
 * same final recipe anyway, so checking the winner against it on the final trainings' validation
 * split costs nothing and keeps a search from returning a network worse than the trivial answer.
 * Test accuracy is never looked at.
 */
import type { ModelSummary, Recommendation } from '../report/search-summary.js';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

type Validated = Pick<ModelSummary, 'widths' | 'validationAccuracy'>;

/**
 * A sampler's weighing of the final validations against everything else it measured (the model
 * sampler's `chooseFinal`): the index of the final to recommend.
 */
export type FinalChooser = (finals: readonly { widths: readonly number[]; validationAccuracy: number }[]) => number;

/**
 * The recommendation once the winner's final training is known; undefined before. With `choose`
 * (a sampler with a model of the accuracies), the final validations are weighed against the proxy
 * results instead of deciding alone: one final training each is as noisy as one proxy.
 */
export function recommendModel(winner?: Validated, uniform?: Validated, choose?: FinalChooser): Recommendation | undefined {
  if (!winner) return undefined;
  const keepWinner = (reason: string): Recommendation => ({ which: 'winner', widths: [...winner.widths], reason });
  if (!uniform) return keepWinner('no uniform scaling to check it against');
  if (uniform.widths.join(',') === winner.widths.join(',')) return keepWinner('the winner is the uniformly scaled start');
  if (choose) {
    const finals = `(final validation ${pct(winner.validationAccuracy)} against uniform scaling's ${pct(uniform.validationAccuracy)})`;
    return choose([winner, uniform]) === 1
      ? { which: 'uniform', widths: [...uniform.widths], reason: `the model, weighing the final trainings with the proxy results, expects uniform scaling to be better ${finals}` }
      : keepWinner(`the model, weighing the final trainings with the proxy results, expects the winner to be at least as good as uniform scaling ${finals}`);
  }
  if (uniform.validationAccuracy > winner.validationAccuracy) {
    return { which: 'uniform', widths: [...uniform.widths], reason: `uniform scaling validated better in the final trainings (${pct(uniform.validationAccuracy)} against the winner's ${pct(winner.validationAccuracy)})` };
  }
  return keepWinner(`it validated at least as well as uniform scaling in the final trainings (${pct(winner.validationAccuracy)} against ${pct(uniform.validationAccuracy)})`);
}
