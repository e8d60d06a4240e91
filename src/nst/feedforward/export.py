"""ONNX export of a :class:`~nst.feedforward.network.TransformerNet` and an onnxruntime runner.

The graph takes ``image`` ``(N, 3, H, W)`` float32 RGB in [0, 1] and returns
``stylized`` of the same shape, clamped to [0, 1]; batch, height and width are
dynamic (H and W must be multiples of the network's downsampling factor,
which the file records in its metadata). Exported with PyTorch's TorchScript
exporter (``torch.onnx.export(..., dynamo=False)``, opset 17): it works offline
without ``onnxscript`` and keeps dynamic spatial sizes through the
reflection pads and nearest-neighbour resizes.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from ..errors import NSTError
from ..images import atomic_write
from .modelfile import ModelInfo
from .network import TransformerNet

OPSET = 17
INPUT, OUTPUT = "image", "stylized"


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


def export_onnx(net: TransformerNet, info: ModelInfo, path: str | os.PathLike) -> None:
    """Write ``net`` as an ONNX file with dynamic batch/height/width, atomically.

    The model file's JSON (:class:`ModelInfo`) goes into the ONNX metadata
    under the key ``nst``, so the runner knows the downsampling factor.
    """
    import onnx

    net = net.eval()
    f = net.config.factor
    dummy = torch.rand(1, 3, 4 * f, 4 * f)
    axes = {0: "batch", 2: "height", 3: "width"}

    def write(tmp: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(net, (dummy,), tmp, dynamo=False, opset_version=OPSET,
                              input_names=[INPUT], output_names=[OUTPUT],
                              dynamic_axes={INPUT: axes, OUTPUT: axes})
        model = onnx.load(tmp)
        entry = model.metadata_props.add()
        entry.key, entry.value = "nst", info.to_json()
        onnx.checker.check_model(model)
        onnx.save(model, tmp)

    atomic_write(path, write)


class OnnxStylizer:
    """Runs an exported network with onnxruntime; called like the PyTorch model.

    ``stylizer(x)`` with ``x`` ``(N, 3, H, W)`` float32 in [0, 1] (H, W
    multiples of :attr:`factor`) returns a ``(N, 3, H, W)`` float32 tensor in
    [0, 1], as :class:`TransformerNet` does in eval mode.

    Args:
        path: ``.onnx`` file written by :func:`export_onnx`.
        threads: onnxruntime intra-op threads (0: onnxruntime's default, one per core).

    Raises:
        NSTError: unreadable file, or inputs/outputs that are not one float
            ``(N, 3, H, W)`` image in and one out, or no nst metadata.
    """

    def __init__(self, path: str | os.PathLike, threads: int = 0) -> None:
        p = Path(path)
        if not p.is_file():
            raise NSTError(f"{p}: no such file" if not p.exists() else f"{p}: is not a file")
        self.session = cpu_session(p, threads)
        ins, outs = self.session.get_inputs(), self.session.get_outputs()
        ok = (len(ins) == 1 and len(outs) == 1 and ins[0].type == "tensor(float)" and len(ins[0].shape) == 4
              and ins[0].shape[1] == 3)
        if not ok:
            desc = ", ".join(f"{i.name} {i.type} {i.shape}" for i in ins)
            raise NSTError(f"{p}: expected one float (N, 3, H, W) image input and one output, got inputs: {desc}")
        meta = self.session.get_modelmeta().custom_metadata_map
        try:
            self.info = json.loads(meta["nst"])
            from .network import NetConfig

            self.config = NetConfig.from_dict(self.info["config"])
        except (KeyError, TypeError, json.JSONDecodeError, NSTError):
            raise NSTError(f"{p}: ONNX file without valid nst metadata; export models with nst export") from None
        self.input_name = ins[0].name
        self.factor = self.config.factor

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        a = np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float32)
        (y,) = self.session.run(None, {self.input_name: a})
        return torch.from_numpy(y)
