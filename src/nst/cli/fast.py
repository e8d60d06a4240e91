"""``nst fast CONTENT STYLE [STYLE ...] -o OUT``: arbitrary style in one forward pass (Ghiasi et al. 2017)."""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from pathlib import Path

from ..arbitrary.stylize import FastOptions, FastStylizer
from ..batching.options import BatchOptions
from ..config import normalize_blend
from ..errors import NSTError, OptionError
from ..images import check_output_path, load_image
from ..metadata import build_metadata
from .batch import add_ray_flag, run_cli_batch, wants_batch
from .options import OPTIONAL_OUTPUT, add_command, arg, options_from_args
from .outputs import derived_output, note, save_with_metadata

SUMMARY = "stylize with any style image in one forward pass (pretrained, seconds on a CPU)"
DESCRIPTION = (
    "Repaint CONTENT in the style of STYLE with a pretrained arbitrary-style network "
    "(Ghiasi et al. 2017; needs the extra: pip install 'nst[fast]'). STYLE is an image file, a built-in "
    "painting (starry-night) or a preset of the multi-style network (preset-0 .. preset-25; nst styles "
    "lists them all). Several styles are blended (--style-weights). The flags of the Fast_Style_Transfer.py "
    "script work too: --ci CONTENT --si STYLE --o DIR writes DIR/generated_img.jpg. "
    "CONTENT may be a folder (searched recursively) or @list.txt: a batch into the folder -o OUT "
    "(OUT/sub/photo.png, a manifest to resume; see docs/batch.md)."
)
# The Fast_Style_Transfer.py script's output file name inside its --o folder.
SCRIPT_OUTPUT = "generated_img.jpg"
ARGS = [
    arg("content", metavar="CONTENT", nargs="?", help="content image file, folder or @list.txt"),
    arg("styles", metavar="STYLE", nargs="*", help="style image file(s), built-in style name(s) or preset-N"),
    *OPTIONAL_OUTPUT,
    arg("--ci", dest="content_alias", metavar="CONTENT", help="content image file (instead of CONTENT)"),
    arg("--si", dest="styles_alias", metavar="STYLE", nargs="+", help="style image file(s) (instead of STYLE)"),
    arg("--o", dest="output_dir", metavar="DIR", help=f"output folder: writes DIR/{SCRIPT_OUTPUT} (instead of -o)"),
]


def given_once(args: argparse.Namespace, batch: bool = False) -> tuple[str, list[str]]:
    """Content and styles from the positional or the script's ``--ci/--si`` spelling; ``-o`` or ``--o``.

    Raises:
        NSTError: an input or the output given both ways, or an input not at all.
    """
    if (args.content is None) == (args.content_alias is None):
        raise NSTError(f"give the content{'' if batch else ' image'} once: CONTENT or --ci CONTENT")
    styles = list(args.styles) + list(args.styles_alias or [])
    if not styles or (args.styles and args.styles_alias):
        raise NSTError("give the style image(s) once: STYLE ... or --si STYLE ...")
    if args.output is not None and args.output_dir is not None:
        raise NSTError("give the output folder once: -o DIR or --o DIR" if batch
                       else "give the output once: -o FILE or --o DIR")
    return args.content or args.content_alias, styles


def paths(args: argparse.Namespace) -> tuple[str, list[str], Path]:
    """Content, styles and output file from the positional/``-o`` or the script's ``--ci/--si/--o`` spelling.

    Raises:
        NSTError: an input or output given both ways, or not at all.
    """
    content, styles = given_once(args)
    if args.output_dir is None:
        return content, styles, Path(derived_output(args, content, styles))
    folder = Path(args.output_dir)
    if folder.exists() and not folder.is_dir():
        raise NSTError(f"--o {folder}: is a file, expected a folder")
    return content, styles, folder / SCRIPT_OUTPUT


def run_batch(args: argparse.Namespace, opts: FastOptions, bopts: BatchOptions) -> int:
    """``nst fast DIR|@list STYLE... -o OUT``: every content image through one loaded network (:mod:`nst.batching`)."""
    from ..batching.worker import Job

    content, styles = given_once(args, batch=True)
    if bopts.each_style and opts.style_weights is not None:
        raise OptionError("style_weights", "blends several styles; with --each-style each style is made on its own")
    if not bopts.each_style:
        normalize_blend(opts.style_weights, len(styles))
    job = Job("fast", opts, argv=args.argv)
    return run_cli_batch(args, job, [content], styles, args.output or args.output_dir, bopts)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "fast", run, SUMMARY, DESCRIPTION, ARGS, options=[FastOptions, BatchOptions],
                    quiet="no summary line", config=True)
    add_ray_flag(p)


def run(args: argparse.Namespace) -> int:
    # Validate every option and input before any work is done.
    opts, bopts = options_from_args(args, [FastOptions, BatchOptions])
    content = args.content or args.content_alias
    if content is not None and wants_batch([content], bopts, args):
        return run_batch(args, opts, bopts)
    content_path, style_paths, output = paths(args)
    normalize_blend(opts.style_weights, len(style_paths))
    if output.parent.is_dir() or args.output_dir is None:
        check_output_path(output, [content_path, *style_paths])
    elif not output.parent.parent.is_dir():  # a new --o folder is made only inside an existing one
        raise NSTError(f"--o {output.parent}: parent folder {output.parent.parent} does not exist")
    content = load_image(content_path)
    stylizer = FastStylizer(style_paths, opts)  # decodes the style images (presets stay names) before any work
    t0 = time.perf_counter()
    image = stylizer(content)
    seconds = time.perf_counter() - t0
    output.parent.mkdir(exist_ok=True)  # the script's --o folder, created like the script does
    meta = build_metadata("fast", args.argv, {"content": content_path, "styles": style_paths}, asdict(opts),
                          {"width": image.width, "height": image.height, "seconds": round(seconds, 3)})
    save_with_metadata(image, output, meta)
    if not args.quiet:
        note(f"wrote {output} ({image.width}x{image.height}, {seconds:.2f} s; {stylizer.device}, float32, onnxruntime)")
    return 0
