"""Training throughput of ``nst train``: seconds per step in float32 and in the precision ``nst train`` picks.

Runs ``--steps`` optimizer steps (after 2 warm-up steps) of the real training
step (network forward, VGG-19 perceptual loss with the recipe's layers,
backward, Adam) on random crops of synthetic photos, once with the loss
network in float32 (``--no-amp``) and once under the autocast dtype of
:func:`nst.device.training_amp_dtype` (bfloat16 on CUDA and on CPUs with
AVX512-BF16 or AMX), alternating ``--rounds`` times, and prints the median
seconds per step of each, images per second, and the ratio (float32 as the
peer). Where the device has no fast autocast dtype only float32 runs.

    python benchmarks/train_speed.py [--steps 10] [--rounds 2] [--size 128] [--batch-size 4] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from nst.criterion import Criterion
from nst.device import pick_device, training_amp_dtype
from nst.feedforward.network import NetConfig, TransformerNet
from nst.feedforward.train import TrainOptions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--size", type=int, default=128, help="crop side in px (default: the recipe's 128)")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = pick_device(args.device)
    net = TransformerNet(NetConfig(noise=True)).to(device).train()
    opts = TrainOptions()
    loss_fn = Criterion(content_layers=opts.content_layers, style_layers=opts.style_layers, device=device)
    loss_fn.set_style([torch.rand(1, 3, 2 * args.size, 2 * args.size)])
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    x = torch.rand(args.batch_size, 3, args.size, args.size, device=device)

    def step() -> None:
        loss = loss_fn(net(x), content=x)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()

    modes = {"float32": None}
    if (amp := training_amp_dtype(device)) is not None:
        modes[str(amp).removeprefix("torch.") + " autocast"] = amp
    times: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(args.rounds):
        for name, amp in modes.items():
            loss_fn.amp = amp
            for _ in range(2):
                step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            for _ in range(args.steps):
                step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            times[name].append((time.perf_counter() - t) / args.steps)
    print(f"{device}, {args.size} px crops, batch {args.batch_size}, {args.threads} threads, "
          f"{args.steps} steps x {args.rounds} rounds (medians):")
    base = statistics.median(times["float32"])
    for name, ts in times.items():
        s = statistics.median(ts)
        print(f"  {name:18s} {s:.3f} s/step  {args.batch_size / s:6.1f} images/s  {s / base:.2f}x float32's time")


if __name__ == "__main__":
    main()
