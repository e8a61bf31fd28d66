/** `widthwise dashboard`: serves the runs of a folder to a browser until stopped. */
import type { Argv } from 'yargs';
import { statSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { isLoopback, startDashboard } from '../dashboard/server.js';
import { COMMANDS } from './command-list.js';

export function dashboardCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.dashboard.command,
    COMMANDS.dashboard.describe,
    (y) =>
      y.positional('folder', { type: 'string', default: 'results', describe: 'folder whose runs are shown (searched 4 levels deep)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on; anything but loopback lets other machines read the folder' })
        .option('port', { type: 'number', default: 8417, describe: 'port to listen on (0: a free one)' })
        .example('$0 dashboard', 'the runs under results/ at http://127.0.0.1:8417/')
        .example('$0 dashboard runs --port 9000', 'another folder, another port'),
    async (args) => {
      const folder = String(args.folder);
      if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${folder}: no such folder (give the folder that holds your runs, e.g. results)`);
      if (!(Number.isInteger(args.port) && args.port >= 0 && args.port <= 65535)) throw new UsageError(`--port: expected an integer from 0 to 65535, found ${args.port}`);
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
