"""Reference for StepTimeBenchmark: the same training step in plain PyTorch eager on this machine.

ResNet18 as ai.djl.quant.zoo.cv.ResNet18 (3x3 stem without bias, BasicBlock [2,2,2,2], widths
64-128-256-512, global average pool, FC 10, 28x28 single-channel input). Stem and classifier stay
float; every other convolution gets PyTorch's own learnable fake quantizers, as torch.ao's
_LearnableFakeQuantize uses them: weights per output channel, signed 4 bits
(torch._fake_quantize_learnable_per_channel_affine), activations per tensor at the convolution's
input, unsigned 4 bits (torch._fake_quantize_learnable_per_tensor_affine). SGD with momentum 0.9,
random batches; the models take turns (rounds of a few steps each, the first step of each turn
untimed) and the medians are compared, as ai.djl.quant.training.StepTimer does.

Needs PyTorch (Debian bookworm: apt-get install python3-torch, 1.13). Not part of the build or of CI.
Usage: /usr/bin/python3 dev/pytorch_step_time.py [BATCH=64] [STEM_STRIDE=2] [ROUNDS=8] [STEPS_PER_ROUND=4] [THREADS=2]
"""
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LsqActivation(nn.Module):
    def __init__(self, bits):
        super().__init__()
        self.qmax = 2 ** bits - 1
        self.scale = nn.Parameter(torch.tensor([0.1]))
        self.register_buffer("zero", torch.zeros(1))

    def forward(self, x):
        grad = 1.0 / (x.numel() * self.qmax) ** 0.5
        return torch._fake_quantize_learnable_per_tensor_affine(x, self.scale, self.zero, 0, self.qmax, grad)


class QuantConv(nn.Conv2d):
    """Conv2d whose weight (per output channel) and input (per tensor) are LSQ fake-quantized."""

    def __init__(self, *args, bits=4, **kwargs):
        super().__init__(*args, **kwargs)
        self.qmin, self.qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        self.w_scale = nn.Parameter(self.weight.detach().abs().mean(dim=(1, 2, 3)) * 2 / self.qmax ** 0.5)
        self.register_buffer("w_zero", torch.zeros(self.out_channels))
        self.act = LsqActivation(bits)

    def forward(self, x):
        grad = 1.0 / (self.weight[0].numel() * self.qmax) ** 0.5
        w = torch._fake_quantize_learnable_per_channel_affine(
            self.weight, self.w_scale, self.w_zero, 0, self.qmin, self.qmax, grad)
        return self._conv_forward(self.act(x), w, None)


def conv(quantized, cin, cout, k, stride):
    kind = QuantConv if quantized else nn.Conv2d
    return kind(cin, cout, k, stride, k // 2, bias=False)


class Basic(nn.Module):
    def __init__(self, q, cin, cout, stride):
        super().__init__()
        self.c1, self.b1 = conv(q, cin, cout, 3, stride), nn.BatchNorm2d(cout)
        self.c2, self.b2 = conv(q, cout, cout, 3, 1), nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(conv(q, cin, cout, 1, stride), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.short is None else self.short(x)))


def resnet18(quantized, stem_stride):
    layers = [nn.Conv2d(1, 64, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    cin = 64
    for stage, width in enumerate([64, 128, 256, 512]):
        stride = 1 if stage == 0 else 2
        layers += [Basic(quantized, cin, width, stride), Basic(quantized, width, width, 1)]
        cin = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10))


def main():
    batch, stem, rounds, steps, threads = ([int(a) for a in sys.argv[1:]] + [64, 2, 8, 4, 2][len(sys.argv) - 1:])[:5]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__} eager, ResNet18 (stride-{stem} stem), batch {batch}, {threads} threads, "
          f"{rounds + 1} rounds of {steps} steps per model (first round and first step of each turn untimed)")
    x, y = torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,))
    models = {"fp32": resnet18(False, stem), "LSQ W4A4": resnet18(True, stem)}
    optimizers = {n: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9) for n, m in models.items()}
    times = {n: [] for n in models}
    for r in range(rounds + 1):
        for name, model in models.items():
            for s in range(steps):
                start = time.perf_counter()
                optimizers[name].zero_grad(set_to_none=True)
                F.cross_entropy(model(x), y).backward()
                optimizers[name].step()
                if r > 0 and s > 0:
                    times[name].append(time.perf_counter() - start)
    fp32 = statistics.median(times["fp32"])
    print(f"{'model':<12} {'ms/step':>10} {'ratio':>8}")
    for name, t in times.items():
        print(f"{name:<12} {1000 * statistics.median(t):10.1f} {statistics.median(t) / fp32:8.3f}")


if __name__ == "__main__":
    main()
