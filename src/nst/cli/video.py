"""``nst video IN STYLE [STYLE ...] -o OUT.mp4``: stylize a video without flicker."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import NSTError
from .options import add_command, arg, options_from_args
from .outputs import note

SUMMARY = "stylize a video (or GIF, or folder of frames) without flicker"
DESCRIPTION = (
    "Stylize every frame of IN (a video file, an animated GIF or a folder of frames) in the style of STYLE, "
    "keeping the frames consistent: the previous stylized frame, warped by the optical flow of the input "
    "(OpenCV DIS), is blended in outside occlusions (--temporal-weight; 0: each frame on its own). "
    "The output keeps the input's frame rate, size (or --size), frame count and audio track (copied); "
    "-o OUT.mp4 (H.264, --crf), OUT.gif or a new folder of PNG frames. Ctrl-C writes the frames done so far. "
    "Needs the extra: pip install 'nst[video]' (and 'nst[fast]' for --method fast). See docs/video.md."
)
ARGS = [
    arg("input", metavar="IN", help="video file, animated .gif, or folder of frames"),
    arg("styles", metavar="STYLE", nargs="+", help="style image file(s)"),
    arg("-o", "--output", default=None,
        help="output .mp4 (or .mov, .mkv), .gif, or a new folder for PNG frames (default: IN_STYLE.mp4 here)"),
    arg("--overwrite", action="store_true", help="replace an existing output file"),
]
FAST_FIELDS = ("strength", "style_weights", "preserve_color", "work_size")  # --method fast
TRANSFER_FIELDS = ("iterations", "content_weight", "style_weight", "tv_weight", "style_scale")  # optimize


def option_classes() -> list[type]:
    """The options dataclasses of the command (imported when the parser is built, not at start-up)."""
    from ..arbitrary.stylize import FastOptions
    from ..feedforward.stylize import ApplyOptions
    from ..options import TransferOptions
    from ..video.options import VideoOptions

    return [VideoOptions, FastOptions, ApplyOptions, TransferOptions]


def add_parser(sub: argparse._SubParsersAction) -> None:
    video, fast, apply, transfer = option_classes()
    add_command(sub, "video", run, SUMMARY, DESCRIPTION, ARGS,
                options=[video, (fast, {"only": FAST_FIELDS}), (apply, {"only": ("threads",)}),
                         (transfer, {"only": TRANSFER_FIELDS})],
                quiet="no progress bar", config=True)


def default_output(args: argparse.Namespace) -> str:
    """``-o``, or ``IN-STEM_STYLE-STEM.mp4`` in the current folder."""
    if args.output is not None:
        return args.output
    return f"{Path(args.input).stem}_{Path(args.styles[0]).stem}.mp4"


def run(args: argparse.Namespace) -> int:
    from ..video.api import stylize_video

    video, fast, apply, transfer = options_from_args(args, option_classes())
    if fast.style_weights is not None and len(fast.style_weights) != len(args.styles):
        raise NSTError(f"--style-weights: got {len(fast.style_weights)} weights for {len(args.styles)} style image(s)")
    if video.method == "optimize" and fast.style_weights is not None:
        import dataclasses

        transfer = dataclasses.replace(transfer, style_weights=fast.style_weights)
    output = default_output(args)
    result = stylize_video(args.input, args.styles, output, fast=fast, apply=apply, transfer=transfer,
                           progress=not args.quiet, overwrite=args.overwrite,
                           **{k: getattr(video, k) for k in video.__dataclass_fields__})
    if result.audio_dropped:
        note(f"nst video: warning: the input's {result.audio_dropped} audio cannot go into "
             f"{Path(output).suffix}: left out (use -o OUT.mkv to keep it)")
    if result.interrupted:
        note(f"nst video: interrupted: {'wrote ' + output if result.output else 'nothing written'} "
             f"({result.frames} frame(s))")
        return 130
    if not args.quiet:
        rate = result.frames / result.seconds if result.seconds else 0.0
        note(f"wrote {output} ({result.frames} frames, {result.size[0]}x{result.size[1]}, {result.fps:g} fps"
             f"{', audio copied' if result.audio else ''}; {result.seconds:.1f} s, {rate:.2f} frames/s)")
    return 0
