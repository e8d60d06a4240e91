"""The items of a batch: input files from files, folders and ``@list.txt``, each paired with its output path.

An item is one content image (with its style image(s) or model) and the one
output file it makes. Outputs keep the input's path relative to the folder it
was found in, with the output format's extension (``OUT/sub/photo.png``);
with ``each_style`` every input is made in every style, one folder per style
(``OUT/<style stem>/sub/photo.png``). Every output path is planned and checked
before any work: never one of the batch's inputs (:func:`nst.images.check_not_an_input`'s
rule, applied with an index so that a million items stay linear), and two
inputs that would share an output get ``_2``, ``_3``... (``a.jpg`` and ``a.png``).

Only the standard library is imported here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import NSTError

# File name endings taken as images inside folders and lists (case-insensitive); hidden files are skipped.
EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif")
# Names taken for an output image file, not a folder (a batch's -o must be a folder).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True, slots=True)
class Item:
    """One unit of work: ``input`` (content image path) in ``styles`` (paths, or the model) -> ``output`` path.

    ``output`` is unique within a batch and is the item's key in the manifest.
    """

    input: str
    styles: tuple[str, ...]
    output: str


def is_batch_input(spec: str | os.PathLike) -> bool:
    """Whether an input argument names several images: a folder or an ``@list.txt``."""
    s = os.fspath(spec)
    return s.startswith("@") or Path(s).is_dir()


def image_files(root: str | os.PathLike, exclude: str | os.PathLike | None = None) -> list[Path]:
    """Image files under the folder ``root`` (:data:`EXTENSIONS`): recursive, sorted by path, hidden files and
    folders skipped, the folder ``exclude`` left out. The one definition of "the images in a folder"."""
    root = Path(root)
    exclude = Path(exclude).resolve() if exclude is not None else None
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and (exclude is None or (here / d).resolve() != exclude))
        found += [here / f for f in filenames if not f.startswith(".") and Path(f).suffix.lower() in EXTENSIONS]
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def _read_list(spec: str) -> list[tuple[str, Path]]:
    """The entries of ``@list.txt`` as ``(path, path as written)``: one a line, blank lines and ``#`` comments
    skipped. Relative entries are relative to the list file's folder."""
    path = Path(spec[1:])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NSTError(f"{spec}: no such list file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise NSTError(f"{spec}: could not read the list file ({e})") from None
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append((line if os.path.isabs(line) else os.path.join(path.parent, line), Path(line)))
    if not entries:
        raise NSTError(f"{spec}: the list is empty")
    return entries


def expand_inputs(specs: Sequence[str | os.PathLike], exclude: str | os.PathLike | None = None,
                  ) -> list[tuple[Path, Path]]:
    """Input files with the relative path their output keeps: ``[(file, relative path), ...]``.

    A file gives ``(file, its name)``; a folder gives every image file below it
    (:func:`image_files`) relative to the folder; an ``@list.txt`` gives its
    entries (files or folders), each under its relative path as written in the
    list (``photos/sub/a.jpg``; absolute entries and entries with ``..`` as above).
    Files in ``exclude`` (the output folder, when it lies inside an input
    folder) are left out, so a rerun never takes its own outputs as inputs.
    Unreadable image files are kept: they fail as items, not the batch.

    Raises:
        NSTError: a missing input, a folder or list without any image file.
    """
    skip = Path(exclude).resolve() if exclude is not None else None
    out: list[tuple[Path, Path]] = []
    for spec in map(os.fspath, specs):
        entries = _read_list(spec) if spec.startswith("@") else [(spec, None)]
        for entry, written in entries:
            p = Path(entry)
            prefix = written if written is not None and not written.is_absolute() and ".." not in written.parts \
                else None
            if p.is_dir():
                files = image_files(p, skip)
                if not files:
                    raise NSTError(f"{p}: is a directory with no image files ({', '.join(EXTENSIONS)}) in it or below")
                out += [(f, (prefix or Path()) / f.relative_to(p)) for f in files]
            elif p.is_file():
                out.append((p, prefix or Path(p.name)))
            else:
                raise NSTError(f"{p}: no such file or folder")
    return out


class InputIndex:
    """The batch's input files, to check in O(1) that an output is none of them (same path or same file)."""

    def __init__(self, inputs: Iterable[str | os.PathLike]) -> None:
        self.paths: dict[Path, Path] = {}
        self.files: dict[tuple[int, int], Path] = {}
        for inp in map(Path, inputs):
            try:
                self.paths[inp.resolve()] = inp
                st = inp.stat()
                self.files[(st.st_dev, st.st_ino)] = inp
            except OSError:  # reported when it is read
                continue

    def check(self, output: Path) -> None:
        """Raise :class:`NSTError` ``OUT: output would overwrite the input file IN`` where ``output`` is an input."""
        try:
            hit = self.paths.get(output.resolve())
            if hit is None and output.exists():
                st = output.stat()
                hit = self.files.get((st.st_dev, st.st_ino))
        except OSError:
            return
        if hit is not None:
            raise NSTError(f"{output}: output would overwrite the input file {hit}")


def plan(
    inputs: Sequence[str | os.PathLike],
    styles: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    each_style: bool = False,
    fmt: str = "png",
    other_inputs: Sequence[str | os.PathLike] = (),
) -> list[Item]:
    """All items of a batch, outputs planned and checked before any work.

    Args:
        inputs: content files, folders and ``@list.txt`` (:func:`expand_inputs`).
        styles: style image paths (or the model file, for ``nst apply``); blended
            in every item, or with ``each_style`` one at a time, each into
            ``out_dir/<style stem>/``.
        out_dir: the output folder (created later, by the run; its parent must exist).
        fmt: output file type, the extension without its dot (``png``, ``jpg``).
        other_inputs: further inputs no output may replace (masks, ...).

    Raises:
        NSTError: missing inputs, no image files, an output folder that is a
            file or whose parent is missing, an output that is an input.
    """
    out = Path(out_dir)
    files = expand_inputs(inputs, exclude=out)
    if not files:
        raise NSTError(f"no image files in {', '.join(map(os.fspath, inputs))}")
    if out.exists() and not out.is_dir():
        raise NSTError(f"{out}: is a file; a batch (several inputs) writes into an output folder")
    if not out.exists():
        if out.suffix.lower() in IMAGE_SUFFIXES:
            raise NSTError(f"{out}: a batch (several inputs) needs an output folder, not a file name")
        parent = out.parent if str(out.parent) else Path(".")
        if not parent.is_dir():
            raise NSTError(f"{out}: parent folder {parent} does not exist")
    index = InputIndex([f for f, _ in files] + [*map(Path, styles), *map(Path, other_inputs)])
    groups: list[tuple[tuple[str, ...], Path]] = []
    if each_style:
        seen_style: dict[str, int] = {}
        for s in styles:
            stem = Path(s).stem
            n = seen_style[stem] = seen_style.get(stem, 0) + 1
            groups.append(((os.fspath(s),), out / (stem if n == 1 else f"{stem}_{n}")))
    else:
        groups.append((tuple(map(os.fspath, styles)), out))
    items, taken = [], set()
    for style, folder in groups:
        for f, rel in files:
            target = (folder / rel).with_suffix(f".{fmt}")
            n = 1
            while target in taken:
                n += 1
                target = (folder / rel).with_name(f"{rel.stem}_{n}.{fmt}")
            taken.add(target)
            index.check(target)
            items.append(Item(os.fspath(f), style, os.fspath(target)))
    return items
