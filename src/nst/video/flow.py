"""Optical flow, warping and occlusion masks between consecutive frames (OpenCV's DIS flow).

Conventions: images are ``(H, W, C)`` float32 or uint8 arrays; a flow is
``(H, W, 2)`` float32 in pixels, ``(dx, dy)``. The flow ``F`` from frame ``a``
to frame ``b`` says where each pixel of ``a`` went: ``a(x) ~ b(x + F(x))``.
So the previous output aligned to the current frame is
``warp(O_prev, flow(current, previous))``.

* Flow: Dense Inverse Search (Kroeger et al. 2016, "Fast optical flow using
  dense inverse search"), ``cv2.DISOpticalFlow_create`` from
  ``opencv-python-headless`` (extra ``nst[video]``), on grey frames scaled down
  to a long side of ``size`` pixels, then scaled back up (vectors too).
* Occlusions: the forward-backward consistency check of Sundaram et al. 2010,
  as used by Ruder et al. 2016 ("Artistic style transfer for videos"): a pixel
  is occluded (or disoccluded) when going there and back does not return,
  ``|F + B(x + F)|^2 > 0.01 (|F|^2 + |B(x + F)|^2) + 0.5``, or it lies on a motion
  boundary, ``|grad B(x + F)|^2 > 0.01 |B(x + F)|^2 + 0.002``, or its target is
  outside the frame.

RAFT (torchvision) would be more accurate, but its weights are a download
(not available offline here); DIS needs none.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..extras import require
from .options import DEFAULT_FLOW_SIZE


def grey(frame: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB -> ``(H, W)`` uint8 luma."""
    cv2 = require("cv2", "video", "optical flow")
    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)


@lru_cache(maxsize=4)
def pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """``(xs, ys)``: float32 ``(H, W)`` pixel coordinates (cached per size; read-only)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    xs.flags.writeable = ys.flags.writeable = False
    return xs, ys


def warp(image: np.ndarray, flow: np.ndarray, cubic: bool = False) -> np.ndarray:
    """Sample ``image`` at ``x + flow(x)`` (bilinear, edges replicated): ``(H, W, C)`` -> same shape and dtype.

    ``image`` and ``flow`` have the same ``H, W``. ``cubic``: bicubic instead of
    bilinear (less blur when a frame is warped again and again).
    """
    cv2 = require("cv2", "video", "optical flow")
    xs, ys = pixel_grid(*flow.shape[:2])
    map_x = xs + flow[..., 0]
    map_y = ys + flow[..., 1]
    interpolation = cv2.INTER_CUBIC if cubic else cv2.INTER_LINEAR
    return cv2.remap(image, map_x, map_y, interpolation=interpolation, borderMode=cv2.BORDER_REPLICATE)


def consistency_mask(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Where ``forward`` (a -> b) is trustworthy: ``(H, W)`` float32, 1 valid, 0 occluded.

    ``backward`` is the flow b -> a. Forward-backward check and motion boundaries
    of Sundaram et al. 2010 (thresholds as in Ruder et al. 2016), and targets
    inside the frame.
    """
    h, w = forward.shape[:2]
    back = warp(backward, forward)  # B(x + F(x))
    total = forward + back
    inconsistent = (total ** 2).sum(-1) > 0.01 * ((forward ** 2).sum(-1) + (back ** 2).sum(-1)) + 0.5
    gy, gx = np.gradient(back, axis=(0, 1))
    boundary = (gx ** 2 + gy ** 2).sum(-1) > 0.01 * (back ** 2).sum(-1) + 0.002
    xs, ys = pixel_grid(h, w)
    tx, ty = xs + forward[..., 0], ys + forward[..., 1]
    outside = (tx < 0) | (tx > w - 1) | (ty < 0) | (ty > h - 1)
    return (~(inconsistent | boundary | outside)).astype(np.float32)


class FlowEstimator:
    """DIS optical flow between frames of one size, computed at a long side of ``size`` pixels.

    Args:
        size: long side at which the flow runs (frames are scaled down with area
            averaging; never up); 0: at the frames' size.
        preset: ``"ultrafast"``, ``"fast"`` or ``"medium"`` (OpenCV's DIS presets; slower is more accurate).

    Raises:
        NSTError: ``nst[video]`` (opencv-python-headless) is not installed.
    """

    PRESETS = ("ultrafast", "fast", "medium")

    def __init__(self, size: int = DEFAULT_FLOW_SIZE, preset: str = "medium") -> None:
        cv2 = require("cv2", "video", "optical flow")
        self.size = size
        self.dis = cv2.DISOpticalFlow_create(
            {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
             "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}[preset])

    def _small(self, frame: np.ndarray) -> np.ndarray:
        cv2 = require("cv2", "video", "optical flow")
        g = grey(frame) if frame.ndim == 3 else frame
        h, w = g.shape
        if self.size and max(h, w) > self.size:
            s = self.size / max(h, w)
            g = cv2.resize(g, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        return g

    def _up(self, flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        cv2 = require("cv2", "video", "optical flow")
        h, w = size
        fh, fw = flow.shape[:2]
        if (fh, fw) == (h, w):
            return flow
        up = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR)
        up[..., 0] *= w / fw
        up[..., 1] *= h / fh
        return up

    def flow(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Flow from frame ``a`` to frame ``b`` (``(H, W, 3)`` uint8 RGB or ``(H, W)`` grey) -> ``(H, W, 2)``."""
        small = self.dis.calc(self._small(a), self._small(b), None)
        return self._up(small, a.shape[:2])

    def align(self, current: np.ndarray, previous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flow from ``current`` to ``previous`` and where it is valid: ``((H, W, 2), (H, W) in {0, 1})``.

        ``warp(x_prev, flow)`` then aligns anything of the previous frame to
        the current one, trustworthy where the mask is 1 (not occluded). Both
        directions are computed and checked at the flow's size, then scaled up.
        """
        cv2 = require("cv2", "video", "optical flow")
        a, b = self._small(current), self._small(previous)
        fwd = self.dis.calc(a, b, None)
        bwd = self.dis.calc(b, a, None)
        mask = consistency_mask(fwd, bwd)
        h, w = current.shape[:2]
        if mask.shape != (h, w):
            mask = (cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR) > 0.5).astype(np.float32)
        return self._up(fwd, (h, w)), mask
