"""Make the README's "Controls" pictures and print the numbers quoted there.

Run from the repository root (needs ../shared/images; about 2 minutes per
picture on 2 free CPU cores, far longer on a shared machine):

    python docs/make_controls.py                  # every picture
    python docs/make_controls.py color mask       # some groups: color, mask, loss, histogram, fine

Pictures are 256 px JPEGs from two scales (128 px, 20 iterations; 256 px,
10 iterations), fewer than the defaults to keep the cost modest on a shared machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from PIL import Image

import nst
from nst import losses as L
from nst.color import rgb_to_yiq
from nst.criterion import layer_mask
from nst.images import fit_long_side, load_image, pil_to_tensor, resize, save_image
from nst.masks import mask_tensor
from nst.transfer import StyleTransfer

DOCS = Path(__file__).resolve().parent
SHARED = DOCS.parent.parent / "shared" / "images"
CONTENT = SHARED / "content" / "tubingen.jpg"
STARRY = SHARED / "style" / "vangogh_starry_night.jpg"
WAVE = SHARED / "style" / "hokusai_great_wave.png"
SIZE = 256
RUN = dict(size=SIZE, scales=[128, SIZE], iterations=10, progress=True)


def save(img: Image.Image, name: str) -> None:
    save_image(img, DOCS / name, quality=85)
    print(f"wrote docs/{name} ({(DOCS / name).stat().st_size // 1024} KB)")


def chroma_difference(img: Image.Image, content: Image.Image) -> float:
    """Mean absolute difference of YIQ's I and Q channels between ``img`` and ``content``."""
    a, b = pil_to_tensor(img), pil_to_tensor(resize(content, img.size))
    return float((rgb_to_yiq(a)[:, 1:] - rgb_to_yiq(b)[:, 1:]).abs().mean())


def color(modes: tuple[str, ...] = ("none", "luminance")) -> None:
    content = load_image(CONTENT)
    for mode in modes:
        img = nst.stylize(content, STARRY, preserve_color=mode, **RUN)
        save(img, f"color_{mode}.jpg")
        print(f"  {mode}: mean |I,Q| difference to the content {chroma_difference(img, content):.4f}", flush=True)


def halves(size: tuple[int, int], soft: int) -> list[Image.Image]:
    """Top and bottom masks of ``(width, height)`` with a linear ramp of ``soft`` pixels in the middle."""
    w, h = size
    top = Image.linear_gradient("L").rotate(180).resize((w, soft))  # 255 at the top, 0 at the bottom
    mask = Image.new("L", size, 0)
    mask.paste(255, (0, 0, w, (h - soft) // 2))
    mask.paste(top, (0, (h - soft) // 2))
    return [mask, Image.eval(mask, lambda v: 255 - v)]


def region_distances(img: Image.Image, styles: list[Path], masks: list[Image.Image]) -> list[list[float]]:
    """``d[r][s]``: relative guided-Gram distance of region ``r`` of ``img`` to style ``s`` (5 layers summed)."""
    st = StyleTransfer()
    layers = list(st.style_layers)
    x = pil_to_tensor(img)
    size = img.size
    with torch.no_grad():
        fx = st.criterion.features(x, layers)
        fs = [st.criterion.features(pil_to_tensor(resize(s := load_image(p), fit_long_side(s.size, SIZE))), layers)
              for p in styles]
        d = [[0.0] * len(styles) for _ in masks]
        for n in layers:
            for r, m in enumerate(masks):
                g = L.guided_gram_matrix(fx[n], layer_mask(mask_tensor(m, size), fx[n].shape[-2:]))
                for s, f in enumerate(fs):
                    a = L.gram_matrix(f[n])
                    d[r][s] += st.style_layers[n] * float(L.style_loss(g, a, L.inverse_energy(a)))
    return d


def mask() -> None:
    content = load_image(CONTENT)
    masks = halves(content.size, soft=content.size[1] // 8)
    save(Image.merge("RGB", [masks[0]] * 3).resize(fit_long_side(content.size, 128)), "mask_top.jpg")
    img = nst.stylize(content, [STARRY, WAVE], masks=masks, **RUN)
    save(img, "mask_two_styles.jpg")
    for name, x in (("content", resize(content, img.size)), ("result", img)):
        d = region_distances(x, [STARRY, WAVE], masks)
        print(f"  {name}: top region to Starry Night {d[0][0]:.3f}, to Great Wave {d[0][1]:.3f}; "
              f"bottom region to Starry Night {d[1][0]:.3f}, to Great Wave {d[1][1]:.3f}", flush=True)


def loss() -> None:
    """Gram is color_none.jpg (same content, style and run)."""
    for name in ("mean-cov", "wasserstein"):
        img = nst.stylize(CONTENT, STARRY, style_loss=name, **RUN)
        save(img, f"style_loss_{name}.jpg")


def fine() -> None:
    img = nst.stylize(CONTENT, STARRY, style_fine=WAVE, **RUN)
    save(img, "style_fine.jpg")


GROUPS = {"color": color, "mask": mask, "loss": loss, "histogram": lambda: color(("histogram",)), "fine": fine}

if __name__ == "__main__":
    for g in sys.argv[1:] or list(GROUPS):
        GROUPS[g]()
