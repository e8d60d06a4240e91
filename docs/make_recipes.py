"""Make the README's recipe picture: every recipe of `nst recipes`, as written, at a small size.

Run from the repository root (needs ../shared/images for The Starry Night; about
10 minutes on 2 free CPU cores):

    python docs/make_recipes.py [--size 192]

Content: scikit-image's bundled astronaut. Each recipe runs with its own
iterations, optimizer and losses; only the size is the one given here. Prints
each run's time and its style and content loss measured the same way for all
(nst's relative losses, VGG-19, relu4_2 and relu1_1..relu5_1, on the output).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import skimage
import torch

from nst.coarse_to_fine import prepare_images, run_coarse_to_fine
from nst.images import load_image, save_image, tensor_to_pil
from nst.options import TransferOptions
from nst.recipe import load_recipe, recipe_names
from nst.transfer import StyleTransfer
from nst.visualize import contact_sheet

DOCS = Path(__file__).resolve().parent
STARRY = DOCS.parent.parent / "shared" / "images" / "style" / "vangogh_starry_night.jpg"
CONTENT = Path(os.path.dirname(skimage.__file__)) / "data" / "astronaut.png"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=192)
    a = ap.parse_args()
    content, style = load_image(CONTENT), load_image(STARRY)
    judge = StyleTransfer()
    c, (s,) = prepare_images(content, [style], a.size)
    judge.set_targets(c, [s])
    panels = [("content", content), ("style", style)]
    for name in recipe_names():
        opts = TransferOptions(**{**load_recipe(name).options, "size": a.size, "min_size": a.size})
        t = time.perf_counter()
        result = run_coarse_to_fine(content, [style], opts, progress=False)
        seconds = time.perf_counter() - t
        with torch.no_grad():
            terms = judge.loss_terms(result.image, 1.0, 1.0, 0.0)
        print(f"{name:20} {seconds:6.1f} s  style {float(terms['style']):.3f}  content {float(terms['content']):.3f}")
        panels.append((name, tensor_to_pil(result.image)))
    save_image(contact_sheet(panels, height=a.size), DOCS / "recipes.jpg", quality=85)
    print("wrote docs/recipes.jpg")


if __name__ == "__main__":
    main()
