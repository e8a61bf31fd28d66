/**
 * The networks of the one-shot ranking experiment: every cnn-mnist vector of the ground-truth set
 * (results/experiments/ground-truth/ground-truth.json: 3-seed stand-alone trainings, 5 epochs on
 * 6,000 Fashion-MNIST images), and the proxy trainings of them that the supernet is compared with.
 */
import { readFileSync } from 'node:fs';
import type { WidthVector } from '../../src/core/shapes.js';
import type { TrialTask } from '../../src/trial/task.js';
import { groundTruthTask } from './ground-truth-set.js';

export interface StandAlone {
  widths: WidthVector;
  /** Base vector id of the ground-truth set this vector varies (its "cell"). */
  family: string;
  /** Test accuracy per seed. */
  tests: number[];
}

/** The cnn-mnist vectors of the ground truth with their test accuracies over seeds (one entry per distinct vector). */
export function standAloneCnn(file = 'results/experiments/ground-truth/ground-truth.json'): StandAlone[] {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { runs: { vector: string; widths: number[]; seed: number; testAccuracy: number }[] };
  const byKey = new Map<string, StandAlone>();
  for (const r of data.runs) {
    if (!r.vector.startsWith('cnn-')) continue;
    const key = r.widths.join(',');
    const entry = byKey.get(key) ?? { widths: r.widths, family: r.vector, tests: [] };
    entry.tests.push(r.testAccuracy);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

/** Proxy settings: the two of proxy.md (the first is the search's default) and one of a third of its cost. */
export const PROXY_SETTINGS = [
  { id: '3 ep x 3,000 (default)', epochs: 3, maxTrain: 3000 },
  { id: '1 ep x 9,000', epochs: 1, maxTrain: 9000 },
  // A third of the default's cost: about the compute of a 1-epoch supernet (oneshot.md).
  { id: '1 ep x 3,000', epochs: 1, maxTrain: 3000 },
] as const;

/** A proxy training of `widths` (the proxy experiment's tasks: same data seed, recipe and lr). */
export function proxyTask(widths: WidthVector, setting: (typeof PROXY_SETTINGS)[number], seed: number, trialId: number): TrialTask {
  return groundTruthTask('cnn', widths, seed, trialId, { epochs: setting.epochs, maxTrain: setting.maxTrain, batchSize: 64 });
}
