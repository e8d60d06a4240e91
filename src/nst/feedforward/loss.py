"""The perceptual loss of Johnson, Alahi and Fei-Fei (2016) on our VGG-19.

Content ("feature reconstruction") loss: mean squared difference of relu2_2
features between the network's output and its input photo. Style loss:
Gram matrix distance to the style image at several layers. Plus total
variation. The pieces are :mod:`nst.losses`; as in :class:`nst.StyleTransfer`
each term is relative (divided by the energy of its target,
:func:`nst.losses.relative_scale`), so weights mean the same for any style
image and layer.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from .. import losses as L
from ..transfer import parse_layers, preferred_memory_format
from ..vgg import layer_names
from ..weights import load_vgg

# Johnson et al.: content relu2_2; style relu1_2, relu2_2, relu3_3, relu4_3 (of VGG-16; same names in VGG-19).
DEFAULT_CONTENT_LAYERS: dict[str, float] = {"relu2_2": 1.0}
DEFAULT_STYLE_LAYERS: dict[str, float] = {n: 0.25 for n in ("relu1_2", "relu2_2", "relu3_3", "relu4_3")}


class PerceptualLoss(torch.nn.Module):
    """Weighted content + style + TV loss of a batch of outputs against their inputs.

    Args:
        style: ``(1, 3, H, W)`` style image in [0, 1].
        content_layers, style_layers: ``{layer: weight}`` (VGG-19 names).
        content_weight, style_weight, tv_weight: multipliers of the relative losses.
        device: where the frozen VGG-19 runs.

    ``loss(output, photo)`` with both ``(N, 3, H, W)`` in [0, 1] returns
    ``{"content", "style", "tv", "total"}`` scalar tensors (weighted).

    Raises:
        NSTError: unknown layer names or bad weights.
    """

    def __init__(
        self,
        style: torch.Tensor,
        content_layers: Mapping[str, float] | None = None,
        style_layers: Mapping[str, float] | None = None,
        content_weight: float = 1.0,
        style_weight: float = 10.0,
        tv_weight: float = 1.0,
        device: torch.device | str = "cpu",
    ) -> None:
        super().__init__()
        self.content_layers = parse_layers(content_layers or DEFAULT_CONTENT_LAYERS)
        self.style_layers = parse_layers(style_layers or DEFAULT_STYLE_LAYERS)
        order = layer_names("vgg19")
        self.layers = sorted(set(self.content_layers) | set(self.style_layers), key=order.index)
        self.vgg = load_vgg("vgg19", last_layer=self.layers[-1], device=device)
        # Channels-last on the CPU, as in nst.StyleTransfer (faster oneDNN convolutions).
        self.memory_format = preferred_memory_format(torch.device(device))
        self.vgg.to(memory_format=self.memory_format)
        self.weights = {"content": content_weight, "style": style_weight, "tv": tv_weight}
        with torch.no_grad():
            feats = self.vgg(style.to(device), list(self.style_layers))
        self.targets = {n: L.gram_matrix(f) for n, f in feats.items()}
        self.scales = {n: L.relative_scale(t) for n, t in self.targets.items()}

    def forward(self, output: torch.Tensor, photo: torch.Tensor) -> dict[str, torch.Tensor]:
        output = output.contiguous(memory_format=self.memory_format)
        with torch.no_grad():
            target = self.vgg(photo.contiguous(memory_format=self.memory_format), list(self.content_layers))
        feats = self.vgg(output, self.layers)
        zero = output.new_zeros(())
        c = sum((w * L.content_loss(feats[n], target[n], L.relative_scale(target[n], mean=True))
                 for n, w in self.content_layers.items()), zero)
        s = sum((w * L.style_loss(L.gram_matrix(feats[n]), self.targets[n], self.scales[n])
                 for n, w in self.style_layers.items()), zero)
        t = L.tv_loss(output) if self.weights["tv"] else zero
        terms = {"content": self.weights["content"] * c, "style": self.weights["style"] * s,
                 "tv": self.weights["tv"] * t}
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        return terms
