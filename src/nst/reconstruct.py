"""Reconstructions from noise: what a VGG layer keeps of an image.

* **Content reconstruction** (feature inversion, Mahendran and Vedaldi 2015,
  "Understanding Deep Image Representations by Inverting Them"; Gatys et al.
  2016, Fig. 1): start from noise and minimize only the content loss at one
  layer. Shallow layers give the image back almost exactly; deep ones keep
  the layout and lose the exact colours and fine detail.
* **Texture synthesis** (Gatys, Ecker and Bethge 2015, "Texture Synthesis
  Using Convolutional Neural Networks"): start from noise and minimize only
  the style loss (Gram matrices); the output may have any size.

Both reuse the style transfer engine unchanged (:func:`nst.coarse_to_fine.run_coarse_to_fine`,
coarse to fine, with its progress bar, intermediate saves and GIF): the unused
loss term gets weight 0 and is placed on the same layer as the used one, so
the loss network is truncated at the deepest layer that matters (for content
reconstruction the style target is the image itself and costs one Gram matrix
per iteration; for texture synthesis the content target is a grey canvas that
only fixes the output size).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PIL import Image

from .coarse_to_fine import run_coarse_to_fine
from .config import check_fields, option
from .criterion import GATYS_STYLE_LAYERS
from .errors import OptionError
from .images import ImageLike, as_pil, fit_long_side
from .options import TransferOptions
from .transfer import TransferResult
from .vgg import layer_names, parse_layers

MODES = ("content", "style")
DEFAULT_LAYER = "relu4_2"
DEFAULT_SIZE = 256
# Small, as in Mahendran and Vedaldi's TV prior: removes the high-frequency
# noise the loss network cannot see without blurring what it does see.
DEFAULT_CONTENT_TV_WEIGHT = 1.0
# Gatys et al. 2015 synthesize textures without a TV term.
DEFAULT_TEXTURE_TV_WEIGHT = 0.0
# From noise, more iterations are needed than when starting from the content.
DEFAULT_ITERATIONS = 100
# The TransferOptions both modes take, and where their defaults differ from a transfer's.
RUN_OPTIONS = ("iterations", "min_size", "max_iterations", "tol", "window", "seed", "tv_weight", "model", "weights",
               "pooling", "device", "max_memory", "save_every", "save_dir", "gif")
CONTENT_DEFAULTS = {"size": DEFAULT_SIZE, "iterations": DEFAULT_ITERATIONS, "tv_weight": DEFAULT_CONTENT_TV_WEIGHT}
TEXTURE_DEFAULTS = {"iterations": DEFAULT_ITERATIONS, "tv_weight": DEFAULT_TEXTURE_TV_WEIGHT}


@dataclass
class ContentReconstruction:
    """What a content reconstruction matches: one layer's features (checked when built)."""

    layer: str = option(DEFAULT_LAYER, help="VGG layer whose features are matched (e.g. relu2_2)")


@dataclass
class TextureSynthesis:
    """The size, scale and layers of a texture synthesis (checked when built).

    ``size``: output ``(width, height)`` in pixels (None: the style image's
    aspect at ``style_size``); ``style_size``: long side at which the style
    image is used (the scale of the texture); ``layers``: style layers.
    """

    size: tuple[int, ...] | None = option(None, check="side", nargs=2, metavar=("W", "H"),
                                          help="output width and height in pixels",
                                          default_text="the style image's aspect at the style size")
    style_size: int = option(DEFAULT_SIZE, check="side",
                             help="long side in pixels at which the style image is used (sets the scale of the "
                                  "texture)")
    layers: dict[str, float] = option(factory=lambda: dict(GATYS_STYLE_LAYERS), metavar="LAYER[:W]",
                                      help="style layers with optional weights (a layer without one gets 1/count)")

    def __post_init__(self) -> None:
        check_fields(self)
        if self.size is not None and len(self.size) != 2:
            raise OptionError("size", f"needs a width and a height, got {list(self.size)}")


def content_options(layer: str = DEFAULT_LAYER, **options) -> TransferOptions:
    """Validated options of a content reconstruction at ``layer`` from noise.

    ``options`` are any :class:`TransferOptions` fields except the losses'
    layers and weights (``size=256, iterations=100, seed=0, tv_weight=1`` by
    default). The content and style layer are both ``layer``; the style weight is 0.

    Raises:
        NSTError: unknown layer or bad option.
    """
    fixed = {"content_layers", "style_layers", "content_weight", "style_weight", "style_weights", "init"}
    if fixed & set(options):
        raise OptionError(sorted(fixed & set(options))[0], "content reconstruction sets this option itself")
    options = {**CONTENT_DEFAULTS, **options}
    layers = parse_layers({layer: 1.0}, options.get("model", "vgg19"), "layer")
    return TransferOptions.from_kwargs(
        content_layers=layers, style_layers=layers, content_weight=1.0, style_weight=0.0, init="noise", **options)


def reconstruct_content(image: ImageLike, layer: str = DEFAULT_LAYER, progress: bool = False,
                        **options) -> TransferResult:
    """Reconstruct ``image`` from noise through its ``layer`` features (Mahendran and Vedaldi 2015).

    Args:
        image: path, PIL image or ``(1, 3, H, W)`` tensor in [0, 1].
        layer: VGG layer name, e.g. ``"relu2_2"`` or ``"relu4_2"``.
        progress: show a progress bar.
        **options: see :func:`content_options`.
    Returns:
        :class:`TransferResult`; ``image`` is ``(1, 3, H, W)`` in [0, 1] with long side ``size``.
    Raises:
        NSTError: bad image, layer or option.
    """
    opts = content_options(layer, **options)
    img = as_pil(image, "content image")
    return run_coarse_to_fine(img, [img], opts, progress=progress, desc=f"reconstructing {layer}")


def texture_size(style: Image.Image, long_side: int = DEFAULT_SIZE) -> tuple[int, int]:
    """Default texture size ``(width, height)``: the style image's aspect at ``long_side`` px."""
    return fit_long_side(style.size, long_side)


def texture_options(size: tuple[int, int], layers: Sequence[str] | Mapping[str, float] | None = None,
                    style_size: int = DEFAULT_SIZE, **options) -> TransferOptions:
    """Validated options of a texture synthesis of ``size`` = (width, height) pixels.

    The style image is used at long side ``style_size``; ``layers`` are the
    style layers (``["relu1_1", "relu2_1:0.5"]`` or a mapping; default
    relu1_1..relu5_1). ``options``: other :class:`TransferOptions` fields
    (``iterations=100, seed=0, tv_weight=0`` by default).

    Raises:
        NSTError: bad size, layer or option.
    """
    fixed = {"content_layers", "style_layers", "content_weight", "style_weights", "init", "size", "style_scale"}
    if fixed & set(options):
        raise OptionError(sorted(fixed & set(options))[0], "texture synthesis sets this option itself")
    w, h = TextureSynthesis(tuple(size), style_size).size  # checks them
    options = {"style_weight": 1.0, **TEXTURE_DEFAULTS, **options}
    model = options.get("model", "vgg19")
    style_layers = parse_layers(layers if layers is not None else GATYS_STYLE_LAYERS, model, "layers")
    deepest = max(style_layers, key=layer_names(model).index)
    return TransferOptions.from_kwargs(
        size=max(w, h), style_scale=style_size / max(w, h), content_layers={deepest: 1.0},
        style_layers=style_layers, content_weight=0.0, init="noise", **options)


def synthesize_texture(style: ImageLike, size: tuple[int, int] | None = None,
                       layers: Sequence[str] | Mapping[str, float] | None = None,
                       style_size: int = DEFAULT_SIZE, progress: bool = False, **options) -> TransferResult:
    """Synthesize a texture like ``style`` from noise (Gatys, Ecker and Bethge 2015).

    Args:
        style: path, PIL image or ``(1, 3, H, W)`` tensor in [0, 1].
        size: output ``(width, height)`` in pixels; default the style's aspect at ``style_size``.
        layers: style layers with optional weights; default relu1_1..relu5_1.
        style_size: long side, in pixels, at which the style image is used.
        progress: show a progress bar.
        **options: see :func:`texture_options`.
    Returns:
        :class:`TransferResult` whose ``image`` is ``(1, 3, height, width)`` in [0, 1].
    Raises:
        NSTError: bad image, size, layer or option.
    """
    style_img = as_pil(style, "style image")
    size = tuple(size) if size is not None else texture_size(style_img, style_size)
    opts = texture_options(size, layers, style_size, **options)
    canvas = Image.new("RGB", size, (128, 128, 128))  # fixes the output size; content weight is 0
    return run_coarse_to_fine(canvas, [style_img], opts, progress=progress, desc="synthesizing texture")
