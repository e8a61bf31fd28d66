/**
 * Tables of trained networks for the `--table` tests: Channel-Bench-Macro's ResNet table where it
 * is on this machine (`../shared/data/channel-bench-macro/` beside the repository, or
 * $WIDTHWISE_CBM_DIR; the project does not ship it), and always a small table the tests write
 * themselves in the same format, for a 4-group MLP whose params and MACs are counted here by hand.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = new URL('../../', import.meta.url).pathname;

/** A table and the space it belongs to, as the tests use them. */
export interface BenchFixture {
  /** What the tests call it. */
  label: string;
  /** `--space`: a shipped name or a file. */
  space: string;
  table: string;
  /** Each group's grid: width of digit k is min + (k - 1) step. */
  grids: { min: number; step: number; count: number }[];
  /** Base widths (the space's). */
  base: number[];
}

/** The real ResNet table, when it is on this machine. */
export function realResnetTable(): BenchFixture | undefined {
  const dir = process.env.WIDTHWISE_CBM_DIR ?? join(REPO, '../shared/data/channel-bench-macro');
  const table = join(dir, 'Results_ResNet.json');
  if (!existsSync(table)) return undefined;
  const grids = [64, 64, 64, 128, 128, 128, 128].map((step) => ({ min: step, step, count: 4 }));
  return { label: 'Channel-Bench-Macro ResNet', space: 'cbm-resnet', table, grids, base: [128, 128, 128, 256, 256, 256, 256] };
}

const MLP_WIDTHS = [8, 16, 24, 32, 40, 48];

/** Params of the tiny MLP 784-a-b-c-d-10, counted by hand: every dense layer in*out weights plus out biases. */
export function tinyParams([a, b, c, d]: number[]): number {
  return 784 * a + a + a * b + b + b * c + c + c * d + d + d * 10 + 10;
}

/** MACs of the tiny MLP for one example: the dense layers' in*out. */
export function tinyMacs([a, b, c, d]: number[]): number {
  return 784 * a + a * b + b * c + c * d + d * 10;
}

/**
 * Writes the tiny MLP space and its table (all 6^4 = 1296 vectors, three made-up "trainings" each,
 * accuracies that rise with width plus a fixed jitter) into a fresh folder. `mutate` may change the
 * table before it is written (drop a vector, break a count).
 */
export function writeTinyTable(mutate?: (table: Record<string, { acc: number[]; mean: number; std: number; params: number; flops: number }>) => void): BenchFixture & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ww-table-'));
  const groups = ['fc1', 'fc2', 'fc3', 'fc4'];
  const space = {
    name: 'mlp-table-test', description: 'A 784-a-b-c-d-10 MLP for the --table tests.', input: [28, 28, 1], classes: 10, dataset: 'mnist',
    groups: groups.map((name) => ({ name, base: 16, min: 8, max: 48, step: 8 })),
    layers: [{ type: 'flatten' }, ...groups.map((name) => ({ type: 'dense', name, group: name, activation: 'relu' })), { type: 'dense', name: 'out' }],
  };
  const table: Record<string, { acc: number[]; mean: number; std: number; params: number; flops: number }> = {};
  let jitter = 7;
  const n = MLP_WIDTHS.length;
  for (let i = 0; i < n ** 4; i++) {
    const digits = [Math.floor(i / n ** 3), Math.floor(i / n ** 2) % n, Math.floor(i / n) % n, i % n];
    const widths = digits.map((k) => MLP_WIDTHS[k]);
    const acc = [0, 1, 2].map(() => {
      jitter = (jitter * 1103515245 + 12345) % 2147483648;
      return Math.round((80 + digits.reduce((s, k) => s + k, 0) + (jitter % 1000) / 500) * 100) / 100;
    });
    const mean = acc.reduce((s, v) => s + v, 0) / acc.length;
    table[digits.map((k) => k + 1).join('')] = { acc, mean, std: 0, params: tinyParams(widths), flops: tinyMacs(widths) };
  }
  mutate?.(table);
  writeFileSync(join(dir, 'space.json'), JSON.stringify(space));
  writeFileSync(join(dir, 'table.json'), JSON.stringify(table));
  return {
    dir, label: 'tiny MLP', space: join(dir, 'space.json'), table: join(dir, 'table.json'),
    grids: groups.map(() => ({ min: 8, step: 8, count: n })), base: [16, 16, 16, 16],
  };
}

/** The table key of `widths`, computed from the grids. */
export function keyOf(fixture: Pick<BenchFixture, 'grids'>, widths: readonly number[]): string {
  return widths.map((w, i) => String((w - fixture.grids[i].min) / fixture.grids[i].step + 1)).join('');
}
