"""``nst.batch(...)``: a batch from Python, returning the manifest records."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..errors import NSTError
from .items import plan
from .run import default_manifest, run_batch
from .worker import Job


def _options(command: str, options: Any, values: dict) -> Any:
    if command == "fast":
        from ..arbitrary import FastOptions as cls
    elif command == "apply":
        from ..feedforward.stylize import ApplyOptions as cls
    elif command == "transfer":
        from ..options import TransferOptions as cls
    else:
        raise NSTError(f"command {command!r}: use fast, transfer or apply")
    if options is None:
        from ..config import build

        return build(cls, values)
    if values:
        from dataclasses import replace

        return replace(options, **values)
    return options


def batch(
    inputs: str | os.PathLike | Sequence[str | os.PathLike],
    style: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    output: str | os.PathLike = "out",
    *,
    command: str = "fast",
    model: str | os.PathLike | None = None,
    options: Any = None,
    each_style: bool = False,
    workers: int = 1,
    ray: str | None = None,
    overwrite: bool = False,
    manifest: str | os.PathLike | None = None,
    progress: bool = False,
    **option_values: Any,
) -> list[dict]:
    """Stylize every image of ``inputs`` into the folder ``output``; returns the manifest records.

    Example::

        records = nst.batch("photos/", "starry.jpg", "out/", size=512)       # nst fast
        records = nst.batch("photos/", output="out/", command="apply", model="starry.onnx")
        failed = [r for r in records if r["status"] == "failed"]

    Args:
        inputs: image files, folders (recursive; hidden files skipped) and
            ``@list.txt`` files (one path a line), or one of them.
        style: style image(s) for ``fast``/``transfer`` (blended, or one at a time with ``each_style``).
        output: output folder; outputs are ``output/<relative path>/<stem>.png``
            (``output/<style stem>/...`` with ``each_style``).
        command: ``"fast"`` (:func:`nst.fast_stylize`), ``"transfer"``
            (:func:`nst.stylize`'s optimization) or ``"apply"`` (a model from nst train, ``model=``).
        options: a ``FastOptions`` / ``TransferOptions`` / ``ApplyOptions``;
            ``option_values`` (e.g. ``size=512``) build or change it.
        workers: worker processes on this machine, each with its share of the CPU threads.
        ray: ``"local"`` (embedded Ray, or the cluster at ``RAY_ADDRESS``) or
            a Ray cluster address; needs ``pip install 'nst[ray]'``.
        overwrite: redo items that are done (by default a rerun skips them and retries failed ones).
        manifest: the JSON-lines manifest (default ``output/manifest.jsonl``).
        progress: a progress bar on stderr.

    Returns:
        One record per item, in the inputs' order: ``input``, ``style``,
        ``output``, ``status`` (``done``, ``failed`` with ``reason``, ``skipped``),
        ``seconds``, ``worker``, ``node``, ``time``.

    Raises:
        NSTError / OptionError: bad inputs or options (before any work);
        KeyboardInterrupt: Ctrl-C (after the manifest holds every finished item).
    """
    specs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    styles = [] if style is None else [style] if isinstance(style, (str, os.PathLike)) else list(style)
    opts = _options(command, options, option_values)
    if command == "apply":
        if model is None:
            raise NSTError("command 'apply' needs model=PATH (a model file from nst train or nst export)")
        styles, fmt = [os.fspath(model)], opts.format
    else:
        if not styles:
            raise NSTError(f"command {command!r} needs style=PATH (one or more style images)")
        fmt = "png"
    items = plan(specs, styles, output, each_style=each_style and command != "apply", fmt=fmt)
    job = Job(command, opts, os.fspath(model) if model is not None else None, metadata="full")
    result = run_batch(job, items, manifest or default_manifest(output), overwrite=overwrite, workers=workers,
                       ray=ray, progress=progress)
    if result.interrupted:
        raise KeyboardInterrupt
    return result.records
