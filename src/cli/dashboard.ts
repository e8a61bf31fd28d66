/** `widthwise dashboard`: serves the runs of a folder to a browser until stopped. */
import type { Argv } from 'yargs';
import { statSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { isLoopback, startDashboard } from '../dashboard/server.js';
import { COMMANDS } from './command-list.js';
import { withOptions } from './options/declare.js';

/** The options of `dashboard`, the one source of its help and its checks. */
export const DASHBOARD_OPTIONS = {
  host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on; anything but loopback lets other machines read the folder' },
  port: { type: 'number', integer: true, min: 0, max: 65535, default: 8417, describe: 'port to listen on (0: a free one)' },
} as const;

export function dashboardCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.dashboard.command,
    COMMANDS.dashboard.describe,
    (y) =>
      withOptions(y.positional('folder', { type: 'string', default: 'results', describe: 'folder whose runs are shown (searched 4 levels deep)' }), DASHBOARD_OPTIONS)
        .example('$0 dashboard', 'the runs under results/ at http://127.0.0.1:8417/')
        .example('$0 dashboard runs --port 9000', 'another folder, another port'),
    async (args) => {
      const folder = String(args.folder);
      if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${folder}: no such folder (give the folder that holds your runs, e.g. results)`);
      const dashboard = await startDashboard({ root: folder, host: args.host, port: args.port });
      if (!isLoopback(args.host)) process.stderr.write(`warning: listening on ${args.host}: anyone who can reach this address can read every file under ${folder}\n`);
      console.log(`widthwise dashboard of ${folder}: ${dashboard.url} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = () => void dashboard.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    },
  );
}
