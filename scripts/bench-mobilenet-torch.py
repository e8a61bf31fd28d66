"""PyTorch side of scripts/bench-mobilenet.ts: ms per SGD training step of Channel-Bench-Macro's
MobileNet network (search-spaces/cbm-mobilenet.json) at one width vector, and ms per
forward pass plus both gradient kernels of single depthwise convolutions, on the CPU, one thread, after
warm-up. Run with Debian's python3-torch:
    /usr/bin/python3 scripts/bench-mobilenet-torch.py --widths 32,192,192,192,64,384,256 --batch 32 --steps 10
Prints one JSON object: {"torch", "threads", "params", "msPerStep", "depthwise": [{"shape", "stride", "ms"}]}.
The network follows the benchmark's README: inverted-residual blocks (1x1 expand, BN, ReLU;
depthwise 3x3 with the stride, BN, ReLU; 1x1 project, BN; input added when in = out and stride 1),
no conv bias, a 1x1 head conv with BN and ReLU, global average pool, linear with bias."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Inverted(nn.Module):
    def __init__(self, cin, hidden, cout, stride):
        super().__init__()
        self.residual = cin == cout and stride == 1
        self.expand, self.b1 = nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden)
        self.dw, self.b2 = nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden)
        self.project, self.b3 = nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)

    def forward(self, x):
        y = F.relu(self.b1(self.expand(x)))
        y = F.relu(self.b2(self.dw(y)))
        y = self.b3(self.project(y))
        return x + y if self.residual else y


class CbmMobileNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.stem, self.bn = nn.Conv2d(3, c[0], 3, 2, 1, bias=False), nn.BatchNorm2d(c[0])
        self.blocks = nn.Sequential(Inverted(c[0], c[1], c[0], 1), Inverted(c[0], c[2], c[0], 1), Inverted(c[0], c[3], c[4], 2), Inverted(c[4], c[5], c[4], 1))
        self.head, self.hbn = nn.Conv2d(c[4], c[6], 1, bias=False), nn.BatchNorm2d(c[6])
        self.fc = nn.Linear(c[6], 10)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn(self.stem(x))))
        x = F.relu(self.hbn(self.head(x)))
        return self.fc(x.mean(dim=(2, 3)))


def timed(run, steps, warmup):
    for _ in range(warmup):
        run()
    start = time.perf_counter()
    for _ in range(steps):
        run()
    return (time.perf_counter() - start) * 1000 / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--widths', default='32,192,192,192,64,384,256')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--depthwise', default='', help='shapes h,w,c,stride separated by ";" (NHWC without the batch)')
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    widths = [int(v) for v in args.widths.split(',')]
    model = CbmMobileNet(widths).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(args.batch, 3, 32, 32)
    y = torch.arange(args.batch) % 10

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'params': sum(p.numel() for p in model.parameters()),
           'msPerStep': timed(step, args.steps, args.warmup), 'depthwise': []}
    for spec in filter(None, args.depthwise.split(';')):
        h, w, c, stride = (int(v) for v in spec.split(','))
        xs = torch.randn(args.batch, c, h, w, requires_grad=True)
        ws = torch.randn(c, 1, 3, 3, requires_grad=True)
        dy = torch.randn_like(F.conv2d(xs, ws, None, stride, 1, 1, c))

        def grads():
            # The three kernels a training step runs: the forward pass and aten's convolution
            # backward for the input and the weight gradients (no autograd bookkeeping).
            with torch.no_grad():
                F.conv2d(xs, ws, None, stride, 1, 1, c)
                torch.ops.aten.convolution_backward(dy, xs, ws, None, [stride, stride], [1, 1], [1, 1], False, [0, 0], c, [True, True, False])

        out['depthwise'].append({'shape': [h, w, c], 'stride': stride, 'ms': timed(grads, args.steps * 3, args.warmup)})
    print(json.dumps(out))


if __name__ == '__main__':
    main()
