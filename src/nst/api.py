"""Python API: ``nst.stylize(content, style, **options) -> PIL.Image.Image``.

Accepts paths, PIL images or tensors; handles resizing, initialization,
seeding, progress and intermediate saves around :class:`~nst.transfer.StyleTransfer`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from tqdm.auto import tqdm

from .device import pick_device
from .errors import NSTError
from .images import ImageLike, as_pil, fit_long_side, pil_to_tensor, resize, save_image, tensor_to_pil
from .options import INIT_CHOICES, TransferOptions
from .schedule import make_schedule
from .transfer import Step, StyleTransfer, TransferResult, memory_budget
from .visualize import check_gif_path, write_gif


def _as_list(style: ImageLike | Sequence[ImageLike]) -> list[ImageLike]:
    if isinstance(style, (list, tuple)):
        return list(style)
    return [style]


def prepare_images(
    content: ImageLike, styles: Sequence[ImageLike], size: int, style_scale: float = 1.0
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Decode and resize: content to long side ``size``, styles to ``size * style_scale``.

    Returns ``(content (1, 3, H, W), [style (1, 3, H_i, W_i), ...])`` in [0, 1].

    Raises:
        NSTError: an image cannot be read.
    """
    c = as_pil(content, "content image")
    c = resize(c, fit_long_side(c.size, size))
    style_side = max(1, round(size * style_scale))
    ss = []
    for i, s in enumerate(styles):
        s = as_pil(s, f"style image {i + 1}")
        ss.append(pil_to_tensor(resize(s, fit_long_side(s.size, style_side))))
    return pil_to_tensor(c), ss


def upsample(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bicubic resize of ``(1, 3, h, w)`` to ``size`` = (H, W), clamped to [0, 1]."""
    return F.interpolate(image, size=size, mode="bicubic", align_corners=False).clamp(0, 1)


def initial_image(init: str, content: torch.Tensor, styles: Sequence[torch.Tensor], seed: int) -> torch.Tensor:
    """The starting image ``(1, 3, H, W)`` for ``init`` = content | noise | style | path.

    ``noise`` is uniform in [0, 1] drawn from a generator seeded with ``seed``;
    ``style`` and a path are resized to the content's size.

    Raises:
        NSTError: unreadable init image.
    """
    h, w = content.shape[-2:]
    if init == "content":
        return content.clone()
    if init == "noise":
        g = torch.Generator().manual_seed(seed)
        return torch.rand(content.shape, generator=g)
    if init == "style":
        return pil_to_tensor(resize(as_pil(styles[0]), (w, h)))
    return pil_to_tensor(resize(as_pil(init, "init image"), (w, h)))


def check_init(init: str) -> None:
    """Raise NSTError if ``init`` is neither a known mode nor an existing file."""
    if init not in INIT_CHOICES and not Path(init).is_file():
        raise NSTError(f"--init {init!r}: not one of {', '.join(INIT_CHOICES)} and no such file")


class ProgressCallback:
    """tqdm progress bar with current losses, plus optional saving every N iterations.

    Iterations are counted across all scales of a coarse-to-fine run. Every
    ``save_every`` iterations the iterate is written to ``save_dir`` and, with
    ``keep_frames``, kept in ``frames`` (8-bit PIL images at the scale's size)
    for an animated GIF.
    """

    def __init__(self, total: int, show: bool, save_every: int = 0, save_dir: str | None = None,
                 keep_frames: bool = False, desc: str = "stylizing") -> None:
        self.bar = tqdm(total=total, desc=desc, unit="it", disable=not show, dynamic_ncols=True)
        self.save_every = save_every
        self.save_dir = Path(save_dir) if save_dir else None
        self.keep_frames = keep_frames
        self.frames: list[Image.Image] = []
        self.digits = len(str(total))
        self.count = 0

    def __call__(self, step: Step) -> None:
        self.count += 1
        self.bar.update(1)
        h, w = step.image.shape[-2:]
        self.bar.set_postfix({"px": f"{w}x{h}", **{k: f"{v:.3g}" for k, v in step.losses.items()}}, refresh=False)
        if self.save_every and self.count % self.save_every == 0:
            if self.save_dir:
                save_image(step.image.clamp(0, 1).cpu(), self.save_dir / f"iter_{self.count:0{self.digits}d}.png")
            if self.keep_frames:
                self.frames.append(tensor_to_pil(step.image.cpu()))

    def close(self) -> None:
        self.bar.close()


def run_transfer(
    content: ImageLike,
    style: ImageLike | Sequence[ImageLike],
    opts: TransferOptions,
    progress: bool = True,
    desc: str = "stylizing",
) -> TransferResult:
    """Run a full coarse-to-fine style transfer with validated options.

    For each scale of :func:`nst.schedule.make_schedule` the content and style
    images are resized from the originals, targets are recomputed, and the
    previous scale's result, upsampled (bicubic), is the starting image.
    With ``opts.gif`` the iterates kept every ``opts.save_every`` iterations,
    then the result, are written as an animated GIF of the result's size
    (:func:`nst.visualize.write_gif`), also after Ctrl-C. ``desc`` labels the
    progress bar.

    Returns:
        :class:`TransferResult` of the final scale, with ``history`` and
        ``iterations`` summed over all scales.
    Raises:
        NSTError: bad images or options.
    """
    styles = _as_list(style)
    if not styles:
        raise NSTError("at least one style image is needed")
    if opts.style_weights is not None and len(opts.style_weights) != len(styles):
        raise NSTError(f"--style-weights: got {len(opts.style_weights)} weights for {len(styles)} style image(s)")
    check_init(opts.init)
    schedule = make_schedule(opts.size, opts.iterations, opts.min_size, opts.max_iterations, sizes=opts.scales)
    if opts.save_dir:
        os.makedirs(opts.save_dir, exist_ok=True)
    device = pick_device(opts.device)
    torch.manual_seed(opts.seed)
    content_pil = as_pil(content, "content image")
    style_pils = [as_pil(s, f"style image {i + 1}") for i, s in enumerate(styles)]
    st = StyleTransfer(opts.model, opts.weights, opts.pooling, opts.content_layers, opts.style_layers, device)
    if opts.gif:
        check_gif_path(opts.gif)
    cb = ProgressCallback(sum(sc.iterations for sc in schedule), progress, opts.save_every, opts.save_dir,
                          keep_frames=bool(opts.gif), desc=desc)
    x: torch.Tensor | None = None
    history: list[dict[str, float]] = []
    try:
        for sc in schedule:
            content_t, style_ts = prepare_images(content_pil, style_pils, sc.size, opts.style_scale)
            if x is None:
                x = initial_image(opts.init, content_t, style_ts, opts.seed)
            else:
                x = upsample(x, tuple(content_t.shape[-2:]))
            st.plan_memory(*content_t.shape[-2:], memory_budget(device, opts.max_memory))
            st.set_targets(content_t, style_ts, opts.style_weights)
            result = st.optimize(
                x, sc.iterations, opts.optimizer, opts.lr,
                opts.content_weight, opts.style_weight, opts.tv_weight,
                callback=cb, tol=opts.tol, window=opts.window,
            )
            history += [{**h, "size": float(sc.size)} for h in result.history]
            x = result.image
            if result.interrupted:
                break
    finally:
        cb.close()
    result.history, result.iterations = history, len(history)
    if opts.gif:
        write_gif([*cb.frames, result.image], opts.gif)
    return result


def stylize(
    content: ImageLike,
    style: ImageLike | Sequence[ImageLike],
    progress: bool = False,
    **options,
) -> Image.Image:
    """Repaint ``content`` in the style of ``style`` (Gatys et al. 2015).

    Args:
        content: path, PIL image, or tensor ``(1, 3, H, W)`` / ``(3, H, W)`` RGB in [0, 1].
        style: one such image or a list of them (blended by ``style_weights``).
        progress: show a tqdm progress bar.
        **options: any field of :class:`~nst.options.TransferOptions`
            (``size=512, iterations=300, style_weight=10, init="content", ...``).

    Returns:
        8-bit RGB ``PIL.Image.Image`` whose long side is ``size``.

    Raises:
        NSTError: bad images or options (message names the culprit).
    """
    opts = TransferOptions.from_kwargs(**options)
    return tensor_to_pil(run_transfer(content, style, opts, progress=progress).image)
