"""Device selection (CUDA, then Apple MPS, then CPU) and the per-device choices of precision,
memory layout and memory budget."""

from __future__ import annotations

import os

import torch

from .errors import OptionError


def pick_device(name: str | None = None) -> torch.device:
    """Return the requested device, or the best available one when ``name`` is None/"auto".

    Raises:
        OptionError: unknown device string or a device that is not available here.
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
        raise OptionError("device", f"{name!r} is not a device name (use cpu, cuda, cuda:1, mps or auto)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise OptionError("device", f"{name}: CUDA is not available on this machine")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise OptionError("device", f"{name}: MPS is not available on this machine")
    return dev


def device_summary(name: str | None = None, training: bool = False) -> str:
    """Where and at what precision a run computes, for the one line the commands print.

    E.g. ``cpu, float32`` or ``cuda (NVIDIA H100 80GB HBM3), bfloat16 autocast``.
    ``training``: the precision of ``nst train`` (:func:`training_amp_dtype`)
    rather than of the optimization (:func:`amp_dtype`).

    Raises:
        OptionError: as :func:`pick_device`.
    """
    dev = pick_device(name)
    amp = training_amp_dtype(dev) if training else amp_dtype(dev)
    where = f"{dev} ({torch.cuda.get_device_name(dev)})" if dev.type == "cuda" else str(dev)
    return f"{where}, {'float32' if amp is None else str(amp).removeprefix('torch.') + ' autocast'}"


def amp_dtype(device: torch.device) -> torch.dtype | None:
    """Autocast dtype for the loss network on ``device``, or None for float32.

    bfloat16 on CUDA devices that support it, float16 on older CUDA devices;
    float32 on the CPU (autocast there is slower for convolutions) and on MPS.
    Losses, Gram matrices and the image always stay float32.
    """
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX), as oneDNN's convolutions use it.

    Where it does, bfloat16 autocast runs a VGG-19 forward and backward pass at
    4 x 128 x 128 in about 0.6x the float32 time (``nst train``'s step: 0.38 s
    against 0.64 s on two cores of an AMD EPYC with AVX512-BF16,
    docs/feedforward.md); elsewhere oneDNN emulates it and it is slower.
    """
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def training_amp_dtype(device: torch.device) -> torch.dtype | None:
    """Autocast dtype for the loss network while training a feed-forward network, or None for float32.

    As :func:`amp_dtype`, and bfloat16 on CPUs with native bfloat16
    (:func:`cpu_has_native_bf16`). Training takes first-order Adam steps on
    mini-batches, so the loss network's rounding (losses within 0.3 % of
    float32's, gradient cosine 0.999 on a trained network) costs nothing;
    the optimization's L-BFGS line search stays in float32 on the CPU.
    """
    if device.type == "cpu":
        return torch.bfloat16 if cpu_has_native_bf16() else None
    return amp_dtype(device)


def preferred_memory_format(device: torch.device) -> torch.memory_format:
    """Memory format for the loss network's activations on ``device``.

    Channels-last on the CPU, where oneDNN's convolutions run faster in that
    layout (NHWC; ``benchmarks/per_iteration.py``); the default layout
    elsewhere. Results are the same up to float rounding.
    """
    return torch.channels_last if device.type == "cpu" else torch.contiguous_format


def memory_budget(device: torch.device, max_memory_gb: float | None = None) -> int:
    """Bytes a run may use (``--max-memory``): ``max_memory_gb`` GiB if given.

    Default: a third of the machine's physical memory on the CPU (8 GiB on a
    24 GiB machine), so a high-resolution run leaves room for everything else
    the user runs; 75% of the device's memory on CUDA, where nothing else
    competes.
    """
    if max_memory_gb is not None:
        return int(max_memory_gb * (1 << 30))
    if device.type == "cuda":
        return int(0.75 * torch.cuda.get_device_properties(device).total_memory)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 3
