/**
 * What the controller and the workers share about the queue: the Redis URL (checked, and redacted
 * for every message: credentials never reach a journal, a report or a log), the connections, and
 * the names of a study's queue and jobs.
 */
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { UsageError } from '../core/errors.js';

/** Checks `url` is a `redis://` or `rediss://` URL; throws `UsageError` (with the URL redacted) otherwise. */
export function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--queue: expected redis://[user:pass@]host:port[/db] or rediss://..., found ${redactRedisUrl(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(`--queue: expected a redis:// or rediss:// URL, found ${redactRedisUrl(url)}`);
  }
  if (!parsed.hostname) throw new UsageError(`--queue: no host in ${redactRedisUrl(url)}`);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new UsageError(`--queue: the database must be a number, found ${redactRedisUrl(url)}`);
}

/** The URL with its user and password replaced by `***` (also for text that is not a URL). */
export function redactRedisUrl(url: string): string {
  // Everything between the scheme and the last '@' before the host is credentials.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

/** `text` with any credentials of `url` in it replaced (error messages can quote the URL). */
export function redactIn(text: string, url: string): string {
  let out = text.split(url).join(redactRedisUrl(url));
  try {
    const { username, password } = new URL(url);
    for (const secret of [password, username]) if (secret && secret.length >= 3) out = out.split(decodeURIComponent(secret)).join('***');
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}

/**
 * A Redis connection for BullMQ: it retries forever (a restarted Redis is reconnected, never fatal),
 * and its errors go to `log` redacted, at most one line per `quietMs` (a Redis that is down would
 * otherwise print a line per retry).
 */
export async function connectRedis(url: string, role: string, log: (line: string) => void, quietMs = 10_000): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  });
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogged < quietMs) return;
    lastLogged = now;
    log(`redis (${role}) at ${redactRedisUrl(url)}: ${redactIn(err.message, url)}; retrying`);
  });
  return client;
}

/**
 * `log`, saying each distinct message at most once per `quietMs`: BullMQ re-emits every connection
 * error of a Redis that is down, many times a second.
 */
export function quietLog(log: (line: string) => void, quietMs = 10_000): (line: string) => void {
  const said = new Map<string, number>();
  return (line) => {
    const now = Date.now();
    if (now - (said.get(line) ?? -Infinity) < quietMs) return;
    said.set(line, now);
    log(line);
  };
}

/**
 * The queue of the study whose run folder is `runDir`: its folder name and a hash of its absolute
 * path, so two runs in folders of the same name do not share a queue. BullMQ names may not hold ':'.
 */
export function queueNameFor(runDir: string): string {
  const abs = resolve(runDir);
  const name = basename(abs).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  return `ww-${name}-${createHash('sha256').update(abs).digest('hex').slice(0, 8)}`;
}

/** A study's queue names are made by `queueNameFor`; workers refuse anything else. */
export function checkQueueName(name: string): void {
  if (!/^ww-[A-Za-z0-9._-]{1,60}-[0-9a-f]{8}$/.test(name)) throw new UsageError(`--study: expected a study queue name as 'widthwise search --queue' prints it (ww-<folder>-<8 hex digits>), found ${JSON.stringify(name)}`);
}

/**
 * The Redis set of the studies whose controllers are running (queue names): a worker started
 * without `--study` serves them all. A controller adds its study when it connects and removes it
 * when it closes (finished or stopped; a resume adds it again).
 */
export const STUDIES_KEY = 'widthwise:studies';

/** The BullMQ job id of a trial: one job per trial id, so adding it again returns the job there. */
export const jobIdOf = (trialId: number): string => `trial-${trialId}`;

export const TRIAL_JOB_NAME = 'trial';

/** A queued trial: the task, nothing else. */
export interface TrialJobData {
  task: unknown;
}
