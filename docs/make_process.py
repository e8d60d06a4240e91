"""Make the pictures of README's "Reconstruction and pictures of the process" section.

Run from anywhere (a few minutes on 2 idle CPU cores)::

    python docs/make_process.py

Needs the shared test images beside the checkout (../shared/images, see
tests/conftest.py). Every picture is made by the ``nst`` command itself;
``nst info docs/<picture>.jpg`` shows how (JPEG outputs carry their record in
the JPEG comment).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nst.cli import main

ROOT = Path(__file__).resolve().parents[1]
# Relative paths (run from ROOT) so the recorded command lines read well.
DOCS = Path("docs")
IMAGES = Path("..") / "shared" / "images"
CONTENT = IMAGES / "content" / "tubingen.jpg"
STYLE = IMAGES / "style" / "vangogh_starry_night.jpg"

SIZE = 192  # long side of the pictures; small so the script stays cheap on a shared CPU
H = SIZE * 3 // 4

RUNS = [
    ["reconstruct", "content", CONTENT, "-o", DOCS / "reconstruct_relu2_2.jpg", "--layer", "relu2_2",
     "--size", SIZE, "--min-size", SIZE, "--iterations", 60],
    ["reconstruct", "content", CONTENT, "-o", DOCS / "reconstruct_relu4_2.jpg", "--layer", "relu4_2",
     "--size", SIZE, "--iterations", 60, "--plot", DOCS / "losses_relu4_2.png"],
    ["reconstruct", "style", STYLE, "-o", DOCS / "texture_starry_night.jpg", "--size", SIZE, H,
     "--style-size", SIZE, "--iterations", 60],
    ["transfer", CONTENT, STYLE, "-o", DOCS / "process_result.jpg", "--size", SIZE,
     "--save-every", 8, "--gif", DOCS / "process.gif", "--plot", DOCS / "losses.png",
     "--sheet", DOCS / "sheet.jpg"],
]


def run() -> int:
    os.chdir(ROOT)
    for argv in RUNS:
        argv = [str(a) for a in argv]
        print("nst", " ".join(argv), file=sys.stderr)
        status = main(argv)
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(run())
