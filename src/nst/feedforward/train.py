"""Training a feed-forward style network (Johnson, Alahi and Fei-Fei 2016).

Adam on random crops of a folder of photos against one style image, with the
perceptual loss of :class:`nst.criterion.Criterion` (each output's content
target is its own input photo). The model file is rewritten every
``checkpoint_every`` steps together with a checkpoint (network + Adam state +
step count) that ``resume`` continues from; Ctrl-C writes both before
stopping, so an interrupted run leaves a usable model.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ..config import check_fields, option
from ..criterion import DEFAULT_CONTENT_WEIGHT, DEFAULT_STYLE_WEIGHT, DEFAULT_TV_WEIGHT, Criterion
from ..device import pick_device
from ..errors import NSTError, OptionError
from ..images import check_output_path, fit_long_side, load_image, pil_to_tensor, resize
from ..losses import STYLE_STATISTICS
from ..vgg import parse_layers
from .data import find_images, load_photos, random_batch
from .modelfile import ModelInfo, load_checkpoint, save_checkpoint, save_model
from .network import NetConfig, TransformerNet

CHECKPOINT_SUFFIX = ".ckpt.safetensors"


# Johnson et al.: content relu2_2; style relu1_2, relu2_2, relu3_3, relu4_3 (of VGG-16; same names in VGG-19).
JOHNSON_CONTENT_LAYERS: dict[str, float] = {"relu2_2": 1.0}
JOHNSON_STYLE_LAYERS: dict[str, float] = {n: 0.25 for n in ("relu1_2", "relu2_2", "relu3_3", "relu4_3")}
TRAINING, LOSSES = "training", "losses (relative, as in nst transfer)"
# Crops and style images larger than this would hold every photo decoded at that size in memory.
MAX_TRAIN_SIDE = 2048


@dataclass
class TrainOptions:
    """Options of ``nst train`` with their defaults, declared once (:mod:`nst.config`).

    ``size``: side of the square training crops (px); ``style_size``: long side
    of the style image (None: ``2 * size``, so strokes keep their look when
    the network is applied to photos about twice the crop size); ``steps``:
    optimizer steps (``epochs``, if set, overrides it: ``ceil(epochs * photos /
    batch_size)``); weights multiply the relative losses of
    :class:`nst.criterion.Criterion`, whose style statistics (``style_loss``)
    are those of ``nst transfer``; ``checkpoint_every``: steps between
    checkpoints (0: only at the end). Checked when built.

    Raises:
        OptionError: a bad value, naming the field.
    """

    size: int = option(256, check="positive", group=TRAINING, help="side of the square training crops in pixels")
    batch_size: int = option(4, check="positive", group=TRAINING, help="photos per step")
    steps: int = option(2000, check="positive", group=TRAINING,
                        help="optimizer steps in all (a resumed run continues up to it)")
    epochs: float | None = option(None, check="positive", group=TRAINING,
                                  help="passes over the photos; overrides the step count")
    lr: float = option(1e-3, check="positive", group=TRAINING, help="Adam learning rate")
    seed: int = option(0, group=TRAINING, help="random seed (initialization, crops)")
    checkpoint_every: int = option(200, check="nonneg", group=TRAINING, metavar="N",
                                   help="write model and checkpoint every N steps (0: only at the end)")
    device: str | None = option(None, group=TRAINING, help="cpu, cuda, cuda:N or mps",
                                default_text="the best available")
    content_weight: float = option(DEFAULT_CONTENT_WEIGHT, check="nonneg", group=LOSSES, help="content loss weight")
    style_weight: float = option(DEFAULT_STYLE_WEIGHT, check="nonneg", group=LOSSES, help="style loss weight")
    tv_weight: float = option(DEFAULT_TV_WEIGHT, check="nonneg", group=LOSSES, help="total-variation loss weight")
    style_size: int | None = option(None, check="positive", group=LOSSES,
                                    help="long side of the style image in pixels", default_text="2 x the crop size")
    content_layers: dict[str, float] = option(factory=lambda: dict(JOHNSON_CONTENT_LAYERS), group=LOSSES,
                                              metavar="LAYER[:W]", help="VGG-19 content layers")
    style_layers: dict[str, float] = option(factory=lambda: dict(JOHNSON_STYLE_LAYERS), group=LOSSES,
                                            metavar="LAYER[:W]", help="VGG-19 style layers")
    style_loss: str = option("gram", choices=tuple(STYLE_STATISTICS), group=LOSSES,
                             help="style statistics (as in nst transfer): Gram matrices, feature mean and "
                                  "covariance, or Wasserstein-2 distance")

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every value (run when the object is built); layer lists become ``{name: weight}``.

        Raises:
            OptionError: naming the first bad field.
        """
        check_fields(self)
        for name in ("size", "style_size"):
            v = getattr(self, name)
            if v is not None and not 16 <= v <= MAX_TRAIN_SIDE:
                raise OptionError(name, f"must be from 16 to {MAX_TRAIN_SIDE} pixels, got {v}")
        self.content_layers = parse_layers(self.content_layers, "vgg19", "content_layers")
        self.style_layers = parse_layers(self.style_layers, "vgg19", "style_layers")


@dataclass
class Progress:
    """What the progress callback sees after each step (losses are the weighted terms)."""

    step: int
    steps: int
    losses: dict[str, float]
    images_per_s: float


@dataclass
class TrainResult:
    """Outcome of :func:`train`: steps done, last losses, loss history, and whether Ctrl-C stopped it."""

    steps: int
    losses: dict[str, float]
    history: list[dict[str, float]]
    interrupted: bool = False
    skipped: list[Path] = field(default_factory=list)


def checkpoint_path(model_path: str | os.PathLike) -> Path:
    """The checkpoint file beside a model file: ``starry.safetensors`` -> ``starry.ckpt.safetensors``."""
    p = Path(model_path)
    return p.with_name(p.name[: -len(p.suffix)] + CHECKPOINT_SUFFIX if p.suffix else p.name + CHECKPOINT_SUFFIX)


def train(
    style_path: str | os.PathLike,
    data: str | os.PathLike,
    output: str | os.PathLike,
    opts: TrainOptions,
    config: NetConfig | None = None,
    resume: bool = False,
    callback: Callable[[Progress], None] | None = None,
    on_photos: Callable[[int, int], None] | None = None,
    photo_progress: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train a :class:`TransformerNet` on the photos in ``data`` for the style image ``style_path``.

    Writes ``output`` (model file) and its checkpoint (:func:`checkpoint_path`)
    every ``opts.checkpoint_every`` steps, at the end, and on Ctrl-C (then
    ``interrupted=True``). With ``resume`` the network, Adam state and step
    count come from the checkpoint (its architecture wins over ``config``)
    and training continues up to ``opts.steps``.

    ``on_photos(readable, unreadable)`` is called once the photos are
    decoded; ``photo_progress(1)`` after each file.

    Raises:
        NSTError: bad options, unreadable style image, no readable photos,
            ``resume`` without a readable checkpoint, bad output path.
    """
    out = check_output_path(output, [style_path], extensions=(".safetensors",), option="output")
    ckpt = checkpoint_path(out)
    style_img = load_image(style_path)
    files = find_images(data)
    resumed = None
    if resume:
        if not ckpt.is_file():
            raise OptionError("resume", f"no checkpoint {ckpt} (written by an earlier training run into {out})")
        resumed = load_checkpoint(ckpt)
    device = pick_device(opts.device)
    photos, bad = load_photos(files, opts.size, photo_progress)
    if on_photos is not None:
        on_photos(len(photos), len(bad))
    steps = opts.steps if opts.epochs is None else max(1, math.ceil(opts.epochs * len(photos) / opts.batch_size))

    style_side = opts.style_size or 2 * opts.size
    style = pil_to_tensor(resize(style_img, fit_long_side(style_img.size, style_side)))
    loss_fn = Criterion(content_layers=opts.content_layers, style_layers=opts.style_layers, device=device,
                        style_loss=opts.style_loss, content_weight=opts.content_weight,
                        style_weight=opts.style_weight, tv_weight=opts.tv_weight)
    loss_fn.set_style([style])
    torch.manual_seed(opts.seed)
    if resumed is not None:
        net, optim_state, info = resumed
        start = info.steps
    else:
        net, optim_state, start = TransformerNet(config or NetConfig()), None, 0
    net = net.to(device).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=opts.lr)
    if optim_state is not None:
        try:
            optimizer.load_state_dict(optim_state)
        except (ValueError, KeyError, RuntimeError) as e:
            raise NSTError(f"{ckpt}: optimizer state does not fit the network ({e})") from None
        for group in optimizer.param_groups:
            group["lr"] = opts.lr
    record = {k: v for k, v in asdict(opts).items() if k not in ("device",)}
    info = ModelInfo(net.config, style=Path(style_path).stem, steps=start, training=record)

    def write(step: int) -> None:
        info.steps = step
        save_checkpoint(ckpt, net, optimizer, info)
        save_model(out, net, info)

    history: list[dict[str, float]] = []
    last: dict[str, float] = {}
    step, interrupted = start, False
    generator = torch.Generator()
    t0, done = time.perf_counter(), 0
    try:
        while step < steps:
            generator.manual_seed(opts.seed * 1_000_003 + step)  # batch depends only on (seed, step): resumable
            photo = random_batch(photos, opts.batch_size, opts.size, generator).to(device)
            terms = loss_fn(net(photo), content=photo)
            optimizer.zero_grad(set_to_none=True)
            terms["total"].backward()
            optimizer.step()
            step += 1
            done += opts.batch_size
            last = {k: float(v.detach()) for k, v in terms.items()}
            history.append(last)
            if not math.isfinite(last["total"]):
                raise OptionError("lr", f"training diverged at step {step} (loss {last['total']}); try a smaller one")
            if callback is not None:
                callback(Progress(step, steps, last, done / max(time.perf_counter() - t0, 1e-9)))
            if opts.checkpoint_every and step % opts.checkpoint_every == 0 and step < steps:
                write(step)
    except KeyboardInterrupt:
        interrupted = True
    write(step)
    net.eval()
    return TrainResult(step, last, history, interrupted, bad)
