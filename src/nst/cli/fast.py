"""``nst fast CONTENT STYLE [STYLE ...] -o OUT``: arbitrary style in one forward pass (Ghiasi et al. 2017)."""

from __future__ import annotations

import argparse
import sys
import time

from ..arbitrary import MODEL_HELP, check_model_spec, load_stylizer
from ..fast import DEFAULT_WORK_SIZE, check_sizes, check_strength, fast_stylize
from ..images import check_output_path, load_image, save_image
from ..transfer import normalize_blend


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fast",
        help="stylize with any style image in one forward pass (pretrained, seconds on a CPU)",
        description="Repaint CONTENT in the style of STYLE with a pretrained arbitrary-style network "
                    "(Ghiasi et al. 2017; needs the extra: pip install 'nst[fast]'). "
                    "Several style images are blended (--style-weights).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("content", metavar="CONTENT", help="content image file")
    p.add_argument("styles", metavar="STYLE", nargs="+", help="style image file(s)")
    p.add_argument("-o", "--output", required=True, help="output image (.png or .jpg)")
    p.add_argument("--strength", type=float, default=1.0,
                   help="0..1: interpolate the style vector from the content's own (0) to the style's (1)")
    p.add_argument("--style-weights", type=float, nargs="+", metavar="W", default=None,
                   help="blend weights of several style images, in order; None: equal")
    p.add_argument("--preserve-color", action="store_true", help="keep the content image's colours")
    p.add_argument("--size", type=int, default=None, help="output long side in pixels; None: the content's size")
    p.add_argument("--work-size", type=int, default=DEFAULT_WORK_SIZE,
                   help="long side at which the network runs, result resized to the output size "
                        "(0: at the output size: sharper, finer strokes, slower)")
    p.add_argument("--model", default="magenta", help=MODEL_HELP)
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Validate every option and input before any work is done.
    check_strength(args.strength)
    check_sizes(args.size, args.work_size)
    check_model_spec(args.model)
    normalize_blend(args.style_weights, len(args.styles))
    check_output_path(args.output, [args.content, *args.styles])
    content = load_image(args.content)
    styles = [load_image(s) for s in args.styles]
    net = load_stylizer(args.model)
    t0 = time.perf_counter()
    image = fast_stylize(content, styles, strength=args.strength, style_weights=args.style_weights,
                         preserve_color=args.preserve_color, size=args.size, work_size=args.work_size, model=net)
    seconds = time.perf_counter() - t0
    save_image(image, args.output)
    if not args.quiet:
        print(f"wrote {args.output} ({image.width}x{image.height}, {seconds:.2f} s)", file=sys.stderr)
    return 0
