"""Colour preservation: keep the content image's colours in a stylized image.

Luminance-only transfer of Gatys et al. 2016 ("Preserving Color in Neural
Artistic Style Transfer"): the stylized image's luminance Y is combined with
the content image's chrominance I, Q in the YIQ colour space (conversion by
scikit-image).
"""

from __future__ import annotations

import numpy as np
import torch
from skimage.color import rgb2yiq, yiq2rgb


def keep_colors(stylized: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Stylized luminance + content chrominance (YIQ).

    Args:
        stylized: ``(1, 3, H, W)`` float RGB in [0, 1].
        content: ``(1, 3, H, W)`` float RGB in [0, 1], the same size.
    Returns:
        ``(1, 3, H, W)`` float32 RGB in [0, 1] whose Y channel is the stylized
        image's and whose I and Q channels are the content image's.
    Raises:
        ValueError: the shapes differ.
    """
    if stylized.shape != content.shape:
        raise ValueError(f"keep_colors: shapes differ: {tuple(stylized.shape)} vs {tuple(content.shape)}")
    s = rgb2yiq(stylized[0].detach().permute(1, 2, 0).cpu().double().numpy())
    c = rgb2yiq(content[0].detach().permute(1, 2, 0).cpu().double().numpy())
    out = np.clip(yiq2rgb(np.concatenate([s[..., :1], c[..., 1:]], axis=-1)), 0.0, 1.0)
    return torch.from_numpy(out.astype(np.float32)).permute(2, 0, 1).unsqueeze(0).to(stylized.device)
