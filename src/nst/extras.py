"""Optional dependencies: import one, or say in one line which extra installs it.

The core install is torch, numpy, Pillow, tqdm, safetensors and the default
weights; everything else is an extra (``pip install 'nst[NAME]'``, names in
``pyproject.toml``). A feature imports its library through :func:`require`
at the moment it is used, so ``import nst`` and ``nst --help`` stay fast and
a missing extra is one line, not a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import NSTError


def install_hint(extra: str) -> str:
    """The command that adds ``extra``: ``pip install 'nst[EXTRA]'``."""
    return f"pip install 'nst[{extra}]'"


def require(module: str, extra: str, feature: str | None = None) -> ModuleType:
    """Import ``module`` (dotted name) or raise one line naming the extra that provides it.

    Args:
        module: the module to import, e.g. ``"av"`` or ``"matplotlib.pyplot"``.
        extra: the nst extra that installs it, e.g. ``"video"``.
        feature: what needs it, for the message (default: the module's name).

    Returns:
        The imported module.

    Raises:
        NSTError: the module is not installed:
            ``FEATURE needs the extra 'EXTRA': pip install 'nst[EXTRA]'``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        what = feature or module.split(".")[0]
        raise NSTError(f"{what} needs the extra '{extra}': {install_hint(extra)}") from e
