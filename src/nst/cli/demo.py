"""``nst demo -o OUT``: stylize images bundled with scikit-image (no download).

Content: ``skimage/data/astronaut.png`` (NASA, public domain). Style:
``skimage/data/ihc.png``, an immunohistochemistry micrograph whose stained
cells read like brush strokes. Both ship inside the scikit-image wheel.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..api import run_transfer
from ..errors import NSTError
from ..images import load_image
from ..options import TransferOptions
from .common import add_transfer_options, check_outputs, options_from_args, write_outputs

# Smaller than ``transfer`` so the demo ends in a couple of minutes on 2 CPU cores.
DEMO_DEFAULTS = TransferOptions(size=256)


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


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="stylize a bundled photo with a bundled image (no downloads)",
        description="Stylize scikit-image's astronaut photo with its immunohistochemistry image.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("-o", "--output", default="demo.png", help="output image (.png or .jpg)")
    add_transfer_options(p, DEMO_DEFAULTS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    opts = options_from_args(args)
    content, style = bundled_image("astronaut.png"), bundled_image("ihc.png")
    check_outputs(args, [content, style])
    content_img, style_img = load_image(content), load_image(style)
    result = run_transfer(content_img, [style_img], opts, progress=not args.quiet)
    panels = [(f"content: {content.name}", content_img), (f"style: {style.name}", style_img)]
    return write_outputs(result, args, {"content": str(content), "styles": [str(style)]}, opts, panels)
