// Search run folders under what breaks them, with real child processes: a second search on a
// folder in use, a final export that cannot write its target, SIGKILLs during the final trainings,
// and two resumes of one folder at once. The searches share their work: each run is one of the
// cases, and the one whose export failed is the reference the killed ones must end equal to.
// The kills are real: the preloaded kill-at-checkpoint module (inherited by the pool's worker
// threads) SIGKILLs the process at the Nth checkpoint commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWidthwiseAsync as widthwise, type ChildRun } from '../fixtures/widthwise-child.js';

// Two proxy trials, then base (= uniform scaling, 256,128) and winner (168,424), 2 epochs each on
// one worker: checkpoint commits 1-2 are base's (epoch 1, finished), 3-4 the winner's.
const SEARCH = ['search', '--space', 'mlp-mnist', '--sampler', 'random', '--trials', '2', '--workers', '1', '--proxy-epochs', '1', '--proxy-max-train', '300', '--final-epochs', '2', '--seed', '3', '--backend', 'wasm'];

const checkpoint = (dir: string) => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
const events = (runDir: string) => readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const finalsJournaled = (runDir: string) => events(runDir).filter((e) => e.type === 'final-trained').map((e) => e.which).sort();

/** sha256 of each final network's weights file, found by name (not through checkpoint.json), by folder. */
function weightsByFolder(runDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const folder of ['base', 'winner', 'uniform', 'wide-sparse']) {
    let files: string[];
    try {
      files = readdirSync(join(runDir, folder)).filter((f) => /^weights\.\d+\.bin$/.test(f));
    } catch {
      continue;
    }
    assert.equal(files.length, 1, `${runDir}/${folder}: one weights file, found ${files.join(', ')}`);
    out[folder] = createHash('sha256').update(readFileSync(join(runDir, folder, files[0]))).digest('hex');
  }
  return out;
}

/** The summary's final models without wall-clock times. */
const finals = (stdout: string) => {
  const s = JSON.parse(stdout, (key, value) => (key === 'seconds' ? undefined : value));
  return { base: s.base, uniform: s.uniform, winner: s.winner };
};

/** Of two runs on one folder, the one refused at once for the lock, naming the other; returns the other. */
function holderOf(pair: ChildRun[], dir: string): ChildRun {
  const refused = pair.filter((r) => r.status === 1 && /RunFolderLockedError/.test(r.stderr));
  assert.equal(refused.length, 1, `one of two writers refused:\n${pair.map((r) => `${r.status ?? r.signal}: ${r.stderr}`).join('\n---\n')}`);
  const holder = pair.find((r) => r !== refused[0])!;
  assert.match(refused[0].stderr, new RegExp(`^RunFolderLockedError: ${dir}: in use by process ${holder.pid} [^\\n]*\\n$`), 'one line naming the folder and the holder');
  assert.ok(refused[0].ms < 10_000, `refused after ${refused[0].ms} ms`);
  return holder;
}

test('search run folders: one writer, a failed export retried, final trainings resumed after SIGKILL to the uninterrupted result', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ww-search-kill-'));
  const [whole, afterBase, inWinner] = ['whole', 'after-base', 'in-winner'].map((name) => join(root, name));
  // A folder where the ONNX file goes (winner.onnx, or uniform.onnx when uniform scaling validates
  // better): the export's rename onto it fails (EISDIR), as on a full disk.
  const onnxNames = ['winner.onnx', 'uniform.onnx'];
  for (const name of onnxNames) mkdirSync(join(whole, name), { recursive: true });

  const [first, second, killedAfterBase, killedInWinner] = await Promise.all([
    widthwise([...SEARCH, '--out', whole]),
    widthwise([...SEARCH, '--out', whole]),
    widthwise([...SEARCH, '--out', afterBase], 'after:2'),
    widthwise([...SEARCH, '--out', inWinner], 'after:3'),
  ]);

  // Two searches on one folder: one runs, the other is refused at once, naming it.
  const reference = holderOf([first, second], whole);
  // The export could not write its target: exit 1, a journaled attempt, nothing partial left.
  assert.equal(reference.status, 1, reference.stderr);
  assert.match(reference.stderr, /^SearchError: the ONNX export of the recommended network failed: .*EISDIR.*resume with: widthwise search --resume/m);
  const types = events(whole).map((e) => e.type);
  assert.ok(types.includes('export-failed') && !types.includes('onnx-exported') && !types.includes('study-finished'), types.join(' '));
  assert.deepEqual(readdirSync(whole).filter((f) => f.includes('.tmp')), [], 'no partial file');
  const expected = weightsByFolder(whole);
  assert.deepEqual(Object.keys(expected).sort(), ['base', 'winner'], 'one folder per distinct network: uniform scaling is the base here');

  assert.equal(killedAfterBase.signal, 'SIGKILL', killedAfterBase.stderr);
  assert.equal(killedInWinner.signal, 'SIGKILL', killedInWinner.stderr);
  const baseBefore = checkpoint(join(afterBase, 'base'));
  assert.equal(baseBefore.progress.complete, true, 'killed right after base\'s last checkpoint');
  assert.deepEqual(finalsJournaled(afterBase), [], 'before its result was journaled');
  const winnerBefore = checkpoint(join(inWinner, 'winner'));
  assert.deepEqual([winnerBefore.progress.epochsDone, winnerBefore.progress.complete], [1, false], 'killed after the winner\'s first epoch');

  for (const name of onnxNames) rmdirSync(join(whole, name));
  const [exported, resumedAfterBase, ...resumesInWinner] = await Promise.all([
    widthwise(['search', '--resume', whole, '--json']),
    widthwise(['search', '--resume', afterBase, '--json']),
    widthwise(['search', '--resume', inWinner, '--json']),
    widthwise(['search', '--resume', inWinner, '--json']),
  ]);
  // The export, once its target can be written, and nothing trained again.
  assert.equal(exported.status, 0, exported.stderr);
  assert.doesNotMatch(exported.stderr, /: epoch \d/);
  const { onnx } = JSON.parse(exported.stdout);
  assert.ok(onnxNames.some((name) => onnx.path === join(whole, name)), onnx.path);
  assert.equal(onnx.bytes, statSync(onnx.path).size);
  assert.deepEqual(events(whole).map((e) => e.type).filter((t) => ['export-failed', 'onnx-exported', 'study-finished'].includes(t)), ['export-failed', 'onnx-exported', 'study-finished']);
  // Two resumes of one folder: one runs, the other is refused at once, naming it.
  const resumedInWinner = holderOf(resumesInWinner, inWinner);
  assert.equal(resumedAfterBase.status, 0, resumedAfterBase.stderr);
  assert.equal(resumedInWinner.status, 0, resumedInWinner.stderr);

  // Not trained again: no epoch of base, and its checkpoint is the one written before the kill.
  assert.match(resumedAfterBase.stderr, /base: finished before, not trained again/);
  assert.doesNotMatch(resumedAfterBase.stderr, /base: epoch/);
  assert.equal(checkpoint(join(afterBase, 'base')).generation, baseBefore.generation);
  // Continued: the winner's second epoch only; base, finished before the kill, is not trained.
  assert.match(resumedInWinner.stderr, /winner: resumed from its checkpoint after epoch 1\/2\n {2}winner: epoch 2\/2/);
  assert.doesNotMatch(resumedInWinner.stderr, /winner: epoch 1\/2|base: epoch/);

  for (const [dir, resumed] of [[afterBase, resumedAfterBase], [inWinner, resumedInWinner]] as const) {
    assert.deepEqual(weightsByFolder(dir), expected, `${dir}: final weights differ from the uninterrupted search's`);
    assert.deepEqual(finals(resumed.stdout), finals(exported.stdout), `${dir}: final metrics`);
    assert.deepEqual(finalsJournaled(dir), ['base', 'uniform', 'winner'], `${dir}: each final model journaled once`);
    assert.deepEqual(events(dir).filter((e) => e.type === 'trial-finished').map((e) => e.trialId), [0, 1], `${dir}: each trial finished once`);
  }
});
