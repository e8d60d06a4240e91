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
    level: str = "full",
    **extra: object,
) -> dict:
    """The record stored in an output file (JSON-able dict).

    Text is stored as UTF-8 whatever the file system's encoding: bytes of a
    file name that are not UTF-8 are written as ``\\xNN``. ``level``
    ``"minimal"`` keeps the options and the result but no paths: no command
    line, no working folder, and file names without their folders.

    Args:
        command: the ``nst`` command (``"transfer"``, ``"demo"``, ``"reconstruct"``).
        argv: the arguments after ``nst``, as typed (to repeat the run).
        inputs: input files by role, e.g. ``{"content": "a.jpg", "styles": ["b.jpg"]}``.
        options: :meth:`TransferOptions.to_dict` of the run.
        result: e.g. ``{"iterations": 120, "loss": 0.31, "width": 256, "height": 192}``.
        level: ``"full"`` (default) or ``"minimal"``.
        **extra: command-specific fields (e.g. ``mode``, ``layer``).
    """
    meta = {
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
    if level == "minimal":
        del meta["argv"], meta["cwd"]
        meta["inputs"] = _names(meta["inputs"])
        meta["options"] = {k: _names(v) if k in PATH_FIELDS else v for k, v in meta["options"].items()}
    return _utf8(meta)


# Options that hold file or folder paths (reduced to their names in minimal records).
PATH_FIELDS = ("masks", "style_fine", "init", "weights", "save_dir", "gif")


def _names(value: object) -> object:
    """File names without their folders, in strings, lists and dicts."""
    if isinstance(value, str):
        return Path(value).name if ("/" in value or os.sep in value) else value
    if isinstance(value, list):
        return [_names(v) for v in value]
    if isinstance(value, dict):
        return {k: _names(v) for k, v in value.items()}
    return value


def _utf8(value: object) -> object:
    """``value`` with every string valid UTF-8 (undecodable file-name bytes as ``\\xNN``)."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if isinstance(value, (list, tuple)):
        return [_utf8(v) for v in value]
    if isinstance(value, dict):
        return {_utf8(k): _utf8(v) for k, v in value.items()}
    return value


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
    """Shell command that repeats the recorded run (``cd CWD && nst ARGS``); ``""`` if not recorded."""
    argv = meta.get("argv")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        return ""
    cmd = shlex.join(["nst", *argv])
    cwd = meta.get("cwd")
    return f"cd {shlex.quote(cwd)} && {cmd}" if isinstance(cwd, str) and cwd else cmd


def _mapping(value: object) -> dict:
    return dict(value) if isinstance(value, dict) else {}


def describe(meta: Mapping[str, object]) -> str:
    """Readable multi-line account of how an output was made (fields of unexpected types are left out)."""
    lines = [f"made by:  nst {meta.get('version', '?')} ({meta.get('command', '?')}) on {meta.get('created', '?')}"]
    for role, value in _mapping(meta.get("inputs")).items():
        values = value if isinstance(value, list) else [value]
        lines.append(f"{role + ':':9} {', '.join(str(v) for v in values)}")
    for key in ("mode", "layer", "layers"):
        if key in meta:
            lines.append(f"{key + ':':9} {meta[key]}")
    if meta.get("seed") is not None:  # commands without randomness record none
        lines.append(f"seed:     {meta.get('seed')}")
    res = _mapping(meta.get("result"))
    if res:
        lines.append("result:   " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                              for k, v in res.items()))
    lines.append(f"repeat:   {repeat_command(meta) or '(not recorded)'}")
    lines.append("options:")
    for k, v in _mapping(meta.get("options")).items():
        lines.append(f"  {k} = {json.dumps(v)}")
    return "\n".join(lines)
