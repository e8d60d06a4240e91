"""The video pipeline: read frames, stylize each (one of three methods), keep them consistent, write.

Used by :func:`nst.stylize_video` and ``nst video``. Frames stream through
one at a time (:mod:`nst.video.io`): memory holds a few frames whatever the
length of the video.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
from PIL import Image

from ..errors import NSTError
from ..images import ImageLike, as_list, as_pil, fit_long_side
from .flow import FlowEstimator
from .io import FrameReader, VideoWriter, check_video_output, even_size, output_kind
from .options import VideoOptions
from .temporal import TemporalBlend

FrameFn = Callable[[np.ndarray], np.ndarray]  # (H, W, 3) uint8 RGB -> same


def load_styles(style: ImageLike | Sequence[ImageLike]) -> list[Image.Image | str]:
    """Decode the style image(s) once, before any output is made.

    Presets of the multi-style network (``preset-N``, ``--method fast`` only) are
    kept as names; :class:`~nst.arbitrary.FastStylizer` checks them.

    Raises:
        NSTError: none given, or one cannot be read.
    """
    from ..arbitrary.stylize import is_preset

    styles = as_list(style)
    if not styles:
        raise NSTError("at least one style image is needed")
    return [s if is_preset(s) else as_pil(s, f"style image {i + 1}") for i, s in enumerate(styles)]


def make_stylizer(styles: list[Image.Image], opts: VideoOptions, fast=None, apply=None, transfer=None,
                  flow: FlowEstimator | None = None) -> FrameFn:
    """The per-frame stylization of ``opts.method``: a function of one frame, in order.

    ``fast`` / ``apply`` / ``transfer`` are the method's options
    (:class:`~nst.arbitrary.FastOptions`, :class:`~nst.feedforward.stylize.ApplyOptions`,
    :class:`~nst.options.TransferOptions`; None: their defaults). Their own
    ``size`` is not used: frames arrive at the output size.

    Raises:
        NSTError: the model cannot be loaded, an extra is missing.
    """
    if opts.method == "fast":
        from ..arbitrary.stylize import FastOptions, FastStylizer

        fs = FastStylizer(styles, dataclasses.replace(fast or FastOptions(), size=None))
        return lambda frame: np.asarray(fs(Image.fromarray(frame)))
    if opts.method == "model":
        from ..feedforward.stylize import ApplyOptions, load_runner, stylize_image

        runner, factor = load_runner(opts.model, threads=(apply or ApplyOptions()).threads)
        return lambda frame: np.asarray(stylize_image(runner, factor, Image.fromarray(frame)))
    from ..options import TransferOptions
    from .optimize import OptimizeStylizer

    return OptimizeStylizer(styles, transfer or TransferOptions(), opts.temporal_weight, flow)


def output_size(size: tuple[int, int], opts: VideoOptions, even: bool) -> tuple[int, int]:
    """``(width, height)`` of the output frames: the input's, or long side ``opts.size``; even sides for H.264."""
    out = size if opts.size is None else fit_long_side(size, opts.size)
    return even_size(out) if even else out


def fit_frame(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a ``(H, W, 3)`` frame to ``size`` = (width, height), unless it has that size.

    Smaller: OpenCV's area averaging (fast, no aliasing); larger: Lanczos.
    """
    if (frame.shape[1], frame.shape[0]) == size:
        return frame
    if size[0] <= frame.shape[1] and size[1] <= frame.shape[0]:
        from ..extras import require

        cv2 = require("cv2", "video", "nst video")
        return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS))


def stylized_frames(reader: FrameReader, stylize: FrameFn, opts: VideoOptions, size: tuple[int, int],
                    flow: FlowEstimator | None = None) -> Iterator[np.ndarray]:
    """Yield the output frames ``(H, W, 3)`` uint8 of ``reader``'s frames (the first ``opts.frames``)."""
    one_pass = opts.method != "optimize"
    blend = TemporalBlend(opts.temporal_weight if one_pass else 0.0, flow)
    for i, frame in enumerate(reader.frames()):
        if opts.frames is not None and i >= opts.frames:
            break
        frame = fit_frame(frame, size)
        yield blend(frame, stylize(frame))


@dataclasses.dataclass
class VideoResult:
    """What :func:`nst.stylize_video` wrote: ``output`` (None: nothing, interrupted before the first frame),
    ``frames`` written, ``fps``, ``size`` ``(width, height)``, ``seconds`` of wall time, ``interrupted``, ``audio``
    (whether the audio track was copied), ``audio_dropped`` (the codec of an audio track the output cannot hold)."""

    output: str | None
    frames: int
    fps: float
    size: tuple[int, int]
    seconds: float
    interrupted: bool = False
    audio: bool = False
    audio_dropped: str | None = None


def total_frames(reader: FrameReader, opts: VideoOptions) -> int | None:
    """The number of frames the run will stylize, when known."""
    n = reader.info.frames
    if opts.frames is not None:
        return opts.frames if n is None else min(n, opts.frames)
    return n


def write_video(source, style, output, opts: VideoOptions, fast=None, apply=None, transfer=None,
                progress: bool = False, callback: Callable[[int, Image.Image], None] | None = None,
                overwrite: bool = False) -> VideoResult:
    """Stylize ``source`` into the file or folder ``output`` (see :func:`nst.stylize_video`)."""
    from tqdm.auto import tqdm

    inputs = [source] + [s for s in as_list(style) if isinstance(s, (str, os.PathLike))]
    check_video_output(output, inputs, overwrite)
    kind = output_kind(output)
    t0 = time.perf_counter()
    with FrameReader(source, opts.fps, audio=opts.audio and kind == "video") as reader:
        styles = load_styles(style)
        flow = FlowEstimator(opts.flow_size) if opts.temporal_weight > 0 else None
        stylize = make_stylizer(styles, opts, fast, apply, transfer, flow)
        size = output_size(reader.info.size, opts, even=kind == "video")
        writer = VideoWriter(output, size, reader.info.fps, opts.crf, reader.audio_stream)
        bar = tqdm(total=total_frames(reader, opts), unit="frame", desc="stylizing", dynamic_ncols=True,
                   disable=not progress)
        interrupted = False
        try:
            for i, frame in enumerate(stylized_frames(reader, stylize, opts, size, flow)):
                writer.write(frame)
                writer.write_audio(reader.take_audio())
                bar.update(1)
                if callback is not None:
                    callback(i, Image.fromarray(frame))
            if opts.frames is None:
                writer.write_audio(reader.take_audio())  # audio after the last frame
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM: keep the frames done so far, playable
            interrupted = True
        except BaseException:
            writer.abort()
            raise
        finally:
            bar.close()
        written = writer.close()
    return VideoResult(str(output) if written else None, writer.count, float(reader.info.fps), size,
                       time.perf_counter() - t0, interrupted, writer.audio_out is not None, writer.audio_dropped)


def iterate_video(source, style, opts: VideoOptions, fast=None, apply=None, transfer=None) -> Iterator[Image.Image]:
    """The stylized frames of ``source`` as RGB PIL images (see :func:`nst.stylize_video`).

    The input, the styles and the method are checked here, before the first frame is asked for.
    """
    reader = FrameReader(source, opts.fps, audio=False)
    try:
        styles = load_styles(style)
        flow = FlowEstimator(opts.flow_size) if opts.temporal_weight > 0 else None
        stylize = make_stylizer(styles, opts, fast, apply, transfer, flow)
    except BaseException:
        reader.close()
        raise
    size = output_size(reader.info.size, opts, even=False)

    def frames() -> Iterator[Image.Image]:
        with reader:
            for frame in stylized_frames(reader, stylize, opts, size, flow):
                yield Image.fromarray(frame)

    return frames()
