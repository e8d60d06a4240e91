"""Lazy public names for a package (PEP 562): imported from their module on first use.

``import nst`` must not load torch (the one-pass path and the command line
start without it), and the commands import ``nst.batching.options`` on every
start without loading the batch machinery: their ``__init__`` modules map
public names to the submodules that define them and import those on demand.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``names[name]`` (a submodule) when ``name`` is used.

    The value is then stored in the package, so each name is looked up once.

    Raises (the returned function):
        AttributeError: a name the package does not have.
    """

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f".{names[name]}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
