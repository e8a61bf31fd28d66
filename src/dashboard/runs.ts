/**
 * The runs under a folder, found by what their writers leave behind: a search's `journal.jsonl`, a
 * probe's `probe.json`, a baseline's `baseline.json` (or, while it trains, the run-folder lock its
 * command holds). Whether a run is still going is the run-folder lock's answer, never a guess from
 * file times: a search holds its folder's lock from start to end.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { lastHolder, runFolderHolder } from '../storage/run-lock.js';

export type RunKind = 'search' | 'probe' | 'baseline';
export type RunState = 'running' | 'finished' | 'interrupted';

export interface RunFolder {
  /** Path below the served folder, with `/` separators (the run's address in the dashboard). */
  path: string;
  dir: string;
  kind: RunKind;
}

/** Folders below the served one that are looked into; run folders hold runs, not more runs. */
const MAX_DEPTH = 4;

/** What kind of run `dir` holds, if any. */
export function runKindOf(dir: string): RunKind | undefined {
  if (existsSync(join(dir, 'journal.jsonl'))) return 'search';
  if (existsSync(join(dir, 'probe.json'))) return 'probe';
  if (existsSync(join(dir, 'baseline.json'))) return 'baseline';
  // A baseline writes nothing before its end but its folder's lock.
  if (lastHolder(dir)?.command.startsWith('widthwise baseline')) return 'baseline';
  return undefined;
}

/**
 * The state of the run in `dir`: running while a live process holds its folder's lock; otherwise
 * finished when it `completed` (a search's study-finished event, a probe's or baseline's result
 * file), interrupted when not.
 */
export function runStateOf(dir: string, completed: boolean): RunState {
  if (runFolderHolder(dir) !== undefined) return 'running';
  return completed ? 'finished' : 'interrupted';
}

/** The run in folder `dir` below `root`, if `dir` holds one. */
export function runFolderAt(root: string, dir: string): RunFolder | undefined {
  const kind = runKindOf(dir);
  return kind && { path: relative(root, dir).split(sep).join('/'), dir, kind };
}

/** Every run below `root` (itself included), sorted by path. Symlinked folders are not followed. */
export function findRuns(root: string): RunFolder[] {
  const runs: RunFolder[] = [];
  const visit = (dir: string, depth: number) => {
    const run = runFolderAt(root, dir);
    if (run) {
      runs.push(run);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') visit(join(dir, e.name), depth + 1);
  };
  visit(root, 0);
  return runs.sort((a, b) => a.path.localeCompare(b.path));
}
