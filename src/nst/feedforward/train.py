"""Training a feed-forward style network (Johnson, Alahi and Fei-Fei 2016).

Adam on random crops of a folder of photos against one style image, with the
perceptual loss of :class:`nst.criterion.Criterion` (each output's content
target is its own input photo). The model file is rewritten every
``checkpoint_every`` steps together with a checkpoint (network + Adam state +
step count) that ``resume`` continues from; Ctrl-C writes both before
stopping, so an interrupted run leaves a usable model.

Training that can be left alone: every ``eval_every`` steps the network is
scored on a held-out photo (:func:`held_out_score`) and the model file keeps
the best-scoring weights, while the checkpoint keeps the latest ones; a
non-finite loss or a blow-up (:func:`blew_up`) restores the last good state
in memory and halves the learning rate instead of ending the run. With
``ema`` the weights that are scored, saved and applied are an exponential
moving average of the trained ones.
"""

from __future__ import annotations

import copy
import math
import os
import statistics
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from ..config import check_fields, option
from ..criterion import (
    DEFAULT_CONTENT_WEIGHT,
    DEFAULT_STYLE_LAYERS,
    DEFAULT_TV_WEIGHT,
    Criterion,
)
from ..device import pick_device, training_amp_dtype
from ..errors import NSTError, OptionError
from ..images import check_output_path, fit_long_side, load_image, pil_to_tensor, resize
from ..losses import STYLE_STATISTICS
from ..vgg import parse_layers
from .data import center_crop, decode_photo, find_images, load_photos, random_batch
from .modelfile import ModelInfo, load_checkpoint, save_checkpoint, save_model
from .network import NetConfig, TransformerNet

CHECKPOINT_SUFFIX = ".ckpt.safetensors"


TRAINING, LOSSES = "training", "losses (relative, as in nst transfer)"
# Crops and style images larger than this would hold every photo decoded at that size in memory.
MAX_TRAIN_SIDE = 2048
LR_SCHEDULES = ("constant", "cosine")
# Blow-ups (see blew_up): a loss above BLOWUP_FACTOR x the median of the last RECENT_LOSSES accepted
# losses (once MIN_RECENT are known), or a non-finite one.
BLOWUP_FACTOR = 10.0
RECENT_LOSSES = 50
MIN_RECENT = 10
# Steps between the in-memory copies of the last good state (network + Adam) that a blow-up goes back to.
GOOD_STATE_EVERY = 20
# Blow-ups recovered in a row (no new good state in between) before training gives up.
MAX_RECOVERIES = 5
# The recipe's content layer and style weight: relu4_2 alone (the layer it was chosen with) and 5, the middle of
# the weights the shipped Gram models were tuned to by the two-sided score (4.75 to 6, with --noise;
# docs/feedforward.md, "Shipped models"). nst transfer's defaults (relu2_2 added, style weight 15) were chosen
# later, for the optimization.
TRAIN_CONTENT_LAYERS: dict[str, float] = {"relu4_2": 1.0}
TRAIN_STYLE_WEIGHT = 5.0
# Training options that define the held-out score (``ema``: whether the latest weights or their average are
# scored): a resumed run keeps the recorded best only if they match.
SCORE_OPTIONS = ("size", "style_size", "content_weight", "style_weight", "content_layers", "style_layers",
                 "style_loss", "ema")
# Options added to the training record after the first model files: the value an older record was trained with.
RECORD_DEFAULTS: dict[str, object] = {"amp": False, "ema": 0.0}


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
    checkpoints (0: only at the end); ``eval_every``: steps between scores
    on the held-out photo ``eval_photo``, or the photos of a folder
    ``eval_photo`` (0: never; see :func:`train`);
    ``amp``: the loss network under autocast where
    :func:`nst.device.training_amp_dtype` picks a dtype (False: float32).
    Checked when built.

    The defaults are the CPU recipe chosen by equal-step comparisons
    (docs/feedforward.md, "The recipe"): 128 px crops with the style image at
    256 px, content relu4_2 and the style layers of ``nst transfer``
    (relu1_1..relu4_1), a network that starts as the identity
    (:class:`NetConfig` ``identity``) with a noise input (``noise``), style
    weight 5, Adam at 1e-3 with a 100-step warm-up, cosine decay and the
    gradient norm clipped to 1, 4500 steps (55 minutes measured on a slow
    2-core CPU in float32; by its step times about 48 on a faster one and
    30 where the loss network runs in bfloat16, ``amp``).

    Raises:
        OptionError: a bad value, naming the field.
    """

    size: int = option(128, check="positive", group=TRAINING, help="side of the square training crops in pixels")
    batch_size: int = option(4, check="positive", group=TRAINING, help="photos per step")
    steps: int = option(4500, check="positive", group=TRAINING,
                        help="optimizer steps in all (a resumed run continues up to it)")
    epochs: float | None = option(None, check="positive", group=TRAINING,
                                  help="passes over the photos; overrides the step count")
    lr: float = option(1e-3, check="positive", group=TRAINING, help="Adam learning rate (the peak of the schedule)")
    lr_schedule: str = option("cosine", choices=LR_SCHEDULES, group=TRAINING,
                              help="learning rate over the run after the warm-up: constant, or cosine decay to 0")
    warmup: int = option(100, check="nonneg", group=TRAINING, metavar="N",
                         help="steps of linear learning-rate warm-up from 0 (at most a fifth of the run)")
    clip_grad: float = option(1.0, check="nonneg", group=TRAINING, metavar="NORM",
                              help="clip the gradient's global L2 norm to NORM (0: no clipping)")
    ema: float = option(0.0, check="unit", group=TRAINING, metavar="DECAY",
                        help="score, save and apply an exponential moving average of the weights, updated after "
                             "each step with this decay (e.g. 0.999: an average over about 1000 steps); 0: the "
                             "latest weights")
    seed: int = option(0, group=TRAINING, help="random seed (initialization, crops)")
    checkpoint_every: int = option(500, check="nonneg", group=TRAINING, metavar="N",
                                   help="write model and checkpoint every N steps (0: only at the end)")
    eval_every: int = option(500, check="nonneg", group=TRAINING, metavar="N",
                             help="score the model on a held-out photo every N steps and keep the best-scoring "
                                  "one in MODEL (0: never; MODEL then holds the latest)")
    eval_photo: str | None = option(None, group=TRAINING, metavar="PHOTO",
                                    help="the held-out photo for --eval-every, or a folder of them (their "
                                         "scores averaged); left out of training if under --data",
                                    default_text="the first photo under --data in sorted order")
    device: str | None = option(None, group=TRAINING, help="cpu, cuda, cuda:N or mps",
                                default_text="the best available")
    amp: bool = option(True, group=TRAINING,
                       help="run the loss network under autocast where the device computes it natively: bfloat16 on "
                            "CPUs with AVX512-BF16 or AMX (steps about 1.7x faster), bfloat16 or float16 on CUDA; "
                            "--no-amp: float32")
    content_weight: float = option(DEFAULT_CONTENT_WEIGHT, check="nonneg", group=LOSSES, help="content loss weight")
    style_weight: float = option(TRAIN_STYLE_WEIGHT, check="nonneg", group=LOSSES, help="style loss weight")
    tv_weight: float = option(DEFAULT_TV_WEIGHT, check="nonneg", group=LOSSES, help="total-variation loss weight")
    style_size: int | None = option(None, check="positive", group=LOSSES,
                                    help="long side of the style image in pixels", default_text="2 x the crop size")
    content_layers: dict[str, float] = option(factory=lambda: dict(TRAIN_CONTENT_LAYERS), group=LOSSES,
                                              metavar="LAYER[:W]", help="VGG-19 content layers")
    style_layers: dict[str, float] = option(factory=lambda: dict(DEFAULT_STYLE_LAYERS), group=LOSSES,
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
        if self.ema >= 1:
            raise OptionError("ema", f"must be below 1 (1 would never update the average), got {self.ema}")
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
    """Outcome of :func:`train`.

    ``steps`` done, last ``losses``, loss ``history`` (one dict per step of
    this run that was kept), whether Ctrl-C stopped it, unreadable photos
    ``skipped``; ``held_out``: the held-out photo (None without evaluation);
    ``evaluations``: every held-out score of this run (:func:`held_out_score`
    plus ``step``); ``best``: the evaluation of the weights in the model file
    (None: the model file holds the latest weights); ``recoveries``: the
    blow-ups recovered from (``step``, ``loss``, ``restored``, ``lr``).
    """

    steps: int
    losses: dict[str, float]
    history: list[dict[str, float]]
    interrupted: bool = False
    skipped: list[Path] = field(default_factory=list)
    held_out: Path | None = None
    evaluations: list[dict] = field(default_factory=list)
    best: dict | None = None
    recoveries: list[dict] = field(default_factory=list)


def checkpoint_path(model_path: str | os.PathLike) -> Path:
    """The checkpoint file beside a model file: ``starry.safetensors`` -> ``starry.ckpt.safetensors``."""
    p = Path(model_path)
    return p.with_name(p.name[: -len(p.suffix)] + CHECKPOINT_SUFFIX if p.suffix else p.name + CHECKPOINT_SUFFIX)


@torch.no_grad()
def held_out_score(net: TransformerNet, criterion: Criterion, photo: torch.Tensor) -> dict[str, float]:
    """The two-sided score of ``net`` on a held-out ``photo`` ``(1, 3, H, W)`` in [0, 1].

    The network runs as it is applied (eval mode, output clamped to [0, 1]);
    ``criterion`` (with its style set) compares the output with the style
    and with ``photo`` as content target. Returns the unweighted relative
    ``style`` and ``content`` losses (:meth:`Criterion.unweighted`) and their
    ``score = content_weight * content + style_weight * style`` with the
    criterion's weights: the training objective without the TV term (a
    smoothness prior, not a measure of either side). Lower is better.
    """
    was_training = net.training
    net.eval()
    try:
        terms = criterion.unweighted(net(photo), content=photo)
    finally:
        net.train(was_training)
    style, content = float(terms["style"]), float(terms["content"])
    score = criterion.weights["content"] * content + criterion.weights["style"] * style
    return {"style": style, "content": content, "score": score}


def learning_rate(step: int, steps: int, lr: float, schedule: str = "cosine", warmup: int = 0) -> float:
    """The learning rate of step ``step`` (0-based) of a run of ``steps``, peak ``lr``.

    A linear warm-up from 0 over the first ``warmup`` steps, at most a fifth
    of the run (Goyal et al. 2017, "Accurate, Large Minibatch SGD"), then
    ``lr`` (``"constant"``) or a cosine decay from ``lr`` to 0 at the last step
    (``"cosine"``, Loshchilov and Hutter 2017, "SGDR", without restarts). A
    pure function of the step, so a resumed run continues the same schedule.
    """
    warmup = min(warmup, steps // 5)
    if step < warmup:
        return lr * (step + 1) / (warmup + 1)
    if schedule == "constant":
        return lr
    progress = (step - warmup) / max(steps - warmup, 1)
    return lr * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def blew_up(loss: float, recent: Sequence[float]) -> bool:
    """Whether a training loss is a blow-up: not finite, or above :data:`BLOWUP_FACTOR` x the median of ``recent``.

    ``recent``: the last accepted losses (the median rule applies once
    :data:`MIN_RECENT` of them are known).
    """
    if not math.isfinite(loss):
        return True
    return len(recent) >= MIN_RECENT and loss > BLOWUP_FACTOR * statistics.median(recent)


def _held_out(files: list[Path], opts: TrainOptions) -> tuple[list[Path], Path | None, list[torch.Tensor]]:
    """``(training files, held-out photo or folder, its photos as (3, H, W) uint8 images)`` for ``opts.eval_photo``.

    ``eval_photo`` is one photo or a folder of them (searched as ``--data`` is).
    Without it nothing is decided here (the first readable photo is held out
    once the photos are decoded). Raises OptionError for an unreadable
    ``eval_photo`` (or a folder with an unreadable or no image), or one that
    holds every photo under the data folder.
    """
    if not opts.eval_every or opts.eval_photo is None:
        return files, None, []
    path = Path(opts.eval_photo)
    folder = path.is_dir()
    try:
        held = find_images(path) if folder else [path]
        images = [decode_photo(f, opts.size) for f in held]
    except NSTError as e:
        raise OptionError("eval_photo", str(e)) from None
    skip = {f.resolve() for f in held}
    rest = [f for f in files if f.resolve() not in skip]
    if not rest:
        what = "holds every photo" if folder else "is the only photo"
        raise OptionError("eval_photo", f"{path} {what} under the data folder; nothing left to train on")
    return rest, path, images


def mean_score(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    """The mean of several :func:`held_out_score` results, key by key (``style``, ``content``, ``score``)."""
    return {k: statistics.fmean(s[k] for s in scores) for k in ("style", "content", "score")}


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
    log: Callable[[str, str], None] | None = None,
) -> TrainResult:
    """Train a :class:`TransformerNet` on the photos in ``data`` for the style image ``style_path``.

    Writes the checkpoint (:func:`checkpoint_path`, the latest weights) every
    ``opts.checkpoint_every`` steps, at the end, and on Ctrl-C (then
    ``interrupted=True``). With ``resume`` the network, Adam state and step
    count come from the checkpoint (its architecture wins over ``config``)
    and training continues up to ``opts.steps`` on the same learning-rate
    schedule (:func:`learning_rate`: warm-up, then constant or cosine decay;
    the gradient norm clipped to ``opts.clip_grad``).

    Held-out score: with ``opts.eval_every`` > 0 one photo is held out of
    training (``opts.eval_photo``, or else the first readable photo under
    ``data`` in sorted order) and the network is scored on its centred
    ``size`` x ``size`` crop (:func:`held_out_score`) every ``eval_every``
    steps and at the last step. ``opts.eval_photo`` may be a folder: all its
    photos are held out and the score is the mean of theirs
    (:func:`mean_score`), a steadier choice of step than one photo gives.
    ``output`` (the model file) then holds the best-scoring weights so far, rewritten whenever a score is lower than
    every earlier one; its :class:`ModelInfo` ``steps`` and ``evaluation``
    say which step and scores. Until the first score (and with
    ``eval_every`` 0) the model file holds the latest weights, written with
    the checkpoint. A resumed run keeps the recorded best when the held-out
    photo and the options that define the score (:data:`SCORE_OPTIONS`)
    are unchanged, and starts a new best otherwise.

    Weight averaging: with ``opts.ema`` > 0 an exponential moving average
    of the weights (Polyak and Juditsky 1992; torch's
    ``AveragedModel`` with ``get_ema_multi_avg_fn``), updated after every
    step, is what the held-out photo scores and the model file holds; the
    checkpoint holds both the latest weights and the average.

    Blow-ups: the network and Adam state are copied in memory every
    :data:`GOOD_STATE_EVERY` steps (after that step's loss passed). A step
    whose loss :func:`blew_up` (non-finite, or over :data:`BLOWUP_FACTOR` x
    the median of the recent losses) is not taken: the copy is restored,
    the learning rate halved (the whole schedule, for the rest of the run), the step recorded in ``recoveries`` and the
    run goes on from the restored step.

    ``on_photos(to train on, unreadable)`` is called once the photos are
    decoded (the held-out photo is not counted); ``photo_progress(1)`` after each file; ``log(kind, line)`` with
    one line per held-out score (``kind`` ``"eval"``) and per recovery
    (``"recovery"``).

    Raises:
        NSTError: bad options, unreadable style image or ``eval_photo``, no
            readable photos, only one photo and evaluation without
            ``eval_photo``, ``resume`` without a readable checkpoint, bad
            output path.
        OptionError: ``lr``, when :data:`MAX_RECOVERIES` recoveries in a row
            did not get past a blow-up.
    """
    out = check_output_path(output, [style_path], extensions=(".safetensors",), option="output")
    ckpt = checkpoint_path(out)
    style_img = load_image(style_path)
    files, held_out, held_images = _held_out(find_images(data), opts)
    resumed = None
    if resume:
        if not ckpt.is_file():
            raise OptionError("resume", f"no checkpoint {ckpt} (written by an earlier training run into {out})")
        resumed = load_checkpoint(ckpt)
    device = pick_device(opts.device)
    photos, bad = load_photos(files, opts.size, photo_progress)
    if opts.eval_every and held_out is None:
        if len(photos) < 2:
            raise OptionError("eval_photo", f"{data} has only one readable photo, none to hold out: give a "
                                            "held-out photo, or --eval-every 0 for no held-out score")
        held_out = next(f for f in files if f not in bad)
        held_images = [photos.pop(0)]
    if on_photos is not None:
        on_photos(len(photos), len(bad))
    steps = opts.steps if opts.epochs is None else max(1, math.ceil(opts.epochs * len(photos) / opts.batch_size))

    style_side = opts.style_size or 2 * opts.size
    style = pil_to_tensor(resize(style_img, fit_long_side(style_img.size, style_side)))
    loss_fn = Criterion(content_layers=opts.content_layers, style_layers=opts.style_layers, device=device,
                        style_loss=opts.style_loss, content_weight=opts.content_weight,
                        style_weight=opts.style_weight, tv_weight=opts.tv_weight)
    loss_fn.amp = training_amp_dtype(device) if opts.amp else None
    loss_fn.set_style([style])
    torch.manual_seed(opts.seed)
    if resumed is not None:
        net, optim_state, info = resumed.net, resumed.optimizer_state, resumed.info
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
    average = None  # torch's EMA: the first update copies the weights, later ones lerp towards them
    if opts.ema:
        average = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(opts.ema), use_buffers=True)
        saved = None if resumed is None else resumed.average
        if saved is not None:  # else a run resumed with --ema for the first time starts its average there
            average.load_state_dict(saved)
    applied = net if average is None else average.module  # the weights that are scored, saved and applied
    record = {k: v for k, v in asdict(opts).items() if k not in ("device",)}
    info = ModelInfo(net.config, style=Path(style_path).stem, steps=start, training=record)
    recoveries: list[dict] = []
    best: dict | None = None
    if resumed is not None:
        recoveries = list(resumed.info.recoveries)
        before = resumed.info
        recorded = {**RECORD_DEFAULTS, **before.training}
        same = before.style == info.style and all(recorded.get(k) == record[k] for k in SCORE_OPTIONS)
        if opts.eval_every and same and before.evaluation.get("photo") == str(held_out):
            best = dict(before.evaluation)
    eval_photos = [center_crop(image, opts.size).to(device) for image in held_images]
    held_name = "" if held_out is None else held_out.name
    if held_out is not None and held_out.is_dir():
        held_name += f"/ ({len(eval_photos)} photos, mean)"

    def write(step: int) -> None:
        """The checkpoint (latest weights); the model file too while no held-out score chooses it."""
        save_checkpoint(ckpt, net, optimizer, replace(info, steps=step, evaluation=best or {},
                                                      recoveries=list(recoveries)), average)
        if best is None:
            save_model(out, applied, replace(info, steps=step, recoveries=list(recoveries)))

    evaluations: list[dict] = []

    def evaluate(step: int) -> None:
        nonlocal best
        scores = {"step": step, **mean_score([held_out_score(applied, loss_fn, p) for p in eval_photos]),
                  "photo": str(held_out)}
        evaluations.append(scores)
        line = (f"step {step}: held-out {held_name}: style {scores['style']:.4g}, content "
                f"{scores['content']:.4g} (unweighted); score {scores['score']:.4g}")
        if math.isfinite(scores["score"]) and (best is None or scores["score"] < best["score"]):
            best = scores
            save_model(out, applied, replace(info, steps=step, evaluation=best, recoveries=list(recoveries)))
            line += f", best so far: wrote {out.name}"
        else:
            line += f" (best {best['score']:.4g} at step {best['step']})" if best else ""
        if log is not None:
            log("eval", line)

    def snapshot(step: int) -> tuple[int, dict, dict, dict | None]:
        return (step, copy.deepcopy(net.state_dict()), copy.deepcopy(optimizer.state_dict()),
                None if average is None else copy.deepcopy(average.state_dict()))

    history: list[dict[str, float]] = []
    last: dict[str, float] = {}
    step, interrupted = start, False
    lr_scale = 1.0  # halved by each recovery from a blow-up, for the rest of the run
    good, in_a_row = snapshot(start), 0
    recent: deque[float] = deque(maxlen=RECENT_LOSSES)
    generator = torch.Generator()
    t0, done = time.perf_counter(), 0
    try:
        while step < steps:
            generator.manual_seed(opts.seed * 1_000_003 + step)  # batch depends only on (seed, step): resumable
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, steps, opts.lr * lr_scale, opts.lr_schedule, opts.warmup)
            photo = random_batch(photos, opts.batch_size, opts.size, generator).to(device)
            terms = loss_fn(net(photo), content=photo)
            loss = float(terms["total"].detach())
            if blew_up(loss, recent):
                if in_a_row == MAX_RECOVERIES:
                    raise OptionError("lr", f"training diverged at step {step + 1} (loss {loss}) after "
                                            f"{MAX_RECOVERIES} recoveries in a row; try a smaller one")
                in_a_row += 1
                lr_scale /= 2
                good_step, net_state, adam_state, average_state = good
                net.load_state_dict(net_state)
                optimizer.load_state_dict(copy.deepcopy(adam_state))  # the copy stays as it was
                if average is not None:
                    average.load_state_dict(average_state)
                lr = learning_rate(good_step, steps, opts.lr * lr_scale, opts.lr_schedule, opts.warmup)
                recoveries.append({"step": step + 1, "loss": loss if math.isfinite(loss) else str(loss),
                                   "restored": good_step, "lr": lr})
                del history[good_step - start:]
                if log is not None:
                    log("recovery", f"step {step + 1}: loss blew up ({loss:.4g}); restored step {good_step}, "
                                    f"learning rate now {lr:.3g}")
                step = good_step
                continue
            if step > good[0] and step % GOOD_STATE_EVERY == 0:
                good, in_a_row = snapshot(step), 0
            optimizer.zero_grad(set_to_none=True)
            terms["total"].backward()
            if opts.clip_grad:
                torch.nn.utils.clip_grad_norm_(net.parameters(), opts.clip_grad)
            optimizer.step()
            if average is not None:
                average.update_parameters(net)
            step += 1
            done += opts.batch_size
            last = {k: float(v.detach()) for k, v in terms.items()}
            history.append(last)
            recent.append(loss)
            if callback is not None:
                callback(Progress(step, steps, last, done / max(time.perf_counter() - t0, 1e-9)))
            if opts.eval_every and (step % opts.eval_every == 0 or step == steps):
                evaluate(step)
            if opts.checkpoint_every and step % opts.checkpoint_every == 0 and step < steps:
                write(step)
    except KeyboardInterrupt:
        interrupted = True
    write(step)
    net.eval()
    return TrainResult(step, last, history, interrupted, bad, held_out, evaluations, best, recoveries)
