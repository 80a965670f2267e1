"""The meta-training step of bench/lib/speedRow.ts in PyTorch (CPU), for a same-run comparison.

conv4 exactly as src-main/engine/nn/conv4.ts builds it: blocks x [3x3 'same' conv without bias ->
batch norm with the batch's statistics (learnable gamma, beta) -> ReLU -> 2x2 max-pool], then a
linear head; Glorot-uniform weights. One task: `inner` steps of SGD on the support set (MAML:
second order, through create_graph; first-order MAML: the gradient at the adapted parameters;
Meta-SGD: a learned rate per parameter element), then the query loss's gradient with respect to
the meta-parameters. A meta-batch of tasks, then one Adam update. Random images of the given
shape: speed does not depend on the pixels.

    python3 bench/torch/maml_step.py --learner maml --size 28 --channels 1 --filters 64 \\
        --ways 5 --shots 1 --queries 15 --inner 1 --meta-batch 4 --threads 2 --iterations 10

Prints one JSON line: tasks/s (median iteration after a warm-up) and peak RSS.
"""

import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn.functional as F


def conv4_params(channels, filters, blocks, size, ways, generator):
    params = {}
    for i in range(1, blocks + 1):
        fan_in, fan_out = 9 * channels, 9 * filters
        limit = (6 / (fan_in + fan_out)) ** 0.5
        params[f"conv{i}.weight"] = (torch.rand(filters, channels, 3, 3, generator=generator) * 2 - 1) * limit
        params[f"bn{i}.gamma"] = torch.ones(filters)
        params[f"bn{i}.beta"] = torch.zeros(filters)
        channels = filters
        size //= 2
    features = size * size * filters
    limit = (6 / (features + ways)) ** 0.5
    params["head.weight"] = (torch.rand(ways, features, generator=generator) * 2 - 1) * limit
    params["head.bias"] = torch.zeros(ways)
    for p in params.values():
        p.requires_grad_(True)
    return params


def forward(params, x, blocks):
    for i in range(1, blocks + 1):
        x = F.conv2d(x, params[f"conv{i}.weight"], padding=1)
        x = F.batch_norm(x, None, None, params[f"bn{i}.gamma"], params[f"bn{i}.beta"], training=True)
        x = F.max_pool2d(F.relu(x), 2)
    return F.linear(x.flatten(1), params["head.weight"], params["head.bias"])


def task_gradient(params, rates, task, args):
    xs, ys, xq, yq = task
    names = list(params)
    fast = dict(params)
    second_order = args.learner in ("maml", "metasgd")
    for _ in range(args.inner):
        loss = F.cross_entropy(forward(fast, xs, args.blocks), ys)
        grads = torch.autograd.grad(loss, [fast[n] for n in names], create_graph=second_order)
        fast = {
            n: fast[n] - (rates[n] if rates is not None else args.inner_lr) * g for n, g in zip(names, grads)
        }
    query = F.cross_entropy(forward(fast, xq, args.blocks), yq)
    if args.learner == "fomaml":
        # The gradient at the adapted parameters, applied to the meta-parameters.
        adapted = [fast[n] for n in names]
        return query, torch.autograd.grad(query, adapted)
    leaves = [params[n] for n in names] + ([rates[n] for n in names] if rates is not None else [])
    return query, torch.autograd.grad(query, leaves)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--learner", default="maml", choices=["maml", "fomaml", "metasgd"])
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--filters", type=int, default=64)
    ap.add_argument("--blocks", type=int, default=4)
    ap.add_argument("--ways", type=int, default=5)
    ap.add_argument("--shots", type=int, default=1)
    ap.add_argument("--queries", type=int, default=15)
    ap.add_argument("--inner", type=int, default=1)
    ap.add_argument("--inner-lr", type=float, default=0.4)
    ap.add_argument("--meta-batch", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    params = conv4_params(args.channels, args.filters, args.blocks, args.size, args.ways, generator)
    rates = None
    if args.learner == "metasgd":
        rates = {n: torch.full_like(p, args.inner_lr).requires_grad_(True) for n, p in params.items()}
    leaves = list(params.values()) + (list(rates.values()) if rates is not None else [])
    optimizer = torch.optim.Adam(leaves, lr=0.001)

    def task():
        shape = (args.channels, args.size, args.size)
        xs = torch.rand(args.ways * args.shots, *shape, generator=generator)
        xq = torch.rand(args.ways * args.queries, *shape, generator=generator)
        ys = torch.arange(args.ways).repeat_interleave(args.shots)
        yq = torch.arange(args.ways).repeat_interleave(args.queries)
        return xs, ys, xq, yq

    seconds = []
    for iteration in range(args.iterations + 1):
        tasks = [task() for _ in range(args.meta_batch)]
        t0 = time.perf_counter()
        optimizer.zero_grad()
        total = [torch.zeros_like(p) for p in leaves]
        for t in tasks:
            _, grads = task_gradient(params, rates, t, args)
            for k, g in enumerate(grads):
                total[k] += g / args.meta_batch
        for p, g in zip(leaves, total):
            p.grad = g
        optimizer.step()
        if iteration > 0:  # the first iteration (allocator warm-up) is not timed
            seconds.append(time.perf_counter() - t0)
    per_iteration = statistics.median(seconds)
    print(
        json.dumps(
            {
                "system": f"PyTorch {torch.__version__} (CPU, {args.threads} threads)",
                "learner": args.learner,
                "tasksPerSecond": args.meta_batch / per_iteration,
                "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
