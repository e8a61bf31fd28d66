#!/usr/bin/env node
// Runs the built JavaScript in an installed package (dist/, no src/), and the TypeScript source
// through tsx in a checkout, so a checkout never runs a stale build. tsx is a development
// dependency: a checkout installed without them (npm ci --omit=dev) runs its build, if it has one.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

/** tsx's loader, or undefined where development dependencies are not installed. */
async function tsxLoader() {
  try {
    return await import('tsx/esm/api');
  } catch (e) {
    if (e?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

const tsx = existsSync(source) ? await tsxLoader() : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  console.error('widthwise: this checkout has neither tsx (a development dependency: run npm install) nor a build in dist/ (npm run build)');
  process.exit(1);
}
