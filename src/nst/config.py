"""Options declared once: dataclass fields with their help, choices and checks.

Every options dataclass of nst (:class:`nst.options.TransferOptions`,
:class:`nst.feedforward.train.TrainOptions`, :class:`nst.feedforward.network.NetConfig`,
:class:`nst.arbitrary.FastOptions`, the reconstruction options) declares each
field with :func:`option`: its default, a help sentence, its choices (taken
from the module that owns them), its group and whether it is an expert
option, and a check. From that one declaration come

* the checks, run when the object is built (:func:`check_fields`, called in
  ``__post_init__``): errors are :class:`~nst.errors.OptionError` naming the
  field (``style_weights``), which the CLI turns into its flag;
* the command-line options (:mod:`nst.cli.options` generates the argparse
  options and builds the dataclass back);
* config files (:func:`read_config`, TOML, keys are the field names) and
  reruns from an output's metadata, both through :func:`build`, which rejects
  unknown names with the closest valid one.

The pattern follows crowsonkb/style-transfer-pytorch's ``arg_info`` (defaults
read from one place) and nanoGPT's ``configurator.py`` (each default said once).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import sys
import tomllib
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import NSTError, OptionError

# The largest image side, in pixels, the one-pass commands (nst fast, nst apply) accept: an
# 8192 x 6144 image is 600 MB as a float tensor before any network layer.
MAX_SIDE = 8192
# Headings under which --help groups the options of the optimization (nst transfer).
SIZE, OPT, LOSSES, CONTROLS, NETWORK, OUTPUT = (
    "image size", "optimization (coarse-to-fine: from --min-size up to --size)", "losses",
    "controls (Gatys et al. 2017)", "network", "output and pictures of the process")

# Checks by name: (predicate, what the value must be).
CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "positive": (lambda v: _number(v) and v > 0, "must be > 0"),
    "nonneg": (lambda v: _number(v) and v >= 0, "must be >= 0"),
    "unit": (lambda v: _number(v) and 0 <= v <= 1, "must be between 0 and 1"),
    "side": (lambda v: _number(v) and 1 <= v <= MAX_SIDE, f"must be from 1 to {MAX_SIDE} pixels"),
    "side0": (lambda v: _number(v) and 0 <= v <= MAX_SIDE, f"must be from 0 to {MAX_SIDE} pixels"),
}


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def option(
    default: Any = dataclasses.MISSING,
    *,
    help: str,
    factory: Callable[[], Any] | None = None,
    choices: Iterable | None = None,
    check: str | None = None,
    group: str = "",
    expert: bool = False,
    default_text: str | None = None,
    metavar: str | tuple[str, ...] | None = None,
    nargs: int | str | None = None,
    flag: str | None = None,
    rerun: bool = True,
) -> Any:
    """A dataclass field declared once for the library, the CLI and config files.

    Args:
        default / factory: the default value (``factory`` for mutable ones).
        help: one sentence for ``--help`` (without the default; it is added).
        choices: the allowed values (strings), owned by the module that
            implements them.
        check: a key of :data:`CHECKS` (``"positive"``, ``"nonneg"``,
            ``"unit"``, ``"side"``, ``"side0"``), applied to numbers and to
            each element of a list (``None`` values are not checked).
        group: heading under which ``--help`` lists the option.
        expert: listed under "expert options" in ``--help``.
        default_text: how ``--help`` states a default that depends on other
            options (e.g. ``"30 up to 512 px, fewer above"``).
        metavar, nargs: argparse's, where the type does not say them.
        flag: the command-line flag when it is not ``--field-name``.
        rerun: whether ``--from OUT.png`` carries the recorded value (False
            for where intermediate outputs go).
    """
    meta = {"help": help, "choices": tuple(choices) if choices is not None else None, "check": check,
            "group": group, "expert": expert, "default_text": default_text, "metavar": metavar,
            "nargs": nargs, "flag": flag, "rerun": rerun}
    if check is not None and check not in CHECKS:
        raise ValueError(f"unknown check {check!r}")
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={"nst": meta})
    return dataclasses.field(default=default, metadata={"nst": meta})


def spec(f: dataclasses.Field) -> dict:
    """The :func:`option` declaration of a dataclass field (empty for plain fields)."""
    return dict(f.metadata.get("nst", {}))


def option_fields(cls: type) -> list[dataclasses.Field]:
    """The fields of dataclass ``cls`` declared with :func:`option`, in order."""
    return [f for f in dataclasses.fields(cls) if "nst" in f.metadata]


def field_types(cls: type) -> dict[str, Any]:
    """Resolved type annotations of dataclass ``cls`` (strings under ``from __future__ import annotations``).

    ``torch.Tensor`` in an annotation (e.g. :data:`nst.images.ImageLike`) resolves without importing
    torch: when torch is not loaded, no value can be a tensor, and a stand-in type is used.
    """
    module = sys.modules[cls.__module__]
    torch = sys.modules.get("torch") or types.SimpleNamespace(Tensor=type("Tensor", (), {}))
    return typing.get_type_hints(cls, {"torch": torch, **vars(module)})


def base_type(annotation: Any) -> tuple[type, bool]:
    """``(element type, is_sequence)`` of a field annotation.

    ``int`` -> ``(int, False)``; ``float | None`` -> ``(float, False)``;
    ``list[int] | None`` and ``tuple[int, ...]`` -> ``(int, True)``;
    ``dict[str, float]`` (layer weights, given as ``NAME[:W]`` words) -> ``(str, True)``;
    anything else (a union such as ``ImageLike``) -> ``(object, False)``, not checked.
    """
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return base_type(args[0])
    if origin in (list, tuple):
        inner = [a for a in args if a is not Ellipsis]
        return (inner[0] if inner and isinstance(inner[0], type) else str), True
    if origin is dict or annotation is dict or annotation is list:
        return str, True
    return (annotation if isinstance(annotation, type) else object), False


def check_fields(obj: Any) -> None:
    """Check every :func:`option` field of dataclass instance ``obj`` against its declaration.

    Integers must be integers (not bools), numbers finite, choices among the
    declared ones, and :data:`CHECKS` hold (for each element of a list).

    Raises:
        OptionError: the first field that fails, by name.
    """
    hints = field_types(type(obj))
    for f in option_fields(type(obj)):
        value = getattr(obj, f.name)
        if value is None:
            continue
        s = spec(f)
        kind, many = base_type(hints[f.name])
        if many and not isinstance(value, (list, tuple, Mapping)):  # one value where a list goes
            value = [value]
            object.__setattr__(obj, f.name, value)
        values = list(value.values() if isinstance(value, Mapping) else value) if many else [value]
        for v in values:
            if kind is int and isinstance(v, float) and v.is_integer() and not many:
                v = int(v)
                object.__setattr__(obj, f.name, v)
            if kind is int and (not isinstance(v, int) or isinstance(v, bool)):
                raise OptionError(f.name, f"must be an integer, got {v!r}")
            if kind is float and not _number(v):
                raise OptionError(f.name, f"must be a finite number, got {v!r}")
            if kind is bool and not isinstance(v, bool):
                raise OptionError(f.name, f"must be true or false, got {v!r}")
            if kind is str and not many and not isinstance(v, str):
                raise OptionError(f.name, f"must be text, got {v!r}")
            if s["choices"] is not None and v not in s["choices"]:
                raise OptionError(f.name, f"{v!r} is not one of {', '.join(map(str, s['choices']))}")
            if s["check"] is not None and (kind in (int, float)):
                ok, what = CHECKS[s["check"]]
                if not ok(v):
                    raise OptionError(f.name, f"{what}, got {v}")


def closest(name: str, names: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the valid name closest to ``name``, or ``""``."""
    match = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""


def normalize_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    """Keys with ``-`` spelled ``_`` (``style-weight`` and ``style_weight`` are the same option)."""
    return {str(k).replace("-", "_"): v for k, v in values.items()}


def build(cls: type, values: Mapping[str, Any], source: str = "") -> Any:
    """``cls(**values)`` after rejecting names that are not fields of ``cls``.

    Args:
        values: field values by name (``-`` or ``_`` in names).
        source: where the values come from, for the error (a config file).
    Raises:
        OptionError: an unknown name, with the closest valid one; or a bad
            value (from the class's checks).
    """
    values = normalize_keys(values)
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    for key in values:
        if key not in names:
            where = f"{source}: " if source else ""
            raise OptionError(key, f"{where}unknown option{closest(key, names)}")
    return cls(**values)


def read_config(path: str | os.PathLike, section: str | None = None) -> dict[str, Any]:
    """Option values from a TOML file (stdlib ``tomllib``); keys are option names.

    A file may hold its options at the top level or, for several commands,
    in a table named after the command (``section``, e.g. ``[transfer]``);
    top-level values apply to every command, the table's override them.

    Raises:
        NSTError: missing or unreadable file, or invalid TOML (with the line).
    """
    p = Path(path)
    if not p.is_file():
        raise NSTError(f"{p}: no such file" if not p.exists() else f"{p}: is not a file")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise NSTError(f"{p}: could not read config file ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise NSTError(f"{p}: not a valid TOML file ({e})") from None
    values = {k: v for k, v in data.items() if not isinstance(v, dict) or k not in COMMAND_TABLES}
    if section is not None and isinstance(data.get(section), dict):
        values.update(data[section])
    return normalize_keys(values)


# Tables of a config file that hold one command's options (see read_config).
COMMAND_TABLES = ("transfer", "demo", "reconstruct", "fast", "train")


def normalize_blend(weights: Sequence[float] | None, n: int) -> list[float]:
    """Style blend weights for ``n`` style images, scaled to sum to 1.

    Raises:
        OptionError: wrong count, a negative weight, or all zero.
    """
    if weights is None:
        return [1.0 / n] * n
    w = [float(x) for x in weights]
    if len(w) != n:
        raise OptionError("style_weights", f"got {len(w)} weights for {n} style image(s)")
    if any(x < 0 or not math.isfinite(x) for x in w) or sum(w) <= 0:
        raise OptionError("style_weights", "weights must be finite, >= 0 and not all zero")
    s = sum(w)
    return [x / s for x in w]
