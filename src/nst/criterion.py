"""The perceptual criterion: content, style and total-variation losses on a VGG loss network.

One :class:`Criterion` serves both ways of making a stylized image:

* the pixel optimization of Gatys, Ecker and Bethge (2015)
  (:class:`nst.transfer.StyleTransfer`): content targets fixed once per scale
  with :meth:`Criterion.set_content`;
* the training of feed-forward networks of Johnson, Alahi and Fei-Fei (2016)
  (:func:`nst.feedforward.train.train`): the content target of each output is
  its own input photo, passed to the call (``criterion(output, content=photo)``).

Style targets (:meth:`Criterion.set_style`) cover every control of Gatys et
al. 2017: any style statistic of :data:`nst.losses.STYLE_STATISTICS`, blends
of several style images, guidance masks (one region per style image) and a
separate style image for the fine layers. Every term is relative (divided by
its target's energy, :mod:`nst.losses`), so weights mean the same for any
image, layer and weights file. The design follows pystiche's ``loss`` package,
used by its image and model optimization alike.

Images are ``(N, 3, H, W)`` float32 RGB in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from . import losses as L
from .config import normalize_blend
from .device import amp_dtype, preferred_memory_format
from .errors import OptionError
from .vgg import layer_names, layer_size, parse_layers
from .weights import load_vgg

# Gatys et al. 2015 hold the content at relu4_2 alone. nst adds relu2_2 (Johnson et al. 2016's content layer) at a
# quarter weight: it keeps flat areas and edges of the photo from being rebuilt as the painting's texture (a
# pyramid's sky, a lecture hall's walls); the style weight went from 10 to 15 with it, so the style is as strong as
# before. Chosen on the grid of photos x paintings (benchmarks/balance_grid.py, docs/balance.md, "Content on two
# layers").
DEFAULT_CONTENT_LAYERS: dict[str, float] = {"relu2_2": 0.25, "relu4_2": 1.0}
# Gatys et al. 2015: relu1_1..relu5_1 at equal weights (w_l = 1/5); texture synthesis (nst reconstruct) keeps them.
GATYS_STYLE_LAYERS: dict[str, float] = {f"relu{b}_1": 0.2 for b in range(1, 6)}
# nst's default: relu1_1..relu4_1 at equal weights, as in Huang and Belongie 2017 (AdaIN); Johnson et al. 2016
# also stop at block 4. relu5_1 is where objects live: its Gram matrix paints the painting's objects (faces,
# flowers, figures) into the photo and dissolves small subjects. Chosen on a grid of photos x paintings
# (benchmarks/balance_grid.py, docs/balance.md).
DEFAULT_STYLE_LAYERS: dict[str, float] = {f"relu{b}_1": 0.25 for b in range(1, 5)}
DEFAULT_CONTENT_WEIGHT = 1.0
DEFAULT_STYLE_WEIGHT = 15.0
DEFAULT_TV_WEIGHT = 1.0
# Layers whose style targets come from the fine-texture style image (``style_fine``).
FINE_LAYERS = ("relu1_1", "relu2_1")
TERMS = ("content", "style", "tv")


@dataclass
class StyleTerm:
    """One style loss term at one layer: a region (``mask``) and its target statistics.

    ``weight``: the region's share of the layer's loss (blend weight);
    ``mask``: ``None`` (whole image) or ``(1, 1, h, w)`` in [0, 1] at the
    layer's resolution; ``target``: prepared statistics
    (:class:`nst.losses.StyleStatistic`); ``normalizer``: ``1 / energy(target)``.
    """

    weight: float
    mask: torch.Tensor | None
    target: object
    normalizer: float


def layer_mask(mask: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Resize a guidance mask ``(1, 1, H, W)`` in [0, 1] to a layer's ``(h, w)`` (bilinear, antialiased)."""
    if tuple(mask.shape[-2:]) == tuple(size):
        return mask.float()
    m = F.interpolate(mask.float(), size=tuple(size), mode="bilinear", align_corners=False, antialias=True)
    return m.clamp(0, 1)


def weigh(terms: Mapping[str, torch.Tensor], content_weight: float, style_weight: float,
          tv_weight: float) -> dict[str, torch.Tensor]:
    """Weighted ``content``, ``style`` and ``tv`` terms and their ``total`` (scalar tensors)."""
    out = {"content": content_weight * terms["content"], "style": style_weight * terms["style"],
           "tv": tv_weight * terms["tv"]}
    out["total"] = out["content"] + out["style"] + out["tv"]
    return out


class Criterion(torch.nn.Module):
    """Weighted content + style + TV loss of images against targets, on a frozen VGG.

    Args:
        model: ``"vgg19"`` or ``"vgg16"`` (:data:`nst.vgg.MODELS`).
        weights: weights source, see :func:`nst.weights.load_vgg`.
        pooling: ``"max"`` or ``"avg"``.
        content_layers: ``{layer: weight}`` (default relu2_2 at 0.25 and relu4_2 at 1, :data:`DEFAULT_CONTENT_LAYERS`).
        style_layers: ``{layer: weight}`` (default relu1_1..relu4_1 at 0.25 each, :data:`DEFAULT_STYLE_LAYERS`).
        device: torch device.
        style_loss: a key of :data:`nst.losses.STYLE_STATISTICS`: ``"gram"``
            (Gatys et al. 2015), ``"mean-cov"`` or ``"wasserstein"``.
        content_weight, style_weight, tv_weight: multipliers of the relative
            losses (dimensionless, >= 0).
        loss_form: a key of :data:`nst.losses.LOSS_FORMS`: ``"relative"``
            (nst's: each term divided by its target's energy) or the raw sums
            of a published recipe (``"gatys"``, ``"keras"``, ``"tf"``; Gram
            statistics only), for which the recipe's weights mean what they meant.
        cap_content_energy: scale each fixed content target (:meth:`set_content`)
            down to the style images' loudness at that layer where the photo's is
            higher (:func:`nst.losses.energy_cap`; never up). Training's per-call
            content targets are not scaled.
        boost_deep_style: multiply the deepest style layer's weight by the
            photo's energy over the style images' at that layer where the photo
            is louder (:func:`nst.losses.style_boost`, at most 4; never down),
            once :meth:`set_content` and :meth:`set_style` are both called. Not
            applied to training's per-call content.

    The network is truncated after the deepest layer used and runs under
    autocast where :func:`nst.device.amp_dtype` picks a dtype, in the layout of
    :func:`nst.device.preferred_memory_format`; losses stay float32.
    ``criterion(image)`` (after :meth:`set_content` and :meth:`set_style`) or
    ``criterion(image, content=photo)`` returns the weighted
    ``{"content", "style", "tv", "total"}`` scalar tensors.

    Raises:
        NSTError: unknown layer, model or pooling; unreadable weights.
    """

    def __init__(
        self,
        model: str = "vgg19",
        weights: str | None = None,
        pooling: str = "max",
        content_layers: Mapping[str, float] | Sequence[str] | None = None,
        style_layers: Mapping[str, float] | Sequence[str] | None = None,
        device: torch.device | str = "cpu",
        style_loss: str = "gram",
        content_weight: float = DEFAULT_CONTENT_WEIGHT,
        style_weight: float = DEFAULT_STYLE_WEIGHT,
        tv_weight: float = DEFAULT_TV_WEIGHT,
        loss_form: str = "relative",
        cap_content_energy: bool = False,
        boost_deep_style: bool = False,
    ) -> None:
        super().__init__()
        if style_loss not in L.STYLE_STATISTICS:
            raise OptionError("style_loss", f"{style_loss!r} is not one of {', '.join(L.STYLE_STATISTICS)}")
        if loss_form not in L.LOSS_FORMS:
            raise OptionError("loss_form", f"{loss_form!r} is not one of {', '.join(L.LOSS_FORMS)}")
        if loss_form != "relative" and style_loss != "gram":
            raise OptionError("loss_form", f"{loss_form} sums are Gram-matrix losses; use style_loss gram")
        self.form = L.LOSS_FORMS[loss_form]
        self.content_layers = parse_layers(content_layers or DEFAULT_CONTENT_LAYERS, model, "content_layers")
        self.style_layers = parse_layers(style_layers or DEFAULT_STYLE_LAYERS, model, "style_layers")
        order = layer_names(model)
        self.layers = sorted(set(self.content_layers) | set(self.style_layers), key=order.index)
        self.device = torch.device(device)
        self.net = load_vgg(model, weights, pooling=pooling, last_layer=self.layers[-1], device=self.device)
        self.amp = amp_dtype(self.device)
        self.memory_format = preferred_memory_format(self.device)
        self.net.to(memory_format=self.memory_format)
        self.checkpoint_blocks = 0
        self.style_loss = style_loss
        self.statistic = L.STYLE_STATISTICS[style_loss]
        self.weights = {"content": content_weight, "style": style_weight, "tv": tv_weight}
        self.cap_content_energy = cap_content_energy
        self.boost_deep_style = boost_deep_style
        self.deepest_style_layer = max(self.style_layers, key=order.index)
        # The multiplier of each style layer's weight (empty: all 1).
        self.style_boosts: dict[str, float] = {}
        self._photo_rms: dict[str, float] = {}
        self.content_targets: dict[str, torch.Tensor] = {}
        self.content_normalizers: dict[str, float] = {}
        # The factor each content target was scaled by (1.0: the photo's own features).
        self.content_scales: dict[str, float] = {}
        self.style_terms: dict[str, list[StyleTerm]] = {}
        self._photo_features: dict[str, torch.Tensor] = {}
        self._style_rms: dict[str, float] = {}

    def features(self, image: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        """Float32 activations of ``layers`` for ``image`` ``(N, 3, H, W)``.

        Runs under autocast where :func:`nst.device.amp_dtype` picks a dtype,
        checkpointing the first ``checkpoint_blocks`` blocks.
        """
        image = image.contiguous(memory_format=self.memory_format)
        with torch.autocast(self.device.type, dtype=self.amp or torch.float32, enabled=self.amp is not None):
            feats = self.net(image, layers, self.checkpoint_blocks)
        return {k: v.float() for k, v in feats.items()}

    # ----------------------------------------------------------------- targets
    @torch.no_grad()
    def set_content(self, content: torch.Tensor) -> None:
        """Fix the content targets: the features of ``content`` ``(1, 3, H, W)`` at the content layers."""
        deep = [self.deepest_style_layer] if self.boost_deep_style else []
        feats = self.features(content.to(self.device), list(dict.fromkeys([*self.content_layers, *deep])))
        self._photo_features = {n: feats[n].detach().clone() for n in self.content_layers}
        self._photo_rms = {n: L.rms(feats[n]) for n in deep}
        self._apply_loudness_rules()

    def _apply_loudness_rules(self) -> None:
        """The rules that compare the photo's loudness with the style's, where enabled: the content targets
        (the photo's features, capped by :func:`nst.losses.energy_cap`) and the deep style layer's boost
        (:func:`nst.losses.style_boost`)."""
        self.style_boosts = {n: L.style_boost(r, self._style_rms[n])
                             for n, r in self._photo_rms.items() if n in self._style_rms}
        self.content_targets, self.content_normalizers, self.content_scales = {}, {}, {}
        for n, f in self._photo_features.items():
            scale = 1.0
            if self.cap_content_energy and n in self._style_rms:
                scale = L.energy_cap(L.rms(f), self._style_rms[n])
            self.content_targets[n] = f * scale if scale < 1.0 else f
            self.content_normalizers[n] = L.inverse_energy(self.content_targets[n], mean=True)
            self.content_scales[n] = scale

    @torch.no_grad()
    def set_style(
        self,
        styles: Sequence[torch.Tensor],
        blend: Sequence[float] | None = None,
        masks: Sequence[torch.Tensor] | None = None,
        fine_style: torch.Tensor | None = None,
        size: Sequence[int] | None = None,
    ) -> None:
        """Compute the style target statistics once (per scale).

        Without ``masks`` every style layer gets one term: the statistics of
        the weighted pool of all style images' features (for Gram matrices the
        weighted mean Gram matrix, which equals a weighted sum of per-style
        losses up to a constant). With ``masks`` (Gatys et al. 2017, sec. 3)
        style ``i`` governs the region ``masks[i]``: each style layer gets one
        term per region, comparing the image's guided statistics (mask
        resized to the layer's resolution) with the whole style image's,
        weighted by ``blend``. With ``fine_style`` the layers in
        :data:`FINE_LAYERS` take their targets from that image instead
        (coarse structure of ``styles``, fine texture of ``fine_style``).

        Args:
            styles: list of ``(1, 3, H_i, W_i)`` in [0, 1] (sizes may differ).
            blend: one weight per style image, >= 0, not all 0 (normalized
                to sum 1; default equal).
            masks: ``None`` or one ``(1, 1, h, w)`` guidance mask in [0, 1]
                per style image, covering the image to be optimized.
            fine_style: ``None`` or ``(1, 3, H_f, W_f)`` in [0, 1].
            size: ``(H, W)`` of the images the loss will see; needed with
                ``masks`` (the masks are resized to each layer's resolution).
        Raises:
            OptionError: no style image, or a wrong number of masks or blend weights.
        """
        if not styles:
            raise OptionError("styles", "at least one style image is needed")
        if masks is not None and len(masks) != len(styles):
            raise OptionError("masks", f"got {len(masks)} mask(s) for {len(styles)} style image(s); "
                                       "give one per style image")
        blend = normalize_blend(blend, len(styles))
        stat = self.statistic
        layers = list(self.style_layers)
        content_only = [n for n in self.content_layers if n not in layers] if self.cap_content_energy else []
        style_feats = [self.features(s.to(self.device), layers + content_only) for s in styles]
        fine_feats = None if fine_style is None else self.features(fine_style.to(self.device), layers)
        if masks is not None:
            h, w = size if size is not None else masks[0].shape[-2:]
            shapes = {n: layer_size(h, w, n) for n in layers}
        self.style_terms = {}
        for n in layers:
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
        loud = [*(self.content_layers if self.cap_content_energy else []),
                *([self.deepest_style_layer] if self.boost_deep_style else [])]
        if loud:
            # The style images' loudness at the content layers and the deepest style layer (blended like their
            # statistics).
            self._style_rms = {n: sum(b * L.rms(f[n]) ** 2 for b, f in zip(blend, style_feats)) ** 0.5 for n in loud}
            self._apply_loudness_rules()  # a content image set first gets its cap and boost now

    @property
    def normalizers(self) -> dict[tuple[str, str], float]:
        """Loss normalizers (see :func:`nst.losses.inverse_energy`) by ``("c" | "s", layer)``.

        Content and style layers may share a name; ``("s", layer)`` is the first term's.
        """
        out = {("c", n): v for n, v in self.content_normalizers.items()}
        out.update({("s", n): terms[0].normalizer for n, terms in self.style_terms.items()})
        return out

    @property
    def style_targets(self) -> dict[str, object]:
        """``{layer: target}`` of each style layer's first term (the blended Gram matrix when unmasked)."""
        return {n: terms[0].target for n, terms in self.style_terms.items()}

    # ------------------------------------------------------------------- loss
    def style_value(self, feats: Mapping[str, torch.Tensor], pixels: int) -> torch.Tensor:
        """Unweighted style loss: ``sum_l w_l sum_r w_r loss(stats_r(F_l), target_{l,r}) / energy``.

        ``feats`` maps style layer names to ``(N, C, h, w)`` activations (the
        loss is the batch mean); ``pixels`` is the image's ``H * W``, which the
        Keras form scales by. Raw loss forms use their own factor instead of
        ``1 / energy`` (:class:`nst.losses.LossForm`). ``w_l`` includes the
        layer's boost (:attr:`style_boosts`) where ``boost_deep_style`` set one.
        """
        stat = self.statistic
        total = next(iter(feats.values())).new_zeros(())
        for n, lw in self.style_layers.items():
            lw = lw * self.style_boosts.get(n, 1.0)
            _, c, h, w = feats[n].shape
            for term in self.style_terms[n]:
                norm = term.normalizer if self.form.relative else self.form.style_factor(c, h * w, pixels)
                total = total + lw * term.weight * stat.loss(stat.stats(feats[n], term.mask), term.target, norm)
        return total

    def unweighted(self, image: torch.Tensor, content: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The relative ``content``, ``style`` and ``tv`` losses of ``image`` ``(N, 3, H, W)``, unweighted.

        ``content``: ``None`` to compare with the targets of :meth:`set_content`,
        or ``(N, 3, H, W)`` images whose features are the targets (each output
        against its own input, for training; computed without gradient).
        Differentiable in ``image``.

        Raises:
            RuntimeError: :meth:`set_style` (or :meth:`set_content`, without
                ``content``) was not called first.
        """
        if not self.style_terms or (content is None and not self.content_targets):
            raise RuntimeError("set the style (and content) targets before computing losses")
        feats = self.features(image, self.layers)
        zero = image.new_zeros(())
        if content is None:
            targets = self.content_targets
            norms = self.content_normalizers
        else:
            with torch.no_grad():
                targets = self.features(content, list(self.content_layers))
            norms = {n: L.inverse_energy(t, mean=True) for n, t in targets.items()}
        if self.form.relative:
            c = sum((w * L.content_loss(feats[n], targets[n], norms[n]) for n, w in self.content_layers.items()), zero)
        else:
            c = sum((w * self.form.content(feats[n], targets[n]) for n, w in self.content_layers.items()), zero)
        s = self.style_value(feats, image.shape[-2] * image.shape[-1])
        return {"content": c, "style": s, "tv": self.form.tv(image)}

    def forward(self, image: torch.Tensor, content: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Weighted ``{"content", "style", "tv", "total"}`` losses of ``image`` (see :meth:`unweighted`)."""
        return weigh(self.unweighted(image, content), **{f"{k}_weight": v for k, v in self.weights.items()})
