"""``nst demo -o OUT``: stylize a bundled photo with a bundled painting (no download).

Content: ``skimage/data/astronaut.png`` (NASA, public domain), inside the
scikit-image wheel (the ``demo`` extra). Style: The Starry Night from nst's
own catalogue (:mod:`nst.catalogue`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..catalogue import paintings
from ..errors import NSTError
from ..extras import require
from ..images import load_image
from .options import add_command, arg, options_from_args
from .outputs import check_outputs, write_outputs

# Smaller than ``transfer`` so the demo ends in about a minute on 2 CPU cores. At 256 px the
# painting's strokes at style scale 1 are as large as the astronaut's face, which they paint over;
# at 0.5 (the brush size of a 512 px run, relative to the picture) the face stays (looked at side by
# side: default, --style-weight 3, --style-scale 0.5; only the last keeps the face).
DEMO_DEFAULTS = {"size": 256, "style_scale": 0.5}
DEMO_STYLE = "starry-night"


def bundled_image(name: str) -> Path:
    """Path of a file inside scikit-image's bundled ``data`` folder (the ``demo`` extra)."""
    skimage = require("skimage", "demo", "nst demo's photo (from scikit-image)")
    path = Path(os.path.dirname(skimage.__file__)) / "data" / name
    if not path.is_file():
        raise NSTError(f"scikit-image has no bundled {name}")
    return path


SUMMARY = "stylize a bundled photo with a bundled painting (no downloads)"
DESCRIPTION = (
    "Stylize scikit-image's astronaut photo (pip install 'nst[demo]') with The Starry Night "
    "from the built-in styles."
)
ARGS = [
    arg("-o", "--output", default="demo.png", help="output image (.png or .jpg) (default: demo.png)"),
]


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..options import TransferOptions

    add_command(sub, "demo", run, SUMMARY, DESCRIPTION, ARGS,
                options=[(TransferOptions, {"defaults": DEMO_DEFAULTS})], pictures=True, config=True)


def run(args: argparse.Namespace) -> int:
    from ..coarse_to_fine import run_coarse_to_fine
    from ..options import TransferOptions

    opts = options_from_args(args, TransferOptions)
    content = bundled_image("astronaut.png")
    check_outputs(args, [content, paintings()[DEMO_STYLE].path], opts)
    content_img, style_img = load_image(content), load_image(DEMO_STYLE)
    result = run_coarse_to_fine(content_img, [style_img], opts, progress=not args.quiet)
    panels = [(f"content: {content.name}", content_img), (f"style: {DEMO_STYLE}", style_img)]
    return write_outputs(result, args, {"content": str(content), "styles": [DEMO_STYLE]}, opts, panels)
