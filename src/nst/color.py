"""Colour control (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer", sec. 4).

Two ways to keep the content image's colours while transferring a style:

* ``luminance`` (sec. 4.1): style transfer runs on luminance only
  (:func:`luminance_image`, :func:`match_luminance`); the content's chroma is
  put back afterwards (:func:`keep_colors`). YIQ is the NTSC 1953 linear
  RGB<->YIQ matrix (the one of scikit-image's ``rgb2yiq``), applied on the
  tensor's own device.
* ``histogram`` (sec. 4.2): the style image's colours are matched to the
  content's before transfer by a linear map that gives the style pixels the
  content's mean and covariance (:func:`match_color`).

Images are ``(1, 3, H, W)`` float32 RGB tensors in [0, 1]; :func:`rgb_to_yiq`,
:func:`yiq_to_rgb` and :func:`keep_colors` also take numpy arrays of that
layout (the one-pass path, which runs without torch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

COLOR_MODES = ("none", "luminance", "histogram")

# NTSC YIQ from linear RGB (rows Y, I, Q); Y is luminance in [0, 1].
YIQ_FROM_RGB = np.array([[0.299, 0.587, 0.114],
                         [0.59590059, -0.27455667, -0.32134392],
                         [0.21153661, -0.52273617, 0.31119955]])
RGB_FROM_YIQ = np.linalg.inv(YIQ_FROM_RGB)


def mix_channels(image: torch.Tensor | np.ndarray, matrix: np.ndarray) -> torch.Tensor | np.ndarray:
    """``out[:, i] = sum_j matrix[i, j] * image[:, j]`` for ``(N, 3, H, W)`` (tensor on any device, or array)."""
    if isinstance(image, np.ndarray):
        return np.einsum("ij,njhw->nihw", matrix.astype(image.dtype), image)
    import torch

    return torch.einsum("ij,njhw->nihw", torch.as_tensor(matrix, dtype=image.dtype, device=image.device), image)


def _check(image: torch.Tensor | np.ndarray) -> None:
    if image.ndim != 4 or tuple(image.shape[:2]) != (1, 3):
        raise ValueError(f"expected a (1, 3, H, W) image, got {tuple(image.shape)}")


def rgb_to_yiq(image: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
    """RGB ``(1, 3, H, W)`` in [0, 1] -> YIQ ``(1, 3, H, W)`` (Y in [0, 1], I and Q signed)."""
    _check(image)
    return mix_channels(image, YIQ_FROM_RGB)


def yiq_to_rgb(image: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
    """YIQ ``(1, 3, H, W)`` -> RGB ``(1, 3, H, W)``, clipped to [0, 1]."""
    _check(image)
    return mix_channels(image, RGB_FROM_YIQ).clip(0, 1)


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
        stylized, content: RGB ``(1, 3, H, W)`` in [0, 1]: tensors, or numpy
            arrays of the same size.
    Returns:
        RGB ``(1, 3, H, W)`` in [0, 1] (clipped), of ``stylized``'s kind, dtype and device.
    """
    if tuple(content.shape[-2:]) != tuple(stylized.shape[-2:]):
        if isinstance(content, np.ndarray):
            raise ValueError(f"keep_colors: array sizes differ: {content.shape} and {stylized.shape}")
        import torch.nn.functional as F

        content = F.interpolate(content.float(), size=stylized.shape[-2:], mode="bilinear", align_corners=False,
                                antialias=True).clamp(0, 1)
    if not isinstance(stylized, np.ndarray):
        content = content.to(stylized.device, stylized.dtype)
    yiq = rgb_to_yiq(content)
    yiq[:, :1] = rgb_to_yiq(stylized)[:, :1]
    return yiq_to_rgb(yiq)


def _to_hwc(x: torch.Tensor) -> np.ndarray:
    _check(x)
    return x[0].detach().cpu().double().permute(1, 2, 0).numpy()


def _from_hwc(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    import torch

    return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None].to(like.device, torch.float32)


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
