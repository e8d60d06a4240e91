"""``nst apply MODEL INPUT... -o OUT``: stylize photos with a trained feed-forward model."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from ..batching.options import BatchOptions
from ..errors import NSTError, OptionError
from ..images import check_output_path, load_image
from ..metadata import build_metadata
from .batch import add_ray_flag, run_cli_batch, wants_batch
from .options import add_command, arg, options_from_args
from .outputs import note, save_with_metadata

if TYPE_CHECKING:
    from ..feedforward.stylize import ApplyOptions

SUMMARY = "stylize photos in one pass with a model from nst train (or its ONNX export)"
DESCRIPTION = (
    "Stylize each INPUT (image files, folders searched recursively, @list.txt) with MODEL (.safetensors "
    "from nst train, or .onnx from nst export, run with onnxruntime). With one input file, -o may "
    "name the output file; otherwise -o is a folder and each output keeps its input's path relative to "
    "the folder it was found in (OUT/sub/NAME.png), with a manifest to resume (docs/batch.md). "
    "Unreadable inputs fail on their own: the others are done, the exit status is 1."
)
ARGS = [
    arg("model", metavar="MODEL", help="model file (.safetensors or .onnx)"),
    arg("inputs", metavar="INPUT", nargs="+", help="image files, folders or @list.txt"),
    arg("-o", "--output", required=True, help="output folder, or output file for a single input file"),
    arg("--overwrite", action="store_true", help="redo the items of a batch that are done"),
]


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..feedforward.stylize import ApplyOptions

    p = add_command(sub, "apply", run, SUMMARY, DESCRIPTION, ARGS, options=[ApplyOptions, BatchOptions],
                    quiet="no progress bar", config=True)
    add_ray_flag(p)


def run_single(args: argparse.Namespace, opts: ApplyOptions, src: Path, dst: Path) -> int:
    """One input file into the output file ``dst``."""
    from ..feedforward.stylize import load_runner, stylize_image

    check_output_path(dst, [src])
    stylizer, factor = load_runner(args.model, threads=opts.threads)
    try:
        img = load_image(src)
    except NSTError:
        raise NSTError(f"none of the 1 input(s) could be read (first: {src})") from None
    out = stylize_image(stylizer, factor, img, opts.size)
    meta = build_metadata("apply", args.argv, {"model": args.model, "input": str(src)}, asdict(opts),
                          {"width": out.width, "height": out.height})
    save_with_metadata(out, dst, meta)
    if not args.quiet:
        engine = "onnxruntime" if str(args.model).lower().endswith(".onnx") else "PyTorch"
        note(f"wrote 1 image(s) to {dst} (cpu, float32, {engine})")
    return 0


def run(args: argparse.Namespace) -> int:
    from ..batching.worker import Job
    from ..feedforward.stylize import ApplyOptions, load_runner

    opts, bopts = options_from_args(args, [ApplyOptions, BatchOptions])
    out = Path(args.output)
    single = len(args.inputs) == 1 and Path(args.inputs[0]).is_file() and not args.inputs[0].startswith("@")
    if single and out.suffix and not out.is_dir() and not wants_batch(args.inputs, bopts, args):
        return run_single(args, opts, Path(args.inputs[0]), out)
    if bopts.each_style:
        raise OptionError("each_style", "is for the style images of nst fast and nst transfer; apply has one model")
    job = Job("apply", opts, model=args.model, argv=args.argv)
    # A bad model fails the run once, after the outputs are planned and before any work, not every item.
    return run_cli_batch(args, job, args.inputs, [args.model], args.output, bopts, fmt=opts.format,
                         before=lambda: load_runner(args.model, threads=1))
