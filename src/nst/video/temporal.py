"""Temporal consistency for one-pass stylization: blend in the previous output, warped by optical flow.

Each frame stylized on its own gets slightly different strokes, so the video
flickers. After stylizing frame ``t`` (``S_t``), the previous output
``O_{t-1}`` is warped to frame ``t`` by the optical flow of the *input*
frames, and mixed in outside occlusions:

    ``O_t = S_t + w * M_t * (warp(O_{t-1}) - S_t)``

with ``w`` the temporal weight and ``M_t`` the forward-backward consistency
mask (:mod:`nst.video.flow`). Inside occlusions (uncovered background, things
entering the frame) the frame keeps its own stylization. Because ``O_{t-1}``
already holds the history, strokes persist as long as the content moves
consistently, the flow-guided recursive filter of blind temporal-consistency
post-processing (Lai et al. 2018, sec. 2; Bonneel et al. 2015, "Blind video
temporal consistency", without their gradient-domain step). After a cut (most
of the frame occluded) the history is dropped.
"""

from __future__ import annotations

import numpy as np

from .flow import FlowEstimator, warp

MIN_VALID = 0.4  # below this share of non-occluded pixels the frame is taken as a cut


class TemporalBlend:
    """Stateful blend of consecutive stylized frames (see the module's description).

    Args:
        weight: ``w`` in 0..1; 0 returns every stylized frame unchanged.
        flow: the :class:`FlowEstimator` (default: DIS at its default size).

    Call it with each input frame and its stylization, in order: ``(H, W, 3)``
    uint8 RGB arrays of one size; it returns the output frame, same shape.
    """

    def __init__(self, weight: float, flow: FlowEstimator | None = None) -> None:
        self.weight = weight
        self.flow = flow if flow is not None or weight == 0 else FlowEstimator()
        self.prev_frame: np.ndarray | None = None
        self.prev_out: np.ndarray | None = None

    def __call__(self, frame: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        if self.weight == 0:
            return stylized
        out = stylized.astype(np.float32)
        if self.prev_frame is not None and self.prev_frame.shape == frame.shape:
            flow, mask = self.flow.align(frame, self.prev_frame)
            if mask.mean() >= MIN_VALID:
                warped = warp(self.prev_out, flow, cubic=True)
                out += (self.weight * mask)[..., None] * (warped - out)
        self.prev_frame, self.prev_out = frame, out
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)
