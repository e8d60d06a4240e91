"""Loss functions of neural style transfer, as small pure functions on tensors.

Follows Gatys, Ecker and Bethge (2015/2016), "A Neural Algorithm of Artistic
Style" / "Image Style Transfer Using Convolutional Neural Networks": content
loss on deep features, style loss on Gram matrices, plus a total-variation
regularizer (Mahendran and Vedaldi 2015). Guided Gram matrices for spatial
control follow Gatys et al. 2017; the mean-and-covariance and Wasserstein-2
style statistics are in :data:`STYLE_STATISTICS`.

Feature maps are ``(N, C, H, W)`` float tensors; Gram matrices ``(N, C, C)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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


def content_loss(features: torch.Tensor, target: torch.Tensor, normalizer: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Mean squared error between feature maps (Gatys et al. content loss), times ``normalizer``.

    Args:
        features, target: ``(N, C, H, W)`` of equal shape (``target`` may have N=1).
        normalizer: multiplier; the engine passes ``1 / mean(target**2)`` so the loss is
            relative and its weight means the same at every layer.
    Returns:
        scalar tensor.
    """
    return torch.mean((features - target) ** 2) * normalizer


def style_loss(gram: torch.Tensor, target_gram: torch.Tensor, normalizer: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Squared Frobenius distance between Gram matrices, averaged over the batch, times ``normalizer``.

    With Gram matrices normalized by ``C*H*W`` and ``normalizer=1`` this is Gatys et
    al.'s ``E_l = 1/(4 N_l^2 M_l^2) * sum (G - A)^2`` up to the constant 1/4.
    The engine passes ``normalizer = 1 / ||A||_F^2`` (see :func:`inverse_energy`):
    raw magnitudes differ by about five orders between relu1_1 and relu4_1,
    and the relative error gives every layer the same footing.

    Args:
        gram: ``(N, C, C)``; target_gram: ``(N, C, C)`` or ``(1, C, C)``.
    Returns:
        scalar tensor.
    """
    return torch.sum((gram - target_gram) ** 2) / gram.shape[0] * normalizer


def rms(features: torch.Tensor) -> float:
    """Root mean square of a feature map (any shape): ``sqrt(mean(features**2))``, in float64."""
    return float(features.detach().double().pow(2).mean().sqrt())


def energy_cap(content_rms: float, style_rms: float) -> float:
    """The factor that quiets a content target to the style's loudness: ``min(1, style_rms / content_rms)``.

    Content and style pull a layer's features towards different energies:
    the content loss towards the photo's, the style loss (through the
    layers around it) towards the painting's. Where the photo's features at
    the content layer are louder (root mean square larger) than the
    painting's, the content target is scaled down to the painting's level so
    that the two terms stop fighting over energy and only the structure is
    kept; a photo quieter than the painting keeps its own target (never
    scaled up). The idea of a content target at the painting's statistics
    follows Huang and Belongie 2017 (AdaIN, sec. 6), which trains against
    ``AdaIN(photo, painting)`` instead of the photo's features; this is its
    one-sided, global form (one factor per layer, not per channel).
    """
    if content_rms <= 0:
        return 1.0
    return min(1.0, style_rms / content_rms)


MAX_STYLE_BOOST = 4.0


def style_boost(content_rms: float, style_rms: float, limit: float = MAX_STYLE_BOOST) -> float:
    """The factor that raises the deepest style layer's weight for a loud photo.

    ``(content_rms / style_rms) ** 2``, the photo's energy (mean square) over
    the painting's at that layer, clipped to ``[1, limit]``. A photo whose
    deep features are much louder than the painting's (the worst case in
    docs/balance.md: citrus slices, white rims on saturated colour, 1.3-2x
    the paintings' root mean square at relu4_1) keeps its own deep statistics
    against the relative style loss, since the content term holds them; the
    boost makes the deepest style term pull in proportion to the energy it
    has to remove. A photo as quiet as the painting or quieter gets 1 (the
    loss unchanged). nst's own rule, chosen on the balance grid
    (docs/balance.md, "The deep style term as loud as the photo"); ``limit``
    is the largest factor measured there.
    """
    if style_rms <= 0 or content_rms <= style_rms:
        return 1.0
    return min(limit, (content_rms / style_rms) ** 2)


def inverse_energy(target: torch.Tensor, mean: bool = False) -> float:
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


# ----------------------------------------------------------------------------
# Guided (masked) statistics and alternative style statistics
# (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer").


def guided_gram_matrix(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Guided Gram matrix of Gatys et al. 2017 (sec. 3): the Gram matrix of ``features * mask``.

    ``G[n, i, j] = sum_p m_p^2 F[n, i, p] F[n, j, p] / (C * sum_p m_p^2)``, so a
    region's Gram matrix is comparable to a whole image's :func:`gram_matrix`
    whatever the region's area (an all-ones mask gives exactly that).

    Args:
        features: ``(N, C, H, W)``.
        mask: guidance channel ``(N or 1, 1, H, W)`` in [0, 1] at the features' resolution.
    Returns:
        ``(N, C, C)``.
    """
    n, c, h, w = features.shape
    m = mask.to(features.dtype).expand(n, 1, h, w)
    area = (m**2).reshape(n, -1).sum(1).clamp_min(1e-8)
    return gram_matrix(features * m) * (h * w / area)[:, None, None]


def mean_cov(features: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance of the feature vectors, optionally weighted by a guidance mask.

    Each of the ``H*W`` positions is one ``C``-dimensional sample; with a mask,
    position ``p`` has weight ``m_p^2`` (as in :func:`guided_gram_matrix`).
    The covariance is the (biased) second central moment.

    Args:
        features: ``(N, C, H, W)``.
        mask: ``None`` or ``(N or 1, 1, H, W)`` in [0, 1].
    Returns:
        ``mean (N, C)``, ``cov (N, C, C)``.
    """
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w)
    if mask is None:
        mu = f.mean(2)
        d = f - mu[:, :, None]
        return mu, torch.bmm(d, d.transpose(1, 2)) / (h * w)
    wt = (mask.to(features.dtype).expand(n, 1, h, w) ** 2).reshape(n, 1, h * w)
    total = wt.sum(2).clamp_min(1e-8)  # (N, 1)
    mu = (f * wt).sum(2) / total
    d = f - mu[:, :, None]
    return mu, torch.bmm(d * wt, d.transpose(1, 2)) / total[:, :, None]


def mean_cov_loss(
    stats: tuple[torch.Tensor, torch.Tensor],
    target: tuple[torch.Tensor, torch.Tensor],
    normalizer: float | torch.Tensor = 1.0,
) -> torch.Tensor:
    """Mean-and-covariance style loss: ``||mu - mu_t||^2 + ||S - S_t||_F^2``, batch-averaged, times ``normalizer``.

    Matches first and second central moments separately (a Gram loss mixes
    them: ``G = (S + mu mu^T) / C``). The engine passes
    ``normalizer = 1 / (||mu_t||^2 + ||S_t||_F^2)`` (see :func:`mean_cov_energy`).

    Args:
        stats, target: ``(mean (N, C), cov (N, C, C))`` from :func:`mean_cov`
            (target may have N=1).
    Returns:
        scalar tensor; 0 for identical statistics.
    """
    (mu, cov), (mu_t, cov_t) = stats, target
    return (torch.sum((mu - mu_t) ** 2) + torch.sum((cov - cov_t) ** 2)) / mu.shape[0] * normalizer


def mean_cov_energy(target: tuple[torch.Tensor, ...]) -> float:
    """``||mu_t||^2 + ||S_t||_F^2`` per image: the normalizer of :func:`mean_cov_loss`."""
    mu, cov = target[0].double(), target[1].double()
    return float(((mu**2).sum() + (cov**2).sum()) / mu.shape[0])


def sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    """Principal square root of symmetric positive semi-definite ``(..., C, C)`` matrices.

    Eigendecomposition in float64 (``torch.linalg.eigh``), negative round-off
    eigenvalues clamped to 0; returned in the input's dtype. Used without
    gradient, on the style target only.
    """
    vals, vecs = torch.linalg.eigh(matrix.double())
    root = (vecs * vals.clamp_min(0).sqrt()[..., None, :]) @ vecs.transpose(-1, -2)
    return root.to(matrix.dtype)


def wasserstein_target(mean: torch.Tensor, cov: torch.Tensor, eps: float = 1e-3) -> tuple[torch.Tensor, ...]:
    """Prepare a style target for :func:`wasserstein2_loss`: ``(mu, S + dI, sqrt(S + dI), d)``.

    ``d = eps * mean(diag S)`` regularizes both covariances (image and target):
    feature maps of small images have fewer positions than channels, so the
    covariances are singular and the square root's gradient would be unbounded.
    """
    c = cov.shape[-1]
    delta = eps * float(torch.diagonal(cov.double(), dim1=-2, dim2=-1).mean().clamp_min(1e-12))
    cov_r = cov + delta * torch.eye(c, dtype=cov.dtype, device=cov.device)
    return mean, cov_r, sqrtm_psd(cov_r), torch.tensor(delta, dtype=cov.dtype, device=cov.device)


def wasserstein2_loss(
    stats: tuple[torch.Tensor, torch.Tensor],
    target: tuple[torch.Tensor, ...],
    normalizer: float | torch.Tensor = 1.0,
) -> torch.Tensor:
    """Squared Wasserstein-2 distance between Gaussians fit to the features, times ``normalizer``.

    ``W2^2 = ||mu - mu_t||^2 + tr S + tr S_t - 2 tr (S_t^{1/2} S S_t^{1/2})^{1/2}``
    (Dowson and Landau 1982), the style loss used by Kessler/crowsonkb's
    ``style-transfer-pytorch``. The trace of the matrix square root is the
    sum of the square roots of the eigenvalues of the symmetric matrix
    ``S_t^{1/2} S S_t^{1/2}``, computed with ``torch.linalg.eigvalsh`` in
    float64; its gradient ``Q diag(1 / (2 sqrt(lambda))) Q^T`` needs no
    eigenvector differences, so it is stable, and the ``d I`` added to ``S``
    (see :func:`wasserstein_target`) bounds it. The engine passes
    ``normalizer = 1 / (||mu_t||^2 + tr S_t)`` (:func:`wasserstein_energy`), the
    distance from the target to a point mass at the origin.

    Args:
        stats: ``(mean (N, C), cov (N, C, C))`` of the image, from :func:`mean_cov`.
        target: from :func:`wasserstein_target` (N=1 or N).
    Returns:
        scalar tensor (batch mean); 0 for identical statistics (up to round-off).
    """
    (mu, cov), (mu_t, cov_t, root_t, delta) = stats, target
    c = cov.shape[-1]
    cov = (cov + delta * torch.eye(c, dtype=cov.dtype, device=cov.device)).double()
    root_t = root_t.double()
    inner = root_t @ cov @ root_t
    inner = (inner + inner.transpose(-1, -2)) / 2
    eig = torch.linalg.eigvalsh(inner).clamp_min(1e-30)
    cross = eig.sqrt().sum(-1)
    tr = torch.diagonal(cov, dim1=-2, dim2=-1).sum(-1) + torch.diagonal(cov_t.double(), dim1=-2, dim2=-1).sum(-1)
    w2 = torch.sum((mu - mu_t).double() ** 2, -1) + tr - 2 * cross
    return (w2.clamp_min(0).mean() * normalizer).to(mu.dtype)


def wasserstein_energy(target: tuple[torch.Tensor, ...]) -> float:
    """``||mu_t||^2 + tr S_t`` per image: the normalizer of :func:`wasserstein2_loss`."""
    mu, cov = target[0].double(), target[1].double()
    return float(((mu**2).sum() + torch.diagonal(cov, dim1=-2, dim2=-1).sum()) / mu.shape[0])


def blend_gram(grams: Sequence[torch.Tensor], weights: Sequence[float]) -> torch.Tensor:
    """Weighted mean of Gram matrices: the Gram matrix of the weighted pool of several images' features.

    A weighted sum of Gram losses equals (up to a constant) the loss against
    this mean, so a blend of style images needs one target.
    """
    return sum((w * g for w, g in zip(weights, grams)), torch.zeros_like(grams[0]))


def blend_mean_cov(
    stats: Sequence[tuple[torch.Tensor, torch.Tensor]], weights: Sequence[float]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance of the weighted mixture of several images' features.

    ``mu = sum w_i mu_i``, ``S = sum w_i (S_i + (mu_i - mu)(mu_i - mu)^T)``
    (``weights`` sum to 1): the Gaussian fit to the pooled features, the
    counterpart of :func:`blend_gram` for :func:`mean_cov` statistics.
    """
    mu = sum((w * m for w, (m, _) in zip(weights, stats)), torch.zeros_like(stats[0][0]))
    cov = torch.zeros_like(stats[0][1])
    for w, (m, s) in zip(weights, stats):
        d = (m - mu)[:, :, None]
        cov = cov + w * (s + d @ d.transpose(1, 2))
    return mu, cov


@dataclass(frozen=True)
class StyleStatistic:
    """One kind of style loss, as the pure functions the engine needs.

    ``stats(features, mask)`` summarizes ``(N, C, H, W)`` features (mask
    ``None`` or ``(N|1, 1, H, W)``); ``blend(stats_list, weights)`` pools
    several style images' statistics; ``target(stats)`` precomputes what the
    distance needs (once per target); ``loss(stats, target, normalizer)`` is the
    scalar loss; ``energy(target)`` its normalizer (``normalizer = 1 / energy``).
    """

    name: str
    stats: Callable[[torch.Tensor, torch.Tensor | None], Any]
    blend: Callable[[Sequence[Any], Sequence[float]], Any]
    target: Callable[[Any], Any]
    loss: Callable[[Any, Any, float], torch.Tensor]
    energy: Callable[[Any], float]


def _gram_stats(features: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return gram_matrix(features) if mask is None else guided_gram_matrix(features, mask)


STYLE_STATISTICS: dict[str, StyleStatistic] = {
    # Gatys et al. 2015: squared Frobenius distance of Gram matrices.
    "gram": StyleStatistic("gram", _gram_stats, blend_gram, lambda s: s, style_loss,
                           lambda t: 1.0 / inverse_energy(t)),
    # First and second central moments matched separately.
    "mean-cov": StyleStatistic("mean-cov", mean_cov, blend_mean_cov, lambda s: s, mean_cov_loss, mean_cov_energy),
    # W2 distance between Gaussians fit to the features (crowsonkb/style-transfer-pytorch).
    "wasserstein": StyleStatistic("wasserstein", mean_cov, blend_mean_cov, lambda s: wasserstein_target(*s),
                                  wasserstein2_loss, wasserstein_energy),
}


# ----------------------------------------------------------------------------
# Loss forms: how the published recipes scale the terms, so their weights mean
# what they meant. nst's own form is "relative" (each term divided by its
# target's energy). The others are Gram-matrix forms, written in terms of
# gram_matrix (normalized by C*H*W) of features in Caffe scale (images 0..255).


def sum_squared_error(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``sum (F - P)^2`` (the Keras example's content loss)."""
    return torch.sum((features - target) ** 2)


def half_sum_squared_error(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``1/2 sum (F - P)^2`` (Gatys et al. 2016, eq. 1)."""
    return 0.5 * torch.sum((features - target) ** 2)


def mean_squared_error(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``mean (F - P)^2`` (the TensorFlow tutorial's content loss; nst's, before normalization)."""
    return torch.mean((features - target) ** 2)


def tenth_mean_squared_error(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``mean (F - P)^2 / 10`` (the fast.ai VGG-16 notebook's content loss)."""
    return torch.mean((features - target) ** 2) / 10


def keras_tv_loss(image: torch.Tensor) -> torch.Tensor:
    """The Keras example's total variation: ``sum (a + b)^1.25`` of squared neighbour differences.

    ``a = (x[i, j] - x[i+1, j])^2``, ``b = (x[i, j] - x[i, j+1])^2`` over the
    ``(H-1) x (W-1)`` top-left pixels, on the 0..255 image the example
    optimizes; ``image`` is ``(N, 3, H, W)`` in [0, 1].
    """
    x = image * 255.0
    a = (x[..., :-1, :-1] - x[..., 1:, :-1]) ** 2
    b = (x[..., :-1, :-1] - x[..., :-1, 1:]) ** 2
    return torch.sum((a + b) ** 1.25)


def tf_total_variation(image: torch.Tensor) -> torch.Tensor:
    """``tf.image.total_variation``: sum of absolute neighbour differences, ``image`` in [0, 1]."""
    return (image[..., 1:, :] - image[..., :-1, :]).abs().sum() + (image[..., 1:] - image[..., :-1]).abs().sum()


def no_tv(image: torch.Tensor) -> torch.Tensor:
    """No total-variation term (Gatys et al. 2016 have none): 0."""
    return image.new_zeros(())


@dataclass(frozen=True)
class LossForm:
    """How a recipe computes and scales its content, style and TV terms.

    ``relative``: divide content and style terms by their target's energy
    (nst's form; ``content``/``style_factor`` unused). Otherwise
    ``content(F, P)`` is the content term of one layer and the style term of
    one layer is ``style_factor(C, hw, HW) * sum (G - A)^2`` with ``G``, ``A``
    from :func:`gram_matrix` (normalized by ``C * hw``, ``hw`` the layer's and
    ``HW`` the image's pixel count); ``tv(image)`` is the TV term.
    """

    name: str
    relative: bool
    content: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    style_factor: Callable[[int, int, int], float]
    tv: Callable[[torch.Tensor], torch.Tensor]


LOSS_FORMS: dict[str, LossForm] = {
    # nst: relative content and style terms, mean squared TV.
    "relative": LossForm("relative", True, mean_squared_error, lambda c, hw, HW: 1.0, tv_loss),
    # Gatys et al. 2016: 1/2 sum (F-P)^2; E_l = sum (G-A)^2 / (4 N^2 M^2) with the unnormalized G.
    "gatys": LossForm("gatys", False, half_sum_squared_error, lambda c, hw, HW: 0.25, no_tv),
    # Keras example: sum (F-P)^2; sum (S-C)^2 / (4 * 3^2 * (rows*cols)^2), S unnormalized; its TV.
    "keras": LossForm("keras", False, sum_squared_error, lambda c, hw, HW: (c * hw) ** 2 / (36.0 * HW**2),
                      keras_tv_loss),
    # TensorFlow tutorial: mean (F-P)^2; mean (G-A)^2 with G = F F^T / hw; tf.image.total_variation.
    "tf": LossForm("tf", False, mean_squared_error, lambda c, hw, HW: 1.0, tf_total_variation),
    # fast.ai's VGG-16 notebook: mse / 10; mse of Grams normalized by C*h*w (mean over C^2 entries); no TV.
    "fastai": LossForm("fastai", False, tenth_mean_squared_error, lambda c, hw, HW: 1.0 / c**2, no_tv),
}
