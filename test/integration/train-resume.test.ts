// A resume keeps its data: the checkpoint records every setting that decides the training and its
// own copy of the space; `train --resume` uses them and refuses a flag that contradicts them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { runWidthwise as widthwise, runWidthwiseAsync, type ChildRun } from '../fixtures/widthwise-child.js';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SPACE = new URL('../../search-spaces/mlp-mnist.json', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'ww-resume-'));


// Trained from a space file that is deleted after the kill: the resume must not need it.
let killed: string;
before(() => {
  const spaceDir = tmp();
  const spaceFile = join(spaceDir, 'my-mlp.json');
  copyFileSync(SPACE, spaceFile);
  killed = tmp();
  const r = widthwise(['train', spaceFile, '--widths', '16,8', '--epochs', '2', '--max-train', '300', '--validation-fraction', '0.3', '--seed', '3', '--augment', 'crop', '--save', killed], 'after:1');
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  rmSync(spaceDir, { recursive: true });
});

test('the checkpoint records the data settings, the example counts and its own space (no path)', () => {
  const meta = JSON.parse(readFileSync(join(killed, 'checkpoint.json'), 'utf8'));
  assert.deepEqual(meta.data, { name: 'mnist', seed: 3, validationFraction: 0.3, maxTrain: 300 });
  assert.equal(meta.trainExamples, 300);
  // 8,000 bundled training digits, 30% held out.
  assert.equal(meta.validationExamples, 2400);
  assert.deepEqual(meta.recipe.augment, { pad: 4, flip: false });
  assert.equal(meta.seed, 3);
  assert.equal(meta.space.file, undefined);
  assert.doesNotMatch(JSON.stringify(meta), /my-mlp\.json|\/tmp\//);
});

test('a flag that contradicts the checkpoint is refused with exit code 2 before any training', async () => {
  const cases: [string[], RegExp][] = [
    [['--max-train', '2000'], /^UsageError: --max-train 2000 contradicts the checkpoint in .* \(300\)/],
    [['--validation-fraction', '0.1'], /^UsageError: --validation-fraction 0\.1 contradicts .* \(0\.3\)/],
    [['--augment', 'none'], /^UsageError: --augment none contradicts .* \(crop\)/],
    [['--seed', '0'], /^UsageError: --seed 0 contradicts .* \(3\)/],
    [['--widths', '32,16'], /^UsageError: --widths \[32,16\] contradicts .* \(\[16,8\]\)/],
    [['--dataset', 'fashion-mnist', '--epochs', '5'], /^UsageError: --epochs 5 contradicts .* \(2\)/],
  ];
  // Four at a time: each case is mostly the start-up of a Node process.
  const runs: ChildRun[] = [];
  for (let i = 0; i < cases.length; i += 4) runs.push(...(await Promise.all(cases.slice(i, i + 4).map(([flags]) => runWidthwiseAsync(['train', '--resume', killed, ...flags])))));
  for (const [i, [flags, pattern]] of cases.entries()) {
    const r = runs[i];
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('backend:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
  }
});

test('train --resume trains on the saved data (flags that agree are accepted) and --json reports the example counts', () => {
  const dir = tmp();
  cpSync(killed, dir, { recursive: true });
  const r = widthwise(['train', '--resume', dir, '--max-train', '300', '--validation-fraction', '0.3', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resuming .*: 1 of 2 epochs done/);
  const out = JSON.parse(r.stdout);
  assert.equal(out.trainExamples, 300);
  assert.equal(out.validationExamples, 2400);
  assert.equal(out.epochs.length, 2);
  const meta = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  assert.equal(meta.progress.complete, true);
  assert.equal(meta.trainExamples, 300);

  const again = widthwise(['train', '--resume', dir]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /the training is complete \(2 of 2 epochs\); nothing to resume/);

  const fresh = widthwise(['train', 'mlp-mnist', '--save', dir]);
  assert.equal(fresh.status, 2, fresh.stderr);
  assert.match(fresh.stderr, /^UsageError: --save .*: the folder already holds a checkpoint; continue it with --resume/);
});
