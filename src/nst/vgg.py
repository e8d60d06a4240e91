"""VGG feature extractor with the field's layer names.

The network follows Simonyan and Zisserman (2014), "Very Deep Convolutional
Networks for Large-Scale Image Recognition": only the convolutional part
(conv1_1 ... pool5), no classifier. Layers are named as in the style transfer
literature (``conv4_2``, ``relu4_2``, ``pool3``) so users request them by name.

Inputs are always RGB float images in [0, 1], shape ``(N, 3, H, W)``; the
preprocessing that the weights expect (Caffe: BGR, 0..255, mean subtraction;
torchvision: RGB, ImageNet mean/std) lives in :class:`Preprocess`, here only.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from .errors import NSTError, OptionError

# Convolutions per block for each architecture.
BLOCKS: dict[str, tuple[int, ...]] = {
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}
CHANNELS = (64, 128, 256, 512, 512)
# Loss networks (``model``) and pooling layers (``pooling``) users can choose.
MODELS = tuple(BLOCKS)
POOLINGS = ("max", "avg")

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

Convention = Literal["caffe", "torchvision"]
Pooling = Literal["max", "avg"]


def layer_names(arch: str = "vgg19") -> tuple[str, ...]:
    """All layer names of ``arch`` in forward order.

    Example for VGG-19: ``conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1,
    ..., relu5_4, pool5`` (37 names).

    Raises:
        NSTError: unknown architecture.
    """
    if arch not in BLOCKS:
        raise NSTError(f"unknown model {arch!r}; choose one of: {', '.join(BLOCKS)}")
    names: list[str] = []
    for b, n in enumerate(BLOCKS[arch], start=1):
        for i in range(1, n + 1):
            names += [f"conv{b}_{i}", f"relu{b}_{i}"]
        names.append(f"pool{b}")
    return tuple(names)


def block_of(name: str) -> int:
    """Block number (1-5) of a layer name: ``relu4_2`` -> 4, ``pool3`` -> 3."""
    return int(name[-1]) if name.startswith("pool") else int(name[4])


def layer_size(height: int, width: int, name: str) -> tuple[int, int]:
    """``(h, w)`` of layer ``name``'s feature maps for an ``height x width`` input.

    Every pooling layer halves the size (2x2, stride 2, rounding down), so a
    layer of block ``b`` is ``1 / 2**(b-1)`` of the input (``pool b`` itself ``1 / 2**b``).
    """
    k = 2 ** (block_of(name) - (0 if name.startswith("pool") else 1))
    return height // k, width // k


def feature_bytes(height: int, width: int, name: str) -> int:
    """Bytes of layer ``name``'s float32 feature maps ``(1, C, h, w)`` for an ``height x width`` input."""
    h, w = layer_size(height, width, name)
    return 4 * CHANNELS[block_of(name) - 1] * h * w


def conv_names(arch: str = "vgg19") -> tuple[str, ...]:
    """The convolution layer names of ``arch`` in order (16 for VGG-19, 13 for VGG-16)."""
    return tuple(n for n in layer_names(arch) if n.startswith("conv"))


def canonical_layer(name: str) -> str:
    """nst's name of a layer given in Keras/TensorFlow spelling; other names unchanged.

    Keras's VGG convolution layers include their ReLU, so ``blockB_convC`` is
    ``reluB_C`` (the activation the recipes read); ``blockB_pool`` is ``poolB``.
    """
    m = re.fullmatch(r"block(\d)_conv(\d)", name)
    if m:
        return f"relu{m[1]}_{m[2]}"
    m = re.fullmatch(r"block(\d)_pool", name)
    return f"pool{m[1]}" if m else name


def check_layers(names: Iterable[str], arch: str = "vgg19") -> list[str]:
    """Return ``names`` as a list after checking each is a layer of ``arch``.

    Raises:
        NSTError: a name is not a layer of ``arch`` (the message gives the closest valid names).
    """
    valid = layer_names(arch)
    out = list(names)
    for name in out:
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
            hint = f"closest: {', '.join(close)}" if close else f"valid: {valid[0]} ... {valid[-1]}"
            raise NSTError(f"unknown layer {name!r} for {arch} ({hint}; Keras names such as block4_conv2 "
                           "work too)")
    return out


def parse_layers(spec: Sequence[str] | Mapping[str, float] | str, arch: str = "vgg19",
                 field: str = "layers") -> dict[str, float]:
    """Parse layer specs ``["relu1_1", "relu2_1:0.5"]`` (or a mapping, or one name) into ``{name: weight}``.

    A name without a weight gets 1/len(spec) for style-like lists; callers that
    want equal weights of 1 pass a mapping. Keras/TensorFlow names
    (``block5_conv2``) become nst's (``relu5_2``, :func:`canonical_layer`).
    ``field`` names the option in errors.

    Raises:
        OptionError: unknown layer, unparsable or negative weight, empty list.
    """
    if isinstance(spec, str):
        spec = [spec]
    if isinstance(spec, Mapping):
        out = {canonical_layer(str(k)): v for k, v in spec.items()}
    else:
        out = {}
        items = list(spec)
        for item in items:
            name, _, w = str(item).partition(":")
            out[canonical_layer(name)] = w if w else 1.0 / len(items)
    for name, w in out.items():
        try:
            out[name] = float(w)
        except (TypeError, ValueError):
            raise OptionError(field, f"layer weight {w!r} of {name} is not a number") from None
    if not out:
        raise OptionError(field, "empty layer list")
    try:
        check_layers(out, arch)
    except NSTError as e:
        raise OptionError(field, str(e)) from None
    if any(v < 0 or not math.isfinite(v) for v in out.values()):
        raise OptionError(field, "layer weights must be finite and >= 0")
    return out


class Preprocess(nn.Module):
    """Map RGB [0, 1] images to the input convention of the weights.

    ``caffe``: BGR channel order, 0..255 scale, minus the mean
    (103.939, 116.779, 123.68) in B, G, R order, no std division (the original
    Oxford weights). ``torchvision``: RGB, minus ImageNet mean, divided by std.

    Shape: ``(N, 3, H, W)`` in, ``(N, 3, H, W)`` out, float32.
    """

    def __init__(self, convention: Convention = "caffe") -> None:
        super().__init__()
        if convention == "caffe":
            perm = [2, 1, 0]
            mean = torch.tensor(CAFFE_MEAN_BGR)
            scale = torch.full((3,), 255.0)
        elif convention == "torchvision":
            perm = [0, 1, 2]
            mean = torch.tensor(IMAGENET_MEAN)
            scale = 1.0 / torch.tensor(IMAGENET_STD)
            mean = mean * scale
        else:
            raise NSTError(f"unknown input convention {convention!r}")
        self.convention = convention
        # y = x[perm] * scale - mean: a channel flip (Caffe's BGR) and one fused multiply-add.
        self.flip = perm == [2, 1, 0]
        self.register_buffer("scale", scale.float().view(1, 3, 1, 1), persistent=False)
        self.register_buffer("shift", -mean.float().view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.shift, x.flip(1) if self.flip else x, self.scale)


class VGG(nn.Module):
    """VGG-16/19 convolutional feature extractor returning named activations.

    Args:
        arch: ``"vgg19"`` (default) or ``"vgg16"``.
        pooling: ``"max"`` (default) or ``"avg"`` (Gatys et al. 2015 suggest
            average pooling gives slightly smoother results).
        convention: input convention of the weights, see :class:`Preprocess`.
        last_layer: build only the layers up to and including this one
            (truncation saves memory and time); default: the whole network.

    Call ``model(x, layers)`` with ``x`` of shape ``(N, 3, H, W)``, float RGB in
    [0, 1]; it returns ``{name: activation}`` for the requested names and stops
    after the deepest of them. Activations of block ``b`` have shape
    ``(N, C_b, H / 2**(b-1), W / 2**(b-1))`` (floor division by pooling).

    Raises:
        NSTError: unknown architecture, pooling or layer name.
    """

    def __init__(
        self,
        arch: str = "vgg19",
        pooling: Pooling = "max",
        convention: Convention = "caffe",
        last_layer: str | None = None,
    ) -> None:
        super().__init__()
        names = layer_names(arch)
        if pooling not in POOLINGS:
            raise NSTError(f"unknown pooling {pooling!r}; choose max or avg")
        if last_layer is not None:
            check_layers([last_layer], arch)
            names = names[: names.index(last_layer) + 1]
        self.arch = arch
        self.pooling = pooling
        self.names: tuple[str, ...] = names
        self.preprocess = Preprocess(convention)
        self.convs = nn.ModuleDict()
        in_c = 3
        for name in names:
            if name.startswith("conv"):
                out_c = CHANNELS[int(name[4]) - 1]
                self.convs[name] = nn.Conv2d(in_c, out_c, kernel_size=3, padding=1)
                in_c = out_c
        self.requires_grad_(False)
        self.eval()

    @property
    def convention(self) -> str:
        return self.preprocess.convention

    def forward(
        self, x: torch.Tensor, layers: Sequence[str], checkpoint_blocks: int = 0
    ) -> dict[str, torch.Tensor]:
        """Run up to the deepest of ``layers`` and return their activations.

        Args:
            x: ``(N, 3, H, W)`` RGB in [0, 1].
            layers: layer names to return.
            checkpoint_blocks: recompute the first this many blocks in the
                backward pass instead of keeping their activations (gradient
                checkpointing): less memory at high resolution for about one
                extra forward pass of those blocks.
        """
        wanted = set(layers)
        missing = wanted.difference(self.names)
        if missing:
            check_layers(missing, self.arch)  # raises for names of no VGG layer
            raise NSTError(
                f"layer {sorted(missing)[0]!r} is beyond this truncated network "
                f"(last layer {self.names[-1]})"
            )
        if not wanted:
            return {}
        deepest = max(self.names.index(n) for n in wanted)
        names = self.names[: deepest + 1]
        out: dict[str, torch.Tensor] = {}
        x = self.preprocess(x)
        for block in range(1, 6):
            segment = [n for n in names if block_of(n) == block]
            if not segment:
                break
            keep = [n for n in segment if n in wanted]
            if block <= checkpoint_blocks and x.requires_grad:
                results = checkpoint(self._segment, x, segment, keep, use_reentrant=False)
            else:
                results = self._segment(x, segment, keep)
            x = results[0]
            out.update(zip(keep, results[1:]))
        return out

    def _segment(self, x: torch.Tensor, names: Sequence[str], keep: Sequence[str]) -> tuple[torch.Tensor, ...]:
        """Run consecutive layers ``names``; return the last output and those named in ``keep``."""
        kept: list[torch.Tensor] = []
        prev = None
        for name in names:
            kind = name[:4]
            if kind == "conv":
                x = self.convs[name](x)
            elif kind == "relu":
                # In place unless the conv output it would overwrite is kept.
                x = F.relu(x, inplace=prev not in keep)
            else:
                x = (F.max_pool2d if self.pooling == "max" else F.avg_pool2d)(x, 2, 2)
            if name in keep:
                kept.append(x)
            prev = name
        return (x, *kept)

    def activation_bytes(self, height: int, width: int, layers: Sequence[str], checkpoint_blocks: int = 0) -> int:
        """Estimate of the bytes kept for the backward pass of one ``(1, 3, height, width)`` image.

        Counts one float32 tensor per convolution output and, for max pooling,
        its int64 indices, for the layers up to the deepest of ``layers``;
        checkpointed blocks keep only their input. An estimate for choosing
        ``checkpoint_blocks``, not an exact figure.
        """
        deepest = max(self.names.index(n) for n in layers)
        total = 0
        for name in self.names[: deepest + 1]:
            pool = name.startswith("pool")
            if block_of(name) <= checkpoint_blocks:
                if pool:
                    total += feature_bytes(height, width, name)  # the next block's input
            elif name.startswith("conv"):
                total += feature_bytes(height, width, name)
            elif pool and self.pooling == "max":
                total += 2 * feature_bytes(height, width, name)  # its int64 indices
        return total

    def load_conv_weights(self, weights: Mapping[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Copy ``{conv name: (weight (O, I, 3, 3), bias (O,))}`` into the network.

        Layers beyond ``last_layer`` are ignored. Raises ``NSTError`` when a
        needed layer is missing or has the wrong shape.
        """
        for name, conv in self.convs.items():
            if name not in weights:
                raise NSTError(f"weights have no layer {name}")
            w, b = weights[name]
            if tuple(w.shape) != tuple(conv.weight.shape) or tuple(b.shape) != tuple(conv.bias.shape):
                raise NSTError(
                    f"weights for {name} have shape {tuple(w.shape)}, expected {tuple(conv.weight.shape)}"
                )
            with torch.no_grad():
                conv.weight.copy_(w)
                conv.bias.copy_(b)
