"""``nst apply MODEL INPUT... -o OUT``: stylize photos with a trained feed-forward model."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from ..errors import NSTError
from ..images import OUTPUT_FORMATS, check_not_an_input, check_output_path, load_image, output_format
from ..metadata import build_metadata
from .options import add_command, arg, options_from_args
from .outputs import note, save_with_metadata

SUMMARY = "stylize photos in one pass with a model from nst train (or its ONNX export)"
DESCRIPTION = (
    "Stylize each INPUT (image files and/or folders, searched recursively) with MODEL (.safetensors "
    "from nst train, or .onnx from nst export, run with onnxruntime). With one input file, -o may "
    "name the output file; otherwise -o is a folder and each output is named after its input "
    "(NAME.png). Unreadable inputs are skipped with a warning."
)
ARGS = [
    arg("model", metavar="MODEL", help="model file (.safetensors or .onnx)"),
    arg("inputs", metavar="INPUT", nargs="+", help="image files or folders"),
    arg("-o", "--output", required=True, help="output folder, or output file for a single input file"),
]


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..feedforward.stylize import ApplyOptions

    add_command(sub, "apply", run, SUMMARY, DESCRIPTION, ARGS, options=[ApplyOptions],
                quiet="no progress bar", config=True)


def plan_outputs(inputs: list[str], output: str, fmt: str) -> list[tuple[Path, Path]]:
    """Pair every input image with its output path, before any work.

    One input file and an ``output`` with an image extension: that file.
    Otherwise ``output`` is a folder (created if its parent exists) and outputs
    are ``<stem>.<fmt>``; names repeated across inputs get ``_2``, ``_3``.

    Raises:
        NSTError: a missing input, a missing output parent folder, an output
            that is any input of the run (resolved path or same file), or a
            file where a folder is needed.
    """
    from ..feedforward.data import find_images

    files: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            files += find_images(item)
        elif item.is_file():
            files.append(item)
        else:
            raise NSTError(f"{item}: no such file or folder")
    if not files:
        raise NSTError(f"no image files in {', '.join(inputs)}")
    out = Path(output)
    single = len(inputs) == 1 and Path(inputs[0]).is_file()
    if single and out.suffix and not out.is_dir():
        return [(files[0], check_output_path(out, files))]
    if out.exists() and not out.is_dir():
        raise NSTError(f"{out}: is a file; with several inputs -o must be a folder")
    if not out.exists():
        if out.suffix.lower() in OUTPUT_FORMATS:
            raise NSTError(f"{out}: several inputs need an output folder, not a file name")
        parent = out.parent if str(out.parent) else Path(".")
        if not parent.is_dir():
            raise NSTError(f"{out}: parent folder {parent} does not exist")
    pairs, seen = [], {}
    for f in files:
        n = seen[f.stem] = seen.get(f.stem, 0) + 1
        name = f"{f.stem}.{fmt}" if n == 1 else f"{f.stem}_{n}.{fmt}"
        target = out / name
        output_format(target)
        check_not_an_input(target, files)  # no output may replace any input of the run
        pairs.append((f, target))
    return pairs


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from ..feedforward.stylize import ApplyOptions, load_runner, stylize_image

    opts = options_from_args(args, ApplyOptions)
    pairs = plan_outputs(args.inputs, args.output, opts.format)
    stylizer, factor = load_runner(args.model, threads=opts.threads)
    folder = pairs[0][1].parent
    bad: list[Path] = []
    written = 0
    bar = None  # created at the first readable input, so a run that reads nothing prints only its error
    try:
        for i, (src, dst) in enumerate(pairs):
            try:
                img = load_image(src)
            except NSTError:
                bad.append(src)
                if bar is not None:
                    bar.update(1)
                continue
            if bar is None:
                bar = tqdm(total=len(pairs), initial=i, desc="stylizing", unit="img", dynamic_ncols=True,
                           disable=args.quiet or len(pairs) < 2)
            out = stylize_image(stylizer, factor, img, opts.size)
            folder.mkdir(exist_ok=True)
            meta = build_metadata("apply", args.argv, {"model": args.model, "input": str(src)}, asdict(opts),
                                  {"width": out.width, "height": out.height})
            save_with_metadata(out, dst, meta)
            written += 1
            bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if not written:
        raise NSTError(f"none of the {len(pairs)} input(s) could be read (first: {bad[0]})")
    if bad:
        note(f"nst apply: warning: skipped {len(bad)} unreadable input(s) (first: {bad[0]})")
    if not args.quiet:
        engine = "onnxruntime" if str(args.model).lower().endswith(".onnx") else "PyTorch"
        note(f"wrote {written} image(s) to {folder if len(pairs) > 1 else pairs[0][1]} (cpu, float32, {engine})")
    return 0
