"""Writing a run's result, its metadata and the pictures of the process (shared by several commands)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NSTError
from ..extras import require
from ..images import ImageLike, check_output_path, frame_widths, save_image
from ..metadata import build_metadata, png_info

if TYPE_CHECKING:
    from PIL import Image

    from ..options import TransferOptions
    from ..transfer import TransferResult

# Picture options and the file name endings they accept.
PICTURES = {"--gif": (".gif",), "--plot": (".png",), "--sheet": (".png", ".jpg", ".jpeg")}


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (but newlines) as escapes such as ``\\x1b``.

    File names and metadata are data: a crafted one must not set the
    terminal's title or clear its screen when nst prints it.
    """
    return "".join(ch if ch == "\n" or ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def note(text: str) -> None:
    """One message line on stderr, made safe for the terminal (:func:`printable`)."""
    print(printable(text), file=sys.stderr)


def warn_if_framed(command: str, name: str | os.PathLike, style: Image.Image) -> None:
    """One warning line where a style image looks framed (:func:`nst.images.frame_widths`).

    The style loss matches the whole image's statistics, so a frame comes back as lines
    along every edge of the output; nst does not crop it (where the painting begins is
    the user's call), it says so.
    """
    if widths := frame_widths(style):
        note(f"nst {command}: warning: {name}: a band of one colour runs along every edge "
             f"({'/'.join(map(str, widths))} px left/top/right/bottom: a frame?); the style copies it as "
             "lines along the output's edges: crop it off the style image")


def derived_output(args: argparse.Namespace, content: str | os.PathLike, styles: Sequence[str | os.PathLike]) -> str:
    """``args.output``, or when it was left out ``CONTENT-STEM_STYLE-STEM.png`` in the current folder.

    The derived name never replaces an existing file unless ``--overwrite`` is given.

    Raises:
        NSTError: the derived file exists and ``--overwrite`` was not given.
    """
    if args.output is not None:
        return args.output
    name = f"{Path(content).stem}_{Path(styles[0]).stem}.png"
    if Path(name).exists() and not getattr(args, "overwrite", False):
        raise NSTError(f"{name} exists: give -o OUT.png, or --overwrite to replace it")
    args.output = name
    return name


def check_outputs(args: argparse.Namespace, inputs: Sequence[str | os.PathLike],
                  opts: TransferOptions | None = None) -> None:
    """Validate ``-o`` and the ``--gif`` (from ``opts``)/``--plot``/``--sheet`` targets before any work.

    Raises:
        NSTError: a wrong extension, a missing folder, a directory, an input
            file, or two outputs naming the same file.
    """
    targets = {"-o": args.output}
    check_output_path(args.output, inputs)
    if getattr(args, "plot", None):
        require("matplotlib", "plots", "--plot")
    for option, exts in PICTURES.items():
        path = opts.gif if option == "--gif" and opts is not None else getattr(args, option.lstrip("-"), None)
        if path:
            check_output_path(path, inputs, extensions=exts, option=option.lstrip("-"))
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
    ``result_label``) on the contact sheet, all at the result's height;
    ``extra`` goes into the metadata. Returns the exit status.
    """
    h, w = result.image.shape[-2:]
    level = getattr(args, "metadata", "full")
    meta = None if level == "none" else build_metadata(
        args.command, getattr(args, "argv", sys.argv[1:]), inputs, opts.to_dict(),
        {"iterations": result.iterations, "loss": result.best_loss, "width": w, "height": h,
         "interrupted": result.interrupted},
        level=level, **extra,
    )
    from ..device import device_summary
    from ..visualize import contact_sheet, loss_plot

    status = write_result(result, args.output, args.quiet, metadata=meta, device=device_summary(opts.device))

    if args.plot:
        save_image(loss_plot(result.history, title=f"nst {args.command}: {Path(args.output).name}"), args.plot)
    if args.sheet:
        sheet = contact_sheet([*panels, (f"{result_label}: {Path(args.output).name}", result.image)], height=h)
        save_image(sheet, args.sheet)
    return status


def save_with_metadata(image: ImageLike, output: str | os.PathLike, metadata: dict | None) -> None:
    """Save ``image`` atomically with ``metadata`` (:func:`nst.metadata.build_metadata`, or None) in a
    PNG text chunk or a JPEG comment, where ``nst info`` and ``--from`` read it."""
    if metadata is None:
        save_image(image, output)
    else:
        save_image(image, output, pnginfo=png_info(metadata), comment=json.dumps(metadata, ensure_ascii=False))


def write_result(result: TransferResult, output: str, quiet: bool, metadata: dict | None = None,
                 device: str | None = None) -> int:
    """Save the result atomically with its ``metadata``; report an interrupted run. Returns the exit status.

    The summary line names the ``device`` and precision the run used, when given.
    """
    save_with_metadata(result.image, output, metadata)
    if result.interrupted:
        note(f"interrupted after {result.iterations} iterations; wrote the best image so far to {output}")
        return 130
    if not quiet:
        on = f"; {device}" if device else ""
        note(f"wrote {output} ({result.iterations} iterations, loss {result.best_loss:.4g}{on})")
    return 0
