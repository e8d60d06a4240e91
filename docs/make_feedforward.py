"""Make the README's feed-forward pictures from a trained model.

The model is an artifact, not in git; train it with the command in the
README ("Instant stylization"), then run from the repository root:

    python docs/make_feedforward.py starry.safetensors

Stylizes three photos bundled with scikit-image (astronaut, chelsea, coffee;
none of them in the training folder) at a long side of 384 px and writes a
strip of input/output pairs, ``docs/feedforward_starry.jpg``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image
from skimage import data

from nst.feedforward.stylize import load_runner, stylize_image
from nst.images import fit_long_side, resize, save_image

DOCS = Path(__file__).resolve().parent
SIZE = 384
PHOTOS = ("astronaut", "chelsea", "coffee")


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    stylizer, factor = load_runner(sys.argv[1])
    tiles = []
    for name in PHOTOS:
        photo = Image.fromarray(getattr(data, name)()).convert("RGB")
        photo = resize(photo, fit_long_side(photo.size, SIZE))
        tiles.append((photo, stylize_image(stylizer, factor, photo)))
    height = max(p.height for p, _ in tiles)
    width = sum(p.width for p, _ in tiles)
    strip = Image.new("RGB", (width, 2 * height), "white")
    x = 0
    for photo, styled in tiles:
        strip.paste(photo, (x, 0))
        strip.paste(styled, (x, height))
        x += photo.width
    out = DOCS / "feedforward_starry.jpg"
    save_image(strip, out, quality=85)
    print(f"wrote {out.relative_to(DOCS.parent)} ({out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
