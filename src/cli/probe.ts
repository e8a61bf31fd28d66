import type { Argv } from 'yargs';
import { ensureWritableDir } from '../storage/writable-dir.js';
import { writeFileAtomic } from '../storage/files.js';
import { join } from 'node:path';
import type { OptionTable } from '../core/option-table.js';
import type { TrialResult } from '../trial/result.js';
import { formatTable } from '../report/table.js';
import { svgToPng } from '../report/svg-plot.js';
import { groupSignalSvg } from '../report/telemetry-plot.js';
import { loadSpace } from '../space/index.js';
import { DEFAULT_SIGNAL, NORM_KINDS, NORM_KIND_NAMES, SCORES, SCORE_NAMES, groupSignals, signalSettings, type NormKind, type ScoreName } from '../variance/index.js';
import { COMMANDS } from './command-list.js';
import { withOptions } from './options/declare.js';
import { dataSpecFromOptions } from '../data/data-options.js';
import { recipeFromArgs, TRAINING_OPTIONS } from './options/training.js';
import { loadImagesUpFront } from './data-progress.js';
import { printJson, startBackend, widthsFromArgs } from './shared.js';

export const PROBE_OPTIONS = {
  ...TRAINING_OPTIONS,
  'record-every': { type: 'number', integer: true, min: 0, default: 0, unit: 'steps', describe: 'also record the norms every k steps (0: per epoch only)' },
  norm: {
    type: 'string', choices: NORM_KIND_NAMES, default: DEFAULT_SIGNAL.norm,
    describe: `the per-channel norm whose spread is tracked: ${NORM_KIND_NAMES.map((k) => `${k} (${NORM_KINDS[k].description})`).join('; ')}. The default is the one that agreed best with measured widening gains (results/experiments/signal.md)`,
  },
  score: {
    type: 'string', choices: SCORE_NAMES, default: DEFAULT_SIGNAL.score,
    describe: `how a group's variance series becomes "how much it needs width": ${SCORE_NAMES.map((k) => `${k} (${SCORES[k].description})`).join('; ')}`,
  },
  out: { type: 'string', writes: 'folder', describe: 'folder for the plots and probe.json (default results/probe-<space>-<time>)' },
} as const satisfies OptionTable;

export function probeCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.probe.command,
    COMMANDS.probe.describe,
    (y) =>
      withOptions(y.positional('space', { type: 'string', demandOption: true, describe: 'a space file or a shipped space name' }), PROBE_OPTIONS)
        .example('$0 probe cnn-mnist --epochs 3', 'labels and curves for the default CNN')
        .example('$0 probe mlp-mnist --widths 16,16 --dataset fashion-mnist --epochs 15 --record-every 50', 'a narrow MLP'),
    async (args) => {
      const space = loadSpace(args.space);
      const widths = widthsFromArgs(space, args);
      const recipe = recipeFromArgs(args, space.dataset);
      const out = args.out ?? join('results', `probe-${space.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      ensureWritableDir(out, '--out');
      const data = dataSpecFromOptions(args, { space, seed: args.seed, maxTrain: args.maxTrain, validationFraction: args.validationFraction });
      const backend = await startBackend(args.backend as never);
      process.stderr.write(`probing ${space.name} at widths ${widths.join(',')}, ${recipe.epochs} epochs\n`);
      // tfjs loads with the trial runner, once the options have passed their checks.
      const { runTrial } = await import('../runtime/run-trial.js');
      // An image folder is decoded (and cached) with its progress shown; the trial then reads the cache.
      await loadImagesUpFront(data);
      const result: TrialResult = await runTrial(
        { trialId: 0, space, widths, seed: args.seed, recipe, recordEvery: args.recordEvery, backend: args.backend, data },
        (e) => {
          if (e.kind === 'epoch') process.stderr.write(`epoch ${e.epoch}/${e.epochs}  loss ${e.loss?.toFixed(4)}\n`);
        },
      );
      if (result.status === 'failed') throw new Error(result.reason);
      const signal = signalSettings(args.norm as NormKind, args.score as ScoreName, recipe.epochs);
      const groups = groupSignals(result.groupTelemetry!, signal);
      // Each layer carries its group's reading; the output layer (no group) has none.
      const layers = result.telemetry!.map((t) => {
        const g = groups.find((x) => x.group === t.group);
        return { name: t.layer, group: t.group, width: t.width, label: g?.label ?? null, score: g ? g.value : null };
      });
      const title = `${space.name} at ${widths.join(',')}: normalised variance of the ${signal.norm} norms, test acc ${result.metrics!.testAccuracy.toFixed(3)}`;
      const svg = groupSignalSvg(title, groups);
      writeFileAtomic(join(out, 'variance.svg'), svg);
      const png = await svgToPng(svg);
      if (png) writeFileAtomic(join(out, 'variance.png'), png);
      const summary = {
        space: space.name, widths, dataset: args.dataset ?? space.dataset, backend, norm: signal.norm, score: signal.score,
        testAccuracy: result.metrics!.testAccuracy, validationAccuracy: result.metrics!.validationAccuracy,
        params: result.metrics!.params, macs: result.metrics!.macs, seconds: result.seconds,
        groups, layers, telemetry: result.telemetry, groupTelemetry: result.groupTelemetry, outDir: out,
      };
      writeFileAtomic(join(out, 'probe.json'), JSON.stringify(summary, null, 2));
      if (args.json) {
        printJson(summary);
        return;
      }
      console.log(formatTable(
        ['group', 'width', 'label', `score (${signal.score})`, 'why'],
        groups.map((g) => [g.group, g.width, g.label, Number.isFinite(g.value) ? Number(g.value.toFixed(3)) : '-', g.reason]),
      ));
      const noiseAt = groups.find((g) => g.noiseEpochs !== undefined)?.noiseEpochs;
      console.log(`\nlabels: the ${signal.norm} norm's variance curve read as Chen et al. describe it, against the seed noise measured at ${noiseAt ?? '?'} epochs (src/variance/label-noise.json): IS = rose and ends within the noise of its peak; DS = rose, peaked and ends more than twice the noise below it; undetermined otherwise. A curve that starts at its highest (a small fan-in's initial spread) is read from its low`);
      console.log(`score: ${signal.score}; a higher score means the group needs width more (it orders the groups; the search ranks by it)`);
      console.log(`\ntest accuracy ${result.metrics!.testAccuracy.toFixed(4)} (${backend}); plots and probe.json in ${out}`);
    },
  );
}
