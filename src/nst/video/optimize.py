"""``--method optimize``: Gatys optimization per frame with the temporal loss of Ruder et al. 2016.

Ruder, Dosovitskiy and Brox 2016, "Artistic style transfer for videos":
frame ``t`` is optimized starting from the previous output warped to it by
optical flow (``warp(O_{t-1})``; the frame's own content inside occlusions),
with a temporal term added to the content, style and TV losses,

    ``L_temporal = w_temp * mean(c * (x - warp(O_{t-1}))^2)``

where ``c`` is the occlusion mask of the flow (1 where the forward-backward
check passes, :func:`nst.video.flow.consistency_mask`). The style targets are
computed once for the video; the content target changes every frame. One
scale at the output size (no coarse-to-fine per frame).
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from ..coarse_to_fine import prepare_images
from ..device import pick_device
from ..images import ImageLike, pil_to_tensor, tensor_to_pil
from ..options import TransferOptions
from ..transfer import StyleTransfer
from .flow import FlowEstimator, warp

# The temporal loss weight is VideoOptions.temporal_weight times this (pixels in [0, 1];
# nst's relative style and content losses are O(1)); Ruder et al. use 200 on their sums.
TEMPORAL_SCALE = 1000.0
DEFAULT_ITERATIONS = 50  # per frame; the first frame gets twice as many (it starts from the content)


class TemporalStyleTransfer(StyleTransfer):
    """:class:`~nst.transfer.StyleTransfer` with Ruder et al.'s temporal term (``"temporal"`` in the losses).

    Set the target with :meth:`set_previous` (None: no temporal term).
    """

    warped: torch.Tensor | None = None
    mask: torch.Tensor | None = None
    temporal_weight: float = 0.0

    def set_previous(self, warped: torch.Tensor | None, mask: torch.Tensor | None, weight: float) -> None:
        """Previous output warped to this frame ``(1, 3, H, W)``, its validity ``(1, 1, H, W)`` in {0, 1}."""
        self.warped = None if warped is None else warped.to(self.device)
        self.mask = None if mask is None else mask.to(self.device)
        self.temporal_weight = weight

    def loss_terms(self, image: torch.Tensor, *weights: float, **kw: float) -> dict[str, torch.Tensor]:
        """:meth:`StyleTransfer.loss_terms` plus ``"temporal"`` (added to ``"total"``) once a previous frame is set."""
        terms = super().loss_terms(image, *weights, **kw)
        if self.warped is not None and self.temporal_weight > 0:
            t = self.temporal_weight * (self.mask * (image - self.warped) ** 2).mean()
            terms["temporal"] = t
            terms["total"] = terms["total"] + t
        return terms


class OptimizeStylizer:
    """Stylize frames in order by per-frame optimization (Ruder et al. 2016).

    Args:
        styles: style images; ``opts``: :class:`~nst.options.TransferOptions` (losses,
            network, optimizer, ``iterations`` per frame (None: :data:`DEFAULT_ITERATIONS`)).
        temporal_weight: 0..1, times :data:`TEMPORAL_SCALE`; 0: every frame from its own content, no temporal loss.
        flow: the :class:`FlowEstimator`.

    Call with each input frame ``(H, W, 3)`` uint8 RGB (all of one size, the output
    size); returns the stylized frame, same shape. Cost: ``iterations`` VGG
    forward and backward passes per frame (about 50x ``nst transfer`` 's cost per
    iteration at that size).
    """

    def __init__(self, styles: list[ImageLike], opts: TransferOptions, temporal_weight: float,
                 flow: FlowEstimator | None = None) -> None:
        self.opts, self.styles = opts, styles
        self.temporal_weight = temporal_weight
        self.flow = flow or FlowEstimator()
        self.st = TemporalStyleTransfer.from_options(opts, pick_device(opts.device))
        self.iterations = opts.iterations or DEFAULT_ITERATIONS
        self.prev_frame: np.ndarray | None = None
        self.prev_out: np.ndarray | None = None
        self._style_ready = False

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        opts, st = self.opts, self.st
        content_t, style_ts = prepare_images(Image.fromarray(frame), self.styles if not self._style_ready else [],
                                             max(frame.shape[:2]), opts.style_scale)
        if not self._style_ready:
            st.criterion.set_style(style_ts, opts.style_weights, size=content_t.shape[-2:])
            self._style_ready = True
        st.criterion.set_content(content_t)
        iterations = self.iterations
        if self.prev_out is None or self.temporal_weight == 0:
            init = content_t
            st.set_previous(None, None, 0.0)
            iterations *= 2 if self.prev_out is None and self.temporal_weight > 0 else 1
        else:
            flow, mask = self.flow.align(frame, self.prev_frame)
            warped = warp(self.prev_out, flow)
            m = mask[..., None]
            start = m * warped + (1 - m) * frame.astype(np.float32)
            init = pil_to_tensor(Image.fromarray(np.clip(start + 0.5, 0, 255).astype(np.uint8)))
            warped_t = torch.from_numpy(warped / 255.0).permute(2, 0, 1)[None].float()
            st.set_previous(warped_t, torch.from_numpy(mask)[None, None], self.temporal_weight * TEMPORAL_SCALE)
        result = st.optimize(init, iterations, opts.optimizer, opts.lr, opts.content_weight, opts.style_weight,
                             opts.tv_weight, lbfgs_evals=opts.lbfgs_evals)
        if result.interrupted:
            raise KeyboardInterrupt
        out = np.asarray(tensor_to_pil(result.image))
        self.prev_frame, self.prev_out = frame, out.astype(np.float32)
        return out
