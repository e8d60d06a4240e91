"""Python API: ``nst.stylize_video(source, style, output)``: a stylized video file, or its frames.

Light at import (nothing heavy is imported until the function runs), so
``nst`` can export it without loading torch, PyAV or OpenCV.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .options import VideoOptions

if TYPE_CHECKING:
    from collections.abc import Iterator

    from PIL import Image

    from .pipeline import VideoResult


def stylize_video(
    source: str | os.PathLike,
    style: Any | Sequence[Any],
    output: str | os.PathLike | None = None,
    *,
    fast: Any = None,
    apply: Any = None,
    transfer: Any = None,
    progress: bool = False,
    callback: Callable[[int, Image.Image], None] | None = None,
    overwrite: bool = False,
    **options: Any,
) -> VideoResult | Iterator[Image.Image]:
    """Stylize a video without flicker: write it to ``output``, or yield its frames.

    Each frame is stylized by ``method`` (``"fast"``: the arbitrary-style
    network of :func:`nst.fast_stylize`; ``"model"``: a trained network,
    ``model="M.onnx"``; ``"optimize"``: Gatys optimization per frame with Ruder
    et al.'s 2016 temporal loss), then blended with the previous output warped
    by the optical flow of the input frames, outside occlusions
    (``temporal_weight``; 0: each frame on its own). See docs/video.md.

    Args:
        source: a video file (anything FFmpeg reads), an animated ``.gif``, or a folder of frames.
        style: a style image (path, PIL image, ``(H, W, 3)`` array) or a list of them.
        output: ``.mp4`` (H.264, the input's frame rate and audio track copied), ``.mov``/``.mkv``,
            ``.gif``, or a new or empty folder (``frame_000001.png`` ...). None: return a generator of
            the frames instead, as 8-bit RGB ``PIL.Image.Image`` (input size or long side ``size``).
        fast / apply / transfer: :class:`~nst.arbitrary.FastOptions`, :class:`~nst.feedforward.stylize.ApplyOptions`,
            :class:`~nst.options.TransferOptions` for the methods fast / model / optimize (default: defaults).
        progress: a tqdm progress bar in frames, with an ETA.
        callback: ``callback(index, frame)`` after each frame is written; raising ``KeyboardInterrupt``
            in it stops the run like Ctrl-C: the frames done so far are written, playable.
        overwrite: let ``output`` replace an existing file.
        **options: the fields of :class:`~nst.video.options.VideoOptions` (``method``, ``model``, ``size``,
            ``temporal_weight``, ``crf``, ``frames``, ``fps``, ``flow_size``, ``audio``).

    Returns:
        with ``output``: a :class:`~nst.video.pipeline.VideoResult` (frames written, fps, size,
        ``interrupted`` after Ctrl-C); without: an iterator of frames.

    Raises:
        NSTError: an input that is not a video or has no frames, an unreadable style image, an output that
            exists or cannot be written (nothing is written then), the extra ``nst[video]`` missing;
        OptionError: a bad option.
    """
    from ..config import build

    opts = build(VideoOptions, options)
    if output is None:
        from .pipeline import iterate_video

        return iterate_video(source, style, opts, fast, apply, transfer)
    from .pipeline import write_video

    return write_video(source, style, output, opts, fast, apply, transfer, progress, callback, overwrite)
