"""Applying a trained feed-forward network to images of any size.

The network needs sides that are multiples of its downsampling factor; images
are reflect-padded on the bottom and right, stylized, and cropped back, so
the output has exactly the input's size. Works with a PyTorch model file
(``.safetensors``) or an exported ``.onnx`` file run by onnxruntime.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..config import check_fields, option
from ..errors import NSTError
from ..images import crop_to, fit_long_side, pad_to_multiple, pil_to_tensor, resize, tensor_to_pil
from ..runtime import onnx_session

Stylizer = Callable[[torch.Tensor], torch.Tensor]
# File types of outputs written into a folder (``format``).
FOLDER_FORMATS = ("png", "jpg")


@dataclass
class ApplyOptions:
    """Options of ``nst apply``, declared once (:mod:`nst.config`); checked when built.

    Raises:
        OptionError: a bad value, naming the field.
    """

    size: int | None = option(None, check="side", help="resize inputs so their long side is SIZE pixels first",
                              default_text="keep their size")
    format: str = option("png", choices=FOLDER_FORMATS, help="file type of outputs written into a folder")
    threads: int = option(0, check="nonneg", help="onnxruntime threads for .onnx models (0: one per core)")

    def __post_init__(self) -> None:
        check_fields(self)


def stylize_tensor(net: Stylizer, x: torch.Tensor, factor: int) -> torch.Tensor:
    """Run ``net`` on ``(N, 3, H, W)`` in [0, 1] of any size; returns ``(N, 3, H, W)`` in [0, 1].

    Pads to a multiple of ``factor``, runs without gradients, and crops back.
    """
    padded, size = pad_to_multiple(x, factor)
    with torch.inference_mode():
        y = net(padded)
    return crop_to(y, size).clamp(0.0, 1.0)


def load_runner(path: str | os.PathLike, threads: int = 0) -> tuple[Stylizer, int]:
    """Load a model file for inference: ``(callable, downsampling factor)``.

    ``.onnx`` files run with onnxruntime (:class:`OnnxStylizer`,
    ``threads`` intra-op threads, 0 = one per core); anything else is read as
    an nst safetensors model file (:func:`~nst.feedforward.modelfile.load_model`).
    The callable maps ``(N, 3, H, W)`` in [0, 1] to the same shape.

    Raises:
        NSTError: the file is missing, corrupt, or not an nst model.
    """
    if Path(path).suffix.lower() == ".onnx":
        runner = OnnxStylizer(path, threads)
        return runner, runner.factor
    from .modelfile import load_model

    net, info = load_model(path)
    return net, info.config.factor


def stylize_image(stylizer: Stylizer, factor: int, img: Image.Image, size: int | None = None) -> Image.Image:
    """Stylize an RGB PIL image; returns an RGB image of the same size (or long side ``size``).

    Raises nothing for any positive image size; ``size`` resizes the input first
    (Lanczos) so its long side is ``size`` pixels.
    """
    if size:
        img = resize(img, fit_long_side(img.size, size))
    return tensor_to_pil(stylize_tensor(stylizer, pil_to_tensor(img), factor))


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
        self.session = onnx_session(p, threads)
        ins, outs = self.session.get_inputs(), self.session.get_outputs()
        def image(v) -> bool:  # a float (N, 3, H, W) tensor
            return v.type == "tensor(float)" and len(v.shape) == 4 and v.shape[1] == 3

        if not (len(ins) == 1 and len(outs) == 1 and image(ins[0]) and image(outs[0])):
            desc = ", ".join(f"{v.name} {v.type} {v.shape}" for v in [*ins, *outs])
            raise NSTError(f"{p}: expected one float (N, 3, H, W) image in and one out, got: {desc}")
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
