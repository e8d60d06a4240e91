"""Video stylization without flicker: ``nst video`` and :func:`nst.stylize_video`.

Modules: :mod:`.options` (:class:`VideoOptions`), :mod:`.io` (frames in and
out: PyAV, GIF, folders), :mod:`.flow` (DIS optical flow, warping, occlusion
masks), :mod:`.temporal` (flow-guided blending for one-pass methods),
:mod:`.optimize` (Ruder et al. 2016 per-frame optimization), :mod:`.pipeline`
(the loop), :mod:`.api` (:func:`stylize_video`). Importing this package loads
nothing heavy; the extra ``nst[video]`` (PyAV, OpenCV) is needed when it runs.
"""

from .api import stylize_video
from .options import VideoOptions

__all__ = ["VideoOptions", "stylize_video"]
