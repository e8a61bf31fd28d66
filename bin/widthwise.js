#!/usr/bin/env node
// Runs the built JavaScript in an installed package (dist/, no src/), and the TypeScript source
// through tsx in a checkout, so a checkout never runs a stale build.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
