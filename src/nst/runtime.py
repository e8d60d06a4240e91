"""onnxruntime sessions on the CPU: the one place nst opens ONNX models for inference.

Used by the arbitrary-style networks (:mod:`nst.arbitrary`) and by exported
feed-forward models (:class:`nst.feedforward.stylize.OnnxStylizer`).
"""

from __future__ import annotations

import os

from .errors import NSTError


def cpu_session(model: bytes | str | os.PathLike, threads: int | None = None, label: str | None = None,
                install_hint: str = "pip install onnxruntime"):
    """An onnxruntime ``InferenceSession`` on the CPU, quiet (errors only).

    Args:
        model: path of an ``.onnx`` file, or the serialized model as bytes.
        threads: intra-op threads; ``None`` or 0 is onnxruntime's default (one per core).
        label: how to name the model in errors (default: the path).
        install_hint: the command the error gives when onnxruntime is missing.

    Raises:
        NSTError: onnxruntime is not installed, or the file is not a readable ONNX model.
    """
    try:
        import onnxruntime as ort
    except ModuleNotFoundError:
        raise NSTError(f"onnxruntime is not installed: {install_hint}") from None

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    source = model if isinstance(model, bytes) else str(model)
    try:
        return ort.InferenceSession(source, opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
        name = label or source
        raise NSTError(f"{name}: not a readable ONNX model ({str(e).splitlines()[0][:120]})") from None
