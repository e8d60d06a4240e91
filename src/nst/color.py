"""Colour control (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer", sec. 4).

Two ways to keep the content image's colours while transferring a style:

* ``luminance`` (sec. 4.1): style transfer runs on luminance only
  (:func:`luminance_image`, :func:`match_luminance`); the content's chroma is
  put back afterwards (:func:`keep_colors`). YIQ conversion by scikit-image.
* ``histogram`` (sec. 4.2): the style image's colours are matched to the
  content's before transfer by a linear map that gives the style pixels the
  content's mean and covariance (:func:`match_color`).

Images are ``(1, 3, H, W)`` float32 RGB tensors in [0, 1].
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from skimage.color import rgb2yiq, yiq2rgb

COLOR_MODES = ("none", "luminance", "histogram")


def _to_hwc(x: torch.Tensor) -> np.ndarray:
    if x.ndim != 4 or x.shape[:2] != (1, 3):
        raise ValueError(f"expected a (1, 3, H, W) image, got {tuple(x.shape)}")
    return x[0].detach().cpu().double().permute(1, 2, 0).numpy()


def _from_hwc(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None].to(like.device, torch.float32)


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    """RGB ``(1, 3, H, W)`` in [0, 1] -> YIQ ``(1, 3, H, W)`` (Y in [0, 1], I, Q signed), via scikit-image."""
    return _from_hwc(rgb2yiq(_to_hwc(image)), image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """YIQ ``(1, 3, H, W)`` -> RGB ``(1, 3, H, W)``, clamped to [0, 1]."""
    return _from_hwc(yiq2rgb(_to_hwc(image)), image).clamp(0, 1)


def luminance_image(image: torch.Tensor) -> torch.Tensor:
    """The luminance Y of ``image`` replicated to 3 channels ``(1, 3, H, W)``, the input VGG sees."""
    return rgb_to_yiq(image)[:, :1].expand(-1, 3, -1, -1).clamp(0, 1).contiguous()


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Style luminance with the content's luminance mean and standard deviation (Gatys et al. 2017, eq. 6).

    ``Y_s' = sigma_c / sigma_s * (Y_s - mu_s) + mu_c``, replicated to 3 channels.
    Args:
        style, content: RGB ``(1, 3, H, W)`` in [0, 1] (sizes may differ).
    Returns:
        ``(1, 3, H_s, W_s)`` in [0, 1].
    """
    ys = rgb_to_yiq(style)[:, :1]
    yc = rgb_to_yiq(content)[:, :1]
    matched = (ys - ys.mean()) * (yc.std() / ys.std().clamp_min(1e-6)) + yc.mean()
    return matched.clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def keep_colors(stylized: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Luminance of ``stylized`` with the chroma (YIQ's I and Q) of ``content``.

    The colour step of luminance-only transfer (Gatys et al. 2017, sec. 4.1);
    also usable after any stylization to restore the photo's colours.
    ``content`` is resized (bilinear) to ``stylized``'s size if they differ.

    Args:
        stylized, content: RGB ``(1, 3, H, W)`` in [0, 1].
    Returns:
        RGB ``(1, 3, H, W)`` in [0, 1] (clamped), float32, on ``stylized``'s device.
    """
    if content.shape[-2:] != stylized.shape[-2:]:
        content = F.interpolate(content.float(), size=stylized.shape[-2:], mode="bilinear", align_corners=False,
                                antialias=True).clamp(0, 1)
    yiq = rgb_to_yiq(content)
    yiq[:, :1] = rgb_to_yiq(stylized)[:, :1].to(yiq.device)
    return yiq_to_rgb(yiq).to(stylized.device)


def match_color(style: torch.Tensor, content: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Linear colour transfer: the style's RGB pixels given the content's mean and covariance.

    Gatys et al. 2017, sec. 4.2, with the "image analogies" form of the 3x3
    map: ``x' = A (x - mu_s) + mu_c`` with ``A = Sigma_c^{1/2} Sigma_s^{-1/2}``
    (symmetric square roots by eigendecomposition, ``eps`` added to the
    diagonals). Unlike per-channel histogram matching it keeps the style's
    colour correlations coherent (no channel is remapped on its own, so no
    new hues appear); the result is clamped to [0, 1], which can move the
    statistics slightly for very saturated pictures.

    Args:
        style, content: RGB ``(1, 3, H, W)`` in [0, 1] (sizes may differ).
    Returns:
        ``(1, 3, H_s, W_s)`` in [0, 1].
    """
    s = _to_hwc(style).reshape(-1, 3)
    c = _to_hwc(content).reshape(-1, 3)
    mu_s, mu_c = s.mean(0), c.mean(0)
    cov_s = np.cov(s, rowvar=False, bias=True) + eps * np.eye(3)
    cov_c = np.cov(c, rowvar=False, bias=True) + eps * np.eye(3)

    def power(m: np.ndarray, p: float) -> np.ndarray:
        vals, vecs = np.linalg.eigh(m)
        return (vecs * np.clip(vals, eps, None) ** p) @ vecs.T

    a = power(cov_c, 0.5) @ power(cov_s, -0.5)
    out = (s - mu_s) @ a.T + mu_c
    return _from_hwc(out.reshape(_to_hwc(style).shape), style).clamp(0, 1)
