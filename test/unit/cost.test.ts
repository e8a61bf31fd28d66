import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spaceCost } from '../../src/cost/index.js';
import { baseWidths, loadSpace, parseSpace, resolveNetwork } from '../../src/space/index.js';

const cost = (name: string, widths?: number[]) => {
  const space = loadSpace(name);
  return spaceCost(space, widths ?? baseWidths(space));
};

test('published parameter counts of the standard architectures', () => {
  // He et al. CIFAR ResNets as commonly implemented with option-A shortcuts: 0.27M and 0.85M.
  assert.equal(cost('resnet20-cifar').params, 269_722);
  assert.equal(cost('resnet56-cifar').params, 853_018);
  // The common CIFAR ResNet-18 (projection shortcuts) and VGG-16 (conv bias + BN, one dense layer).
  assert.equal(cost('resnet18-cifar').params, 11_173_962);
  assert.equal(cost('vgg16-cifar').params, 14_728_266);
});

test('published MAC counts (conv and dense multiply-accumulates only)', () => {
  // Commonly quoted: ResNet-20 ~41M, ResNet-56 ~125M, VGG-16 (CIFAR) ~313M, ResNet-18 (CIFAR) ~0.56G.
  const within = (value: number, expected: number, rel: number) => assert.ok(Math.abs(value / expected - 1) < rel, `${value} vs ${expected}`);
  within(cost('resnet20-cifar').macs, 40.55e6, 0.005);
  within(cost('resnet56-cifar').macs, 125.49e6, 0.005);
  within(cost('vgg16-cifar').macs, 313.2e6, 0.005);
  within(cost('resnet18-cifar').macs, 555.4e6, 0.005);
});

test('hand counts of the MLP and the small CNN', () => {
  // 784*256+256 + 256*128+128 + 128*10+10
  assert.deepEqual({ p: cost('mlp-mnist').params, m: cost('mlp-mnist').macs }, { p: 235_146, m: 234_752 });
  const c = cost('cnn-mnist', [8, 12, 16, 24]);
  // conv1: 3*3*1*8 + BN 16 = 88 params, 28*28*72 MACs; pool -> 14x14
  // conv2: 3*3*8*12 + 24 = 888, 14*14*864 MACs; pool -> 7x7
  // conv3: 3*3*12*16 + 32 = 1760, 7*7*1728 MACs; gap
  // fc1: 16*24 + 24 = 408, 384 MACs; out: 24*10 + 10 = 250, 240 MACs
  assert.equal(c.params, 88 + 888 + 1760 + 408 + 250);
  assert.equal(c.macs, 28 * 28 * 72 + 14 * 14 * 864 + 7 * 7 * 1728 + 384 + 240);
  assert.deepEqual(c.layers.map((l) => l.name), ['conv1', 'conv2', 'conv3', 'fc1', 'out']);
});

test('option-A shortcuts have no parameters; a ResNet-20 block at stride 2 halves the map', () => {
  const space = loadSpace('resnet20-cifar');
  const widths = baseWidths(space);
  const c = spaceCost(space, widths);
  const first = c.layers.find((l) => l.name === 'stage2.block1.conv1')!;
  // 3x3x16x32 weights + BN 64; output 16x16
  assert.equal(first.params, 3 * 3 * 16 * 32 + 64);
  assert.equal(first.macs, 16 * 16 * 3 * 3 * 16 * 32);
  assert.ok(!c.layers.some((l) => l.name.endsWith('.shortcut')));
});

test('hand counts of depthwise convs and inverted-residual blocks (BN scale/offset counted, no conv bias)', () => {
  const space = parseSpace(JSON.stringify({
    name: 'tiny-mobile', input: [8, 8, 3], classes: 10, dataset: 'synthetic',
    groups: [
      { name: 'a', base: 4, min: 4, max: 8, step: 4 }, { name: 'h', base: 12, min: 4, max: 12, step: 4 },
      { name: 'h2', base: 6, min: 2, max: 6, step: 2 }, { name: 'b', base: 5, min: 5, max: 5, step: 1 },
    ],
    layers: [
      { type: 'conv', name: 'stem', group: 'a', kernel: 3, bn: true, activation: 'relu' },
      { type: 'inverted', name: 'blk1', expand: 'h', group: 'a' },
      { type: 'inverted', name: 'blk2', expand: 'h2', group: 'b', stride: 2 },
      { type: 'depthwise', name: 'dw', kernel: 3, bn: true, activation: 'relu' },
      { type: 'gap' },
      { type: 'dense', name: 'out' },
    ],
  }), 'tiny.json');
  const net = resolveNetwork(space, baseWidths(space));
  // The input is added only where it has the block's group at stride 1.
  assert.deepEqual(net.ops.filter((op) => op.kind === 'inverted').map((op) => op.kind === 'inverted' && op.residual), [true, false]);
  const c = spaceCost(space, baseWidths(space));
  const byName = Object.fromEntries(c.layers.map((l) => [l.name, [l.kind, l.group, l.params, l.macs]]));
  assert.deepEqual(byName, {
    stem: ['conv', 'a', 3 * 3 * 3 * 4 + 8, 8 * 8 * 3 * 3 * 3 * 4],
    'blk1.expand': ['conv', 'h', 4 * 12 + 24, 8 * 8 * 4 * 12],
    // one 3x3 filter per channel: 9 weights and 9 MACs per output pixel per channel
    'blk1.depthwise': ['depthwise', 'h', 9 * 12 + 24, 8 * 8 * 9 * 12],
    'blk1.project': ['conv', 'a', 12 * 4 + 8, 8 * 8 * 12 * 4],
    'blk2.expand': ['conv', 'h2', 4 * 6 + 12, 8 * 8 * 4 * 6],
    // stride 2: 8x8 -> 4x4 at the depthwise conv
    'blk2.depthwise': ['depthwise', 'h2', 9 * 6 + 12, 4 * 4 * 9 * 6],
    'blk2.project': ['conv', 'b', 6 * 5 + 10, 4 * 4 * 6 * 5],
    // a standalone depthwise conv joins the group of the layer before it
    dw: ['depthwise', 'b', 9 * 5 + 10, 4 * 4 * 9 * 5],
    out: ['dense', null, 5 * 10 + 10, 5 * 10],
  });
});
