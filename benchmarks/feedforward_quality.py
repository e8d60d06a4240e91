"""Style quality of a feed-forward model against the optimization method, on held-out photos.

For each photo (resized to long side ``--size``) this computes the style loss
of the model's output and of ``nst.stylize`` (Gatys et al., the project's
defaults) at the same size, both measured the same way: our default style
layers (relu1_1..relu5_1, equal weights) against the style image at the same
long side, with the relative normalization of :class:`nst.StyleTransfer`
(unweighted by --style-weight). Prints per-photo losses and the ratio of the
means, model / optimization (bar: within 3x, i.e. ratio <= 3). The content
loss (relu4_2, unweighted) is printed beside it, so that a model which buys
its style loss with the subject shows it.

    python benchmarks/feedforward_quality.py MODEL STYLE --photos P1 P2 P3 [--size 256]
"""

from __future__ import annotations

import argparse
import statistics

import torch

import nst
from nst.coarse_to_fine import prepare_images
from nst.feedforward.stylize import load_runner, stylize_tensor
from nst.images import load_image, pil_to_tensor

BAR = 3.0


def losses(st: nst.StyleTransfer, image: torch.Tensor) -> tuple[float, float]:
    """Unweighted relative (content, style) loss of ``image`` (1, 3, H, W) against ``st``'s targets."""
    with torch.no_grad():
        terms = st.loss_terms(image, content_weight=1.0, style_weight=1.0, tv_weight=0.0)
    return float(terms["content"]), float(terms["style"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help=".safetensors or .onnx model")
    ap.add_argument("style", help="the style image the model was trained on")
    ap.add_argument("--photos", nargs="+", required=True, help="held-out photos (not in the training folder)")
    ap.add_argument("--size", type=int, default=256, help="long side in pixels")
    args = ap.parse_args()
    stylizer, factor = load_runner(args.model)
    st = nst.StyleTransfer()
    style_img = load_image(args.style)
    ff, opt, ff_content, opt_content = [], [], [], []
    for path in args.photos:
        content, styles = prepare_images(load_image(path), [style_img], args.size)
        st.set_targets(content, styles)
        ca, a = losses(st, stylize_tensor(stylizer, content, factor))
        cb, b = losses(st, pil_to_tensor(nst.stylize(content, style_img, size=args.size)))
        ff.append(a)
        opt.append(b)
        ff_content.append(ca)
        opt_content.append(cb)
        print(f"{path}: style loss feed-forward {a:.4g}, optimization {b:.4g}, ratio {a / b:.2f}; "
              f"content loss {ca:.3g} vs {cb:.3g}", flush=True)
    ratio = statistics.mean(ff) / statistics.mean(opt)
    print(f"mean content loss: feed-forward {statistics.mean(ff_content):.3g}, "
          f"optimization {statistics.mean(opt_content):.3g}")
    print(f"mean style loss: feed-forward {statistics.mean(ff):.4g}, optimization {statistics.mean(opt):.4g}; "
          f"ratio {ratio:.2f} (bar: <= {BAR:g}) -> {'PASS' if ratio <= BAR else 'FAIL'}")


if __name__ == "__main__":
    main()
