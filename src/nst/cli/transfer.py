"""``nst transfer CONTENT STYLE [STYLE ...] -o OUT``: Gatys et al. style transfer."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..batching.options import BatchOptions
from ..errors import NSTError, OptionError
from ..images import load_image
from ..metadata import read_metadata
from .batch import add_ray_flag, run_cli_batch, wants_batch
from .options import OPTIONAL_OUTPUT, add_command, arg, options_from_args, rebase, recorded_options
from .outputs import check_outputs, derived_output, warn_if_framed, write_outputs

if TYPE_CHECKING:
    from ..options import TransferOptions

SUMMARY = "stylize a content image with one or more style images"
DESCRIPTION = (
    "Repaint CONTENT in the style of STYLE (Gatys et al. 2015). Several style images are blended "
    "(--style-weights). With --from OUT.png, CONTENT and STYLE default to the ones recorded in "
    "OUT.png. CONTENT may be a folder (searched recursively) or @list.txt: a batch into the folder -o OUT "
    "(OUT/sub/photo.png, a manifest to resume; see docs/batch.md)."
)
# Commands whose recorded options are TransferOptions (what --from can rerun).
RERUNNABLE = ("transfer", "demo")
ARGS = [
    arg("content", metavar="CONTENT", nargs="?", help="content image file, folder or @list.txt"),
    arg("styles", metavar="STYLE", nargs="*", help="style image file(s) or built-in style name(s)"),
    *OPTIONAL_OUTPUT,
]


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..options import TransferOptions

    p = add_command(sub, "transfer", run, SUMMARY, DESCRIPTION, ARGS, options=[TransferOptions, BatchOptions],
                    pictures=True, rerun=True)
    add_ray_flag(p)


def inputs_and_options(args: argparse.Namespace) -> tuple[str, list[str], TransferOptions, BatchOptions]:
    """The content and style files and the options of a run, from flags, ``--config`` and ``--from``.

    Raises:
        NSTError: no CONTENT/STYLE and no ``--from`` record to take them from.
    """
    from ..options import TransferOptions

    content, styles, recorded = args.content, list(args.styles), None
    if args.rerun:
        meta = read_metadata(args.rerun)
        if meta.get("command") not in RERUNNABLE:
            raise NSTError(f"{args.rerun}: made by nst {meta.get('command')}; --from reruns outputs of nst "
                           f"{' and '.join(RERUNNABLE)}")
        recorded = recorded_options(meta, TransferOptions)
        inputs, cwd = dict(meta.get("inputs") or {}), meta.get("cwd")
        if content is None and "content" in inputs:
            content = rebase(str(inputs["content"]), cwd)
        if not styles and isinstance(inputs.get("styles"), list):
            styles = [rebase(str(s), cwd) for s in inputs["styles"]]
    if content is None or not styles:
        raise NSTError("give CONTENT and STYLE image files (or --from OUT.png to take them from an earlier output)")
    return content, styles, *options_from_args(args, [TransferOptions, BatchOptions], recorded)


def run_batch(args: argparse.Namespace, content: str, styles: list[str], opts: TransferOptions,
              bopts: BatchOptions) -> int:
    """``nst transfer DIR|@list STYLE... -o OUT``: every content image optimized in turn (:mod:`nst.batching`)."""
    from ..batching.worker import Job
    from ..coarse_to_fine import INIT_CHOICES

    for option in ("plot", "sheet"):
        if getattr(args, option, None):
            raise NSTError(f"--{option} is for one image; a batch writes only its outputs")
    if opts.gif:
        raise NSTError("--gif is for one image; a batch writes only its outputs")
    if bopts.each_style and opts.style_weights is not None:
        raise OptionError("style_weights", "blends several styles; with --each-style each style is made on its own")
    extra = [*(opts.masks or []), *([opts.style_fine] if opts.style_fine else [])]
    extra += [opts.init] if opts.init not in INIT_CHOICES else []
    job = Job("transfer", opts, argv=args.argv, metadata=getattr(args, "metadata", "full"))
    return run_cli_batch(args, job, [content], styles, args.output, bopts, other_inputs=extra)


def run(args: argparse.Namespace) -> int:
    from ..coarse_to_fine import INIT_CHOICES, run_coarse_to_fine

    content_path, style_paths, opts, bopts = inputs_and_options(args)
    if wants_batch([content_path], bopts, args):
        return run_batch(args, content_path, style_paths, opts, bopts)
    derived_output(args, content_path, style_paths)
    extra = [*(opts.masks or []), *([opts.style_fine] if opts.style_fine else [])]
    inputs = [content_path, *style_paths, *extra] + ([opts.init] if opts.init not in INIT_CHOICES else [])
    check_outputs(args, inputs, opts)
    # Decode every input up front so bad files fail before any work is done (masks and the
    # fine style image are decoded and checked by run_coarse_to_fine before the network loads).
    content = load_image(content_path)
    styles = [load_image(s) for s in style_paths]
    for path, style in zip(style_paths, styles):
        warn_if_framed("transfer", path, style)
    result = run_coarse_to_fine(content, styles, opts, progress=not args.quiet)
    panels = [(f"content: {Path(content_path).name}", content)]
    panels += [(f"style: {Path(s).name}", im) for s, im in zip(style_paths, styles)]
    return write_outputs(result, args, {"content": content_path, "styles": style_paths}, opts, panels)
