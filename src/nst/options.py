"""Options of a style transfer run, shared by the Python API and the CLI.

One dataclass holds every option with its default, checks values, and is what
gets recorded with the output so a run can be repeated.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from .color import check_mode
from .errors import NSTError
from .losses import STYLE_STATISTICS
from .schedule import make_schedule
from .transfer import (
    DEFAULT_CONTENT_LAYERS,
    DEFAULT_CONTENT_WEIGHT,
    DEFAULT_STYLE_LAYERS,
    DEFAULT_STYLE_WEIGHT,
    DEFAULT_TV_WEIGHT,
    parse_layers,
)

INIT_CHOICES = ("content", "noise", "style")


@dataclass
class TransferOptions:
    """Every option of ``nst transfer`` / :func:`nst.stylize`, with defaults.

    Sizes are in pixels; ``size`` is the output's long side, and style images
    are resized so their long side is ``size * style_scale``. The run is
    coarse-to-fine (:mod:`nst.schedule`): from ``min_size`` (or the explicit
    ``scales``) up to ``size``, ``iterations`` at full size (None: 30 up to
    512 px, fewer above) and more, up to ``max_iterations`` (None: 200 up to
    512 px, fewer above), at smaller sizes; a scale ends early once the loss
    fell by less than ``tol`` (relative) over ``window`` iterations. Weights are
    dimensionless multipliers of the (relative) losses, see :mod:`nst.losses`.
    ``init`` is ``content``, ``noise``, ``style`` or an image path.
    ``content_layers``/``style_layers`` map VGG layer names to weights.

    Controls (Gatys et al. 2017): ``preserve_color`` is ``none``,
    ``luminance`` or ``histogram`` (:mod:`nst.color`); ``masks`` gives one
    grayscale mask (path or image) per style image (:mod:`nst.masks`);
    ``style_fine`` an image whose statistics replace the style's at the
    shallow layers relu1_1 and relu2_1; ``style_loss`` is ``gram``,
    ``mean-cov`` or ``wasserstein`` (:data:`nst.losses.STYLE_STATISTICS`).
    Every ``save_every`` iterations the iterate is saved into ``save_dir``
    and/or kept as a frame of the animated GIF ``gif``.
    """

    size: int = 512
    style_scale: float = 1.0
    iterations: int | None = None
    min_size: int = 128
    scales: list[int] | None = None
    max_iterations: int | None = None
    tol: float = 1e-3
    window: int = 10
    optimizer: str = "lbfgs"
    lr: float | None = None
    init: str = "content"
    seed: int = 0
    content_weight: float = DEFAULT_CONTENT_WEIGHT
    style_weight: float = DEFAULT_STYLE_WEIGHT
    tv_weight: float = DEFAULT_TV_WEIGHT
    style_weights: list[float] | None = None
    content_layers: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CONTENT_LAYERS))
    style_layers: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_STYLE_LAYERS))
    pooling: str = "max"
    model: str = "vgg19"
    weights: str | None = None
    device: str | None = None
    max_memory: float | None = None
    save_every: int = 0
    save_dir: str | None = None
    preserve_color: str = "none"
    masks: list | None = None
    style_fine: str | None = None
    style_loss: str = "gram"
    gif: str | None = None

    @classmethod
    def from_kwargs(cls, **kwargs) -> "TransferOptions":
        """Build from keyword arguments, rejecting unknown names with a clear error."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise NSTError(f"unknown option(s): {', '.join(unknown)}")
        opts = cls(**kwargs)
        opts.validate()
        return opts

    def validate(self) -> None:
        """Check every value; raises :class:`NSTError` naming the option."""
        def positive(name: str, v: float, integer: bool = False) -> None:
            if integer and (not isinstance(v, int) or isinstance(v, bool)):
                raise NSTError(f"--{name.replace('_', '-')} must be an integer, got {v!r}")
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise NSTError(f"--{name.replace('_', '-')} must be > 0, got {v}")

        def nonneg(name: str, v: float) -> None:
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise NSTError(f"--{name.replace('_', '-')} must be >= 0, got {v}")

        positive("size", self.size, integer=True)
        positive("style_scale", self.style_scale)
        if self.iterations is not None:
            positive("iterations", self.iterations, integer=True)
        positive("min_size", self.min_size, integer=True)
        if self.max_iterations is not None:
            positive("max_iterations", self.max_iterations, integer=True)
        positive("window", self.window, integer=True)
        nonneg("tol", self.tol)
        if self.max_memory is not None:
            positive("max_memory", self.max_memory)
        if self.scales is not None:
            make_schedule(self.size, self.iterations, self.min_size, self.max_iterations, sizes=list(self.scales))
        if self.lr is not None:
            positive("lr", self.lr)
        for name in ("content_weight", "style_weight", "tv_weight"):
            nonneg(name, getattr(self, name))
        if self.save_every:
            positive("save_every", self.save_every, integer=True)
            if not self.save_dir and not self.gif:
                raise NSTError("--save-every needs --save-dir DIR or --gif OUT.gif")
        elif self.gif:
            raise NSTError("--gif needs --save-every N (one frame every N iterations)")
        if self.optimizer not in ("lbfgs", "adam"):
            raise NSTError(f"--optimizer {self.optimizer!r}: choose lbfgs or adam")
        if self.pooling not in ("max", "avg"):
            raise NSTError(f"--pooling {self.pooling!r}: choose max or avg")
        if self.model not in ("vgg19", "vgg16"):
            raise NSTError(f"--model {self.model!r}: choose vgg19 or vgg16")
        check_mode(self.preserve_color)
        if self.style_loss not in STYLE_STATISTICS:
            raise NSTError(f"--style-loss {self.style_loss!r}: choose {', '.join(STYLE_STATISTICS)}")
        if not isinstance(self.seed, int):
            raise NSTError(f"--seed must be an integer, got {self.seed!r}")
        self.content_layers = parse_layers(self.content_layers, self.model)
        self.style_layers = parse_layers(self.style_layers, self.model)

    def to_dict(self) -> dict:
        """Plain JSON-able dict of the options."""
        return asdict(self)
