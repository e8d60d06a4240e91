"""``nst reconstruct {content,style} IMAGE -o OUT``: images rebuilt from noise.

``content``: feature inversion at one layer (Mahendran and Vedaldi 2015), shows
what that layer keeps of the image. ``style``: texture synthesis from the Gram
matrices (Gatys, Ecker and Bethge 2015), at any output size.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..images import load_image
from .options import OUTPUT_IMAGE, add_command, arg, option_values
from .outputs import check_outputs, write_outputs

SUMMARY = "rebuild an image from noise: one layer's content, or a texture from the style"


def add_parser(sub: argparse._SubParsersAction) -> None:
    from .. import reconstruct as R
    from ..options import TransferOptions

    p = sub.add_parser(
        "reconstruct",
        help=SUMMARY,
        description="Start from noise and optimize one loss only: 'content' inverts one layer's features "
                    "(Mahendran and Vedaldi 2015), 'style' synthesizes a texture (Gatys et al. 2015).",
    )
    modes = p.add_subparsers(dest="mode", metavar="MODE", title="modes")
    modes.required = True
    add_command(
        modes, "content", run, summary="what one layer keeps of IMAGE (feature inversion)",
        description="Reconstruct IMAGE from noise by matching its features at --layer only (content loss, plus a "
                    "small total-variation prior).",
        args=[arg("image", metavar="IMAGE", help="image to reconstruct"), OUTPUT_IMAGE],
        options=[R.ContentReconstruction,
                 (TransferOptions, {"only": ("size", *R.RUN_OPTIONS), "defaults": R.CONTENT_DEFAULTS})],
        pictures=True, config=True)
    add_command(
        modes, "style", run, summary="texture synthesis from IMAGE's Gram matrices",
        description="Synthesize a texture like IMAGE from noise by matching its Gram matrices only.",
        args=[arg("image", metavar="IMAGE", help="style (texture) image"), OUTPUT_IMAGE],
        options=[R.TextureSynthesis, (TransferOptions, {"only": R.RUN_OPTIONS, "defaults": R.TEXTURE_DEFAULTS})],
        pictures=True, config=True)


def run(args: argparse.Namespace) -> int:
    from .. import reconstruct as R
    from ..options import TransferOptions

    # Validate every option (layers, sizes) and output path before decoding or optimizing.
    if args.mode == "content":
        spec, kw = option_values(args, [R.ContentReconstruction, TransferOptions])
        layer = R.ContentReconstruction(**spec).layer
        opts = R.content_options(layer, **kw)
    else:
        spec, kw = option_values(args, [R.TextureSynthesis, TransferOptions])
        texture = R.TextureSynthesis(**spec)
        opts = R.texture_options(tuple(texture.size or (1, 1)), texture.layers, texture.style_size, **kw)
    check_outputs(args, [args.image], opts)
    image = load_image(args.image)
    panel = Path(args.image).name
    if args.mode == "content":
        result = R.reconstruct_content(image, layer, progress=not args.quiet, **kw)
        return write_outputs(result, args, {"content": args.image}, opts, [(f"content: {panel}", image)],
                             result_label=layer, mode="content", layer=layer)
    size = tuple(texture.size) if texture.size else R.texture_size(image, texture.style_size)
    opts = R.texture_options(size, texture.layers, texture.style_size, **kw)
    result = R.synthesize_texture(image, size, texture.layers, texture.style_size, progress=not args.quiet, **kw)
    return write_outputs(result, args, {"style": args.image}, opts, [(f"style: {panel}", image)],
                         result_label="texture", mode="style", layers=list(opts.style_layers))
