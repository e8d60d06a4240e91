"""Training a feed-forward style network (Johnson, Alahi and Fei-Fei 2016).

Adam on random crops of a folder of photos against one style image, with the
perceptual loss of :mod:`.loss`. The model file is rewritten every
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

from ..device import pick_device
from ..errors import NSTError
from ..images import check_output_path, fit_long_side, load_image, pil_to_tensor, resize
from .data import find_images, load_photos, random_batch
from .loss import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, PerceptualLoss
from .modelfile import ModelInfo, load_checkpoint, save_checkpoint, save_model
from .network import NetConfig, TransformerNet

CHECKPOINT_SUFFIX = ".ckpt.safetensors"


@dataclass
class TrainOptions:
    """Options of ``nst train`` with their defaults.

    ``size``: side of the square training crops (px); ``style_size``: long side
    of the style image (None: ``2 * size``, so strokes keep their look when
    the network is applied to photos about twice the crop size); ``steps``:
    optimizer steps (``epochs``, if set, overrides it: ``ceil(epochs * photos /
    batch_size)``); weights multiply the relative losses of :mod:`.loss`;
    ``checkpoint_every``: steps between checkpoints (0: only at the end).
    """

    size: int = 256
    batch_size: int = 4
    steps: int = 2000
    epochs: float | None = None
    lr: float = 1e-3
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 1.0
    content_layers: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CONTENT_LAYERS))
    style_layers: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_STYLE_LAYERS))
    style_size: int | None = None
    checkpoint_every: int = 200
    seed: int = 0
    device: str | None = None

    def validate(self) -> None:
        """Raise :class:`NSTError` naming the first bad option."""
        for name in ("size", "batch_size", "steps"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise NSTError(f"--{name.replace('_', '-')} must be a positive integer, got {v}")
        if self.size < 16:
            raise NSTError(f"--size must be >= 16, got {self.size}")
        if self.epochs is not None and not (math.isfinite(self.epochs) and self.epochs > 0):
            raise NSTError(f"--epochs must be > 0, got {self.epochs}")
        if self.style_size is not None and self.style_size < 16:
            raise NSTError(f"--style-size must be >= 16, got {self.style_size}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise NSTError(f"--lr must be > 0, got {self.lr}")
        for name in ("content_weight", "style_weight", "tv_weight"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise NSTError(f"--{name.replace('_', '-')} must be >= 0, got {v}")
        if self.checkpoint_every < 0:
            raise NSTError(f"--checkpoint-every must be >= 0, got {self.checkpoint_every}")


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
    opts.validate()
    out = check_output_path(output, [style_path], extensions=(".safetensors",), option="-o")
    ckpt = checkpoint_path(out)
    style_img = load_image(style_path)
    files = find_images(data)
    resumed = None
    if resume:
        if not ckpt.is_file():
            raise NSTError(f"--resume: no checkpoint {ckpt} (written by an earlier nst train -o {out})")
        resumed = load_checkpoint(ckpt)
    device = pick_device(opts.device)
    photos, bad = load_photos(files, opts.size, photo_progress)
    if on_photos is not None:
        on_photos(len(photos), len(bad))
    steps = opts.steps if opts.epochs is None else max(1, math.ceil(opts.epochs * len(photos) / opts.batch_size))

    style_side = opts.style_size or 2 * opts.size
    style = pil_to_tensor(resize(style_img, fit_long_side(style_img.size, style_side)))
    loss_fn = PerceptualLoss(style, opts.content_layers, opts.style_layers,
                             opts.content_weight, opts.style_weight, opts.tv_weight, device)
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
            terms = loss_fn(net(photo), photo)
            optimizer.zero_grad(set_to_none=True)
            terms["total"].backward()
            optimizer.step()
            step += 1
            done += opts.batch_size
            last = {k: float(v.detach()) for k, v in terms.items()}
            history.append(last)
            if not math.isfinite(last["total"]):
                raise NSTError(f"training diverged at step {step} (loss {last['total']}); try a smaller --lr")
            if callback is not None:
                callback(Progress(step, steps, last, done / max(time.perf_counter() - t0, 1e-9)))
            if opts.checkpoint_every and step % opts.checkpoint_every == 0 and step < steps:
                write(step)
    except KeyboardInterrupt:
        interrupted = True
    write(step)
    net.eval()
    return TrainResult(step, last, history, interrupted, bad)
