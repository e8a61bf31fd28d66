/** `widthwise worker`: serves a study's queue until Ctrl-C (or SIGTERM), printing each trial. */
import type { Argv } from 'yargs';
import { existsSync, statSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { checkQueueName, checkRedisUrl } from '../runtime/queue-connection.js';
import { startQueueWorker } from '../runtime/queue-worker.js';
import { COMMANDS } from './command-list.js';
import { withOptions } from './options/declare.js';

/** The options of `worker`, the one source of its help and its checks. */
export const WORKER_OPTIONS = {
  queue: { type: 'string', describe: 'Redis URL: redis://[user:pass@]host:port[/db] or rediss://...' },
  study: { type: 'string', describe: "serve only this study's queue, as 'widthwise search --queue' prints it (default: every study a controller registered on this Redis)" },
  concurrency: { type: 'number', integer: true, min: 1, default: 1, describe: 'trials trained at once (worker threads)' },
  'data-dir': { type: 'string', describe: 'the only folder trials may read dataset files from (for --dataset folder searches: this machine\'s copy of the images; the controller checks the examples are the same)' },
  'lock-seconds': { type: 'number', integer: true, min: 1, default: 30, unit: 'seconds', describe: "a running trial's lock; a worker silent this long is taken as lost and its trial runs again elsewhere" },
  attempts: { type: 'number', integer: true, min: 1, default: 3, describe: 'a trial fails for good once the worker running it has been lost this many times' },
} as const;

export function workerCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.worker.command,
    COMMANDS.worker.describe,
    (y) =>
      withOptions(y, WORKER_OPTIONS)
        .demandOption('queue')
        .example('$0 worker --queue redis://10.0.0.5:6379 --concurrency 2', 'serve the searches started with --queue redis://10.0.0.5:6379')
        .example('$0 worker --queue redis://10.0.0.5:6379 --study ww-run1-1a2b3c4d', 'serve that one search only'),
    async (args) => {
      checkRedisUrl(args.queue);
      if (args.study !== undefined) checkQueueName(args.study);
      if (args.dataDir !== undefined && !(existsSync(args.dataDir) && statSync(args.dataDir).isDirectory())) throw new UsageError(`--data-dir: ${args.dataDir} is not a folder`);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const worker = await startQueueWorker({
        url: args.queue, queueName: args.study, concurrency: args.concurrency, dataDir: args.dataDir, lockSeconds: args.lockSeconds, attempts: args.attempts, log,
        onTrial: ({ trialId, kind, result, reason, queueName }) => {
          const of = args.study === undefined ? ` (${queueName})` : '';
          if (kind === 'started') log(`trial ${trialId} started${of}`);
          else if (kind === 'refused') log(`trial ${trialId} refused${of}: ${reason}`);
          else if (result?.status === 'ok') log(`trial ${trialId} finished${of}: val acc ${result.metrics!.validationAccuracy.toFixed(4)} in ${result.seconds.toFixed(1)} s`);
          else log(`trial ${trialId} failed${of}: ${result?.reason}`);
        },
      });
      // Ctrl-C: finish the running trials, take no new ones; a second Ctrl-C quits at once (the
      // trials' locks lapse and other workers run them again).
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = () => {
          if (stopping) process.exit(130);
          stopping = true;
          log('stopping: finishing the running trials (Ctrl-C again to quit now)');
          void worker.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    },
  );
}
