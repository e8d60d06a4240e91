"""Applying a trained feed-forward network to images of any size.

The network needs sides that are multiples of its downsampling factor; images
are reflect-padded on the bottom and right, stylized, and cropped back, so
the output has exactly the input's size. Works with a PyTorch model file
(``.safetensors``) or an exported ``.onnx`` file run by onnxruntime.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image

from ..images import fit_long_side, pil_to_tensor, resize, tensor_to_pil

Stylizer = Callable[[torch.Tensor], torch.Tensor]


def pad_to_multiple(x: torch.Tensor, factor: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad ``(N, C, H, W)`` on the bottom and right so H and W are multiples of ``factor``.

    Sides are also brought to at least ``2 * factor`` so every reflection pad
    inside the network has room. Reflection padding, or replicate padding where
    a side is too short to reflect. Returns the padded tensor and the original
    ``(H, W)``, for :func:`crop_to`.
    """
    h, w = x.shape[-2:]
    ph = max(-h % factor, 2 * factor - h)
    pw = max(-w % factor, 2 * factor - w)
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, (h, w)


def crop_to(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Crop ``(N, C, H', W')`` to its top-left ``size`` = (H, W)."""
    return x[..., : size[0], : size[1]]


def stylize_tensor(net: Stylizer, x: torch.Tensor, factor: int) -> torch.Tensor:
    """Run ``net`` on ``(N, 3, H, W)`` in [0, 1] of any size; returns ``(N, 3, H, W)`` in [0, 1].

    Pads to a multiple of ``factor``, runs without gradients, and crops back.
    """
    padded, size = pad_to_multiple(x, factor)
    with torch.inference_mode():
        y = net(padded)
    return crop_to(y, size).clamp(0.0, 1.0)


def load_stylizer(path: str | os.PathLike, threads: int = 0) -> tuple[Stylizer, int]:
    """Load a model file for inference: ``(callable, downsampling factor)``.

    ``.onnx`` files run with onnxruntime (:class:`~nst.feedforward.export.OnnxStylizer`,
    ``threads`` intra-op threads, 0 = one per core); anything else is read as
    an nst safetensors model file (:func:`~nst.feedforward.modelfile.load_model`).
    The callable maps ``(N, 3, H, W)`` in [0, 1] to the same shape.

    Raises:
        NSTError: the file is missing, corrupt, or not an nst model.
    """
    if Path(path).suffix.lower() == ".onnx":
        from .export import OnnxStylizer

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
