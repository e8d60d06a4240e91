"""The optimization method of Gatys, Ecker and Bethge (2015).

:class:`StyleTransfer` holds the loss network and the targets, and optimizes
the pixels of an image (L-BFGS or Adam) so that its deep features match the
content image and its Gram matrices match the style image(s).

Images are ``(1, 3, H, W)`` float32 RGB tensors in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self

import torch

from .criterion import (
    DEFAULT_CONTENT_WEIGHT,
    DEFAULT_STYLE_WEIGHT,
    DEFAULT_TV_WEIGHT,
    Criterion,
    weigh,
)
from .errors import OptionError
from .vgg import feature_bytes

if TYPE_CHECKING:
    from .options import TransferOptions

# Optimizers (``optimizer``) and their default learning rates.
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02}
OPTIMIZERS = tuple(DEFAULT_LR)
LBFGS_HISTORY_BYTES = 1 << 30
# L-BFGS without a line search can overshoot by orders of magnitude when its
# curvature history is poor, e.g. in the first steps after a coarse-to-fine
# upsample (rocket.jpg x Starry Night at 256 px: total 4.3 -> 663, and the
# 30 iterations left ended 10x worse in style loss). A loss above this factor
# times the best so far sends the image back to the best and drops the history.
LBFGS_RESTART_FACTOR = 2.0
# A restart alone can loop: from some starts (Tuebingen x The Starry Night, and
# chelsea x Cafe Terrace, at 128 px) a fresh L-BFGS's tiny first step gives a
# curvature estimate whose next step overshoots again (4.39 -> 101), restart
# after restart, and the early stop ended the scale at the photo after 13
# iterations; the 512 px default then did all its work from 256 px up. So the
# iterations after a restart use a strong-Wolfe line search (up to
# LBFGS_SEARCH_EVALS evaluations each), then plain steps resume with the
# history they built. Measured: chelsea x Cafe Terrace at 128 px, 40 iterations
# with the default early stop, total loss 4.39 -> 0.58 (4.06 before).
LBFGS_SEARCH_AFTER_RESTART = 5
LBFGS_SEARCH_EVALS = 10
# Memory model of one iteration (StyleTransfer.plan_memory), fitted to the peak
# RSS of 2048x1536 runs with 0, 1 and 2 checkpointed blocks (7.76, 6.65 and
# 5.71 GiB after 3 iterations; benchmarks/memory.py): the interpreter, torch
# and the weights, and the full-resolution maps alive at once while the
# backward pass goes through block 1 (gradients of conv outputs, of ReLU, of
# the Gram matrix, their sum) -- 4.5 maps fitted, 6 planned for a margin.
# Each content layer adds CONTENT_COPIES of its feature maps: the target, and one
# transient map in the step (relu2_2 at 2048x1536, 0.375 GiB of features, raised
# the peak RSS of 2 iterations at full size by 0.73 GiB).
PROCESS_BYTES = 600 << 20
PEAK_TRANSIENT_MAPS = 6
CONTENT_COPIES = 2

Callback = Callable[["Step"], None]


@dataclass
class Step:
    """What a callback sees after each iteration.

    ``image`` is the current iterate ``(1, 3, H, W)`` (do not modify it);
    ``losses`` holds the weighted ``content``, ``style``, ``tv`` and ``total``
    losses evaluated at the start of the iteration.
    """

    iteration: int
    iterations: int
    losses: dict[str, float]
    image: torch.Tensor


@dataclass
class TransferResult:
    """Outcome of :meth:`StyleTransfer.run`.

    ``image``: the iterate with the lowest total loss seen, ``(1, 3, H, W)`` in
    [0, 1] on the CPU. ``history``: per-iteration losses. ``interrupted``: the
    run was stopped by Ctrl-C (``image`` is still the best so far).
    """

    image: torch.Tensor
    best_loss: float
    iterations: int
    history: list[dict[str, float]] = field(default_factory=list)
    interrupted: bool = False


def lbfgs_history(numel: int, budget_bytes: int = LBFGS_HISTORY_BYTES, most: int = 100) -> int:
    """L-BFGS history length whose (s, y) float32 pairs for ``numel`` pixels fit ``budget_bytes``.

    100 pairs at 512x384 take 0.47 GB; at 2048x1536 they would take 7.5 GB, so
    large images keep fewer (at least 5).
    """
    return max(5, min(most, budget_bytes // (2 * 4 * max(1, numel))))


def converged(losses: Sequence[float], tol: float, window: int) -> bool:
    """True when the last ``window`` iterations lowered the loss by less than ``tol`` (relative).

    ``losses`` is the per-iteration total loss so far. ``tol <= 0`` never stops.
    """
    if tol <= 0 or len(losses) <= window:
        return False
    old, new = losses[-window - 1], losses[-1]
    return old - new <= tol * abs(old)


class StyleTransfer:
    """Gatys et al. style transfer by optimizing the image's pixels.

    The losses are a :class:`~nst.criterion.Criterion` (``self.criterion``),
    built from the arguments; this class adds the optimization loop and the
    memory plan.

    Args:
        model: ``"vgg19"`` (default) or ``"vgg16"``.
        weights: weights source, see :func:`nst.weights.load_vgg`.
        pooling: ``"max"`` or ``"avg"``.
        content_layers: ``{layer: weight}``, default ``{"relu2_2": 0.25, "relu4_2": 1}``.
        style_layers: ``{layer: weight}``, default relu1_1..relu4_1 at 0.25 each.
        device: torch device (already resolved).
        style_loss: style statistic, a key of :data:`nst.losses.STYLE_STATISTICS`:
            ``"gram"`` (Gatys et al. 2015), ``"mean-cov"`` or ``"wasserstein"``.
        loss_form: ``"relative"`` (nst's) or a recipe's raw sums, see
            :data:`nst.losses.LOSS_FORMS`.
        cap_content_energy: quiet the content target to the style's loudness
            where the photo's is higher (:func:`nst.losses.energy_cap`).
        boost_deep_style: raise the deepest style layer's weight where the
            photo is louder there (:func:`nst.losses.style_boost`).

    The network is truncated after the deepest requested layer.

    Example::

        st = StyleTransfer()
        st.set_targets(content, [style])
        result = st.optimize(content, iterations=300)
    """

    def __init__(
        self,
        model: str = "vgg19",
        weights: str | None = None,
        pooling: str = "max",
        content_layers: Mapping[str, float] | None = None,
        style_layers: Mapping[str, float] | None = None,
        device: torch.device | str = "cpu",
        style_loss: str = "gram",
        loss_form: str = "relative",
        cap_content_energy: bool = False,
        boost_deep_style: bool = False,
    ) -> None:
        self.criterion = Criterion(model, weights, pooling, content_layers, style_layers, device, style_loss,
                                   loss_form=loss_form, cap_content_energy=cap_content_energy,
                                   boost_deep_style=boost_deep_style)
        self.device = self.criterion.device
        self.content_layers = self.criterion.content_layers
        self.style_layers = self.criterion.style_layers
        self.layers = self.criterion.layers
        self.amp = self.criterion.amp

    @classmethod
    def from_options(cls, opts: TransferOptions, device: torch.device | str) -> Self:
        """The engine of a run's :class:`~nst.options.TransferOptions`: its network and loss fields, on ``device``."""
        return cls(opts.model, opts.weights, opts.pooling, opts.content_layers, opts.style_layers, device,
                   style_loss=opts.style_loss, loss_form=opts.loss_form,
                   cap_content_energy=opts.cap_content_energy, boost_deep_style=opts.boost_deep_style)

    @property
    def checkpoint_blocks(self) -> int:
        """VGG blocks recomputed in the backward pass (set by :meth:`plan_memory`)."""
        return self.criterion.checkpoint_blocks

    def plan_memory(self, height: int, width: int, budget_bytes: int) -> int:
        """Choose how many VGG blocks to checkpoint so one iteration fits ``budget_bytes``.

        The estimate of the peak is the activations kept for backward
        (:meth:`VGG.activation_bytes`), plus :data:`PEAK_TRANSIENT_MAPS`
        full-resolution 64-channel float32 maps for the backward pass,
        :data:`CONTENT_COPIES` of each content layer's feature maps, the
        L-BFGS history and :data:`PROCESS_BYTES`. Calibrated against the peak
        RSS of ``--size 2048`` runs (``benchmarks/memory.py``). Sets and returns
        ``checkpoint_blocks`` (0 when it fits without; 5 when nothing fits, as
        the best effort).
        """
        for k in range(6):
            if self.peak_bytes(height, width, k) <= budget_bytes:
                break
        self.criterion.checkpoint_blocks = k
        return k

    def peak_bytes(self, height: int, width: int, checkpoint_blocks: int = 5) -> int:
        """Estimated peak memory of one iteration at ``height x width`` (see :meth:`plan_memory`)."""
        numel = 3 * height * width
        fixed = (PROCESS_BYTES + 2 * 4 * numel * lbfgs_history(numel)
                 + PEAK_TRANSIENT_MAPS * 4 * 64 * height * width)
        content = CONTENT_COPIES * sum(feature_bytes(height, width, n) for n in self.content_layers)
        return self.criterion.net.activation_bytes(height, width, self.layers, checkpoint_blocks) + fixed + content

    def set_targets(
        self,
        content: torch.Tensor,
        styles: Sequence[torch.Tensor],
        style_blend: Sequence[float] | None = None,
        masks: Sequence[torch.Tensor] | None = None,
        fine_style: torch.Tensor | None = None,
    ) -> None:
        """Compute the content features and style target statistics once (per scale).

        ``content`` is ``(1, 3, H, W)`` in [0, 1]; the other arguments are
        those of :meth:`nst.criterion.Criterion.set_style` (blend weights,
        one guidance mask per style image, the fine-texture style image).

        Raises:
            OptionError: no style image, wrong number of masks or blend weights.
        """
        self.criterion.set_style(styles, style_blend, masks, fine_style, size=content.shape[-2:])
        self.criterion.set_content(content)

    @property
    def style_targets(self) -> dict[str, object]:
        """``{layer: target}`` of each style layer's first term (the blended Gram matrix when unmasked)."""
        return self.criterion.style_targets

    def loss_terms(
        self,
        image: torch.Tensor,
        content_weight: float = DEFAULT_CONTENT_WEIGHT,
        style_weight: float = DEFAULT_STYLE_WEIGHT,
        tv_weight: float = DEFAULT_TV_WEIGHT,
    ) -> dict[str, torch.Tensor]:
        """Weighted loss terms of ``image`` ``(1, 3, H, W)`` against the targets.

        Returns ``{"content", "style", "tv", "total"}`` scalar tensors (with grad
        when ``image`` requires grad). Call :meth:`set_targets` first.
        """
        return weigh(self.criterion.unweighted(image), content_weight, style_weight, tv_weight)

    # ------------------------------------------------------------------- loop
    def optimize(
        self,
        init: torch.Tensor,
        iterations: int = 500,
        optimizer: str = "lbfgs",
        lr: float | None = None,
        content_weight: float = DEFAULT_CONTENT_WEIGHT,
        style_weight: float = DEFAULT_STYLE_WEIGHT,
        tv_weight: float = DEFAULT_TV_WEIGHT,
        callback: Callback | None = None,
        tol: float = 0.0,
        window: int = 20,
        adam_betas: tuple[float, float] = (0.9, 0.999),
        adam_eps: float = 1e-8,
        lbfgs_evals: int = 1,
    ) -> TransferResult:
        """Optimize pixels starting from ``init`` ``(1, 3, H, W)`` against the current targets.

        ``adam_betas``, ``adam_eps``: Adam's settings (``torch.optim.Adam``).
        ``lbfgs_evals``: loss evaluations per L-BFGS iteration. 1 (default)
        is one step without a line search, as in Gatys et al.'s reference
        implementations; N > 1 runs up to N evaluations with a strong-Wolfe
        line search per reported iteration, as one iteration of scipy's
        ``fmin_l_bfgs_b(maxfun=N)`` in the Keras and TensorFlow recipes.

        Early stopping: with ``tol > 0`` the loop ends once the total loss fell
        by less than the fraction ``tol`` over the last ``window`` iterations
        (see :func:`converged`).

        L-BFGS takes one function evaluation per iteration (no line search),
        as in Gatys et al.'s reference implementations. When an evaluated loss
        exceeds :data:`LBFGS_RESTART_FACTOR` times the best so far, the image
        goes back to the best iterate and L-BFGS restarts with an empty
        history; its next :data:`LBFGS_SEARCH_AFTER_RESTART` iterations use a
        strong-Wolfe line search, so that the restart does not repeat the
        overshoot. The image is clamped to [0, 1] after each step (for L-BFGS
        too: unclamped, it drifts out of range and the clamped result scores
        worse than its loss promised). Ctrl-C ends the loop early and returns
        the best image so far with ``interrupted=True``.

        ``iterations`` (>= 1) and ``lr`` (> 0; None: :data:`DEFAULT_LR`) are
        trusted as given (the options object checked them).

        Raises:
            OptionError: unknown optimizer.
        """
        if optimizer not in DEFAULT_LR:
            raise OptionError("optimizer", f"{optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
        lr = DEFAULT_LR[optimizer] if lr is None else lr
        x = init.detach().to(self.device, torch.float32).clone().requires_grad_(True)

        def lbfgs_search(search: bool) -> dict:
            """L-BFGS's evaluations per iteration and line search: ``lbfgs_evals``, or more after a restart."""
            evals = max(lbfgs_evals, LBFGS_SEARCH_EVALS) if search else lbfgs_evals
            return {"max_eval": evals, "line_search_fn": "strong_wolfe" if evals > 1 else None}

        def new_optimizer(search: bool = False) -> torch.optim.Optimizer:
            if optimizer == "lbfgs":
                return torch.optim.LBFGS([x], lr=lr, max_iter=lbfgs_evals, history_size=lbfgs_history(x.numel()),
                                         tolerance_grad=0.0, tolerance_change=0.0, **lbfgs_search(search))
            return torch.optim.Adam([x], lr=lr, betas=adam_betas, eps=adam_eps)

        searching = 0
        opt = new_optimizer()
        best = {"loss": math.inf, "image": x.detach().clone()}
        history: list[dict[str, float]] = []
        last: dict[str, float] = {}
        start: dict[str, float] = {}

        def closure() -> torch.Tensor:
            opt.zero_grad(set_to_none=True)
            terms = self.loss_terms(x, content_weight, style_weight, tv_weight)
            terms["total"].backward()
            last.clear()
            last.update({k: float(v.detach()) for k, v in terms.items()})
            if not start:  # the iteration's first evaluation: the losses at its start
                start.update(last)
            if last["total"] < best["loss"]:
                best["loss"] = last["total"]
                best["image"].copy_(x.detach())
            return terms["total"]

        done = 0
        interrupted = False
        try:
            for i in range(1, iterations + 1):
                start.clear()
                opt.step(closure)
                with torch.no_grad():  # keep pixels displayable; the loss must not exploit out-of-range values
                    x.clamp_(0, 1)
                    if optimizer == "lbfgs" and last["total"] > LBFGS_RESTART_FACTOR * best["loss"]:
                        x.copy_(best["image"])
                        opt = new_optimizer(search=True)
                        searching = LBFGS_SEARCH_AFTER_RESTART
                    elif searching:
                        searching -= 1
                        if not searching:
                            opt.param_groups[0].update(lbfgs_search(False))
                done = i
                history.append(dict(start))
                if not math.isfinite(last["total"]):
                    break
                if callback is not None:
                    callback(Step(i, iterations, dict(start), x.detach()))
                if converged([h["total"] for h in history], tol, window):
                    break
        except KeyboardInterrupt:
            interrupted = True
        # The iterate after the final step has not been evaluated; score it once.
        if not interrupted:
            with torch.no_grad():
                final = float(self.loss_terms(x.detach(), content_weight, style_weight, tv_weight)["total"])
            if final < best["loss"]:
                best["loss"], best["image"] = final, x.detach().clone()
        image = best["image"].clamp(0, 1).cpu()
        return TransferResult(image, best["loss"], done, history, interrupted)
