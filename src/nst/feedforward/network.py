"""The image transformation network of Johnson, Alahi and Fei-Fei (2016).

"Perceptual Losses for Real-Time Style Transfer and Super-Resolution": a
convolutional encoder (a wide-kernel convolution, then stride-2 convolutions),
residual blocks at the lowest resolution, and a decoder that mirrors the
encoder. Two later refinements are used, as in most reimplementations, and a third:

* instance normalization instead of batch normalization (Ulyanov, Vedaldi and
  Lempitsky 2016, "Instance Normalization: The Missing Ingredient for Fast
  Stylization");
* upsampling by a resize followed by a convolution instead of transposed
  convolutions, which avoids checkerboard artifacts (Odena, Dumoulin and Olah
  2016, "Deconvolution and Checkerboard Artifacts"); nearest-neighbour resize
  as they propose, or bilinear (``NetConfig.upsample``), which does not turn a
  slowly varying feature into 2x2 steps that the network can grow into
  strokes on a fixed lattice (docs/feedforward.md, "The lattice");
* additive U-Net skips from each encoder level to the decoder level of the
  same resolution (Ronneberger et al. 2015; ``NetConfig.skips``), our addition,
  because the compact default squeezes the image to 64 channels at 1/8
  resolution and without skips lost the photo's content in training.

Optionally the first convolution also sees a channel of Gaussian noise
(``NetConfig.noise``), as the generators of Ulyanov et al. (2016, "Texture
Networks") do, so that flat areas, where the photo offers nothing to paint
on, get strokes from the noise instead of a lattice from the network's own
pixel grid (docs/feedforward.md, "Noise against the lattice").

Every size is a field of :class:`NetConfig`, which is stored in the model
file, so networks of any width and depth load. The default is a compact
variant chosen by measurement (README, "Instant stylization"): about a tenth
of the original's arithmetic so that a 1024x768 photo takes well under 0.5 s
on two CPU cores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn

from ..color import YIQ_FROM_RGB, mix_channels
from ..config import check_fields, option
from ..errors import NSTError, OptionError

RESIDUAL_KINDS = ("conv", "separable")
SHUFFLES = (1, 2, 4)
UPSAMPLE_MODES = ("nearest", "bilinear")
# Bounds of a NetConfig (model files are untrusted input: no config may allocate without limit).
# Johnson et al.'s network is (32, 64, 128), 5 blocks, kernel 9; these leave room for far bigger ones.
MAX_CHANNELS, MAX_RESIDUAL_BLOCKS, MAX_OUTER_KERNEL = 1024, 64, 15
ARCH = "architecture (stored in the model file; ignored when resuming)"
# Side of the fixed noise sample a network with NetConfig.noise tiles over an image in eval mode (pixels).
NOISE_TILE = 256


@dataclass(frozen=True)
class NetConfig:
    """Architecture of a :class:`TransformerNet`.

    Attributes:
        channels: feature widths from full resolution down; each further entry
            halves the resolution with a stride-2 convolution, so
            ``len(channels) - 1`` downsamplings (Johnson et al.: ``(32, 64, 128)``).
        residual_blocks: residual blocks at the lowest resolution (Johnson: 5).
        residual: ``"conv"`` for two dense 3x3 convolutions per block (Johnson),
            ``"separable"`` for two depthwise 3x3 + pointwise 1x1 pairs
            (MobileNet-style, about 8x cheaper at 64 channels).
        outer_kernel: kernel size of the first and last convolutions (Johnson: 9).
        shuffle: space-to-depth factor at the ends: the input is rearranged
            into ``3 * shuffle**2`` channels at ``1/shuffle`` resolution
            (``PixelUnshuffle``) and the last convolution predicts that many
            channels, rearranged back to full resolution (``PixelShuffle``,
            the sub-pixel convolution of Shi et al. 2016). 1 is Johnson's
            network; 2 moves every convolution off the full-resolution grid.
        skips: add each encoder level's output to the decoder's output at the
            same resolution (additive U-Net skips, Ronneberger et al. 2015), so
            detail need not squeeze through the lowest resolution. Costs one
            addition per level. On by default; files written before this field
            load with ``False``.
        identity: the network predicts a change to the photo's luminance,
            ``Y(x) + f(x)`` with ``Y`` the luminance (YIQ's Y) replicated to
            three channels (global residual learning, Kim et al. 2016,
            "Accurate Image Super-Resolution Using Very Deep Convolutional
            Networks"), and the last convolution starts at zero, so an
            untrained network returns the photo in grey (as a zero-initialized
            residual branch does in Goyal et al. 2017). Training then starts
            from the subject and adds the style, instead of first having to
            learn to reproduce the photo. Only the luminance passes: ``f``
            sees the photo through instance normalization, which removes its
            mean colour, so it cannot undo the photo's own colours, and with
            the colour photo passed through they stayed (orange stayed orange
            under Starry Night). The colours come from ``f``, as in Johnson
            et al.'s network. On by default; files written before this field
            load with ``False``.
        upsample: how the decoder enlarges its features 2x before each
            convolution: ``"nearest"`` (Odena et al.'s resize-convolution) or
            ``"bilinear"``. Files written before this field load with
            ``"nearest"``.
        noise: a fourth input channel of N(0, 1) noise at full resolution
            (Ulyanov et al. 2016, "Texture Networks"): fresh noise at every
            training step; in eval mode a fixed :data:`NOISE_TILE` x
            :data:`NOISE_TILE` sample stored in the network (buffer
            ``noise_tile``, drawn from seed 0), tiled from the top-left
            corner, so applying a model is deterministic and the ONNX graph
            holds it as a constant. Against the lattice of strokes that the
            network paints without it (docs/feedforward.md, "Noise against the
            lattice"). On by default (``--no-noise``: off); files written
            before this field load with ``False``.
    """

    channels: tuple[int, ...] = option(
        (16, 32, 64), metavar="C", group=ARCH,
        help="widths from the top level down; each further width halves the resolution")
    residual_blocks: int = option(5, check="nonneg", group=ARCH, help="residual blocks at the bottom")
    residual: str = option("conv", choices=RESIDUAL_KINDS, group=ARCH,
                           help="dense 3x3 convolutions or depthwise-separable ones in the residual blocks")
    outer_kernel: int = option(5, check="positive", group=ARCH, help="kernel of the first and last convolution")
    shuffle: int = option(2, choices=SHUFFLES, group=ARCH,
                          help="pixel (un)shuffle factor at the ends (1: Johnson's full-resolution first/last layers)")
    skips: bool = option(True, group=ARCH,
                         help="add encoder features to the decoder at each resolution (U-Net skips)")
    identity: bool = option(True, group=ARCH,
                            help="predict a change to the photo's luminance, starting as the photo in grey "
                                 "(global residual)")
    upsample: str = option("nearest", choices=UPSAMPLE_MODES, group=ARCH,
                           help="resize mode of the decoder's 2x upsampling before each convolution")
    noise: bool = option(True, group=ARCH,
                         help="give the first convolution a channel of Gaussian noise to paint flat areas from "
                              "(Ulyanov et al. 2016)")

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        self.validate()

    @property
    def factor(self) -> int:
        """Total downsampling factor; input sides must be multiples of it."""
        return self.shuffle * 2 ** (len(self.channels) - 1)

    def validate(self) -> None:
        """Raise :class:`OptionError` for impossible values (run when the object is built)."""
        check_fields(self)
        if not 1 <= len(self.channels) <= 6 or any(not 1 <= c <= MAX_CHANNELS for c in self.channels):
            raise OptionError("channels", f"must be 1 to 6 widths from 1 to {MAX_CHANNELS}, got {list(self.channels)}")
        if self.residual_blocks > MAX_RESIDUAL_BLOCKS:
            raise OptionError("residual_blocks", f"must be at most {MAX_RESIDUAL_BLOCKS}, got {self.residual_blocks}")
        if self.outer_kernel % 2 == 0 or self.outer_kernel > MAX_OUTER_KERNEL:
            raise OptionError("outer_kernel", f"must be odd and at most {MAX_OUTER_KERNEL}, got {self.outer_kernel}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "NetConfig":
        """Build from :meth:`to_dict` output.

        Raises:
            NSTError: unknown or missing keys, wrong types or values.
        """
        names = {f.name for f in fields(cls)}
        for new, old in (("skips", False), ("identity", False), ("upsample", "nearest"), ("noise", False)):
            if isinstance(d, dict) and new not in d:  # model files from before these fields existed
                d = {**d, new: old}
        if not isinstance(d, dict) or set(d) != names:
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise NSTError(f"network config must have keys {sorted(names)}, got {got}")
        try:
            return cls(
                channels=tuple(int(c) for c in d["channels"]),
                residual_blocks=int(d["residual_blocks"]),
                residual=str(d["residual"]),
                outer_kernel=int(d["outer_kernel"]),
                shuffle=int(d["shuffle"]),
                skips=_bool(d["skips"], "skips"),
                identity=_bool(d["identity"], "identity"),
                upsample=str(d["upsample"]),
                noise=_bool(d["noise"], "noise"),
            )
        except (TypeError, ValueError) as e:
            raise NSTError(f"network config has a bad value ({e})") from None


def _bool(v: Any, name: str) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"{name} must be true or false, got {v!r}")
    return v


class ConvNormReLU(nn.Sequential):
    """Reflection pad, convolution, instance norm (affine), optional ReLU.

    With ``upsample`` (``"nearest"`` or ``"bilinear"``) the input is first
    enlarged 2x by that resize (resize-convolution, Odena et al. 2016).
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, relu: bool = True,
                 upsample: str | None = None, groups: int = 1, norm: bool = True) -> None:
        layers: list[nn.Module] = []
        if upsample:
            layers.append(nn.Upsample(scale_factor=2, mode=upsample))
        if kernel > 1:
            layers.append(nn.ReflectionPad2d(kernel // 2))
        layers.append(nn.Conv2d(c_in, c_out, kernel, stride, groups=groups))
        if norm:
            layers.append(nn.InstanceNorm2d(c_out, affine=True))
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    """``x + F(x)`` with F = conv-IN-ReLU-conv-IN (He et al. 2016; Johnson et al.'s variant).

    ``kind="separable"`` replaces each dense 3x3 convolution by a depthwise 3x3
    followed by a pointwise 1x1 convolution (Howard et al. 2017, MobileNets).
    Shape: ``(N, C, H, W)`` -> same.
    """

    def __init__(self, channels: int, kind: str = "conv") -> None:
        super().__init__()
        c = channels
        if kind == "conv":
            self.body = nn.Sequential(ConvNormReLU(c, c, 3), ConvNormReLU(c, c, 3, relu=False))
        else:
            self.body = nn.Sequential(
                ConvNormReLU(c, c, 3, groups=c, relu=False, norm=False), ConvNormReLU(c, c, 1),
                ConvNormReLU(c, c, 3, groups=c, relu=False, norm=False), ConvNormReLU(c, c, 1, relu=False),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@torch.no_grad()
def icnr_(conv: nn.Conv2d, scale: int) -> None:
    """ICNR initialization of a convolution followed by ``PixelShuffle(scale)``, in place.

    Aitken et al. (2017), "Checkerboard artifact free sub-pixel convolution":
    the ``scale**2`` output channels that ``PixelShuffle`` interleaves into one
    output channel start with identical weights and bias, so at initialization
    the sub-pixel convolution equals a convolution followed by
    nearest-neighbour upsampling (a resize-convolution, Odena et al. 2016) and
    shows no checkerboard pattern.
    """
    r2 = scale * scale
    w = conv.weight[::r2].clone()  # one (C_in, k, k) kernel per final channel
    conv.weight.copy_(w.repeat_interleave(r2, dim=0))
    if conv.bias is not None:
        conv.bias.copy_(conv.bias[::r2].clone().repeat_interleave(r2))


class TransformerNet(nn.Module):
    """Feed-forward style network: ``(N, 3, H, W)`` RGB in [0, 1] -> same shape.

    ``H`` and ``W`` must be multiples of ``config.factor`` (see
    :func:`nst.images.pad_to_multiple`). In training mode the output is not
    clamped (so gradients flow everywhere); in eval mode it is clamped to
    [0, 1], which is also what the exported ONNX graph computes.
    """

    def __init__(self, config: NetConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or NetConfig()
        ch, s = cfg.channels, cfg.shuffle
        if cfg.noise:
            tile = torch.randn(1, 1, NOISE_TILE, NOISE_TILE, generator=torch.Generator().manual_seed(0))
            self.register_buffer("noise_tile", tile)
        down: list[nn.Module] = [nn.PixelUnshuffle(s)] if s > 1 else []
        down.append(ConvNormReLU((4 if cfg.noise else 3) * s * s, ch[0], cfg.outer_kernel))
        down += [ConvNormReLU(a, b, 3, stride=2) for a, b in zip(ch[:-1], ch[1:])]
        self.encoder = nn.Sequential(*down)
        self.residuals = nn.Sequential(*[ResidualBlock(ch[-1], cfg.residual) for _ in range(cfg.residual_blocks)])
        up: list[nn.Module] = [ConvNormReLU(a, b, 3, upsample=cfg.upsample) for a, b in zip(ch[:0:-1], ch[-2::-1])]
        self.decoder = nn.Sequential(*up)
        k = cfg.outer_kernel
        last = nn.Conv2d(ch[0], 3 * s * s, k)
        if cfg.identity:
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
        elif s > 1:
            icnr_(last, s)
        out: list[nn.Module] = [nn.ReflectionPad2d(k // 2), last]
        self.output = nn.Sequential(*out, nn.PixelShuffle(s)) if s > 1 else nn.Sequential(*out)

    def noise(self, x: torch.Tensor) -> torch.Tensor:
        """The noise channel for ``x`` ``(N, 3, H, W)``: ``(N, 1, H, W)``, fresh in training, the tile in eval mode."""
        n, _, h, w = x.shape
        if self.training:
            return torch.randn(n, 1, h, w, device=x.device, dtype=x.dtype)
        t = self.noise_tile.to(x.dtype)
        return t.repeat(1, 1, h // NOISE_TILE + 1, w // NOISE_TILE + 1)[:, :, :h, :w].expand(n, 1, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        photo = x
        if self.config.noise:
            x = torch.cat([x, self.noise(x)], 1)
        if self.config.skips:
            levels = []
            for layer in self.encoder:
                x = layer(x)
                if isinstance(layer, ConvNormReLU):
                    levels.append(x)
            y = self.residuals(x)
            for layer, skip in zip(self.decoder, reversed(levels[:-1])):
                y = layer(y) + skip
        else:
            y = self.decoder(self.residuals(self.encoder(x)))
        y = self.output(y)
        if self.config.identity:
            y = mix_channels(photo, YIQ_FROM_RGB[:1]).expand_as(photo) + y  # the photo's luminance, grey
        return y if self.training else y.clamp(0.0, 1.0)


def flops(config: NetConfig, height: int, width: int) -> float:
    """Multiply-adds x 2 of the convolutions for one ``height x width`` image (norms and pads excluded)."""
    net = TransformerNet(config).eval().to("meta")
    counts: list[float] = []

    def hook(mod: nn.Conv2d, inp: tuple[torch.Tensor], out: torch.Tensor) -> None:
        k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
        counts.append(2.0 * k * out.numel())

    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(hook)
    f = config.factor
    with torch.no_grad():
        net(torch.zeros(1, 3, -(-height // f) * f, -(-width // f) * f, device="meta"))
    return sum(counts)
