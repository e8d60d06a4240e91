"""How an output was made, recorded inside the file and read back.

Every PNG written by ``nst transfer``/``demo``/``reconstruct`` carries one
iTXt chunk with keyword ``nst`` holding JSON: the tool version, the command
line and working folder (so the run can be repeated), the input files, the
seed, every option (:meth:`nst.options.TransferOptions.to_dict`) and a summary
of the result. JPEG outputs carry the same JSON in a JPEG comment (COM
segment); other formats carry none.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from .errors import NSTError
from .version import __version__

KEY = "nst"


def build_metadata(
    command: str,
    argv: Sequence[str],
    inputs: Mapping[str, object],
    options: Mapping[str, object],
    result: Mapping[str, object] | None = None,
    **extra: object,
) -> dict:
    """The record stored in an output file (JSON-able dict).

    Args:
        command: the ``nst`` command (``"transfer"``, ``"demo"``, ``"reconstruct"``).
        argv: the arguments after ``nst``, as typed (to repeat the run).
        inputs: input files by role, e.g. ``{"content": "a.jpg", "styles": ["b.jpg"]}``.
        options: :meth:`TransferOptions.to_dict` of the run.
        result: e.g. ``{"iterations": 120, "loss": 0.31, "width": 256, "height": 192}``.
        **extra: command-specific fields (e.g. ``mode``, ``layer``).
    """
    return {
        "tool": "nst",
        "version": __version__,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "argv": [str(a) for a in argv],
        "cwd": os.getcwd(),
        "inputs": dict(inputs),
        "seed": options.get("seed"),
        "options": dict(options),
        "result": dict(result or {}),
        **extra,
    }


def png_info(meta: Mapping[str, object]) -> PngImagePlugin.PngInfo:
    """``PngInfo`` with ``meta`` as JSON in an iTXt chunk (UTF-8, so any file name fits)."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt(KEY, json.dumps(meta, ensure_ascii=False))
    return info


def read_metadata(path: str | os.PathLike) -> dict:
    """The record written by :func:`build_metadata` into an ``nst`` output.

    Reads the PNG text chunk ``nst`` or the JPEG comment.

    Raises:
        NSTError: missing file, not an image, or no ``nst`` metadata in it.
    """
    p = Path(path)
    if not p.is_file():
        raise NSTError(f"{p}: no such file")
    try:
        with Image.open(p) as im:
            text = im.info.get(KEY) if im.format == "PNG" else im.info.get("comment")
    except UnidentifiedImageError:
        raise NSTError(f"{p}: not a recognised image file") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise NSTError(f"{p}: could not read image ({e})") from None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        meta = json.loads(text) if text else None
    except ValueError:
        meta = None
    if not isinstance(meta, dict) or meta.get("tool") != "nst":
        raise NSTError(f"{p}: no nst metadata (not made by nst, or the metadata was stripped)")
    return meta


def repeat_command(meta: Mapping[str, object]) -> str:
    """Shell command that repeats the recorded run (``cd CWD && nst ARGS``)."""
    cmd = shlex.join(["nst", *meta.get("argv", [])])
    cwd = meta.get("cwd")
    return f"cd {shlex.quote(str(cwd))} && {cmd}" if cwd else cmd


def describe(meta: Mapping[str, object]) -> str:
    """Readable multi-line account of how an output was made."""
    lines = [f"made by:  nst {meta.get('version', '?')} ({meta.get('command', '?')}) on {meta.get('created', '?')}"]
    for role, value in dict(meta.get("inputs") or {}).items():
        values = value if isinstance(value, list) else [value]
        lines.append(f"{role + ':':9} {', '.join(str(v) for v in values)}")
    for key in ("mode", "layer", "layers"):
        if key in meta:
            lines.append(f"{key + ':':9} {meta[key]}")
    lines.append(f"seed:     {meta.get('seed')}")
    res = dict(meta.get("result") or {})
    if res:
        lines.append("result:   " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                              for k, v in res.items()))
    lines.append(f"repeat:   {repeat_command(meta)}")
    lines.append("options:")
    for k, v in dict(meta.get("options") or {}).items():
        lines.append(f"  {k} = {json.dumps(v)}")
    return "\n".join(lines)
