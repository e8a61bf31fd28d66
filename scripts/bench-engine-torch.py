"""PyTorch side of scripts/bench-engine.ts: ms per SGD training step of the reference models on
the CPU, one thread, after warm-up. Run with Debian's python3-torch:
    /usr/bin/python3 scripts/bench-engine-torch.py --steps 20 [--models reference-cnn,resnet20-cifar,mlp-mnist]
Prints one JSON object: {"torch": version, "threads": n, "rows": [{"model", "batch", "msPerStep", "cpuMsPerStep", "params"}]}
(msPerStep by the wall clock, cpuMsPerStep in the process's CPU time, which a busy machine does not inflate).
The architectures mirror the widthwise spaces at their base widths (same layers, same widths,
same padding, option-A shortcuts, BN without conv bias where the space has BN)."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ReferenceCnn(nn.Module):
    """conv3x3 32, max-pool, conv3x3 64, max-pool, conv3x3 128, global average pool, dense 10; ReLU."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.c3 = nn.Conv2d(64, 128, 3, padding=1)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.c3(x))
        return self.fc(x.mean(dim=(2, 3)))


class Block(nn.Module):
    """He et al.'s basic block with the option-A shortcut (subsample, zero-pad channels)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride, self.pad = stride, cout - cin
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        out = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        skip = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        if self.pad > 0:
            skip = F.pad(skip, (0, 0, 0, 0, 0, self.pad))
        return F.relu(out + skip)


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for width, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(3):
                blocks.append(Block(cin, width, stride if i == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn(self.stem(x))))
        return self.fc(x.mean(dim=(2, 3)))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.f1, self.f2, self.out = nn.Linear(784, 256), nn.Linear(256, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = x.flatten(1)
        return self.out(F.relu(self.f2(F.relu(self.f1(x)))))


MODELS = {
    'reference-cnn': (ReferenceCnn, 64, (3, 32, 32)),
    'resnet20-cifar': (ResNet20, 128, (3, 32, 32)),
    'mlp-mnist': (Mlp, 128, (1, 28, 28)),
}


def bench(name, steps, warmup, forward_only=False):
    make, batch, shape = MODELS[name]
    torch.manual_seed(0)
    model = make().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(batch, *shape)
    y = torch.arange(batch) % 10

    def forward():
        with torch.no_grad():
            return model(x).sum().item()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    run = forward if forward_only else step
    for _ in range(warmup):
        run()
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(steps):
        run()
    ms = (time.perf_counter() - start) * 1000 / steps
    cpu_ms = (time.process_time() - cpu_start) * 1000 / steps
    return {'model': name, 'batch': batch, 'msPerStep': ms, 'cpuMsPerStep': cpu_ms, 'params': sum(p.numel() for p in model.parameters())}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--models', default=','.join(MODELS))
    parser.add_argument('--forward-only', action='store_true', help='time the forward pass alone (training mode, no gradients)')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [bench(name, args.steps, args.warmup, args.forward_only) for name in args.models.split(',')]
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'rows': rows}))


if __name__ == '__main__':
    main()
