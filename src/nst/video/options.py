"""Options of ``nst video`` / :func:`nst.stylize_video`, declared once (:mod:`nst.config`).

Light on purpose (no torch, numpy, av or cv2): the CLI builds its parser from it.
The per-method options are those of the image commands: :class:`~nst.arbitrary.FastOptions`
(``--method fast``), :class:`~nst.feedforward.stylize.ApplyOptions` (``model``) and
:class:`~nst.options.TransferOptions` (``optimize``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import check_fields, option
from ..errors import OptionError

METHODS = ("fast", "model", "optimize")
# Share of the warped previous output kept in each new frame outside occlusions (one-pass methods);
# chosen with benchmarks/video_flicker.py (docs/video.md).
DEFAULT_TEMPORAL_WEIGHT = 0.7
DEFAULT_CRF = 18
DEFAULT_FLOW_SIZE = 320  # long side at which the optical flow is computed
MAX_CRF = 51


@dataclass
class VideoOptions:
    """How a video is stylized and written; checked when built.

    Raises:
        OptionError: a bad value, naming the field.
    """

    method: str = option("fast", choices=METHODS,
                         help="fast: any style image, one pass per frame (nst fast); model: a trained network "
                              "(nst apply, needs --model); optimize: Gatys optimization per frame with the temporal "
                              "loss of Ruder et al. 2016 (slow)")
    model: str | None = option(None, metavar="M.safetensors|M.onnx",
                               help="trained per-style network for --method model (from nst train / nst export)")
    size: int | None = option(None, check="side", help="output long side in pixels (sides rounded down to even)",
                              default_text="the input's size")
    temporal_weight: float = option(DEFAULT_TEMPORAL_WEIGHT, check="unit",
                                    help="against flicker, 0..1: how much of the previous stylized frame, warped "
                                         "by optical flow, each frame keeps outside occlusions (optimize: weight of "
                                         "the temporal loss); 0: every frame on its own")
    crf: int = option(DEFAULT_CRF, check="nonneg",
                      help=f"H.264 quality, 0 (lossless) .. {MAX_CRF} (worst); 18 looks lossless")
    frames: int | None = option(None, check="positive", metavar="N", help="stylize only the first N frames",
                                default_text="all")
    fps: float | None = option(None, check="positive",
                               help="frame rate of a folder of frames given as input (videos and GIFs keep theirs)",
                               default_text="25")
    flow_size: int = option(DEFAULT_FLOW_SIZE, check="side0", expert=True,
                            help="long side at which the optical flow is computed (0: at the output size)")
    audio: bool = option(True, help="copy the input's audio track (not re-encoded)")

    def __post_init__(self) -> None:
        check_fields(self)
        if self.crf > MAX_CRF:
            raise OptionError("crf", f"must be from 0 to {MAX_CRF}")
        if self.method == "model" and not self.model:
            raise OptionError("model", "--method model needs a model file (.safetensors or .onnx)")
        if self.model and self.method != "model":
            raise OptionError("model", f"a model file is used by --method model, not {self.method}")
