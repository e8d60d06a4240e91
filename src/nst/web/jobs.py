"""The runs behind the page, without Gradio: checked uploads, result files, command lines.

Every result is a PNG file with the metadata the CLI writes
(:func:`nst.metadata.build_metadata`, so ``nst info`` reads a downloaded
result), written atomically (:func:`nst.images.atomic_write`) into a folder of
its own per request, under a unique name (two identical requests never share
a file). The networks are loaded once per server and shared by the requests
(onnxruntime sessions and PyTorch inference are safe to call from several
threads).
"""

from __future__ import annotations

import dataclasses
import os
import queue
import shlex
import shutil
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from ..config import base_type, field_types, option_fields, spec
from ..errors import NSTError
from ..images import load_image, tensor_to_pil
from ..metadata import build_metadata
from .options import WebOptions

# Result folders older than this are deleted (seconds).
KEEP_RESULTS_S = 3600


def check_upload(path: str | os.PathLike | None, what: str, limits: WebOptions) -> Image.Image:
    """Decode an uploaded image file as 8-bit RGB, within the server's limits.

    The size in bytes and in pixels (from the header, before decoding) are
    checked first; messages name the uploaded file by its name only (never the
    server's temporary path).

    Raises:
        NSTError: no file, too large (bytes or pixels, decompression bombs
            included), or not a decodable image.
    """
    if path is None:
        raise NSTError(f"upload a {what}")
    p = Path(path)
    name = p.name
    try:
        nbytes = p.stat().st_size
    except OSError:
        raise NSTError(f"{what} {name}: the upload is gone; upload it again") from None
    if nbytes > limits.max_upload_mb * 1e6:
        raise NSTError(f"{what} {name}: {nbytes / 1e6:.1f} MB, more than the {limits.max_upload_mb:g} MB "
                       "this server accepts")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                w, h = im.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        w, h = 0, 0  # more pixels than Pillow's own limit: refused below
    except UnidentifiedImageError:
        raise NSTError(f"{what} {name}: not an image file (PNG, JPEG, WebP, ...)") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise NSTError(f"{what} {name}: could not read the image ({e})") from None
    if w * h == 0 or w * h > limits.max_pixels:
        size = f"{w}x{h} pixels" if w * h else "larger than Pillow's decompression-bomb limit"
        raise NSTError(f"{what} {name}: {size}, more than the {limits.max_pixels / 1e6:g} megapixels "
                       "this server accepts")
    try:
        return load_image(p)
    except NSTError as e:
        raise NSTError(f"{what} {name}: {str(e).removeprefix(str(p) + ': ')}") from None


class Workspace:
    """Per-request result folders under one temporary root, deleted after :data:`KEEP_RESULTS_S`.

    Args:
        root: where the folders go (default: a new temporary folder).
        share_folder: where a copy of every result is also kept (created if missing).
    """

    def __init__(self, root: str | os.PathLike | None = None, share_folder: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="nst-web-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.share = Path(share_folder) if share_folder else None
        if self.share is not None:
            self.share.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()

    def new_folder(self) -> Path:
        """A new empty folder for one request (old ones are swept first)."""
        self.sweep()
        return Path(tempfile.mkdtemp(prefix="req-", dir=self.root))

    def sweep(self, age_s: float = KEEP_RESULTS_S) -> None:
        """Delete the request folders older than ``age_s`` seconds."""
        now = time.time()
        for d in self.root.glob("req-*"):
            try:
                if now - d.stat().st_mtime > age_s:
                    shutil.rmtree(d, ignore_errors=True)
            except OSError:
                pass

    def keep(self, path: Path) -> None:
        """Copy a result into the share folder under a name not yet taken (``NAME_2.png`` ...)."""
        if self.share is None:
            return
        with self.lock:
            target, n = self.share / path.name, 1
            while target.exists():
                n += 1
                target = self.share / f"{path.stem}_{n}{path.suffix}"
            tmp = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)


def result_name(*parts: str) -> str:
    """A unique PNG file name from the inputs' names: ``photo_starry_1a2b3c.png``."""
    stems = [Path(p).stem[:40] for p in parts if p]
    return "_".join([*stems, uuid.uuid4().hex[:6]]) + ".png"


def command_line(command: str, positional: Sequence[str], options: Sequence[Any], shown: Sequence[str]) -> list[str]:
    """The arguments after ``nst`` that repeat a run: positional ones, then the ``shown`` options that
    differ from their defaults, spelled as on the command line (``--style-weight 20``, ``--preserve-color``)."""
    argv = [command, *positional]
    for opts in options:
        types = field_types(type(opts))
        for f in option_fields(type(opts)):
            if f.name not in shown:
                continue
            value = getattr(opts, f.name)
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            if value == default or value is None:
                continue
            flag = spec(f)["flag"] or "--" + f.name.replace("_", "-")
            kind, many = base_type(types[f.name])
            if kind is bool and not many:
                argv.append(flag if value else "--no-" + flag[2:])
            elif isinstance(value, Mapping):
                argv += [flag, *(f"{k}:{v:g}" for k, v in value.items())]
            elif isinstance(value, (list, tuple)):
                argv += [flag, *map(str, value)]
            else:
                argv += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return argv


def shell(argv: Sequence[str]) -> str:
    """``nst ARGS`` as one shell line."""
    return shlex.join(["nst", *argv])


class Networks:
    """The networks of the server, loaded once each and shared by every request (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cache: dict[tuple, Any] = {}

    def get(self, key: tuple, load: Callable[[], Any]) -> Any:
        with self.lock:
            if key not in self.cache:
                self.cache[key] = load()
            return self.cache[key]


NETWORKS = Networks()


@dataclass
class Result:
    """A finished run: the PNG ``path`` (with metadata), the command line, a status line."""

    path: Path
    command: str
    status: str


def save_result(image: Any, folder: Path, name: str, meta: dict, workspace: Workspace) -> Path:
    """Write ``image`` (PIL, or tensor ``(1, 3, H, W)`` in [0, 1]) as ``folder/name`` with ``meta``, atomically."""
    from ..cli.outputs import save_with_metadata

    path = folder / name
    save_with_metadata(image, path, meta)
    workspace.keep(path)
    return path


def builtin_style(name: str, presets: bool) -> tuple[Any, str]:
    """A built-in style by name: ``(style for the stylizer, name)``; a painting of the catalogue is decoded,
    a preset (``preset-7``, only where ``presets``) is passed on by name.

    Raises:
        NSTError: a name that is none of them.
    """
    from ..arbitrary.stylize import is_preset
    from ..catalogue import paintings

    if presets and is_preset(name):
        return name, name
    painting = paintings().get(name)
    if painting is None:
        raise NSTError(f"{name!r} is not a built-in style (see nst styles)")
    return load_image(painting.path), name


def style_input(style_path: str | None, style_name: str | None, limits: WebOptions, presets: bool) -> tuple[Any, str]:
    """The style of a run: the uploaded image when there is one, else the built-in style chosen by name.

    Returns ``(style, name for the command line and the metadata)``.

    Raises:
        NSTError: neither given, a bad upload, an unknown name.
    """
    if style_path:
        return check_upload(style_path, "style image", limits), Path(style_path).name
    if style_name:
        return builtin_style(style_name, presets)
    raise NSTError("upload a style image or choose a built-in style")


def run_fast(content_path: str, style_path: str | None, opts: Any, limits: WebOptions, workspace: Workspace,
             style_name: str | None = None) -> Result:
    """``nst fast`` on an uploaded content image and an uploaded style image (or a built-in style or preset
    named ``style_name``); ``opts`` is a :class:`~nst.arbitrary.FastOptions`.

    Raises:
        NSTError: bad uploads, an unknown style name, missing extra ``nst[fast]``; OptionError: bad options.
    """
    from ..arbitrary import FastStylizer

    content = check_upload(content_path, "content image", limits)
    style, style_label = style_input(style_path, style_name, limits, presets=True)
    t0 = time.perf_counter()
    image = FastStylizer(style, opts)(content)  # the networks are loaded once per process (load_network)
    seconds = time.perf_counter() - t0
    names = [Path(content_path).name, style_label]
    name = result_name(*names)
    argv = command_line("fast", names, [opts], [f.name for f in fields(opts)]) + ["-o", name]
    meta = build_metadata("fast", argv, {"content": names[0], "styles": [names[1]]}, asdict(opts),
                          {"width": image.width, "height": image.height, "seconds": round(seconds, 3)})
    path = save_result(image, workspace.new_folder(), name, meta, workspace)
    return Result(path, shell(argv), f"{image.width}x{image.height} in {seconds:.2f} s")


def run_apply(model_path: Path, content_path: str, opts: Any, limits: WebOptions, workspace: Workspace) -> Result:
    """``nst apply`` of a model file on one upload; ``opts`` is an :class:`~nst.feedforward.stylize.ApplyOptions`.

    Raises:
        NSTError: bad upload or model file.
    """
    from ..feedforward.stylize import load_runner, stylize_image

    content = check_upload(content_path, "content image", limits)
    stat = model_path.stat()
    runner, factor = NETWORKS.get(("apply", str(model_path), stat.st_mtime, stat.st_size),
                                  lambda: load_runner(model_path, threads=opts.threads))
    t0 = time.perf_counter()
    image = stylize_image(runner, factor, content, opts.size)
    seconds = time.perf_counter() - t0
    name = result_name(Path(content_path).name, model_path.name)
    argv = command_line("apply", [model_path.name, Path(content_path).name], [opts], ["size"]) + ["-o", name]
    meta = build_metadata("apply", argv, {"model": model_path.name, "input": Path(content_path).name}, asdict(opts),
                          {"width": image.width, "height": image.height, "seconds": round(seconds, 3)})
    path = save_result(image, workspace.new_folder(), name, meta, workspace)
    return Result(path, shell(argv), f"{image.width}x{image.height} in {seconds:.2f} s")


@dataclass
class Progress:
    """An Optimize run's progress: the current iterate saved as ``preview`` (a JPEG file), a status line,
    the command line."""

    preview: Path
    status: str
    command: str


def run_transfer(content_path: str, style_path: str | None, opts: Any, limits: WebOptions, workspace: Workspace,
                 stop: threading.Event, shown: Sequence[str], style_name: str | None = None,
                 ) -> Iterator[Progress | Result]:
    """``nst transfer`` on an uploaded content image and an uploaded style image (or a painting of the
    catalogue named ``style_name``), yielding :class:`Progress` every ``limits.preview_every`` iterations,
    then the :class:`Result`.

    The optimization runs in a thread of its own; setting ``stop`` ends it at the next iteration (the
    callback raises ``KeyboardInterrupt``, which :func:`nst.run_coarse_to_fine` treats as Ctrl-C) and the
    result is the best image so far. Closing the generator (the browser went away) sets ``stop`` too.

    Raises:
        NSTError / OptionError: bad uploads or options (before any work), or the run's own errors.
    """
    from ..coarse_to_fine import run_coarse_to_fine
    from ..images import save_image

    content = check_upload(content_path, "content image", limits)
    style, style_label = style_input(style_path, style_name, limits, presets=False)
    if opts.size > limits.max_transfer_size:
        raise NSTError(f"size {opts.size} px: this server makes images up to {limits.max_transfer_size} px")
    folder = workspace.new_folder()
    names = [Path(content_path).name, style_label]
    name = result_name(*names)
    argv = command_line("transfer", names, [opts], shown) + ["-o", name]
    events: queue.Queue = queue.Queue()
    count = [0]
    t0 = time.perf_counter()

    def each_step(step) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        count[0] += 1
        if count[0] % limits.preview_every == 0:
            h, w = step.image.shape[-2:]
            losses = ", ".join(f"{k} {v:.3g}" for k, v in step.losses.items())
            events.put(("step", tensor_to_pil(step.image.detach().clamp(0, 1).cpu()),
                        f"scale {w}x{h}: iteration {step.iteration}/{step.iterations} "
                        f"({count[0]} in all), losses: {losses}"))

    def work() -> None:
        try:
            events.put(("done", run_coarse_to_fine(content, [style], opts, progress=False, callback=each_step)))
        except BaseException as e:  # handed to the request's thread, which reports it
            events.put(("error", e))

    threading.Thread(target=work, name="nst-transfer", daemon=True).start()
    try:
        while True:
            kind, *payload = events.get()
            if kind == "error":
                raise payload[0]
            if kind == "step":
                image, status = payload
                preview = folder / f"iterate_{count[0]:05d}_{uuid.uuid4().hex[:4]}.jpg"
                save_image(image, preview, quality=90)
                yield Progress(preview, status, shell(argv))
                continue
            result = payload[0]
            seconds = time.perf_counter() - t0
            h, w = result.image.shape[-2:]
            meta = build_metadata("transfer", argv, {"content": names[0], "styles": [names[1]]}, opts.to_dict(),
                                  {"iterations": result.iterations, "loss": result.best_loss, "width": w,
                                   "height": h, "interrupted": result.interrupted, "seconds": round(seconds, 3)})
            path = save_result(result.image, folder, name, meta, workspace)
            how = "stopped" if result.interrupted else "done"
            yield Result(path, shell(argv), f"{how}: {w}x{h}, {result.iterations} iterations in {seconds:.1f} s, "
                                            f"loss {result.best_loss:.4g}")
            return
    finally:
        stop.set()


def list_models(folder: str | os.PathLike | None) -> list[str]:
    """The shipped models' names (:func:`nst.catalogue.models`), then the model files
    (``.safetensors``, ``.onnx``) directly in ``folder``, sorted."""
    from ..catalogue import models

    files = [] if not folder or not Path(folder).is_dir() else sorted(
        p.name for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in (".safetensors", ".onnx"))
    return [*models(), *files]


def model_path(folder: str | os.PathLike | None, name: str | None) -> Path:
    """The file of model ``name``: a shipped model, or a file of the models folder (names of :func:`list_models`).

    Raises:
        NSTError: no name, or a name that is neither shipped nor in the folder (no folder: says how to give one).
    """
    from ..catalogue import models

    if name in models():
        return models()[name].path
    if not folder:
        raise NSTError("pick a shipped model; this server has no models folder (start it with nst web --models DIR)")
    if not name or name not in list_models(folder):
        raise NSTError(f"pick a shipped model or a model file of {Path(folder).name} (refresh the list)")
    return Path(folder) / name

