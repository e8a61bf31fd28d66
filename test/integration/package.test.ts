/**
 * widthwise as a user gets it: `npm pack` (which builds dist/), the tarball installed into a fresh
 * project outside the checkout with a plain `npm install` (no flags a user would not give; from
 * the npm cache where it can), then the bin, the README's library snippet (typechecked against the
 * shipped types, then run) and a two-trial search whose ONNX export is run in ONNX Runtime here,
 * outside the package, on the bundled MNIST test digits. It proves the `files` list, the `exports`
 * map, the types, the bin and the dependency list (no umbrella tfjs, no onnxruntime-node).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { loadDataset } from '../../src/data/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** npm's own variables (set when the suite runs under `npm test`) would steer the inner npm to the checkout. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

function ok(r: ReturnType<typeof run>, what: string) {
  assert.equal(r.code, 0, `${what} failed (${r.error?.message ?? `exit ${r.code}`}):\n${r.stderr.slice(-3000)}`);
  return r;
}

let dir = '';
let project = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ww-package-'));
  const pack = ok(run('npm', ['pack', '--pack-destination', dir, '--json'], ROOT), 'npm pack');
  const [{ filename }] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string }[];
  project = join(dir, 'project');
  ok(run('mkdir', [project], dir), 'mkdir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'ww-consumer', private: true, type: 'module' }));
  ok(run('npm', ['install', join(dir, filename), '--prefer-offline', '--no-audit', '--no-fund'], project), 'npm install of the tarball');
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the installed tree holds tfjs-core and its backends and ONNX Runtime for wasm, not the umbrella, webgl or onnxruntime-node', () => {
  const modules = join(project, 'node_modules');
  for (const present of ['widthwise', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-web']) {
    assert.ok(existsSync(join(modules, present, 'package.json')), `${present} is installed`);
  }
  for (const absent of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-layers', 'onnxruntime-node', 'tsx', 'typescript']) {
    assert.ok(!existsSync(join(modules, absent)), `${absent} is not installed`);
  }
  // The package ships its build, not its sources or tests.
  const pkg = join(modules, 'widthwise');
  assert.ok(existsSync(join(pkg, 'dist/index.d.ts')) && existsSync(join(pkg, 'dist/engine/generated/tfjs-core-registrations.js')));
  assert.ok(!existsSync(join(pkg, 'src')) && !existsSync(join(pkg, 'test')));
});

test('npx widthwise --version and --help run the installed bin with no npm warning', () => {
  // npx finds the project's own bin (node_modules/.bin) and installs nothing.
  const version = ok(run('npx', ['widthwise', '--version'], project), 'npx widthwise --version');
  assert.equal(version.stdout.trim(), VERSION);
  assert.doesNotMatch(version.stderr, /npm warn/i);
  const help = ok(run('npx', ['widthwise', '--help'], project), 'npx widthwise --help');
  assert.match(help.stdout, /Commands:[\s\S]*search/);
  assert.doesNotMatch(help.stderr, /npm warn/i);
});

test("the README's library snippet typechecks against the shipped types and runs (with a two-trial search)", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## As a library'));
  const snippet = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!snippet?.includes("from 'widthwise'")) assert.fail('the README has a ts snippet importing widthwise under "As a library"');
  // The snippet as written, made quick: its search trimmed to two one-epoch trials on few images.
  const quick = snippet.replace(/trials: \d+/, 'trials: 2, proxyEpochs: 1, proxyMaxTrain: 200, finalEpochs: 1, workers: 1');
  assert.notEqual(quick, snippet, 'the snippet sets trials');
  writeFileSync(join(project, 'snippet.ts'), quick);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: true, types: [] },
    files: ['snippet.ts'],
  }));
  ok(run(process.execPath, [TSC, '-p', 'tsconfig.json'], project), 'tsc on the snippet');
  const out = ok(run(process.execPath, ['snippet.js'], project), 'the snippet');
  const lines = out.stdout.trim().split('\n');
  // cnn-mnist's MACs and the params of [8, 48, 64, 32], as the cost tests count them.
  assert.match(lines[0], /^\d+ \d+$/);
  const last = lines.at(-1)!;
  assert.ok(last.endsWith(join(project, 'results/mlp-half')), last);
  assert.ok(existsSync(join(project, 'results/mlp-half/summary.json')));
});

test('a two-trial search through the installed bin exports an ONNX model that ONNX Runtime, run here, scores as tfjs did', async () => {
  const out = join(project, 'run');
  const r = ok(run('npx', ['widthwise', 'search', '--space', 'mlp-mnist', '--trials', '2', '--proxy-epochs', '1', '--proxy-max-train', '200', '--final-epochs', '1', '--workers', '1', '--out', out, '--json'], project), 'npx widthwise search');
  assert.doesNotMatch(r.stderr, /npm warn/i);
  const summary = JSON.parse(r.stdout) as { winner?: { testAccuracy: number }; onnx?: { path: string; bytes: number; examples: number; maxAbsDiff: number; argmaxAgreement: number } };
  assert.ok(summary.onnx && summary.winner, 'the summary has the winner and its ONNX export');
  assert.equal(summary.onnx.path, join(out, 'winner.onnx'));
  assert.equal(statSync(summary.onnx.path).size, summary.onnx.bytes);
  assert.ok(summary.onnx.maxAbsDiff <= 1e-4 && summary.onnx.argmaxAgreement === 1, JSON.stringify(summary.onnx));
  // This process's own ONNX Runtime on the 2,000 bundled test digits: the accuracy tfjs reported.
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(readFileSync(summary.onnx.path), { executionProviders: ['wasm'] });
  try {
    // The run's data: the bundled digits, standardised with the statistics of its training split (seed 0).
    const { test: digits } = await loadDataset({ name: 'mnist' });
    const result = await session.run({ input: new ort.Tensor('float32', digits.x, [digits.count, 1, 28, 28]) });
    const logits = result.logits;
    assert.deepEqual(logits.dims, [digits.count, 10]);
    const data = logits.data as Float32Array;
    let correct = 0;
    for (let i = 0; i < digits.count; i++) {
      const row = data.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === digits.y[i]) correct++;
    }
    const accuracy = correct / digits.count;
    assert.ok(accuracy > 0.5, `a trained MLP scores well above chance (${accuracy})`);
    assert.ok(Math.abs(accuracy - summary.winner.testAccuracy) <= 0.002, `ONNX Runtime ${accuracy} against tfjs ${summary.winner.testAccuracy}`);
  } finally {
    await session.release();
  }
});
