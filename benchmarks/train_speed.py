"""Training throughput of ``nst train`` at 256 px, batch 4: images per second.

Runs ``--steps`` optimizer steps (after 2 warm-up steps) of the real training
step (network forward, VGG-19 perceptual loss, backward, Adam) on random
crops of synthetic photos, and prints images/s by wall clock and by process
CPU time per thread (the figure an idle machine would show when the machine
is shared).

    python benchmarks/train_speed.py [--steps 20] [--size 256] [--batch-size 4] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import torch

from nst.criterion import Criterion
from nst.feedforward.network import NetConfig, TransformerNet
from nst.feedforward.train import TrainOptions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = TransformerNet(NetConfig()).train()
    opts = TrainOptions()
    loss_fn = Criterion(content_layers=opts.content_layers, style_layers=opts.style_layers)
    loss_fn.set_style([torch.rand(1, 3, 2 * args.size, 2 * args.size)])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step() -> None:
        x = torch.rand(args.batch_size, 3, args.size, args.size)
        loss = loss_fn(net(x), content=x)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step()
    wall, cpu = time.perf_counter() - t, (time.process_time() - c) / args.threads
    n = args.steps * args.batch_size
    print(f"{args.steps} steps at {args.size} px, batch {args.batch_size}, {args.threads} threads: "
          f"{n / wall:.2f} images/s wall, {n / cpu:.2f} images/s per CPU-second/thread "
          f"({wall / args.steps:.2f} s/step wall)")


if __name__ == "__main__":
    main()
