"""Published recipes as option sets: ``nst transfer --recipe NAME``.

A recipe is a small TOML file in the package (``nst/recipes/NAME.toml``): a
``[recipe]`` table with a one-line ``description`` and its ``source`` (paper
or page), and an ``[options]`` table of :class:`nst.options.TransferOptions`
values, as the recipe wrote them (Keras layer names, raw loss forms,
optimizer settings). Options given on the command line or in a config file
override a recipe's.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import closest, normalize_keys
from .errors import OptionError


@dataclass(frozen=True)
class Recipe:
    """One published setup: ``name``, ``description``, ``source`` and its option values."""

    name: str
    description: str
    source: str
    options: dict[str, Any] = field(default_factory=dict)


def _files() -> dict[str, Any]:
    folder = Path(__file__).parent / "recipes"  # package data beside this module
    return {f.name[: -len(".toml")]: f for f in folder.iterdir() if f.name.endswith(".toml")}


def recipe_names() -> list[str]:
    """Names of the recipes that ship with nst, sorted."""
    return sorted(_files())


def load_recipe(name: str) -> Recipe:
    """The recipe ``name`` (see :func:`recipe_names`).

    Raises:
        OptionError: no such recipe (naming the closest one).
    """
    files = _files()
    if name not in files:
        raise OptionError("recipe", f"unknown recipe {name!r}{closest(name, files)}; `nst recipes` lists them")
    data = tomllib.loads(files[name].read_text(encoding="utf-8"))
    meta = data.get("recipe", {})
    return Recipe(name, meta.get("description", ""), meta.get("source", ""), normalize_keys(data.get("options", {})))
