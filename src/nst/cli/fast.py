"""``nst fast CONTENT STYLE [STYLE ...] -o OUT``: arbitrary style in one forward pass (Ghiasi et al. 2017)."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict

from ..arbitrary import FastOptions, fast_stylize, load_network
from ..images import check_output_path, load_image, save_image
from ..losses import normalize_blend
from .options import CONTENT, OUTPUT_IMAGE, STYLES, add_command, options_from_args

SUMMARY = "stylize with any style image in one forward pass (pretrained, seconds on a CPU)"
DESCRIPTION = (
    "Repaint CONTENT in the style of STYLE with a pretrained arbitrary-style network "
    "(Ghiasi et al. 2017; needs the extra: pip install 'nst[fast]'). "
    "Several style images are blended (--style-weights)."
)
ARGS = [CONTENT, STYLES, OUTPUT_IMAGE]


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "fast", run, SUMMARY, DESCRIPTION, ARGS, options=[FastOptions],
                quiet="no summary line", config=True)


def run(args: argparse.Namespace) -> int:
    # Validate every option and input before any work is done.
    opts = options_from_args(args, FastOptions)
    normalize_blend(opts.style_weights, len(args.styles))
    check_output_path(args.output, [args.content, *args.styles])
    content = load_image(args.content)
    styles = [load_image(s) for s in args.styles]
    net = load_network(opts.model)
    t0 = time.perf_counter()
    image = fast_stylize(content, styles, **{**asdict(opts), "model": net})
    seconds = time.perf_counter() - t0
    save_image(image, args.output)
    if not args.quiet:
        print(f"wrote {args.output} ({image.width}x{image.height}, {seconds:.2f} s)", file=sys.stderr)
    return 0
