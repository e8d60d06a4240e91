"""Make the pictures of README's "Reconstruction and pictures of the process" section.

Run from anywhere (a few minutes on 2 idle CPU cores)::

    python docs/make_process.py                      # every picture, long side 192 px
    python docs/make_process.py --size 256 texture   # one of them, larger

Needs the shared test images beside the checkout (../shared/images, see
tests/conftest.py). Every picture is made by the ``nst`` command itself;
``nst info docs/<picture>.jpg`` shows how (JPEG outputs carry their record in
the JPEG comment).
"""

from __future__ import annotations

import argparse
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


def runs(size: int) -> dict[str, list]:
    """The ``nst`` command lines by name, for pictures of long side ``size``."""
    return {
        "relu2_2": ["reconstruct", "content", CONTENT, "-o", DOCS / "reconstruct_relu2_2.jpg", "--layer", "relu2_2",
                    "--size", size, "--min-size", size, "--iterations", 60],
        "relu4_2": ["reconstruct", "content", CONTENT, "-o", DOCS / "reconstruct_relu4_2.jpg", "--layer", "relu4_2",
                    "--size", size, "--iterations", 60],
        "texture": ["reconstruct", "style", STYLE, "-o", DOCS / "texture_starry_night.jpg",
                    "--size", size, size * 3 // 4, "--style-size", size, "--iterations", 60],
        "transfer": ["transfer", CONTENT, STYLE, "-o", DOCS / "process_result.jpg", "--size", size,
                     "--save-every", 6, "--gif", DOCS / "process.gif", "--plot", DOCS / "losses.png",
                     "--sheet", DOCS / "sheet.jpg"],
    }


def run(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=192, help="long side of the pictures in pixels")
    p.add_argument("names", nargs="*", help=f"pictures to make (default: all of {', '.join(runs(1))})")
    args = p.parse_args(argv)
    todo = runs(args.size)
    os.chdir(ROOT)
    for name in args.names or list(todo):
        cmd = [str(a) for a in todo[name]]
        print("nst", " ".join(cmd), file=sys.stderr)
        status = main(cmd)
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(run())
