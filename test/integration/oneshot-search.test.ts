// `search --evaluator oneshot` end to end: the supernet trains once, answers every proxy trial
// (journaled as the supernet's), and a supernet training killed with SIGKILL at its first
// checkpoint resumes to the very weights of the uninterrupted one.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWidthwiseAsync as widthwise, type ChildRun } from '../fixtures/widthwise-child.js';

const SEARCH = ['search', '--space', 'mlp-mnist', '--evaluator', 'oneshot', '--supernet-epochs', '2', '--supernet-max-train', '400', '--sampler', 'random',
  '--trials', '4', '--workers', '1', '--proxy-max-train', '400', '--final-epochs', '1', '--seed', '3', '--backend', 'wasm'];
const tmp = () => mkdtempSync(join(tmpdir(), 'ww-oneshot-'));
const journal = (dir: string) => readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const supernetMeta = (dir: string) => JSON.parse(readFileSync(join(dir, 'supernet', 'checkpoint.json'), 'utf8'));

let whole: string, killed: string;
let wholeRun: ChildRun, killedRun: ChildRun, resumedRun: ChildRun;
before(async () => {
  whole = tmp();
  killed = tmp();
  [wholeRun, killedRun] = await Promise.all([widthwise([...SEARCH, '--out', whole]), widthwise([...SEARCH, '--out', killed], 'after:1')]);
  resumedRun = await widthwise(['search', '--resume', killed]);
});

test('the uninterrupted search trains one supernet and journals every proxy trial as read from it', () => {
  assert.equal(wholeRun.status, 0, wholeRun.stderr);
  assert.match(wholeRun.stderr, /supernet 512,256: 2 epochs on 400 images/);
  const events = journal(whole);
  const trials = events.filter((e) => e.type === 'trial-finished' || e.type === 'trial-failed');
  assert.equal(trials.length, 4);
  for (const t of trials) assert.equal(t.result.source, 'supernet', JSON.stringify(t));
  // Final trainings train: they are not the supernet's.
  const finals = events.filter((e) => e.type === 'final-trained');
  assert.ok(finals.length >= 1);
  for (const f of finals) assert.equal(f.result.source, undefined);
  const meta = supernetMeta(whole);
  assert.equal(meta.progress.complete, true);
  assert.deepEqual(meta.widths, [512, 256]);
});

test('killed at its first checkpoint, the supernet training resumes to the uninterrupted weights, and the trials read the same numbers', () => {
  assert.equal(killedRun.signal, 'SIGKILL', killedRun.stderr);
  assert.ok(existsSync(join(killed, 'supernet', 'checkpoint.json')));
  assert.equal(resumedRun.status, 0, resumedRun.stderr);
  assert.match(resumedRun.stderr, /supernet: resumed after epoch 1 of 2/);
  assert.equal(supernetMeta(killed).files.weights.sha256, supernetMeta(whole).files.weights.sha256);
  const accuracies = (dir: string) => journal(dir).filter((e) => e.type === 'trial-finished').map((e) => [e.result.widths.join(','), e.result.metrics.validationAccuracy]);
  assert.deepEqual(accuracies(killed), accuracies(whole));
});

test('train --resume refuses a supernet checkpoint (exit code 2): resumed as a plain training it would be another training', async () => {
  const r = await widthwise(['train', '--resume', join(whole, 'supernet')]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^UsageError: --resume .*supernet: the folder holds a supernet training/);
});
