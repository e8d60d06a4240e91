"""Loss functions of neural style transfer, as small pure functions on tensors.

Follows Gatys, Ecker and Bethge (2015/2016), "A Neural Algorithm of Artistic
Style" / "Image Style Transfer Using Convolutional Neural Networks": content
loss on deep features, style loss on Gram matrices, plus a total-variation
regularizer (Mahendran and Vedaldi 2015).

Feature maps are ``(N, C, H, W)`` float tensors; Gram matrices ``(N, C, C)``.
"""

from __future__ import annotations

import torch


class _Gram(torch.autograd.Function):
    """``F F^T / norm`` with a one-product backward.

    ``f`` is ``(N, C, P)`` (``rows=True``) or ``(N, P, C)`` (``rows=False``,
    the layout of channels-last feature maps, used without a copy).
    Autograd's own backward of ``bmm(f, f^T)`` computes two products of
    ``f``'s size (one per operand) and adds them; since both operands are the
    same tensor, ``dF = (dG + dG^T) F / norm`` needs one product and no sum.
    About 8% of a VGG-19 L-BFGS iteration at 512 px on the CPU
    (``benchmarks/per_iteration.py``).
    """

    @staticmethod
    def forward(ctx, f: torch.Tensor, norm: float, rows: bool) -> torch.Tensor:  # noqa: D102
        ctx.save_for_backward(f)
        ctx.norm, ctx.rows = norm, rows
        ft = f.transpose(1, 2)
        return (torch.bmm(f, ft) if rows else torch.bmm(ft, f)) / norm

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # noqa: D102
        (f,) = ctx.saved_tensors
        sym = grad + grad.transpose(1, 2)
        df = torch.bmm(sym, f) if ctx.rows else torch.bmm(f, sym)
        return df / ctx.norm, None, None


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix of feature maps, normalized by ``C * H * W``.

    ``G[n, i, j] = sum_p F[n, i, p] * F[n, j, p] / (C * H * W)``.

    Args:
        features: ``(N, C, H, W)``, contiguous or channels-last.
    Returns:
        ``(N, C, C)``, same dtype as ``features``; differentiable (first-order).
    """
    n, c, h, w = features.shape
    norm = float(c * h * w)
    if features.is_contiguous() or not features.is_contiguous(memory_format=torch.channels_last):
        return _Gram.apply(features.reshape(n, c, h * w), norm, True)
    return _Gram.apply(features.permute(0, 2, 3, 1).reshape(n, h * w, c), norm, False)


def content_loss(features: torch.Tensor, target: torch.Tensor, scale: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Mean squared error between feature maps (Gatys et al. content loss), times ``scale``.

    Args:
        features, target: ``(N, C, H, W)`` of equal shape (``target`` may have N=1).
        scale: normalizer; the engine passes ``1 / mean(target**2)`` so the loss is
            relative and its weight means the same at every layer.
    Returns:
        scalar tensor.
    """
    return torch.mean((features - target) ** 2) * scale


def style_loss(gram: torch.Tensor, target_gram: torch.Tensor, scale: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Squared Frobenius distance between Gram matrices, averaged over the batch, times ``scale``.

    With Gram matrices normalized by ``C*H*W`` and ``scale=1`` this is Gatys et
    al.'s ``E_l = 1/(4 N_l^2 M_l^2) * sum (G - A)^2`` up to the constant 1/4.
    The engine passes ``scale = 1 / ||A||_F^2`` (see :func:`relative_scale`):
    raw magnitudes differ by about five orders between relu1_1 and relu4_1,
    and the relative error gives every layer the same footing.

    Args:
        gram: ``(N, C, C)``; target_gram: ``(N, C, C)`` or ``(1, C, C)``.
    Returns:
        scalar tensor.
    """
    return torch.sum((gram - target_gram) ** 2) / gram.shape[0] * scale


def relative_scale(target: torch.Tensor, mean: bool = False) -> float:
    """``1 / sum(target**2)`` (or ``1 / mean(target**2)``), guarded against zero.

    Used to turn :func:`style_loss` / :func:`content_loss` into relative errors.
    """
    t = target.detach().double()
    v = float((t**2).mean() if mean else (t**2).sum() / t.shape[0])
    return 1.0 / max(v, 1e-12)


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Total-variation loss: mean squared difference of neighbouring pixels.

    Args:
        image: ``(N, C, H, W)``.
    Returns:
        scalar tensor; 0 for a constant image.
    """
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return torch.mean(dx**2) + torch.mean(dy**2)
