"""``nst transfer CONTENT STYLE [STYLE ...] -o OUT``: Gatys et al. style transfer."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..api import run_transfer
from ..images import load_image
from .common import add_transfer_options, check_outputs, options_from_args, write_outputs


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "transfer",
        help="stylize a content image with one or more style images",
        description="Repaint CONTENT in the style of STYLE (Gatys et al. 2015). "
                    "Several style images are blended (--style-weights).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("content", metavar="CONTENT", help="content image file")
    p.add_argument("styles", metavar="STYLE", nargs="+", help="style image file(s)")
    p.add_argument("-o", "--output", required=True, help="output image (.png or .jpg)")
    add_transfer_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    opts = options_from_args(args)
    extra = [*(opts.masks or []), *([opts.style_fine] if opts.style_fine else [])]
    inputs = [args.content, *args.styles, *extra] + ([opts.init] if opts.init not in ("content", "noise", "style") else [])
    check_outputs(args, inputs)
    # Decode every input up front so bad files fail before any work is done
    # (masks and --style-fine are decoded and checked by run_transfer before the network loads).
    content = load_image(args.content)
    styles = [load_image(s) for s in args.styles]
    result = run_transfer(content, styles, opts, progress=not args.quiet)
    panels = [(f"content: {Path(args.content).name}", content)]
    panels += [(f"style: {Path(s).name}", im) for s, im in zip(args.styles, styles)]
    return write_outputs(result, args, {"content": args.content, "styles": list(args.styles)}, opts, panels)
