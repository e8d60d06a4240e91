"""Make the training page's picture of the shipped per-style models.

Run from the repository root, with the models' names (or model files):

    python docs/make_feedforward.py starry-night great-wave

Stylizes three photos bundled with scikit-image (astronaut, chelsea, coffee;
none of them in the training folder) at a long side of 384 px, as ``nst apply``
does, and writes a grid: one row per photo, the photo first and then one column
per model, with the models' names on top: ``docs/feedforward.jpg``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image
from skimage import data

from nst.feedforward.stylize import load_runner, stylize_image
from nst.images import fit_long_side, resize, save_image
from nst.visualize import contact_grid

DOCS = Path(__file__).resolve().parent
SIZE = 384
PHOTOS = ("astronaut", "chelsea", "coffee")


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    runners = [(Path(m).stem, *load_runner(m)) for m in sys.argv[1:]]
    panels = []
    for name in PHOTOS:
        photo = Image.fromarray(getattr(data, name)()).convert("RGB")
        photo = resize(photo, fit_long_side(photo.size, SIZE))
        panels.append(("photo", photo))
        panels += [(label, stylize_image(runner, factor, photo)) for label, runner, factor in runners]
    grid = contact_grid(panels, 1 + len(runners), height=256)
    out = DOCS / "feedforward.jpg"
    save_image(grid, out, quality=85)
    print(f"wrote {out.relative_to(DOCS.parent)} ({out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
