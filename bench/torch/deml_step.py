"""One DEML meta-training iteration in PyTorch (CPU), for a same-run comparison with the engine's.

The "concept space vs pixels" preset's concept cell, as src-main/engine builds it:
- G, the concept generator: the ResNet of generator_step.py (each batch normalised on its own);
- M, the meta-learner's head: an MLP on G's concepts (--head hidden sizes, ReLU between layers,
  Glorot-uniform weights, zero biases) to N ways;
- per task (--meta-batch of them): G on the support set and on the query set, M adapted by
  --inner-steps steps of SGD (α, or Meta-SGD's learned rate per parameter) on the support loss,
  the query loss at the adapted M; MAML and Meta-SGD differentiate through the inner steps
  (second order); first-order MAML takes the inner gradients as constants, and G then learns
  through the query concepts only (the support concepts are features, as in
  engine/learners/gradientLearner.ts);
- D, the concept discriminator: a linear map of G's concepts to the external dataset's classes,
  on an external batch (--external-batch), its loss weighted by λ; its gradient reaches G and D;
- the mean task gradient plus D's, one Adam step (β1 0.9, β2 0.999, ε 1e-8) on G, M (and the rates).

    python3 bench/torch/deml_step.py --learner maml --threads 1 --iterations 8

Prints one JSON line: the median iteration after a warm-up (ms), peak RSS, PyTorch's version and
the number of learned values in each part (G, M, D and Meta-SGD's rates).
"""

import argparse

import torch
import torch.nn.functional as F

from generator_step import forward as generator_forward
from generator_step import generator_params, glorot, print_median_iteration


def head_params(sizes, generator):
    params = {}
    for i in range(len(sizes) - 1):
        params[f"M.fc{i + 1}.weight"] = glorot((sizes[i + 1], sizes[i]), sizes[i], sizes[i + 1], generator)
        params[f"M.fc{i + 1}.bias"] = torch.zeros(sizes[i + 1])
    for p in params.values():
        p.requires_grad_(True)
    return params


def head_forward(head, x):
    layers = len(head) // 2
    for i in range(1, layers + 1):
        x = F.linear(x, head[f"M.fc{i}.weight"], head[f"M.fc{i}.bias"])
        if i < layers:
            x = F.relu(x)
    return x


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learner", choices=["maml", "fomaml", "metasgd"], default="maml")
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--stages", default="1,1,1,1")
    parser.add_argument("--concept", type=int, default=64)
    parser.add_argument("--head", default="128,64")
    parser.add_argument("--ways", type=int, default=5)
    parser.add_argument("--shots", type=int, default=1)
    parser.add_argument("--queries", type=int, default=15)
    parser.add_argument("--meta-batch", type=int, default=4)
    parser.add_argument("--inner-steps", type=int, default=1)
    parser.add_argument("--inner-lr", type=float, default=0.4)
    parser.add_argument("--meta-lr", type=float, default=0.001)
    parser.add_argument("--external-batch", type=int, default=64)
    parser.add_argument("--external-classes", type=int, default=200)
    parser.add_argument("--lam", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(1)
    stages = [int(s) for s in args.stages.split(",")]
    g_params, blocks = generator_params(args.channels, args.width, stages, args.concept, gen)
    sizes = [args.concept, *(int(h) for h in args.head.split(",") if h), args.ways]
    head = head_params(sizes, gen)
    d_params = {
        "D.weight": glorot((args.external_classes, args.concept), args.concept, args.external_classes, gen),
        "D.bias": torch.zeros(args.external_classes),
    }
    for p in d_params.values():
        p.requires_grad_(True)
    rates = {}
    if args.learner == "metasgd":
        rates = {f"lr:{n}": (torch.rand(p.shape, generator=gen) * (0.1 - 0.005) + 0.005) for n, p in head.items()}
        for r in rates.values():
            r.requires_grad_(True)
    params = {**g_params, **head, **d_params, **rates}
    names = list(params)
    optimizer = torch.optim.Adam([params[n] for n in names], lr=args.meta_lr, betas=(0.9, 0.999), eps=1e-8)
    image = (args.channels, args.size, args.size)

    def task():
        support = torch.rand(args.ways * args.shots, *image, generator=gen)
        query = torch.rand(args.ways * args.queries, *image, generator=gen)
        return (
            support,
            torch.arange(args.ways).repeat_interleave(args.shots),
            query,
            torch.arange(args.ways).repeat_interleave(args.queries),
        )

    tasks = [task() for _ in range(args.meta_batch)]
    external = (
        torch.rand(args.external_batch, *image, generator=gen),
        torch.randint(args.external_classes, (args.external_batch,), generator=gen),
    )
    head_names = list(head)
    second_order = args.learner != "fomaml"

    def task_loss(support, support_labels, query, query_labels):
        if second_order:
            features = generator_forward(g_params, blocks, support)
        else:
            with torch.no_grad():
                features = generator_forward(g_params, blocks, support)
        fast = dict(head)
        for _ in range(args.inner_steps):
            loss = F.cross_entropy(head_forward(fast, features), support_labels)
            grads = torch.autograd.grad(loss, [fast[n] for n in head_names], create_graph=second_order)
            fast = {
                n: fast[n] - (rates[f"lr:{n}"] if rates else args.inner_lr) * (g if second_order else g.detach())
                for n, g in zip(head_names, grads)
            }
        return F.cross_entropy(head_forward(fast, generator_forward(g_params, blocks, query)), query_labels)

    def iteration():
        optimizer.zero_grad(set_to_none=True)
        meta = sum(task_loss(*t) for t in tasks) / len(tasks)
        images, labels = external
        concepts = generator_forward(g_params, blocks, images)
        discrimination = args.lam * F.cross_entropy(F.linear(concepts, d_params["D.weight"], d_params["D.bias"]), labels)
        # First order: fast = head − α·(a constant), so backward gives the head the query gradient
        # at the adapted weights, as the engine's first-order step does.
        (meta + discrimination).backward()
        optimizer.step()

    # Learned values per part, which bench/demlStep.ts compares with the engine's model: the two
    # steps must train the same networks for their times to compare.
    parts = {"G": g_params, "M": head, "D": d_params, "rates": rates}
    parameters = {k: sum(p.numel() for p in v.values()) for k, v in parts.items() if v}
    print_median_iteration(iteration, args.iterations, args.threads, {"parameters": parameters})


if __name__ == "__main__":
    main()
