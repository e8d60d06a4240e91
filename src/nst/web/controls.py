"""Gradio controls generated from an options dataclass's declarations, and the values built back.

Each :func:`nst.config.option` field becomes one control: a checkbox for a
bool, a dropdown for declared choices, a number box for an int or float (empty
means the default, for the options whose default depends on others), a text
box for lists and layer weights (words, as on the command line). The label is
the field name, the info line its help and default: the page says what
``--help`` says. Expert fields go into a folded accordion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ..config import base_type, build, field_types, option_fields, spec
from ..errors import OptionError
from ..extras import require

gr = require("gradio", "web")


def default_of(f: dataclasses.Field) -> Any:
    """The field's default value (calling its factory)."""
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return f.default


def words(value: Any) -> str:
    """A default shown in a text box as the command line spells it: ``relu4_2:1``, ``64 128``."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return " ".join(f"{k}:{v:g}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def label_of(name: str) -> str:
    """``style_weight`` -> ``style weight`` (the page's label of a field)."""
    return name.replace("_", " ")


def make_control(cls: type, name: str, overrides: Mapping[str, Any] | None = None):
    """One Gradio input component for field ``name`` of options dataclass ``cls``.

    ``overrides`` are keyword arguments for the component (e.g. ``maximum``, ``value``).
    """
    f = next(f for f in option_fields(cls) if f.name == name)
    s = spec(f)
    kind, many = base_type(field_types(cls)[name])
    default = default_of(f)
    shown = s["default_text"] if s["default_text"] is not None else words(default) or None
    info = s["help"] + (f" (default: {shown})" if shown and kind is not bool else "")
    if default is None and s["check"] in ("positive", "side") and kind in (int, float):
        info += "; empty or 0: the default"
    kw: dict[str, Any] = {"label": label_of(name), "info": info, "elem_id": f"{cls.__name__}-{name}"}
    kw.update(overrides or {})
    if kind is bool and not many:
        return gr.Checkbox(value=kw.pop("value", bool(default)), **kw)
    if s["choices"] is not None and not many:
        return gr.Dropdown(choices=list(s["choices"]), value=kw.pop("value", default), **kw)
    if kind in (int, float) and not many:  # ranges are checked by the dataclass, whose message names the field
        return gr.Number(value=kw.pop("value", default), precision=0 if kind is int else None, **kw)
    return gr.Textbox(value=kw.pop("value", words(default)), **kw)


def make_controls(cls: type, names: Sequence[str], overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict:
    """``{name: component}`` for ``names`` of ``cls``, in order (see :func:`make_control`)."""
    return {n: make_control(cls, n, (overrides or {}).get(n)) for n in names}


def common_and_expert(cls: type, exclude: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """The field names of ``cls`` shown on the page, split by their ``expert`` declaration."""
    names = [f.name for f in option_fields(cls) if f.name not in exclude]
    fields = {f.name: spec(f) for f in option_fields(cls)}
    return [n for n in names if not fields[n]["expert"]], [n for n in names if fields[n]["expert"]]


def convert(cls: type, name: str, value: Any) -> Any:
    """A control's value as the field's type; ``None`` for an empty box (the default applies), and for 0
    where the default is None and 0 is not a valid value (browsers send an empty number box as 0).

    Raises:
        OptionError: text that is not a number where numbers go.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind, many = base_type(field_types(cls)[name])
    f = next(f for f in option_fields(cls) if f.name == name)
    if value == 0 and default_of(f) is None and spec(f)["check"] in ("positive", "side"):
        return None  # a browser sends an empty number box as 0: the default, where 0 is no valid value
    if isinstance(value, str) and many:
        parts = value.replace(",", " ").split()
        if kind in (int, float):
            try:
                return [kind(p) for p in parts]
            except ValueError:
                raise OptionError(name, f"expected numbers separated by spaces, got {value!r}") from None
        return parts
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def build_options(cls: type, names: Sequence[str], values: Sequence[Any], fixed: Mapping[str, Any] | None = None):
    """The options dataclass from the controls' ``values`` (same order as ``names``) and ``fixed`` values.

    Empty boxes leave the dataclass's default.

    Raises:
        OptionError: a bad value, naming the field (the page shows its label).
    """
    given = {n: v for n, v in ((n, convert(cls, n, v)) for n, v in zip(names, values)) if v is not None}
    return build(cls, {**given, **(fixed or {})})

