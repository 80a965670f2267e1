"""DEML's concept generator G, forward and backward, in PyTorch (CPU), for a same-run comparison.

G exactly as src-main/engine/nn/resnet.ts builds it (standard blocks): a 3x3 stem conv -> batch
norm -> ReLU, then stages of basic blocks [3x3 conv (stride 2 in the first block of each stage
after the first) -> BN -> ReLU -> 3x3 conv -> BN, + shortcut (a 1x1 conv where the shape changes)
-> ReLU], global average pooling and a linear map to the concept vector; convs without bias,
batch norm with each batch's own statistics, Glorot-uniform weights. One "iteration" is what a
concept-space meta-training iteration asks of G: a forward and a backward pass (the gradients of
G's parameters; the images need none) for each of its batches, by default the preset's 4 tasks'
support (5) and query (75) sets and DEML's external batch (64), each batch normalised on its own.
The loss is a fixed random projection of the concept vectors, so the backward pass is G's whole.

    python3 bench/torch/generator_step.py --size 28 --channels 1 --width 16 --stages 1,1,1,1 \\
        --concept 64 --batches 5,75,5,75,5,75,5,75,64 --threads 1 --iterations 8

Prints one JSON line: the median iteration after a warm-up (ms) and peak RSS.
"""

import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn.functional as F


def glorot(shape, fan_in, fan_out, generator):
    limit = (6 / (fan_in + fan_out)) ** 0.5
    return (torch.rand(*shape, generator=generator) * 2 - 1) * limit


def generator_params(channels, width, stages, concept, generator):
    params = {}

    def conv(name, k, cin, cout):
        params[name] = glorot((cout, cin, k, k), k * k * cin, k * k * cout, generator)

    def bn(name, c):
        params[f"{name}.gamma"] = torch.ones(c)
        params[f"{name}.beta"] = torch.zeros(c)

    blocks = []
    conv("stem.conv", 3, channels, width)
    bn("stem.bn", width)
    cin = width
    for s, count in enumerate(stages):
        cout = width * 2**s
        for b in range(count):
            stride = 2 if s > 0 and b == 0 else 1
            name = f"stage{s + 1}.block{b + 1}"
            projection = stride != 1 or cin != cout
            bn(f"{name}.bn1", cout)
            conv(f"{name}.conv1", 3, cin, cout)
            bn(f"{name}.bn2", cout)
            conv(f"{name}.conv2", 3, cout, cout)
            if projection:
                conv(f"{name}.shortcut", 1, cin, cout)
            blocks.append((name, stride, projection))
            cin = cout
    params["concept.weight"] = glorot((concept, cin), cin, concept, generator)
    params["concept.bias"] = torch.zeros(concept)
    for p in params.values():
        p.requires_grad_(True)
    return params, blocks


def norm(params, x, name):
    return F.batch_norm(x, None, None, params[f"{name}.gamma"], params[f"{name}.beta"], training=True)


def forward(params, blocks, x):
    x = F.relu(norm(params, F.conv2d(x, params["stem.conv"], padding=1), "stem.bn"))
    for name, stride, projection in blocks:
        shortcut = F.conv2d(x, params[f"{name}.shortcut"], stride=stride) if projection else x
        h = F.relu(norm(params, F.conv2d(x, params[f"{name}.conv1"], stride=stride, padding=1), f"{name}.bn1"))
        h = norm(params, F.conv2d(h, params[f"{name}.conv2"], padding=1), f"{name}.bn2")
        x = F.relu(h + shortcut)
    return F.linear(x.mean(dim=(2, 3)), params["concept.weight"], params["concept.bias"])


def print_median_iteration(iteration, iterations, threads, extra=None):
    """Time `iteration` after one warm-up call (oneDNN's primitives, the allocator) and print the
    JSON line the benches read: the median iteration (ms), peak RSS, PyTorch's version, and the
    fields of `extra`."""
    iteration()
    ms = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        iteration()
        ms.append(1000 * (time.perf_counter() - t0))
    print(
        json.dumps(
            {
                "msPerIteration": statistics.median(ms),
                "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "system": f"PyTorch {torch.__version__} (CPU, {threads} thread{'s' if threads > 1 else ''})",
                **(extra or {}),
            }
        )
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--stages", default="1,1,1,1")
    parser.add_argument("--concept", type=int, default=64)
    parser.add_argument("--batches", default="5,75,5,75,5,75,5,75,64")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(1)
    stages = [int(s) for s in args.stages.split(",")]
    params, blocks = generator_params(args.channels, args.width, stages, args.concept, generator)
    names = list(params)
    batches = [
        (
            torch.rand(n, args.channels, args.size, args.size, generator=generator),
            torch.randn(n, args.concept, generator=generator),
        )
        for n in (int(b) for b in args.batches.split(","))
    ]

    def iteration():
        total = None
        for images, projection in batches:
            loss = (forward(params, blocks, images) * projection).sum()
            grads = torch.autograd.grad(loss, [params[n] for n in names])
            total = list(grads) if total is None else [t + g for t, g in zip(total, grads)]
        return total

    print_median_iteration(iteration, args.iterations, args.threads)


if __name__ == "__main__":
    main()
