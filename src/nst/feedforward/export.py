"""ONNX export of a :class:`~nst.feedforward.network.TransformerNet`.

The graph takes ``image`` ``(N, 3, H, W)`` float32 RGB in [0, 1] and returns
``stylized`` of the same shape, clamped to [0, 1]; batch, height and width are
dynamic (H and W must be multiples of the network's downsampling factor,
which the file records in its metadata). Exported with PyTorch's TorchScript
exporter (``torch.onnx.export(..., dynamo=False)``, opset 17): it works offline
without ``onnxscript`` and keeps dynamic spatial sizes through the
reflection pads and nearest-neighbour resizes.
"""

from __future__ import annotations

import os
import warnings

import torch

from ..images import atomic_write
from .modelfile import ModelInfo
from .network import TransformerNet

OPSET = 17
INPUT, OUTPUT = "image", "stylized"


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
