import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SpaceError } from '../../src/core/errors.js';
import { baseWidths, checkWidths, loadSpace, parseSpace, parseWidths, resolveNetwork, scaledWidths, shippedSpaceNames, spaceFile } from '../../src/space/index.js';

test('every shipped space validates and resolves at its base widths', () => {
  const names = shippedSpaceNames();
  for (const expected of ['cnn-mnist', 'mlp-mnist', 'vgg16-cifar', 'resnet20-cifar', 'resnet56-cifar', 'resnet18-cifar']) {
    assert.ok(names.includes(expected), `missing shipped space ${expected}`);
  }
  for (const name of names) {
    const space = loadSpace(name);
    checkWidths(space, baseWidths(space));
    const net = resolveNetwork(space, baseWidths(space));
    assert.ok(net.ops.length > 0);
  }
});

test('group counts follow the sharing rules (residual streams share one group, block inner convs own one)', () => {
  // ResNet-20: 3 stage groups + 9 blocks; ResNet-56: 3 + 27; ResNet-18: 4 + 8; VGG-16: 13 convs.
  assert.equal(loadSpace('resnet20-cifar').groups.length, 12);
  assert.equal(loadSpace('resnet56-cifar').groups.length, 30);
  assert.equal(loadSpace('resnet18-cifar').groups.length, 12);
  assert.equal(loadSpace('vgg16-cifar').groups.length, 13);
});

const base = JSON.parse(readFileSync(spaceFile('cnn-mnist'), 'utf8'));
function errorOf(mutate: (doc: any) => void): string {
  const doc = structuredClone(base);
  mutate(doc);
  try {
    parseSpace(JSON.stringify(doc), 'bad.json');
  } catch (err) {
    assert.ok(err instanceof SpaceError, `expected SpaceError, got ${err}`);
    return (err as Error).message;
  }
  assert.fail('expected a SpaceError');
}

test('bad space files name the file, the JSON path, what was found and what was expected', () => {
  let m = errorOf((d) => { d.layers[0].kernal = 3; });
  assert.match(m, /^bad\.json: \$\.layers\[0\]\.kernal: .*unknown key/);
  m = errorOf((d) => { d.layers[0].kernel = '3'; });
  assert.match(m, /\$\.layers\[0\]\.kernel: expected a positive integer, found "3"/);
  m = errorOf((d) => { delete d.classes; });
  assert.match(m, /\$\.classes: .*missing field/);
  m = errorOf((d) => { d.groups[0].base = 100; });
  assert.match(m, /\$\.groups\[0\]\.base: expected an integer in \[4, 64\].*found number 100/);
  m = errorOf((d) => { d.groups[0].base = 18; });
  assert.match(m, /\$\.groups\[0\]\.base: .*grid.*step 4.*found number 18/);
  m = errorOf((d) => { d.layers[0].group = 'nope'; });
  assert.match(m, /\$\.layers\[0\]\.group: .*unknown group/);
  m = errorOf((d) => { d.layers[0].type = 'convolution'; });
  assert.match(m, /\$\.layers\[0\]\.type: expected one of "conv"/);
  assert.throws(() => parseSpace('{ "name": ', 'broken.json'), /broken\.json: expected valid JSON/);
});

test('a residual add of unequal groups is refused with the layer path', () => {
  const doc = JSON.parse(readFileSync(spaceFile('resnet20-cifar'), 'utf8'));
  // stage2.block2 adds into stage2; pointing its output at stage3 makes an identity add of stage2 + stage3.
  const i = doc.layers.findIndex((l: any) => l.name === 'stage2.block2');
  doc.layers[i].group = 'stage3';
  assert.throws(() => parseSpace(JSON.stringify(doc), 'res.json'), (err: Error) =>
    err instanceof SpaceError && err.message.includes(`res.json: $.layers[${i}]`) && /expected equal groups/.test(err.message));
});

test('--widths is checked per group and --scale rounds to the nearest integer, at least 1', () => {
  const space = loadSpace('cnn-mnist');
  assert.deepEqual(parseWidths(space, '8, 16,32,64'), [8, 16, 32, 64]);
  assert.throws(() => parseWidths(space, '8,16,32'), /expected 4 widths/);
  assert.throws(() => parseWidths(space, '8,18,32,64'), /group "conv2".*found 18/);
  assert.throws(() => parseWidths(space, '8,x,32,64'), /expected comma-separated integers/);
  assert.deepEqual(scaledWidths(space, 0.5), [8, 16, 32, 32]);
  assert.deepEqual(scaledWidths(space, 0.01), [1, 1, 1, 1]);
  assert.deepEqual(scaledWidths(space, 1.55), [25, 50, 99, 99]);
});

test('the space schema: a document, layer or field of the wrong kind is a SpaceError with its path, never a crash', () => {
  const cases: [(d: any) => void, RegExp][] = [
    [(d) => { d.layers[0] = 3; }, /^bad\.json: \$\.layers\[0\]: expected a layer object with a "type", found number 3$/],
    [(d) => { delete d.layers[0].type; }, /\$\.layers\[0\]\.type: expected one of "conv", .*found nothing$/],
    [(d) => { d.input = [28, 28]; }, /\$\.input: expected \[height, width, channels\], found an array of 2$/],
    [(d) => { d.layers = null; }, /\$\.layers: expected a non-empty array of layers, found null$/],
    [(d) => { d.layers[0].padding = 'full'; }, /\$\.layers\[0\]\.padding: expected one of "same", "valid", found "full"$/],
    [(d) => { d.groups[0].step = 2.5; }, /\$\.groups\[0\]\.step: expected a positive integer, found number 2\.5$/],
  ];
  for (const [mutate, pattern] of cases) assert.match(errorOf(mutate), pattern);
  for (const doc of ['null', '[]', '7']) assert.throws(() => parseSpace(doc, 'x.json'), (e: Error) => e instanceof SpaceError && /^x\.json: \$: expected an object, found/.test(e.message), doc);
});

test('depthwise convs and inverted blocks: a depthwise conv needs a grouped input, an inverted block existing groups', () => {
  // cnn-mnist's first layer reads the image: a depthwise conv there has no group to join.
  let m = errorOf((d) => { d.layers.unshift({ type: 'depthwise', name: 'dw', kernel: 3 }); });
  assert.match(m, /\$\.layers\[0\]: expected a layer with a width group before a depthwise conv/);
  m = errorOf((d) => { d.layers.splice(1, 0, { type: 'inverted', name: 'inv', expand: 'nope', group: 'conv1' }); });
  assert.match(m, /\$\.layers\[1\]\.expand: .*unknown group/);
  m = errorOf((d) => { d.layers.splice(1, 0, { type: 'inverted', name: 'inv', expand: 'conv2', group: 'conv1', ratio: 6 }); });
  assert.match(m, /\$\.layers\[1\]\.ratio: .*unknown key/);
  m = errorOf((d) => { d.layers.splice(1, 0, { type: 'depthwise', name: 'dw', kernel: 3, group: 'conv1' }); });
  assert.match(m, /\$\.layers\[1\]\.group: .*unknown key/);
});
