import type { Argv } from 'yargs';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../storage/files.js';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { LayerTelemetry, TrialResult } from '../core/types.js';
import { formatTable } from '../report/table.js';
import { svgToPng } from '../report/svg-plot.js';
import { telemetrySvg } from '../report/telemetry-plot.js';
import { loadSpace } from '../space/index.js';
import { runTrial } from '../runtime/run-trial.js';
import { DEFAULT_NORM_KIND, labelLayers } from '../variance/index.js';
import { printJson, startBackend, widthsFromArgs } from './shared.js';
import { recipeFromArgs, trainingOptions } from './train.js';

export function probeCommand(yargs: Argv): Argv {
  return yargs.command(
    'probe <space>',
    'Train once; label each layer IS (wide enough) or DS (too narrow)',
    (y) =>
      trainingOptions(y.positional('space', { type: 'string', demandOption: true, describe: 'a space file or a shipped space name' }))
        .option('record-every', { type: 'number', default: 0, describe: 'also record the norms every k steps (0: per epoch only)' })
        .option('norm', { type: 'string', choices: ['outgoing', 'paired'], default: DEFAULT_NORM_KIND, describe: 'which norm the labels use' })
        .option('out', { type: 'string', describe: 'folder for the plots and probe.json (default results/probe-<space>-<time>)' })
        .example('$0 probe cnn-mnist --epochs 3', 'labels and curves for the default CNN')
        .example('$0 probe mlp-mnist --widths 16,16 --dataset fashion-mnist --epochs 15 --record-every 50', 'a narrow MLP'),
    async (args) => {
      const space = loadSpace(args.space);
      const widths = widthsFromArgs(space, args);
      if (!(args.recordEvery >= 0)) throw new UsageError(`--record-every: expected 0 or a positive integer, found ${args.recordEvery}`);
      const backend = await startBackend(args.backend as never);
      const recipe = recipeFromArgs(args, space.dataset);
      const out = args.out ?? join('results', `probe-${space.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      mkdirSync(out, { recursive: true });
      process.stderr.write(`probing ${space.name} at widths ${widths.join(',')}, ${recipe.epochs} epochs\n`);
      const result: TrialResult = await runTrial(
        {
          trialId: 0, space, widths, seed: args.seed, recipe, recordEvery: args.recordEvery, backend: args.backend,
          data: { name: args.dataset ?? space.dataset, dataDir: args.dataDir, seed: args.seed, maxTrain: args.maxTrain, validationFraction: args.validationFraction },
        },
        (e) => {
          if (e.kind === 'epoch') process.stderr.write(`epoch ${e.epoch}/${e.epochs}  loss ${e.loss?.toFixed(4)}\n`);
        },
      );
      if (result.status === 'failed') throw new Error(result.reason);
      const layers = labelLayers(result.telemetry!, args.norm as 'outgoing' | 'paired');
      const title = `${space.name} at ${widths.join(',')}: normalised weight-norm variance (${args.norm}), test acc ${result.metrics!.testAccuracy.toFixed(3)}`;
      const svg = telemetrySvg(title, result.telemetry!.map((t, i) => ({ telemetry: t, label: layers[i].label, peakIndex: layers[i].peakEpoch === null ? undefined : layers[i].epochs.indexOf(layers[i].peakEpoch!) })));
      writeFileAtomic(join(out, 'variance.svg'), svg);
      const png = await svgToPng(svg);
      if (png) writeFileAtomic(join(out, 'variance.png'), png);
      const summary = {
        space: space.name, widths, dataset: args.dataset ?? space.dataset, backend, norm: args.norm,
        testAccuracy: result.metrics!.testAccuracy, validationAccuracy: result.metrics!.validationAccuracy,
        params: result.metrics!.params, macs: result.metrics!.macs, seconds: result.seconds,
        layers, telemetry: result.telemetry, outDir: out,
      };
      writeFileAtomic(join(out, 'probe.json'), JSON.stringify(summary, null, 2));
      if (args.json) {
        printJson(summary);
        return;
      }
      console.log(formatTable(
        ['layer', 'width', 'label', 'peak epoch', 'drop ratio', 'confidence'],
        layers.map((l) => [l.name, l.width, l.label, l.peakEpoch ?? '-', Number(l.dropRatio.toFixed(3)), Number(l.confidence.toFixed(2))]),
      ));
      console.log(`\ntest accuracy ${result.metrics!.testAccuracy.toFixed(4)} (${backend}); plots and probe.json in ${out}`);
    },
  );
}
