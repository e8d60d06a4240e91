"""Reconstructions from noise: what a VGG layer keeps of an image.

* **Content reconstruction** (feature inversion, Mahendran and Vedaldi 2015,
  "Understanding Deep Image Representations by Inverting Them"; Gatys et al.
  2016, Fig. 1): start from noise and minimize only the content loss at one
  layer. Shallow layers give the image back almost exactly; deep ones keep
  the layout and lose the exact colours and fine detail.
* **Texture synthesis** (Gatys, Ecker and Bethge 2015, "Texture Synthesis
  Using Convolutional Neural Networks"): start from noise and minimize only
  the style loss (Gram matrices); the output may have any size.

Both reuse the style transfer engine unchanged (:func:`nst.api.run_transfer`,
coarse to fine, with its progress bar, intermediate saves and GIF): the unused
loss term gets weight 0 and is placed on the same layer as the used one, so
the loss network is truncated at the deepest layer that matters (for content
reconstruction the style target is the image itself and costs one Gram matrix
per iteration; for texture synthesis the content target is a grey canvas that
only fixes the output size).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PIL import Image

from .api import run_transfer
from .errors import NSTError
from .images import ImageLike, as_pil, fit_long_side
from .options import TransferOptions
from .transfer import DEFAULT_STYLE_LAYERS, TransferResult, parse_layers
from .vgg import layer_names

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
        raise NSTError(f"content reconstruction sets these options itself: {', '.join(sorted(fixed & set(options)))}")
    options.setdefault("size", DEFAULT_SIZE)
    options.setdefault("iterations", DEFAULT_ITERATIONS)
    options.setdefault("tv_weight", DEFAULT_CONTENT_TV_WEIGHT)
    layers = parse_layers({layer: 1.0}, options.get("model", "vgg19"))
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
    return run_transfer(img, [img], opts, progress=progress, desc=f"reconstructing {layer}")


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
        raise NSTError(f"texture synthesis sets these options itself: {', '.join(sorted(fixed & set(options)))}")
    w, h = size
    for name, v in (("width", w), ("height", h), ("style size", style_size)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise NSTError(f"texture {name} must be a positive integer, got {v!r}")
    options.setdefault("iterations", DEFAULT_ITERATIONS)
    options.setdefault("tv_weight", DEFAULT_TEXTURE_TV_WEIGHT)
    options.setdefault("style_weight", 1.0)
    model = options.get("model", "vgg19")
    style_layers = parse_layers(layers if layers is not None else DEFAULT_STYLE_LAYERS, model)
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
    return run_transfer(canvas, [style_img], opts, progress=progress, desc="synthesizing texture")
