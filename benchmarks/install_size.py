"""Installed size of nst and its dependencies, without torch and torch's own dependencies.

Run with the Python of a fresh virtual environment made as the README's quick
start makes it (``pip install torch==2.13.0 && pip install .``):

    /path/to/venv/bin/python benchmarks/install_size.py

Sums the files listed in each installed distribution's RECORD, and says which
of the optional heavy packages are present (bar: <= 150 MB, and none of
scikit-image, scipy, matplotlib, onnx, onnxruntime in the core install).
"""

from __future__ import annotations

import importlib.metadata as md
import re
from pathlib import Path

OPTIONAL = ("scikit-image", "scipy", "matplotlib", "onnx", "onnxruntime")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(dist: md.Distribution) -> list[str]:
    """Names of the distribution's unconditional requirements."""
    out = []
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        out.append(norm(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0]))
    return out


def closure(names: list[str], dists: dict[str, md.Distribution]) -> set[str]:
    seen: set[str] = set()
    todo = [norm(n) for n in names]
    while todo:
        n = todo.pop()
        if n in seen or n not in dists:
            continue
        seen.add(n)
        todo += requirements(dists[n])
    return seen


def size(dist: md.Distribution) -> int:
    total = 0
    for f in dist.files or []:
        p = Path(dist.locate_file(f))
        if p.is_file():
            total += p.stat().st_size
    return total


def main() -> None:
    dists = {norm(d.metadata["Name"]): d for d in md.distributions()}
    torch_side = closure(["torch"], dists)
    ours = closure(["nst"], dists) - torch_side
    sizes = {n: size(dists[n]) for n in sorted(ours)}
    for n, s in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"{n:<20} {s / 1e6:8.1f} MB")
    total = sum(sizes.values())
    print(f"nst and its dependencies without torch's: {total / 1e6:.1f} MB in {len(sizes)} distributions "
          f"(bar <= 150 MB)")
    present = [n for n in OPTIONAL if n in dists]
    print(f"optional heavy packages installed: {', '.join(present) if present else 'none'}")


if __name__ == "__main__":
    main()
