"""Overhead of nst's optimization loop over the bare network, at full size.

One nst L-BFGS iteration (losses, Gram matrices, optimizer step, clamp,
best-image bookkeeping) against one bare forward+backward pass of the same
truncated VGG-19 on the same input (the gradient of the sum of the same
layers' activations; same memory format), the two interleaved step by step so machine load hits
both alike.

    python benchmarks/overhead.py [--size 512] [--iterations 10]

Prints the median seconds of each and the ratio nst / bare (bar: <= 1.15).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from common import add_timing_arguments

from nst.coarse_to_fine import prepare_images
from nst.images import load_image
from nst.transfer import StyleTransfer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_timing_arguments(ap)
    a = ap.parse_args()
    c, s = prepare_images(load_image(a.content), [load_image(a.style)], a.size)
    st = StyleTransfer()
    st.set_targets(c, s)
    bare_x = c.clone().requires_grad_(True)

    def bare() -> float:
        t0 = time.perf_counter()
        feats = st.criterion.net(bare_x.contiguous(memory_format=st.criterion.memory_format), st.layers)
        sum(f.sum() for f in feats.values()).backward()
        bare_x.grad = None
        return time.perf_counter() - t0

    ours: list[float] = []
    base: list[float] = []
    last = [time.perf_counter()]

    def step(_) -> None:
        ours.append(time.perf_counter() - last[0])
        base.append(bare())
        last[0] = time.perf_counter()

    st.optimize(c, a.iterations + a.warmup, callback=step, tol=0.0)
    o, b = statistics.median(ours[a.warmup:]), statistics.median(base[a.warmup:])
    h, w = c.shape[-2:]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {w}x{h}, "
          f"layers {st.layers[0]}..{st.layers[-1]}")
    print(f"median of {a.iterations} interleaved: nst iteration {o:.3f} s, bare forward+backward {b:.3f} s, "
          f"ratio nst/bare = {o / b:.3f} (bar <= 1.15)")


if __name__ == "__main__":
    main()
