"""``nst demo -o OUT``: stylize images bundled with scikit-image (no download).

Content: ``skimage/data/astronaut.png`` (NASA, public domain). Style:
``skimage/data/ihc.png``, an immunohistochemistry micrograph whose stained
cells read like brush strokes. Both ship inside the scikit-image wheel.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..coarse_to_fine import run_coarse_to_fine
from ..errors import NSTError
from ..images import load_image
from ..options import TransferOptions
from .options import add_command, arg, options_from_args
from .outputs import check_outputs, write_outputs

# Smaller than ``transfer`` so the demo ends in a couple of minutes on 2 CPU cores.
DEMO_DEFAULTS = {"size": 256}


def bundled_image(name: str) -> Path:
    """Path of a file inside scikit-image's bundled ``data`` folder."""
    try:
        import skimage
    except ModuleNotFoundError:
        raise NSTError("the demo images come from scikit-image: pip install scikit-image") from None
    path = Path(os.path.dirname(skimage.__file__)) / "data" / name
    if not path.is_file():
        raise NSTError(f"scikit-image has no bundled {name}")
    return path


SUMMARY = "stylize a bundled photo with a bundled image (no downloads)"
DESCRIPTION = (
    "Stylize scikit-image's astronaut photo with its immunohistochemistry image."
)
ARGS = [
    arg("-o", "--output", default="demo.png", help="output image (.png or .jpg) (default: demo.png)"),
]


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "demo", run, SUMMARY, DESCRIPTION, ARGS,
                options=[(TransferOptions, {"defaults": DEMO_DEFAULTS})], pictures=True, config=True)


def run(args: argparse.Namespace) -> int:
    opts = options_from_args(args, TransferOptions)
    content, style = bundled_image("astronaut.png"), bundled_image("ihc.png")
    check_outputs(args, [content, style], opts)
    content_img, style_img = load_image(content), load_image(style)
    result = run_coarse_to_fine(content_img, [style_img], opts, progress=not args.quiet)
    panels = [(f"content: {content.name}", content_img), (f"style: {style.name}", style_img)]
    return write_outputs(result, args, {"content": str(content), "styles": [str(style)]}, opts, panels)
