"""Style quality of a feed-forward model against the optimization method, on held-out photos.

For each photo (resized to long side ``--size``) this computes the style loss
of the model's output and of ``nst.stylize`` (Gatys et al., the project's
defaults) at the same size, both measured the same way: our default style
layers (relu1_1..relu5_1, equal weights) against the style image at the same
long side, with the relative normalization of :class:`nst.StyleTransfer`
(unweighted by --style-weight). Prints per-photo losses and the ratio of the
means, model / optimization (bar: within 3x, i.e. ratio <= 3).

    python benchmarks/feedforward_quality.py MODEL STYLE --photos P1 P2 P3 [--size 256]
"""

from __future__ import annotations

import argparse
import statistics

import torch

import nst
from nst.api import prepare_images
from nst.feedforward.stylize import load_stylizer, stylize_tensor
from nst.images import load_image, pil_to_tensor

BAR = 3.0


def style_loss(st: nst.StyleTransfer, image: torch.Tensor) -> float:
    """Unweighted relative style loss of ``image`` (1, 3, H, W) against ``st``'s style targets."""
    with torch.no_grad():
        return float(st.loss_terms(image, content_weight=0.0, style_weight=1.0, tv_weight=0.0)["style"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help=".safetensors or .onnx model")
    ap.add_argument("style", help="the style image the model was trained on")
    ap.add_argument("--photos", nargs="+", required=True, help="held-out photos (not in the training folder)")
    ap.add_argument("--size", type=int, default=256, help="long side in pixels")
    args = ap.parse_args()
    stylizer, factor = load_stylizer(args.model)
    st = nst.StyleTransfer()
    style_img = load_image(args.style)
    ff, opt = [], []
    for path in args.photos:
        content, styles = prepare_images(load_image(path), [style_img], args.size)
        st.set_targets(content, styles)
        a = style_loss(st, stylize_tensor(stylizer, content, factor))
        b = style_loss(st, pil_to_tensor(nst.stylize(content, style_img, size=args.size)))
        ff.append(a)
        opt.append(b)
        print(f"{path}: feed-forward {a:.4g}, optimization {b:.4g}, ratio {a / b:.2f}", flush=True)
    ratio = statistics.mean(ff) / statistics.mean(opt)
    print(f"mean style loss: feed-forward {statistics.mean(ff):.4g}, optimization {statistics.mean(opt):.4g}; "
          f"ratio {ratio:.2f} (bar: <= {BAR:g}) -> {'PASS' if ratio <= BAR else 'FAIL'}")


if __name__ == "__main__":
    main()
