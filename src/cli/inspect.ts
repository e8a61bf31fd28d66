import type { Argv } from 'yargs';
import type { OptionTable } from '../core/option-table.js';
import { spaceCost } from '../cost/cost.js';
import { formatTable } from '../report/table.js';
import { loadSpace } from '../space/index.js';
import { COMMANDS } from './command-list.js';
import { withOptions } from './options/declare.js';
import { WIDTH_OPTIONS } from './options/training.js';
import { printJson, widthsFromArgs } from './shared.js';

export const INSPECT_OPTIONS = {
  ...WIDTH_OPTIONS,
  classes: { type: 'number', integer: true, min: 1, describe: "output classes (default: the space's)" },
  json: { type: 'boolean', default: false, describe: 'print JSON instead of a table' },
} as const satisfies OptionTable;

export function inspectCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.inspect.command,
    COMMANDS.inspect.describe,
    (y) =>
      withOptions(y.positional('space', { type: 'string', demandOption: true, describe: 'a space file or a shipped space name (e.g. resnet20-cifar)' }), INSPECT_OPTIONS)
        .example('$0 inspect resnet20-cifar', 'the base ResNet-20 and its 12 groups')
        .example('$0 inspect cnn-mnist --widths 8,16,32,32', 'one width per group'),
    async (args) => {
      const space = loadSpace(args.space);
      const widths = widthsFromArgs(space, args);
      const classes = args.classes ?? space.classes;
      const cost = spaceCost(space, widths, classes);
      if (args.json) {
        printJson({
          space: space.name, classes, widths, groups: space.groups.map((g) => g.name),
          params: cost.params, macs: cost.macs, layers: cost.layers,
        });
        return;
      }
      console.log(`${space.name}: ${space.description ?? ''}`);
      console.log(formatTable(
        ['group', 'base', 'min', 'max', 'step', 'width'],
        space.groups.map((g, i) => [g.name, g.base, g.min, g.max, g.step, widths[i]]),
      ));
      console.log('');
      console.log(formatTable(
        ['layer', 'kind', 'group', 'in', 'out', 'params', 'MACs'],
        [...cost.layers.map((l) => [l.name, l.kind, l.group ?? '(classes)', l.inChannels, l.outChannels, l.params, l.macs]),
          ['total', '', '', '', '', cost.params, cost.macs]],
      ));
    },
  );
}
