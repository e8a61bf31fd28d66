/**
 * What `npm install widthwise` puts on a user's disk: `npm pack` of this checkout (which builds
 * dist/), the tarball installed into a fresh project outside the checkout with a plain
 * `npm install` (from the npm cache where it can), then the disk use of its node_modules (as
 * `du -sk`, in MB of 2^20 bytes) in total and for its largest packages.
 *
 * `--ref <git ref>` measures instead the dependencies that ref's package.json declared, installed
 * the same way (widthwise's own files, about 3 MB, left out), for a before/after figure;
 * onnxruntime-node's download of CUDA binaries from outside the registry is skipped there
 * (`ONNXRUNTIME_NODE_INSTALL=skip`), without which such a ref does not install offline at all.
 *
 *   npx tsx scripts/bench-install-size.ts [--ref main] [--top 12] [--json]
 *
 * Measured (Linux x64, Node 20.20, npm 11.19; results/experiments/install-size.md): 259 MB in 79
 * packages, tarball 349 KB; before issue 29 (main 358a60b, `--ref`), 706 MB + widthwise's 3 MB = 709 MB.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberArg, scriptArgs } from './lib/args.js';

const args = scriptArgs({
  ref: { type: 'string', default: '' }, top: { type: 'string', default: '12' }, json: { type: 'boolean', default: false },
}, 'npx tsx scripts/bench-install-size.ts [--ref main] [--top 12] [--json]');
const top = numberArg(args.top, 'top');
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** npm's own variables (set under `npm run`) would steer the inner npm to the checkout. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

function npm(cwd: string, npmArgs: string[], extraEnv: Record<string, string> = {}): string {
  const r = spawnSync('npm', npmArgs, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm ${npmArgs.join(' ')} failed in ${cwd}:\n${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Disk use in KiB, as `du -sk` counts it. */
const duKiB = (path: string) => Number(execFileSync('du', ['-sk', path], { encoding: 'utf8' }).split('\t')[0]);
const mb = (kib: number) => kib / 1024;

const dir = mkdtempSync(join(tmpdir(), 'ww-install-size-'));
try {
  const project = join(dir, 'project');
  execFileSync('mkdir', [project]);
  let what: string;
  let tarballBytes: number | undefined;
  if (args.ref) {
    const pkg = JSON.parse(execFileSync('git', ['show', `${args.ref}:package.json`], { cwd: ROOT, encoding: 'utf8' })) as { dependencies: Record<string, string> };
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'ww-size', private: true, type: 'module', dependencies: pkg.dependencies }));
    npm(project, ['install', '--prefer-offline', '--no-audit', '--no-fund'], { ONNXRUNTIME_NODE_INSTALL: 'skip' });
    what = `the dependencies of ${args.ref}'s package.json`;
  } else {
    const [packed] = JSON.parse(npm(ROOT, ['pack', '--pack-destination', dir, '--json']).replace(/^[^[]*/, '')) as { filename: string; size: number }[];
    tarballBytes = packed.size;
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'ww-size', private: true, type: 'module' }));
    npm(project, ['install', join(dir, packed.filename), '--prefer-offline', '--no-audit', '--no-fund']);
    what = `npm install of ${packed.filename}`;
  }
  const modules = join(project, 'node_modules');
  const packages = readdirSync(modules).filter((n) => !n.startsWith('.')).flatMap((n) => (n.startsWith('@') ? readdirSync(join(modules, n)).map((m) => `${n}/${m}`) : [n]));
  const sizes = packages.map((name) => ({ name, mb: mb(duKiB(join(modules, name))) })).sort((a, b) => b.mb - a.mb);
  const total = mb(duKiB(modules));
  if (args.json) {
    console.log(JSON.stringify({ what, totalMB: total, packages: sizes.length, tarballBytes, largest: sizes.slice(0, top) }));
  } else {
    console.log(`${what}: node_modules ${total.toFixed(0)} MB in ${sizes.length} packages${tarballBytes === undefined ? '' : `; the tarball ${(tarballBytes / 1024).toFixed(0)} KB`}`);
    for (const s of sizes.slice(0, top)) console.log(`  ${s.mb.toFixed(1).padStart(6)} MB  ${s.name}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
