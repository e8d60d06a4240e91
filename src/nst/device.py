"""Device selection: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import torch

from .errors import NSTError


def pick_device(name: str | None = None) -> torch.device:
    """Return the requested device, or the best available one when ``name`` is None/"auto".

    Raises:
        NSTError: unknown device string or a device that is not available here.
    """
    if name in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError):
        raise NSTError(f"--device {name!r}: not a device name (use cpu, cuda, cuda:1, mps or auto)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise NSTError(f"--device {name}: CUDA is not available on this machine")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise NSTError(f"--device {name}: MPS is not available on this machine")
    return dev
