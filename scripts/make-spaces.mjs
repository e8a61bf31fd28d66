// Writes the repetitive shipped spaces (ResNets, VGG) so their structure is stated once.
// Run: node scripts/make-spaces.mjs  (the JSON files are committed; this documents how they were made)
import { readFileSync, writeFileSync } from 'node:fs';

const write = (name, doc) => writeFileSync(new URL(`../search-spaces/${name}.json`, import.meta.url), JSON.stringify(doc, null, 2) + '\n');
const group = (name, base, { min = Math.max(4, base / 4), max = base * 4, step = base >= 64 ? 8 : 4 } = {}) => ({ name, base, min, max, step });

function cifarResnet(depth) {
  const n = (depth - 2) / 6;
  const widths = [16, 32, 64];
  const groups = widths.map((w, s) => group(`stage${s + 1}`, w));
  const layers = [{ type: 'conv', name: 'conv1', group: 'stage1', kernel: 3, bias: false, bn: true, activation: 'relu' }];
  widths.forEach((w, s) => {
    for (let b = 0; b < n; b++) {
      const name = `stage${s + 1}.block${b + 1}`;
      groups.push(group(`${name}.inner`, w));
      const down = s > 0 && b === 0;
      layers.push({ type: 'block', name, inner: `${name}.inner`, group: `stage${s + 1}`, stride: down ? 2 : 1, shortcut: down ? 'pad' : 'identity' });
    }
  });
  layers.push({ type: 'gap' }, { type: 'dense', name: 'fc' });
  return {
    name: `resnet${depth}-cifar`,
    description: `He et al.'s CIFAR ResNet-${depth}: 3x3 stem, three stages of ${n} basic blocks at 16/32/64, option-A shortcuts (subsample and zero-pad, no parameters), global average pool, dense. Groups: one per stage (the residual stream, shared by the stem and every block's second conv) and one per block's first conv.`,
    input: [32, 32, 3], classes: 10, dataset: 'cifar10', groups, layers,
  };
}
write('resnet20-cifar', cifarResnet(20));
write('resnet56-cifar', cifarResnet(56));

{
  const widths = [64, 128, 256, 512];
  const groups = widths.map((w, s) => group(`stage${s + 1}`, w));
  const layers = [{ type: 'conv', name: 'conv1', group: 'stage1', kernel: 3, bias: false, bn: true, activation: 'relu' }];
  widths.forEach((w, s) => {
    for (let b = 0; b < 2; b++) {
      const name = `stage${s + 1}.block${b + 1}`;
      groups.push(group(`${name}.inner`, w));
      const down = s > 0 && b === 0;
      layers.push({ type: 'block', name, inner: `${name}.inner`, group: `stage${s + 1}`, stride: down ? 2 : 1, shortcut: down ? 'projection' : 'identity' });
    }
  });
  layers.push({ type: 'gap' }, { type: 'dense', name: 'fc' });
  write('resnet18-cifar', {
    name: 'resnet18-cifar',
    description: 'The common CIFAR ResNet-18: 3x3 stem conv (no bias) + BN, four stages of two basic blocks at 64/128/256/512, 1x1 conv + BN projection where the shape changes, global average pool, dense.',
    input: [32, 32, 3], classes: 10, dataset: 'cifar10', groups, layers,
  });
}

{
  const plan = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];
  const groups = [];
  const layers = [];
  let i = 0;
  for (const p of plan) {
    if (p === 'M') { layers.push({ type: 'maxpool', size: 2 }); continue; }
    i++;
    groups.push(group(`conv${i}`, p));
    layers.push({ type: 'conv', name: `conv${i}`, group: `conv${i}`, kernel: 3, bias: true, bn: true, activation: 'relu' });
  }
  layers.push({ type: 'flatten' }, { type: 'dense', name: 'fc' });
  write('vgg16-cifar', {
    name: 'vgg16-cifar',
    description: 'The common CIFAR VGG-16: 13 conv3x3 with bias, each followed by BN and ReLU, five max-pools, one dense layer 512 -> classes. One group per conv.',
    input: [32, 32, 3], classes: 10, dataset: 'cifar10', groups, layers,
  });
}

// Mis-shaped starting points: the same layers as a shipped space with other base widths. These
// are where a width search has something to win (results/experiments/ground-truth.md).
function reshaped(from, name, bases, description) {
  const doc = JSON.parse(readFileSync(new URL(`../search-spaces/${from}.json`, import.meta.url), 'utf8'));
  doc.name = name;
  doc.description = description;
  doc.groups = doc.groups.map((g, i) => ({ ...g, base: bases[i], max: Math.max(g.max, bases[i]) }));
  return doc;
}
write('cnn-mnist-inverted', reshaped('cnn-mnist', 'cnn-mnist-inverted', [64, 32, 16, 16],
  "cnn-mnist's layers, wide early and narrow late (64,32,16,16): the opposite of the usual doubling as resolution halves. A starting point that leaves accuracy on the table at its MACs."));
write('cnn-mnist-flat', reshaped('cnn-mnist', 'cnn-mnist-flat', [32, 32, 32, 32],
  "cnn-mnist's layers at one width everywhere (32,32,32,32), as networks are often first written. A starting point for a width search."));
write('mlp-mnist-inverted', reshaped('mlp-mnist', 'mlp-mnist-inverted', [32, 256],
  "mlp-mnist's layers with a narrow first hidden layer and a wide second one (32,256): a bottleneck right after the input."));
