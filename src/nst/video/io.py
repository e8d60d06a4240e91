"""Video frames in and out, streamed: video files (PyAV), animated GIFs (Pillow), folders of frames.

Frames are ``(H, W, 3)`` uint8 RGB numpy arrays. Readers decode one frame at a
time and writers encode one at a time, so memory does not grow with the
length of the video (an animated GIF output is the exception: Pillow writes
all its frames at the end; GIFs are short).

* Video files are read and written with PyAV (FFmpeg inside its wheels, no
  system ffmpeg): H.264 (libx264, ``yuv420p``, ``crf``) in MP4 by default. The
  audio stream of the input is copied packet by packet (not re-encoded), as
  ``ffmpeg -c:a copy`` does.
* Outputs are written to a temporary name beside the target and renamed when
  complete; :meth:`VideoWriter.close` with ``keep=True`` after an interruption
  finishes the container (trailer written), so the frames done so far play.

Errors (a file that is not a video, no frames, an unwritable folder) are
:class:`~nst.errors.NSTError` naming the file.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

from ..errors import NSTError
from ..extras import require
from ..images import OUTPUT_FORMATS, load_image, os_error_reason

# File name endings written with PyAV, and the container format of each.
VIDEO_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
GIF = ".gif"
IMAGE_EXTENSIONS = tuple(OUTPUT_FORMATS)  # frames in a folder
# Audio codecs FFmpeg's MP4 muxer takes (others, e.g. PCM, fail only when the file is finished).
MP4_AUDIO = frozenset({"aac", "mp3", "mp2", "ac3", "eac3", "opus", "flac", "alac"})
DEFAULT_FPS = Fraction(25)  # of a folder of frames, unless given
DEFAULT_CRF = 18  # x264: visually lossless
FRAME_NAME = "frame_{:06d}.png"  # frames written into a folder


@dataclass
class VideoInfo:
    """What a reader knows before decoding: size ``(width, height)``, frame rate, frame count (None: unknown)."""

    size: tuple[int, int]
    fps: Fraction
    frames: int | None
    audio: bool = False


def natural_key(path: Path) -> list:
    """Sort key: ``frame2`` before ``frame10``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def open_av(path: Path):
    """Open a media file with PyAV; raises :class:`NSTError` naming it when it is not one."""
    av = require("av", "video", "nst video")
    try:
        return av.open(str(path))
    except av.error.FFmpegError as e:
        raise NSTError(f"{path}: not a readable video file ({getattr(e, 'strerror', None) or e})") from None


class FrameReader:
    """Frames of a video file, an animated GIF or a folder of images, decoded one at a time.

    ``reader.info`` is known after opening; :meth:`frames` yields ``(H, W, 3)``
    uint8 RGB arrays. The first frame is decoded when the reader is opened, so
    an input without any frame fails before an output is made.

    Args:
        path: a video file (anything FFmpeg reads), a ``.gif`` file or a folder of images
            (sorted by name, numbers in natural order).
        fps: frame rate of a folder of frames (default 25); ignored for videos and GIFs.
        audio: collect the video file's audio packets for copying (:meth:`take_audio`).

    Raises:
        NSTError: missing file, not a video, no video stream, no frames.
    """

    def __init__(self, path: str | os.PathLike, fps: float | Fraction | None = None, audio: bool = True) -> None:
        self.path = p = Path(path)
        self.audio_stream = None
        self._audio: list = []
        self._container = None
        if not p.exists():
            raise NSTError(f"{p}: no such file or folder")
        if p.is_dir():
            self._files = sorted((f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS and f.is_file()
                                  and not f.name.startswith(".")), key=natural_key)
            if not self._files:
                raise NSTError(f"{p}: no image files ({', '.join(IMAGE_EXTENSIONS)}) in the folder")
            self.kind = "folder"
            self._iter = self._folder_frames()
            rate, count = Fraction(fps).limit_denominator(1001) if fps else DEFAULT_FPS, len(self._files)
        elif p.stat().st_size == 0:
            raise NSTError(f"{p}: file is empty (0 bytes)")
        elif p.suffix.lower() == GIF:
            self.kind = "gif"
            try:
                self._gif = Image.open(p)
            except (OSError, SyntaxError, ValueError) as e:
                raise NSTError(f"{p}: not a readable GIF ({e})") from None
            ms = self._gif.info.get("duration") or 100
            rate, count = Fraction(1000, int(ms)).limit_denominator(1001), getattr(self._gif, "n_frames", 1)
            self._iter = self._gif_frames()
        else:
            self.kind = "video"
            self._container = c = open_av(p)
            if c.format.name == "image2" or c.format.name.endswith("_pipe"):  # FFmpeg's still-image readers
                c.close()
                raise NSTError(f"{p}: is a still image, not a video (stylize it with nst fast)")
            if not c.streams.video:
                c.close()
                raise NSTError(f"{p}: has no video stream")
            v = c.streams.video[0]
            v.thread_type = "AUTO"
            rate = v.average_rate or v.guessed_rate or DEFAULT_FPS
            count = v.frames or None
            if audio and c.streams.audio:
                self.audio_stream = c.streams.audio[0]
            self._iter = self._video_frames()
        try:
            self._first = next(self._iter)
        except StopIteration:
            self.close()
            raise NSTError(f"{p}: has no frames") from None
        h, w = self._first.shape[:2]
        self.info = VideoInfo((w, h), Fraction(rate), count, self.audio_stream is not None)

    def _folder_frames(self) -> Iterator[np.ndarray]:
        size = None
        for f in self._files:
            img = load_image(f)
            if size is None:
                size = img.size
            elif img.size != size:  # frames of a video share one size: the first one's
                img = img.resize(size, Image.Resampling.LANCZOS)
            yield np.asarray(img)

    def _gif_frames(self) -> Iterator[np.ndarray]:
        try:
            for frame in ImageSequence.Iterator(self._gif):
                yield np.asarray(frame.convert("RGB"))
        except (OSError, SyntaxError, ValueError) as e:
            raise NSTError(f"{self.path}: could not decode the GIF ({e})") from None

    def _video_frames(self) -> Iterator[np.ndarray]:
        av = require("av", "video", "nst video")
        c = self._container
        video = c.streams.video[0]
        streams = [video] + ([self.audio_stream] if self.audio_stream is not None else [])
        try:
            for packet in c.demux(*streams):
                if packet.stream is video:
                    for frame in packet.decode():
                        yield frame.to_ndarray(format="rgb24")
                elif packet.dts is not None:  # audio, kept for the writer (the last packet is an empty flush)
                    self._audio.append(packet)
        except av.error.FFmpegError as e:
            raise NSTError(f"{self.path}: could not decode the video ({getattr(e, 'strerror', None) or e})") from None

    def frames(self) -> Iterator[np.ndarray]:
        """Yield every frame, ``(H, W, 3)`` uint8 RGB, the first one included, once."""
        first, self._first = self._first, None
        if first is not None:
            yield first
        yield from self._iter

    def take_audio(self) -> list:
        """The audio packets demuxed since the last call (PyAV ``Packet`` objects, to copy)."""
        out, self._audio = self._audio, []
        return out

    def close(self) -> None:
        """Release the file."""
        if self._container is not None:
            self._container.close()
            self._container = None
        if self.kind == "gif":
            self._gif.close()

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def output_kind(path: str | os.PathLike) -> str:
    """``"video"``, ``"gif"`` or ``"folder"``, from the output name (a folder: no extension, or an existing folder).

    Raises:
        NSTError: an extension that is neither a video format nor ``.gif``.
    """
    p = Path(path)
    ext = p.suffix.lower()
    if p.is_dir() or not ext:
        return "folder"
    if ext == GIF:
        return "gif"
    if ext in VIDEO_FORMATS:
        return "video"
    raise NSTError(f"{p}: unsupported output extension {ext}; use {', '.join(VIDEO_FORMATS)}, {GIF} "
                   "or a folder name")


def check_video_output(path: str | os.PathLike, inputs: list, overwrite: bool = False) -> str:
    """Validate an output before any work; returns its kind (:func:`output_kind`).

    A file output must not exist (unless ``overwrite``), a folder output must be
    new or empty, the folder it goes into must exist and be writable, and it
    must not be an input.

    Raises:
        NSTError: naming the output and the problem.
    """
    from ..images import check_not_an_input

    p = Path(path)
    kind = output_kind(p)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise NSTError(f"{p}: output folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise NSTError(f"{p}: cannot write into {parent} (permission denied)")
    check_not_an_input(p, inputs)
    if kind == "folder":
        if p.exists() and any(p.iterdir()):
            raise NSTError(f"{p}: folder is not empty; frames are written into a new or empty folder")
    elif p.exists() and not overwrite:
        raise NSTError(f"{p} exists: give another -o, or --overwrite to replace it")
    return kind


class VideoWriter:
    """Write frames to a video file, an animated GIF or a folder of PNG frames, atomically.

    Everything goes to a temporary name beside ``path`` (``.nst-XXXX.tmp``) and
    is renamed to ``path`` by :meth:`close`; :meth:`abort` removes it.

    Args:
        path: output (kind from :func:`output_kind`).
        size: ``(width, height)`` of every frame; even sides for H.264 (see :func:`even_size`).
        fps: frame rate.
        crf: H.264 constant rate factor (0 lossless .. 51 worst).
        audio_stream: a PyAV input audio stream to copy (video files only; None: no audio).

    Raises:
        NSTError: the temporary file cannot be made (permission, disk), the encoder fails.
    """

    def __init__(self, path: str | os.PathLike, size: tuple[int, int], fps: Fraction, crf: int = DEFAULT_CRF,
                 audio_stream=None) -> None:
        self.path = p = Path(path)
        self.kind = output_kind(p)
        self.size, self.fps, self.count = size, Fraction(fps), 0
        self.audio_out = self._out = None
        self.audio_dropped: str | None = None  # the codec of an input audio track the output cannot hold
        self._gif_frames: list[Image.Image] = []
        parent = p.parent if str(p.parent) else Path(".")
        try:
            if self.kind == "folder":
                self.tmp = Path(tempfile.mkdtemp(prefix=".nst-", suffix=".tmp", dir=parent))
            else:
                fd, tmp = tempfile.mkstemp(prefix=".nst-", suffix=".tmp", dir=parent)
                os.close(fd)
                self.tmp = Path(tmp)
        except OSError as e:
            raise NSTError(f"{p}: could not write the output ({os_error_reason(e)})") from None
        if self.kind == "video":
            av = require("av", "video", "nst video")
            if (audio_stream is not None and VIDEO_FORMATS[p.suffix.lower()] == "mp4"
                    and audio_stream.codec_context.name not in MP4_AUDIO):
                self.audio_dropped, audio_stream = audio_stream.codec_context.name, None
            try:
                try:
                    self._open(crf, audio_stream)
                except (av.error.FFmpegError, ValueError):
                    if audio_stream is None:
                        raise
                    self._close_quietly()
                    self.audio_dropped = audio_stream.codec_context.name
                    self._open(crf, None)  # an audio codec the container cannot hold: no audio
            except (av.error.FFmpegError, ValueError) as e:
                self.abort()
                raise NSTError(f"{p}: could not start the video ({getattr(e, 'strerror', None) or e})") from None

    def _open(self, crf: int, audio_stream) -> None:
        """Create the container, its H.264 stream and the copied audio stream, and write the header."""
        av = require("av", "video", "nst video")
        self.audio_out = None
        self._out = av.open(str(self.tmp), "w", format=VIDEO_FORMATS[self.path.suffix.lower()])
        s = self._out.add_stream("libx264", rate=self.fps)
        s.width, s.height = self.size
        s.pix_fmt = "yuv420p"
        s.options = {"crf": str(crf), "preset": "fast"}
        self._stream = s
        if audio_stream is not None:
            self.audio_out = self._out.add_stream_from_template(audio_stream)
        self._out.start_encoding()  # the header: fails here, not at the end, on a stream it cannot hold

    def write(self, frame: np.ndarray) -> None:
        """Append one ``(H, W, 3)`` uint8 RGB frame of the writer's size."""
        if self.kind == "video":
            av = require("av", "video", "nst video")
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf.pts = self.count
            vf.time_base = 1 / self.fps
            try:
                packets = self._stream.encode(vf)
            except av.error.FFmpegError as e:
                raise NSTError(f"{self.path}: the encoder failed ({getattr(e, 'strerror', None) or e})") from None
            self._mux(packets)
        elif self.kind == "gif":
            self._gif_frames.append(Image.fromarray(frame))
        else:
            try:
                Image.fromarray(frame).save(self.tmp / FRAME_NAME.format(self.count + 1))
            except OSError as e:
                raise NSTError(f"{self.path}: could not write a frame ({os_error_reason(e)})") from None
        self.count += 1

    def write_audio(self, packets: list) -> None:
        """Copy audio packets (from :meth:`FrameReader.take_audio`) into the output, if it has audio."""
        if self.audio_out is None:
            return
        for packet in packets:
            packet.stream = self.audio_out
            self._mux([packet])

    def _mux(self, packets) -> None:
        av = require("av", "video", "nst video")
        try:
            self._out.mux(packets)
        except OSError as e:
            raise NSTError(f"{self.path}: could not write the video ({os_error_reason(e)})") from None
        except av.error.FFmpegError as e:
            raise NSTError(f"{self.path}: could not write the video ({getattr(e, 'strerror', None) or e})") from None

    def close(self) -> bool:
        """Finish the output and rename it into place; returns False (nothing written) when it has no frame.

        Raises:
            NSTError: the file could not be finished or renamed.
        """
        if self.count == 0:
            self.abort()
            return False
        try:
            if self.kind == "video":
                self._mux(self._stream.encode(None))  # flush the encoder's delayed frames
                self._out.close()
            elif self.kind == "gif":
                ms = max(20, round(1000 / float(self.fps)))  # GIF delays are in 10 ms; browsers clamp < 20 ms
                first, *rest = self._gif_frames
                first.save(self.tmp, format="GIF", save_all=True, append_images=rest, duration=ms, loop=0)
                self._gif_frames = []
            if self.kind == "folder" and self.path.exists():
                self.path.rmdir()  # empty (checked before the run)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, (0o777 if self.kind == "folder" else 0o666) & ~umask)
            os.replace(self.tmp, self.path)
        except (OSError, NSTError) as e:
            self.abort()
            reason = os_error_reason(e) if isinstance(e, OSError) else str(e)
            raise NSTError(f"{self.path}: could not write the output ({reason})") from None
        except Exception as e:  # noqa: BLE001 -- FFmpeg's errors on finishing the file: one line, no temp left
            self.abort()
            raise NSTError(f"{self.path}: could not finish the video ({e})") from None
        return True

    def _close_quietly(self) -> None:
        if self._out is not None:
            try:
                self._out.close()
            except Exception:  # noqa: BLE001 -- the file is deleted or rewritten anyway
                pass
            self._out = None

    def abort(self) -> None:
        """Remove the temporary output; nothing is written."""
        self._close_quietly()
        if self.tmp.is_dir():
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif self.tmp.exists():
            self.tmp.unlink()


def even_size(size: tuple[int, int]) -> tuple[int, int]:
    """``(width, height)`` rounded down to even numbers (at least 2): H.264 in ``yuv420p`` needs them."""
    return max(2, size[0] - size[0] % 2), max(2, size[1] - size[1] % 2)
