"""``nst reconstruct {content,style} IMAGE -o OUT``: images rebuilt from noise.

``content``: feature inversion at one layer (Mahendran and Vedaldi 2015), shows
what that layer keeps of the image. ``style``: texture synthesis from the Gram
matrices (Gatys, Ecker and Bethge 2015), at any output size.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import reconstruct as R
from ..images import load_image
from ..options import TransferOptions
from .common import add_output_options, check_outputs, write_outputs

D = TransferOptions()


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """Options both modes share: schedule, seed, TV weight, network."""
    g = p.add_argument_group("optimization (from noise, coarse-to-fine from --min-size)")
    g.add_argument("--iterations", type=int, default=R.DEFAULT_ITERATIONS,
                   help="iterations at full size; smaller scales get more (up to --max-iterations)")
    g.add_argument("--min-size", type=int, default=D.min_size, help="long side of the first, smallest scale")
    g.add_argument("--max-iterations", type=int, default=D.max_iterations, help="iteration cap per scale")
    g.add_argument("--tol", type=float, default=D.tol,
                   help="end a scale early when the loss fell by less than this fraction over 10 iterations")
    g.add_argument("--seed", type=int, default=D.seed, help="seed of the starting noise")
    g = p.add_argument_group("network")
    g.add_argument("--model", choices=("vgg19", "vgg16"), default=D.model, help="loss network")
    g.add_argument("--weights", default=None, metavar="PATH", help="weights file (see nst transfer --help)")
    g.add_argument("--pooling", choices=("max", "avg"), default=D.pooling, help="pooling layers")
    g.add_argument("--device", default=None, help="cpu, cuda, cuda:N, mps (default: best available)")
    g.add_argument("--max-memory", type=float, default=None, metavar="GB",
                   help="memory budget for gradient checkpointing (default: a third of RAM; 75%% of a GPU's memory)")
    add_output_options(p)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reconstruct",
        help="rebuild an image from noise: one layer's content, or a texture from the style",
        description="Start from noise and optimize one loss only: 'content' inverts one layer's features "
                    "(Mahendran and Vedaldi 2015), 'style' synthesizes a texture (Gatys et al. 2015).",
    )
    modes = p.add_subparsers(dest="mode", metavar="MODE", title="modes")
    modes.required = True

    c = modes.add_parser(
        "content", help="what one layer keeps of IMAGE (feature inversion)",
        description="Reconstruct IMAGE from noise by matching its features at --layer only "
                    "(content loss, plus a small total-variation prior).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    c.add_argument("image", metavar="IMAGE", help="image to reconstruct")
    c.add_argument("-o", "--output", required=True, help="output image (.png or .jpg)")
    c.add_argument("--layer", default=R.DEFAULT_LAYER, help="VGG layer whose features are matched (e.g. relu2_2)")
    c.add_argument("--size", type=int, default=R.DEFAULT_SIZE, help="output long side in pixels")
    c.add_argument("--tv-weight", type=float, default=R.DEFAULT_CONTENT_TV_WEIGHT,
                   help="total-variation weight (the content loss has weight 1)")
    _add_run_options(c)
    c.set_defaults(func=run)

    s = modes.add_parser(
        "style", help="texture synthesis from IMAGE's Gram matrices",
        description="Synthesize a texture like IMAGE from noise by matching its Gram matrices only.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    s.add_argument("image", metavar="IMAGE", help="style (texture) image")
    s.add_argument("-o", "--output", required=True, help="output image (.png or .jpg)")
    s.add_argument("--size", type=int, nargs=2, metavar=("W", "H"), default=None,
                   help="output width and height in pixels (default: IMAGE's aspect at --style-size)")
    s.add_argument("--style-size", type=int, default=R.DEFAULT_SIZE,
                   help="long side in pixels at which IMAGE is used (sets the scale of the texture)")
    s.add_argument("--layers", nargs="+", metavar="LAYER[:W]",
                   default=[f"{k}:{v:g}" for k, v in R.DEFAULT_STYLE_LAYERS.items()],
                   help="style layers with optional weights (default weight 1/count)")
    s.add_argument("--tv-weight", type=float, default=R.DEFAULT_TEXTURE_TV_WEIGHT,
                   help="total-variation weight (the style loss has weight 1)")
    _add_run_options(s)
    s.set_defaults(func=run)


def _run_options(args: argparse.Namespace) -> dict:
    return dict(
        iterations=args.iterations, min_size=args.min_size, max_iterations=args.max_iterations, tol=args.tol,
        seed=args.seed, tv_weight=args.tv_weight, model=args.model, weights=args.weights, pooling=args.pooling,
        device=args.device, max_memory=args.max_memory, save_every=args.save_every, save_dir=args.save_dir,
        gif=args.gif,
    )


def run(args: argparse.Namespace) -> int:
    kw = _run_options(args)
    # Validate every option (layers, sizes) and output path before decoding or optimizing.
    if args.mode == "content":
        opts = R.content_options(args.layer, size=args.size, **kw)
    else:
        R.texture_options(tuple(args.size or (1, 1)), args.layers, args.style_size, **kw)
    check_outputs(args, [args.image])
    image = load_image(args.image)
    panel = Path(args.image).name
    if args.mode == "content":
        result = R.reconstruct_content(image, args.layer, progress=not args.quiet, size=args.size, **kw)
        return write_outputs(result, args, {"content": args.image}, opts, [(f"content: {panel}", image)],
                             result_label=args.layer, mode="content", layer=args.layer)
    size = tuple(args.size) if args.size else R.texture_size(image, args.style_size)
    opts = R.texture_options(size, args.layers, args.style_size, **kw)
    result = R.synthesize_texture(image, size, args.layers, args.style_size, progress=not args.quiet, **kw)
    return write_outputs(result, args, {"style": args.image}, opts, [(f"style: {panel}", image)],
                         result_label="texture", mode="style", layers=list(opts.style_layers))
