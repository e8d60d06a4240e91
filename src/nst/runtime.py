"""onnxruntime sessions: the one place nst opens ONNX models for inference.

Used by the arbitrary-style networks (:mod:`nst.arbitrary`) and by exported
feed-forward models (:class:`nst.feedforward.stylize.OnnxStylizer`). The
device is chosen among the execution providers of the installed onnxruntime
build (``onnxruntime`` has the CPU only; ``onnxruntime-gpu`` adds CUDA).
"""

from __future__ import annotations

import os

from .errors import NSTError, OptionError

ORT_DEVICES = ("auto", "cpu", "cuda")
_PROVIDERS = {"cuda": "CUDAExecutionProvider", "cpu": "CPUExecutionProvider"}


def providers(device: str, available: list[str]) -> list[str]:
    """onnxruntime execution providers for ``device``, best first, from the ``available`` ones.

    ``auto`` takes CUDA where the build has it, else the CPU; ``cuda`` requires it.

    Raises:
        OptionError (field ``device``): an unknown device, or CUDA asked of a build without it.
    """
    if device not in ORT_DEVICES:
        raise OptionError("device", f"{device!r}: use one of {', '.join(ORT_DEVICES)}")
    cuda = _PROVIDERS["cuda"] in available
    if device == "cuda" and not cuda:
        raise OptionError("device", "cuda: this onnxruntime has no CUDA provider "
                                    "(pip uninstall onnxruntime && pip install onnxruntime-gpu)")
    if device != "cpu" and cuda:
        return [_PROVIDERS["cuda"], _PROVIDERS["cpu"]]
    return [_PROVIDERS["cpu"]]


def onnx_session(model: bytes | str | os.PathLike, threads: int | None = None, label: str | None = None,
                 install_hint: str = "pip install 'nst[onnx]'", device: str = "cpu"):
    """An onnxruntime ``InferenceSession``, quiet (errors only).

    Args:
        model: path of an ``.onnx`` file, or the serialized model as bytes.
        threads: intra-op threads; ``None`` or 0 is onnxruntime's default (one per core).
        label: how to name the model in errors (default: the path).
        install_hint: the command the error gives when onnxruntime is missing.
        device: ``cpu``, ``cuda`` or ``auto`` (:func:`providers`).

    Raises:
        NSTError: onnxruntime is not installed, or the file is not a readable ONNX model.
        OptionError: the device is not available.
    """
    try:
        import onnxruntime as ort
    except ModuleNotFoundError:
        raise NSTError(f"onnxruntime is not installed: {install_hint}") from None

    chosen = providers(device, ort.get_available_providers())
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    source = model if isinstance(model, bytes) else str(model)
    try:
        return ort.InferenceSession(source, opts, providers=chosen)
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
        name = label or source
        raise NSTError(f"{name}: not a readable ONNX model ({str(e).splitlines()[0][:120]})") from None


def session_device(session) -> str:
    """``cuda`` or ``cpu``: where an onnxruntime session runs (its first provider)."""
    return "cuda" if session.get_providers()[0] == _PROVIDERS["cuda"] else "cpu"
