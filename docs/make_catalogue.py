"""Make the built-in style catalogue (src/nst/paintings/*.jpg) from the paintings in ../shared/images/style.

Each painting is cropped where its scan shows more than the painting (:data:`CROPS`:
a frame or the canvas's unpainted edge, which the style loss would otherwise copy as lines
along every output's borders), resized (Lanczos) so its long side is at most 800 px and saved
as JPEG quality 88; its title, painter, year, source and licence are recorded in
src/nst/paintings/paintings.toml (edited by hand: this script checks that every
record has its image and the reverse).

    python docs/make_catalogue.py
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images" / "style"
OUT = ROOT / "src" / "nst" / "paintings"
LONG_SIDE = 800
SOURCES = {
    "starry-night": "vangogh_starry_night.jpg",
    "great-wave": "hokusai_great_wave.png",
    "the-scream": "munch_the_scream.jpg",
    "shipwreck": "turner_shipwreck.jpg",
    "woman-with-hat": "matisse_woman_with_hat.jpg",
    "udnie": "picabia_udnie.jpg",
    "cafe-terrace": "vangogh_cafe_terrace.png",
}
# Pixels of the source cut from each side. The Starry Night's scan has a black frame (8 px) and the
# canvas's cream edge inside it (up to ~16 px on the left); at 24 px the edge rows and columns are as
# bright as the painting's own sky.
CROPS = {"starry-night": 24}


def main() -> None:
    records = tomllib.loads((OUT / "paintings.toml").read_text(encoding="utf-8"))
    if set(records) != set(SOURCES):
        raise SystemExit(f"paintings.toml and this script disagree: {sorted(set(records) ^ set(SOURCES))}")
    total = 0
    for name, file in SOURCES.items():
        with Image.open(SHARED / file) as im:
            im = im.convert("RGB")
            if m := CROPS.get(name, 0):
                im = im.crop((m, m, im.width - m, im.height - m))
            if max(im.size) > LONG_SIDE:
                s = LONG_SIDE / max(im.size)
                im = im.resize((round(im.width * s), round(im.height * s)), Image.Resampling.LANCZOS)
            out = OUT / f"{name}.jpg"
            im.save(out, quality=88, optimize=True)
        total += out.stat().st_size
        print(f"{out.relative_to(ROOT)}: {im.width}x{im.height}, {out.stat().st_size // 1024} KB")
    print(f"catalogue: {len(SOURCES)} paintings, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
