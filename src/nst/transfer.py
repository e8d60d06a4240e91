"""The optimization method of Gatys, Ecker and Bethge (2015).

:class:`StyleTransfer` holds the loss network and the targets, and optimizes
the pixels of an image (L-BFGS or Adam) so that its deep features match the
content image and its Gram matrices match the style image(s).

Images are ``(1, 3, H, W)`` float32 RGB tensors in [0, 1].
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import torch

from . import losses as L
from .errors import NSTError
from .vgg import check_layers, layer_names
from .weights import load_vgg

DEFAULT_CONTENT_LAYERS: dict[str, float] = {"relu4_2": 1.0}
# Equal per-layer weights as in Gatys et al. 2015 (w_l = 1/5).
DEFAULT_STYLE_LAYERS: dict[str, float] = {f"relu{b}_1": 0.2 for b in range(1, 6)}
DEFAULT_CONTENT_WEIGHT = 1.0
DEFAULT_STYLE_WEIGHT = 10.0
DEFAULT_TV_WEIGHT = 1.0
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02}
LBFGS_HISTORY_BYTES = 1 << 30
# L-BFGS without a line search can overshoot by orders of magnitude when its
# curvature history is poor, e.g. in the first steps after a coarse-to-fine
# upsample (rocket.jpg x Starry Night at 256 px: total 4.3 -> 663, and the
# 30 iterations left ended 10x worse in style loss). A loss above this factor
# times the best so far sends the image back to the best and drops the history.
LBFGS_RESTART_FACTOR = 2.0
# Memory model of one iteration (StyleTransfer.plan_memory), fitted to the peak
# RSS of 2048x1536 runs with 0, 1 and 2 checkpointed blocks (7.76, 6.65 and
# 5.71 GiB after 3 iterations; benchmarks/memory.py): the interpreter, torch
# and the weights, and the full-resolution maps alive at once while the
# backward pass goes through block 1 (gradients of conv outputs, of ReLU, of
# the Gram matrix, their sum) -- 4.5 maps fitted, 6 planned for a margin.
PROCESS_BYTES = 600 << 20
PEAK_TRANSIENT_MAPS = 6
# Layers whose style targets come from the fine-texture style image (--style-fine).
FINE_LAYERS = ("relu1_1", "relu2_1")

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


@dataclass
class StyleTerm:
    """One style loss term at one layer: a region (``mask``) and its target statistics.

    ``weight``: the region's share of the layer's loss (blend weight);
    ``mask``: ``None`` (whole image) or ``(1, 1, h, w)`` in [0, 1] at the
    layer's resolution; ``target``: prepared statistics
    (:class:`nst.losses.StyleStatistic`); ``scale``: ``1 / energy(target)``.
    """

    weight: float
    mask: torch.Tensor | None
    target: object
    scale: float


def layer_mask(mask: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Resize a guidance mask ``(1, 1, H, W)`` in [0, 1] to a layer's ``(h, w)`` (bilinear, antialiased)."""
    if tuple(mask.shape[-2:]) == tuple(size):
        return mask.float()
    m = torch.nn.functional.interpolate(mask.float(), size=tuple(size), mode="bilinear", align_corners=False,
                                        antialias=True)
    return m.clamp(0, 1)


def normalize_blend(weights: Sequence[float] | None, n: int) -> list[float]:
    """Style blend weights for ``n`` style images, scaled to sum to 1.

    Raises:
        NSTError: wrong count, a negative weight, or all zero.
    """
    if weights is None:
        return [1.0 / n] * n
    w = [float(x) for x in weights]
    if len(w) != n:
        raise NSTError(f"--style-weights: got {len(w)} weights for {n} style image(s)")
    if any(x < 0 or not math.isfinite(x) for x in w) or sum(w) <= 0:
        raise NSTError("--style-weights: weights must be finite, >= 0 and not all zero")
    s = sum(w)
    return [x / s for x in w]


def parse_layers(spec: Sequence[str] | Mapping[str, float], arch: str = "vgg19") -> dict[str, float]:
    """Parse layer specs ``["relu1_1", "relu2_1:0.5"]`` (or a mapping) into ``{name: weight}``.

    A name without a weight gets 1/len(spec) for style-like lists; callers that
    want equal weights of 1 pass a mapping.

    Raises:
        NSTError: unknown layer, unparsable or negative weight, empty list.
    """
    if isinstance(spec, Mapping):
        out = {str(k): float(v) for k, v in spec.items()}
    else:
        out = {}
        items = list(spec)
        for item in items:
            name, _, w = str(item).partition(":")
            try:
                out[name] = float(w) if w else 1.0 / len(items)
            except ValueError:
                raise NSTError(f"layer weight in {item!r} is not a number") from None
    if not out:
        raise NSTError("empty layer list")
    check_layers(out, arch)
    if any(v < 0 or not math.isfinite(v) for v in out.values()):
        raise NSTError("layer weights must be finite and >= 0")
    return out


def lbfgs_history(numel: int, budget_bytes: int = LBFGS_HISTORY_BYTES, most: int = 100) -> int:
    """L-BFGS history length whose (s, y) float32 pairs for ``numel`` pixels fit ``budget_bytes``.

    100 pairs at 512x384 take 0.47 GB; at 2048x1536 they would take 7.5 GB, so
    large images keep fewer (at least 5).
    """
    return max(5, min(most, budget_bytes // (2 * 4 * max(1, numel))))


def amp_dtype(device: torch.device) -> torch.dtype | None:
    """Autocast dtype for the loss network on ``device``, or None for float32.

    bfloat16 on CUDA devices that support it, float16 on older CUDA devices;
    float32 on the CPU (autocast there is slower for convolutions) and on MPS.
    Losses, Gram matrices and the image always stay float32.
    """
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def preferred_memory_format(device: torch.device) -> torch.memory_format:
    """Memory format for the loss network's activations on ``device``.

    Channels-last on the CPU, where oneDNN's convolutions run faster in that
    layout (NHWC; ``benchmarks/per_iteration.py``); the default layout
    elsewhere. Results are the same up to float rounding.
    """
    return torch.channels_last if device.type == "cpu" else torch.contiguous_format


def memory_budget(device: torch.device, max_memory_gb: float | None = None) -> int:
    """Bytes a run may use (``--max-memory``): ``max_memory_gb`` GiB if given.

    Default: a third of the machine's physical memory on the CPU (8 GiB on a
    24 GiB machine), so a high-resolution run leaves room for everything else
    the user runs; 75% of the device's memory on CUDA, where nothing else
    competes.
    """
    if max_memory_gb is not None:
        return int(max_memory_gb * (1 << 30))
    if device.type == "cuda":
        return int(0.75 * torch.cuda.get_device_properties(device).total_memory)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 3


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

    Args:
        model: ``"vgg19"`` (default) or ``"vgg16"``.
        weights: weights source, see :func:`nst.weights.load_vgg`.
        pooling: ``"max"`` or ``"avg"``.
        content_layers: ``{layer: weight}``, default ``{"relu4_2": 1}``.
        style_layers: ``{layer: weight}``, default relu1_1..relu5_1 at 0.2 each.
        device: torch device (already resolved).
        style_loss: style statistic, a key of :data:`nst.losses.STYLE_STATISTICS`:
            ``"gram"`` (Gatys et al. 2015), ``"mean-cov"`` or ``"wasserstein"``.

    The network is truncated after the deepest requested layer.

    Example::

        st = StyleTransfer()
        result = st.run(content, [style], iterations=300)
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
    ) -> None:
        self.content_layers = parse_layers(content_layers or DEFAULT_CONTENT_LAYERS, model)
        self.style_layers = parse_layers(style_layers or DEFAULT_STYLE_LAYERS, model)
        order = layer_names(model)
        used = set(self.content_layers) | set(self.style_layers)
        self.layers = sorted(used, key=order.index)
        self.device = torch.device(device)
        self.net = load_vgg(model, weights, pooling=pooling, last_layer=self.layers[-1], device=self.device)
        self.amp = amp_dtype(self.device)
        self.memory_format = preferred_memory_format(self.device)
        self.net.to(memory_format=self.memory_format)
        self.checkpoint_blocks = 0
        if style_loss not in L.STYLE_STATISTICS:
            raise NSTError(f"--style-loss {style_loss!r}: choose {', '.join(L.STYLE_STATISTICS)}")
        self.style_loss = style_loss
        self.content_targets: dict[str, torch.Tensor] = {}
        self.scales: dict[tuple[str, str], float] = {}
        self.style_terms: dict[str, list[StyleTerm]] = {}

    def features(self, image: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        """Float32 activations of ``layers`` for ``image`` ``(N, 3, H, W)``.

        The network runs under autocast when :func:`amp_dtype` picks a dtype
        for the device, and checkpoints its first ``checkpoint_blocks`` blocks.
        """
        image = image.contiguous(memory_format=self.memory_format)
        with torch.autocast(self.device.type, dtype=self.amp or torch.float32, enabled=self.amp is not None):
            feats = self.net(image, layers, self.checkpoint_blocks)
        return {k: v.float() for k, v in feats.items()}

    def plan_memory(self, height: int, width: int, budget_bytes: int) -> int:
        """Choose how many VGG blocks to checkpoint so one iteration fits ``budget_bytes``.

        The estimate of the peak is the activations kept for backward
        (:meth:`VGG.activation_bytes`), plus :data:`PEAK_TRANSIENT_MAPS`
        full-resolution 64-channel float32 maps for the backward pass, the
        L-BFGS history and :data:`PROCESS_BYTES`. Calibrated against the peak
        RSS of ``--size 2048`` runs (``benchmarks/memory.py``). Sets and returns
        ``checkpoint_blocks`` (0 when it fits without; 5 when nothing fits, as
        the best effort).
        """
        numel = 3 * height * width
        fixed = (PROCESS_BYTES + 2 * 4 * numel * lbfgs_history(numel)
                 + PEAK_TRANSIENT_MAPS * 4 * 64 * height * width)
        for k in range(6):
            if self.net.activation_bytes(height, width, self.layers, k) + fixed <= budget_bytes:
                break
        self.checkpoint_blocks = k
        return k

    # ----------------------------------------------------------------- targets
    @torch.no_grad()
    def set_targets(
        self,
        content: torch.Tensor,
        styles: Sequence[torch.Tensor],
        style_blend: Sequence[float] | None = None,
        masks: Sequence[torch.Tensor] | None = None,
        fine_style: torch.Tensor | None = None,
    ) -> None:
        """Compute content features and style target statistics once (per scale).

        Without ``masks`` every style layer gets one term: the statistics of
        the weighted pool of all style images' features (for Gram matrices the
        weighted mean Gram matrix, which equals a weighted sum of per-style
        losses up to a constant). With ``masks`` (Gatys et al. 2017, sec. 3)
        style ``i`` governs the region ``masks[i]``: each style layer gets one
        term per region, comparing the image's guided statistics (mask
        resized to the layer's resolution) with the whole style image's,
        weighted by ``style_blend``. With ``fine_style`` the layers in
        :data:`FINE_LAYERS` take their targets from that image instead
        (coarse structure of ``styles``, fine texture of ``fine_style``).

        Args:
            content: ``(1, 3, H, W)`` in [0, 1].
            styles: list of ``(1, 3, H_i, W_i)`` in [0, 1] (sizes may differ).
            style_blend: one weight per style image (normalized to sum 1).
            masks: ``None`` or one ``(1, 1, h, w)`` guidance mask in [0, 1]
                per style image, covering the content image (any resolution
                of the content's aspect ratio).
            fine_style: ``None`` or ``(1, 3, H_f, W_f)`` in [0, 1].
        Raises:
            NSTError: no style image, wrong number of masks or blend weights.
        """
        if not styles:
            raise NSTError("at least one style image is needed")
        if masks is not None and len(masks) != len(styles):
            raise NSTError(f"--mask: got {len(masks)} mask(s) for {len(styles)} style image(s); give one per style image")
        blend = normalize_blend(style_blend, len(styles))
        stat = L.STYLE_STATISTICS[self.style_loss]
        feats = self.features(content.to(self.device), self.layers)
        self.content_targets = {n: feats[n].detach().clone() for n in self.content_layers}
        shapes = {n: feats[n].shape[-2:] for n in self.style_layers}
        style_feats = [self.features(s.to(self.device), list(self.style_layers)) for s in styles]
        fine_feats = None if fine_style is None else self.features(fine_style.to(self.device), list(self.style_layers))
        self.style_terms = {}
        for n in self.style_layers:
            sources = [f[n] for f in style_feats]
            if fine_feats is not None and n in FINE_LAYERS:
                sources = [fine_feats[n]] * len(styles)
            per_style = [stat.stats(f, None) for f in sources]
            if masks is None:
                groups = [(1.0, None, stat.blend(per_style, blend))]
            else:
                groups = [(w, layer_mask(m.to(self.device), shapes[n]), st)
                          for w, m, st in zip(blend, masks, per_style) if w > 0]
            terms = []
            for w, m, st in groups:
                target = stat.target(st)
                terms.append(StyleTerm(w, m, target, 1.0 / max(stat.energy(target), 1e-12)))
            self.style_terms[n] = terms
        # Normalizers (see losses.relative_scale); content and style layers may share a name.
        # ("s", layer) records the first term's, for callers that read them.
        self.scales = {("c", n): L.relative_scale(t, mean=True) for n, t in self.content_targets.items()}
        self.scales.update({("s", n): terms[0].scale for n, terms in self.style_terms.items()})

    @property
    def style_targets(self) -> dict[str, object]:
        """``{layer: target}`` of each style layer's first term (the blended Gram matrix when unmasked)."""
        return {n: terms[0].target for n, terms in self.style_terms.items()}

    def style_loss_value(self, feats: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Unweighted style loss: ``sum_l w_l sum_r w_r loss(stats_r(F_l), target_{l,r}) / energy``.

        ``feats`` maps style layer names to ``(1, C, H, W)`` activations.
        """
        stat = L.STYLE_STATISTICS[self.style_loss]
        total = next(iter(feats.values())).new_zeros(())
        for n, lw in self.style_layers.items():
            for term in self.style_terms[n]:
                total = total + lw * term.weight * stat.loss(stat.stats(feats[n], term.mask), term.target, term.scale)
        return total

    # ------------------------------------------------------------------- loss
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
        if not self.style_terms:
            raise RuntimeError("call set_targets() before computing losses")
        feats = self.features(image, self.layers)
        zero = image.new_zeros(())
        c = sum(
            (w * L.content_loss(feats[n], self.content_targets[n], self.scales[("c", n)])
             for n, w in self.content_layers.items()),
            zero,
        )
        s = self.style_loss_value(feats)
        t = L.tv_loss(image) if tv_weight else zero
        terms = {"content": content_weight * c, "style": style_weight * s, "tv": tv_weight * t}
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        return terms

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
    ) -> TransferResult:
        """Optimize pixels starting from ``init`` ``(1, 3, H, W)`` against the current targets.

        Early stopping: with ``tol > 0`` the loop ends once the total loss fell
        by less than the fraction ``tol`` over the last ``window`` iterations
        (see :func:`converged`).

        L-BFGS takes one function evaluation per iteration (no line search),
        as in Gatys et al.'s reference implementations. When an evaluated loss
        exceeds :data:`LBFGS_RESTART_FACTOR` times the best so far, the image
        goes back to the best iterate and L-BFGS restarts with an empty
        history. The image is clamped to [0, 1] after each step (for L-BFGS
        too: unclamped, it drifts out of range and the clamped result scores
        worse than its loss promised). Ctrl-C ends the loop early and returns
        the best image so far with ``interrupted=True``.

        Raises:
            NSTError: unknown optimizer or non-positive iteration count.
        """
        if iterations < 1:
            raise NSTError(f"--iterations must be >= 1, got {iterations}")
        lr = DEFAULT_LR.get(optimizer) if lr is None else lr
        if optimizer not in DEFAULT_LR:
            raise NSTError(f"unknown optimizer {optimizer!r}; choose lbfgs or adam")
        if not (lr > 0 and math.isfinite(lr)):
            raise NSTError(f"--lr must be > 0, got {lr}")
        x = init.detach().to(self.device, torch.float32).clone().requires_grad_(True)

        def new_optimizer() -> torch.optim.Optimizer:
            if optimizer == "lbfgs":
                return torch.optim.LBFGS([x], lr=lr, max_iter=1, history_size=lbfgs_history(x.numel()),
                                         tolerance_grad=0.0, tolerance_change=0.0)
            return torch.optim.Adam([x], lr=lr)

        opt = new_optimizer()
        best = {"loss": math.inf, "image": x.detach().clone()}
        history: list[dict[str, float]] = []
        last: dict[str, float] = {}

        def closure() -> torch.Tensor:
            opt.zero_grad(set_to_none=True)
            terms = self.loss_terms(x, content_weight, style_weight, tv_weight)
            terms["total"].backward()
            last.clear()
            last.update({k: float(v.detach()) for k, v in terms.items()})
            if last["total"] < best["loss"]:
                best["loss"] = last["total"]
                best["image"].copy_(x.detach())
            return terms["total"]

        done = 0
        interrupted = False
        try:
            for i in range(1, iterations + 1):
                opt.step(closure)
                with torch.no_grad():  # keep pixels displayable; the loss must not exploit out-of-range values
                    x.clamp_(0, 1)
                    if optimizer == "lbfgs" and last["total"] > LBFGS_RESTART_FACTOR * best["loss"]:
                        x.copy_(best["image"])
                        opt = new_optimizer()
                done = i
                history.append(dict(last))
                if not math.isfinite(last["total"]):
                    break
                if callback is not None:
                    callback(Step(i, iterations, dict(last), x.detach()))
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
