"""Spatial control masks (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer", sec. 3).

One grayscale mask per style image: white marks the region that style
governs, black the rest, grey a soft transition. Masks are loaded and checked
here; :meth:`nst.transfer.StyleTransfer.set_targets` turns them into guided
Gram matrices (or guided means/covariances) at every style layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

from .errors import OptionError
from .images import ImageLike, as_pil, resize

# Largest relative difference between a mask's and the content's aspect ratio.
ASPECT_TOLERANCE = 0.01


def mask_name(mask: ImageLike, i: int) -> str:
    """How error messages name mask ``i`` (0-based): its path, else ``mask i+1``."""
    return str(mask) if isinstance(mask, (str, bytes)) or hasattr(mask, "__fspath__") else f"mask {i + 1}"


def load_masks(masks: Sequence[ImageLike], content_size: tuple[int, int], n_styles: int) -> list[Image.Image]:
    """Decode and check the masks against the content image, before any work.

    Args:
        masks: paths, PIL images or tensors (converted to 8-bit grayscale).
        content_size: the content image's ``(width, height)``.
        n_styles: number of style images (one mask each, same order).
    Returns:
        grayscale (mode ``L``) PIL images.
    Raises:
        NSTError: a mask is unreadable. OptionError (``masks``): count differs from ``n_styles``; a mask is all
            black, or its aspect ratio differs from the content's by more than 1%.
    """
    if len(masks) != n_styles:
        raise OptionError("masks", f"got {len(masks)} mask(s) for {n_styles} style image(s); give one per style image")
    cw, ch = content_size
    out = []
    for i, m in enumerate(masks):
        name = mask_name(m, i)
        img = as_pil(m, f"mask {name}").convert("L")
        w, h = img.size
        if abs((w / h) / (cw / ch) - 1) > ASPECT_TOLERANCE:
            raise OptionError("masks", f"{name}: aspect ratio {w}x{h} differs from the content image's {cw}x{ch}")
        if img.getextrema()[1] == 0:
            raise OptionError("masks", f"{name}: mask is all black (its style would govern no region)")
        out.append(img)
    return out


def mask_tensor(mask: Image.Image, size: tuple[int, int]) -> torch.Tensor:
    """Grayscale PIL mask resized to ``(width, height)`` (Lanczos) -> ``(1, 1, H, W)`` float32 in [0, 1]."""
    a = np.asarray(resize(mask, size), dtype=np.float32) / 255.0
    return torch.from_numpy(a.copy())[None, None]
